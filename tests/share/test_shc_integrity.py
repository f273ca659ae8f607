"""A card from an issuer the wallet does not trust is still checked for integrity: the
ES256 key is recovered from the signature and must match the header's kid."""

from __future__ import annotations

import hashlib
import json
import os
import zlib

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from joserfc.jwk import ECKey

from wallet.errors import SignatureInvalid
from wallet.share.encoding import b64url_decode, b64url_encode
from wallet.share.issuers import IssuerStore
from wallet.share.p256_recovery import jwk_thumbprint, p256_jwk, recover_p256_keys, verify_es256
from wallet.share.shc import verify_card

from .conftest import INVALID, NOW, SHC, SPEC_ISS, SPEC_KID
from .test_shc import example_claims

CALIFORNIA = "https://myvaccinerecord.cdph.ca.gov/creds"


@pytest.fixture(scope="module")
def default_store() -> IssuerStore:
    """What a fresh installation trusts: the bundled VCI directory and nothing else."""
    return IssuerStore.load(None)


def fresh_signer() -> tuple[ec.EllipticCurvePrivateKey, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    numbers = key.public_key().public_numbers()
    return key, jwk_thumbprint(p256_jwk(numbers.x, numbers.y))


def sign(claims: dict, key: ec.EllipticCurvePrivateKey, kid: str) -> str:
    """A SMART Health Card JWS signed by ``key`` with ``kid`` in its header (OpenSSL)."""
    header = b64url_encode(json.dumps({"zip": "DEF", "alg": "ES256", "kid": kid}).encode())
    deflater = zlib.compressobj(wbits=-15)
    raw = deflater.compress(json.dumps(claims, separators=(",", ":")).encode()) + deflater.flush()
    signing_input = f"{header}.{b64url_encode(raw)}"
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return f"{signing_input}.{b64url_encode(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


# --- the recovery itself, against known keys ------------------------------------------


def test_the_spec_example_key_is_recovered_from_its_card() -> None:
    header, payload, sig = (SHC / "example-00-d-jws.txt").read_text().strip().split(".")
    signing_input = f"{header}.{payload}".encode()
    candidates = recover_p256_keys(hashlib.sha256(signing_input).digest(), b64url_decode(sig, what="signature"))
    assert 1 <= len(candidates) <= 4
    kids = {jwk_thumbprint(p256_jwk(x, y)) for x, y in candidates}
    assert SPEC_KID in kids
    published = json.loads((SHC / "issuer/.well-known/jwks.json").read_text())["keys"][0]
    (x, y) = next(c for c in candidates if jwk_thumbprint(p256_jwk(*c)) == SPEC_KID)
    assert p256_jwk(x, y)["x"] == published["x"] and p256_jwk(x, y)["y"] == published["y"]


@pytest.mark.parametrize("n", range(12))
def test_a_random_key_is_among_the_candidates_and_its_thumbprint_agrees_with_joserfc(n: int) -> None:
    key, kid = fresh_signer()
    message = os.urandom(50 + n)
    r, s = decode_dss_signature(key.sign(message, ec.ECDSA(hashes.SHA256())))
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    numbers = key.public_key().public_numbers()
    candidates = recover_p256_keys(hashlib.sha256(message).digest(), signature)
    assert (numbers.x, numbers.y) in candidates
    assert all(verify_es256(message, signature, x, y) for x, y in candidates)
    assert kid == ECKey.import_key(p256_jwk(numbers.x, numbers.y)).thumbprint()
    assert not verify_es256(message + b"!", signature, numbers.x, numbers.y)


@pytest.mark.parametrize("signature", [b"", bytes(64), b"\xff" * 64, bytes(63)])
def test_malformed_signatures_recover_nothing(signature: bytes) -> None:
    assert recover_p256_keys(bytes(32), signature) == ()


# --- forged cards are refused, not imported as "unverified" ----------------------------


@pytest.mark.parametrize("name, reason", [
    ("shc-jws-tampered-payload.txt", "does not match its key id"),
    ("shc-jws-tampered-signature.txt", "does not match its key id"),
    ("shc-jws-unknown-kid.txt", "does not match its key id"),
    ("shc-signed-iss-mismatch.txt", "issued by https://evil.example.org/issuer but is signed with a key of"),
])
def test_forged_cards_are_refused_without_the_issuers_keys(name: str, reason: str, default_store) -> None:
    assert default_store.get(SPEC_ISS) is None
    with pytest.raises(SignatureInvalid, match=reason) as info:
        verify_card((INVALID / name).read_text(), issuers=default_store, now=NOW)
    assert "\n" not in info.value.user_message and info.value.user_message.endswith("refused.")


def test_an_intact_card_of_an_unknown_issuer_is_unverified_not_refused(default_store) -> None:
    card = verify_card((SHC / "example-00-d-jws.txt").read_text(), issuers=default_store, now=NOW)
    assert card.status == "unverified" and card.kid == SPEC_KID
    key, kid = fresh_signer()
    claims = {**example_claims(), "iss": "https://clinic.example.org/shc"}
    card = verify_card(sign(claims, key, kid), issuers=default_store, now=NOW)
    assert card.status == "unverified" and card.issuer == "https://clinic.example.org/shc"


def test_a_kid_that_is_not_the_signers_is_refused(default_store) -> None:
    key, _ = fresh_signer()
    _, other_kid = fresh_signer()
    claims = {**example_claims(), "iss": "https://clinic.example.org/shc"}
    with pytest.raises(SignatureInvalid, match="does not match its key id"):
        verify_card(sign(claims, key, other_kid), issuers=default_store, now=NOW)


def test_one_flipped_payload_bit_of_a_fresh_card_is_refused(default_store) -> None:
    key, kid = fresh_signer()
    header, payload, sig = sign({**example_claims(), "iss": "https://clinic.example.org/shc"}, key, kid).split(".")
    raw = bytearray(b64url_decode(payload, what="payload"))
    raw[len(raw) // 2] ^= 0x01
    with pytest.raises((SignatureInvalid,)):
        verify_card(f"{header}.{b64url_encode(bytes(raw))}.{sig}", issuers=default_store, now=NOW)


def test_a_card_claiming_a_directory_issuer_with_a_key_it_does_not_publish_is_refused(default_store) -> None:
    key, kid = fresh_signer()
    claims = {**example_claims(), "iss": CALIFORNIA}
    with pytest.raises(SignatureInvalid, match="State of California does not publish"):
        verify_card(sign(claims, key, kid), issuers=default_store, now=NOW)


def test_a_card_claiming_another_issuer_with_a_directory_key_is_refused(default_store) -> None:
    """The kid of a directory key on a card from elsewhere: it cannot verify (no private
    key), and even the integrity check names the mismatch first when it could."""
    ca_kid = default_store.get(CALIFORNIA).keys[0].kid
    key, _ = fresh_signer()
    claims = {**example_claims(), "iss": "https://clinic.example.org/shc"}
    with pytest.raises(SignatureInvalid, match="does not match its key id"):
        verify_card(sign(claims, key, ca_kid), issuers=default_store, now=NOW)
    assert default_store.owner_of_key(ca_kid) == (CALIFORNIA, "State of California")
