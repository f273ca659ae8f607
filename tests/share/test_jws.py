"""ES256K detached JWS: standard enough that other implementations sign and verify it."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from joserfc import jws as jose_jws
from joserfc.jwk import ECKey

from tests.conftest import ABANDON_ADDRESS
from wallet.errors import SignatureInvalid
from wallet.share.encoding import b64url_encode
from wallet.share.jws import address_from_jwk, canonical_json, public_jwk, sign_detached, verify_detached
from wallet.vault.keys import WalletKeys

PAYLOAD = canonical_json({"resourceType": "Bundle", "type": "collection", "entry": [], "n": 1.5})


def _header(jws: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(jws.split(".")[0] + "=="))


def _private(keys: WalletKeys) -> bytes:
    return bytes(keys.account.key)


def test_round_trip_names_the_wallet_address(keys: WalletKeys) -> None:
    jws = sign_detached(PAYLOAD, private_key=_private(keys))
    header = _header(jws)
    assert jws.split(".")[1] == ""  # detached
    assert header["alg"] == "ES256K" and header["kid"] == f"ethereum:{ABANDON_ADDRESS}"
    assert address_from_jwk(header["jwk"]) == ABANDON_ADDRESS
    assert verify_detached(jws, PAYLOAD) == ABANDON_ADDRESS


def test_signature_is_deterministic_and_low_s(keys: WalletKeys) -> None:
    jws = sign_detached(PAYLOAD, private_key=_private(keys))
    assert jws == sign_detached(PAYLOAD, private_key=_private(keys))  # RFC 6979
    s = int.from_bytes(base64.urlsafe_b64decode(jws.split(".")[2] + "==")[32:], "big")
    assert 0 < s * 2 < 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def test_verifies_with_joserfc_directly(keys: WalletKeys) -> None:
    """Signed with eth_keys; checked by a standard JOSE library with only the header's key."""
    jws = sign_detached(PAYLOAD, private_key=_private(keys))
    key = ECKey.import_key(_header(jws)["jwk"])
    obj = jose_jws.deserialize_compact(jws, key, algorithms=["ES256K"], payload=PAYLOAD)
    assert obj.payload == PAYLOAD


def test_verifies_with_plain_cryptography_ecdsa(keys: WalletKeys) -> None:
    jws = sign_detached(PAYLOAD, private_key=_private(keys))
    header_segment, _, sig_segment = jws.split(".")
    jwk = _header(jws)["jwk"]
    x, y = (int.from_bytes(base64.urlsafe_b64decode(jwk[c] + "=="), "big") for c in "xy")
    public = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256K1()).public_key()
    rs = base64.urlsafe_b64decode(sig_segment + "==")
    der = encode_dss_signature(int.from_bytes(rs[:32], "big"), int.from_bytes(rs[32:], "big"))
    public.verify(der, f"{header_segment}.{b64url_encode(PAYLOAD)}".encode(), ec.ECDSA(hashes.SHA256()))


def test_accepts_a_signature_made_by_another_implementation(keys: WalletKeys) -> None:
    """Sign with `cryptography` (ECDSA secp256k1, raw r||s, possibly high s) and with joserfc."""
    d = int.from_bytes(_private(keys), "big")
    private = ec.derive_private_key(d, ec.SECP256K1())
    header = {"alg": "ES256K", "kid": f"ethereum:{ABANDON_ADDRESS}", "jwk": public_jwk(_private(keys))}
    h = b64url_encode(json.dumps(header).encode())
    for _ in range(4):  # randomized nonces: some signatures have a high s, which is still valid
        r, s = decode_dss_signature(private.sign(f"{h}.{b64url_encode(PAYLOAD)}".encode(), ec.ECDSA(hashes.SHA256())))
        jws = f"{h}..{b64url_encode(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"
        assert verify_detached(jws, PAYLOAD) == ABANDON_ADDRESS

    jose_key = ECKey.import_key({**public_jwk(_private(keys)), "d": b64url_encode(_private(keys))})
    compact = jose_jws.serialize_compact(header, PAYLOAD, jose_key, algorithms=["ES256K"])
    detached = jose_jws.detach_content(compact)
    assert verify_detached(detached, PAYLOAD) == ABANDON_ADDRESS


def test_changed_payload_fails(keys: WalletKeys) -> None:
    jws = sign_detached(PAYLOAD, private_key=_private(keys))
    with pytest.raises(SignatureInvalid, match="does not match the signed content"):
        verify_detached(jws, PAYLOAD.replace(b"1.5", b"2.5"))


def test_another_key_claiming_the_address_fails(keys: WalletKeys, other_keys: WalletKeys) -> None:
    """Re-signed by another wallet but still naming the first wallet: refused."""
    forged = sign_detached(PAYLOAD, private_key=_private(other_keys))
    header = _header(forged)
    header["kid"] = f"ethereum:{ABANDON_ADDRESS}"
    tampered = b64url_encode(canonical_json(header)) + ".." + forged.split(".")[2]
    with pytest.raises(SignatureInvalid, match="belongs to"):
        verify_detached(tampered, PAYLOAD)
    # Keep the real key in the header but use the other wallet's signature: fails.
    real = sign_detached(PAYLOAD, private_key=_private(keys))
    mixed = real.split(".")[0] + ".." + forged.split(".")[2]
    with pytest.raises(SignatureInvalid, match="does not match"):
        verify_detached(mixed, PAYLOAD)


@pytest.mark.parametrize(
    "mutate, reason",
    [
        (lambda j: j.replace("..", ".eA.", 1), "detached"),
        (lambda j: j + "A", "wrong length"),
        (lambda j: j + "=", "base64url"),
        (lambda j: j[:-1] + ("B" if j[-1] == "A" else "A"), ""),
        (lambda j: j.split(".")[0], "detached"),
    ],
    ids=["attached-payload", "extra-char", "padding", "changed-last-char", "header-only"],
)
def test_malformed_signatures_fail(keys: WalletKeys, mutate, reason: str) -> None:
    jws = sign_detached(PAYLOAD, private_key=_private(keys))
    with pytest.raises(SignatureInvalid) as info:
        verify_detached(mutate(jws), PAYLOAD)
    assert reason in info.value.user_message


def test_other_algorithms_are_refused(keys: WalletKeys) -> None:
    jws = sign_detached(PAYLOAD, private_key=_private(keys))
    header = _header(jws)
    header["alg"] = "ES256"
    with pytest.raises(SignatureInvalid, match="ES256K"):
        verify_detached(b64url_encode(canonical_json(header)) + ".." + jws.split(".")[2], PAYLOAD)
