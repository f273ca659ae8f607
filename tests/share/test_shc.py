"""SMART Health Cards: every spec example verifies; every invalid case fails for its reason."""

from __future__ import annotations

import base64
import json
import zlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import segno
from joserfc import jws as jose_jws
from joserfc.jwk import ECKey
from joserfc.jws import JWSRegistry
from joserfc.registry import HeaderParameter

from wallet.errors import ShareError, SignatureInvalid
from wallet.share.issuers import IssuerStore, TrustedIssuer, add_trusted_issuer, remove_trusted_issuer
from wallet.share.shc import parse_card_file, read_card_file, verify_card
from wallet.share.shc_qr import encode_numeric, parse_qr_text, qr_for_card

from .conftest import HL7, INVALID, NOW, SHC, SPEC_ISS, SPEC_KID, spec_issuer

EXAMPLES = [(folder, n) for folder in (SHC, HL7) for n in ("00", "01", "02", "03")]
PRIVATE_JWKS = json.loads((SHC / "generate-examples-config/issuer.jwks.private.json").read_text())
_REG = JWSRegistry(header_registry={"zip": HeaderParameter("zip", "str")}, algorithms=["ES256"])


def _ids(value) -> str:
    return f"{value[0].name}-{value[1]}" if isinstance(value, tuple) else str(value)


def sign_card(claims: dict, *, kid: str = SPEC_KID, key_kid: str | None = None, zip_def: bool = True) -> str:
    """Sign a payload with one of the spec's published example private keys."""
    jwk = next(k for k in PRIVATE_JWKS["keys"] if k["kid"] == (key_kid or kid))
    jwk = {k: v for k, v in jwk.items() if k in ("kty", "crv", "x", "y", "d")}  # sign even with the enc key
    payload = json.dumps(claims, separators=(",", ":")).encode()
    header = {"alg": "ES256", "kid": kid}
    if zip_def:
        header["zip"] = "DEF"
        deflater = zlib.compressobj(wbits=-15)
        payload = deflater.compress(payload) + deflater.flush()
    return jose_jws.serialize_compact(header, payload, ECKey.import_key(jwk), registry=_REG)


def example_claims(n: str = "00", folder: Path = SHC) -> dict:
    return json.loads((folder / f"example-{n}-c-jws-payload-minified.json").read_text())


# --- the spec examples ------------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES, ids=_ids)
def test_every_example_verifies_and_yields_its_bundle(example, spec_store: IssuerStore) -> None:
    folder, n = example
    jws = (folder / f"example-{n}-d-jws.txt").read_text().strip()
    bundle = json.loads((folder / f"example-{n}-a-fhirBundle.json").read_text(), parse_float=Decimal)
    [from_file] = parse_card_file((folder / f"example-{n}-e-file.smart-health-card").read_bytes())
    qr_texts = [p.read_text() for p in sorted(folder.glob(f"example-{n}-f-qr-code-numeric-value-*.txt"))]
    assert from_file == jws
    assert parse_qr_text(qr_texts) == jws
    assert parse_qr_text(list(reversed(qr_texts))) == jws  # chunks in any order

    card = verify_card(jws, issuers=spec_store, now=NOW)
    assert card.verified and card.issuer == SPEC_ISS and card.issuer_name
    assert card.jws == jws  # the original JWS is kept
    assert card.fhir_bundle == bundle
    assert "https://smarthealth.cards#health-card" in card.types
    assert isinstance(card.nbf, datetime) and card.nbf < NOW


def test_example_03_is_revoked_in_the_spec_set_but_not_in_the_hl7_copy(spec_store: IssuerStore) -> None:
    revoked = verify_card((SHC / "example-03-d-jws.txt").read_text(), issuers=spec_store, now=NOW)
    assert revoked.rid == "vwAjHdarZuc" and revoked.revoked and revoked.status == "revoked"
    assert revoked.expired  # exp 2024-06-21

    hl7 = verify_card((HL7 / "example-03-d-jws.txt").read_text(), issuers=spec_store, now=NOW)
    assert hl7.rid == "vwAjHdarZuc"
    assert not hl7.revoked and hl7.revocation == "not-revoked"  # nbf after the CRL's timestamp
    assert hl7.expired and hl7.status == "expired"  # exp 2025-05-07
    assert hl7.exp is not None and hl7.exp.date().isoformat() == "2025-05-07"


def test_not_expired_before_exp(spec_store: IssuerStore) -> None:
    card = verify_card((HL7 / "example-03-d-jws.txt").read_text(), issuers=spec_store,
                       now=datetime(2025, 1, 1, tzinfo=UTC))
    assert not card.expired and card.status == "valid"


def test_card_without_exp_never_expires_and_nbf_may_be_a_float(spec_store: IssuerStore) -> None:
    card = verify_card((SHC / "example-00-d-jws.txt").read_text(), issuers=spec_store, now=NOW)
    assert card.exp is None and not card.expired
    assert card.nbf == datetime.fromtimestamp(1687450764.656, tz=UTC)
    assert card.revocation == "not-revoked" and card.status == "valid"


# --- the invalid fixtures (CASES.md) ------------------------------------------------

CASE_REASONS = {
    "shc-jws-tampered-payload.txt": (SignatureInvalid, "signature does not match"),
    "shc-jws-tampered-signature.txt": (SignatureInvalid, "signature does not match"),
    "shc-jws-unknown-kid.txt": (SignatureInvalid, "does not publish"),
    "shc-jws-alg-none.txt": (SignatureInvalid, "must use ES256"),
    "shc-jws-alg-hs256.txt": (SignatureInvalid, "must use ES256"),
    "shc-jws-two-parts.txt": (ShareError, "2 parts instead of 3"),
    "shc-jws-bad-base64.txt": (ShareError, "not valid base64url"),
    "shc-signed-uncompressed-payload.txt": (ShareError, "not compressed"),
    "shc-signed-zlib-wrapped-payload.txt": (ShareError, "zlib-wrapped"),
    "shc-signed-nbf-future.txt": (ShareError, "in the future"),
    "shc-signed-iss-mismatch.txt": (SignatureInvalid, "signed with a key of"),
    "shc-signed-missing-fhirbundle.txt": (ShareError, "no FHIR bundle"),
    "shc-signed-fhirbundle-wrong-resourcetype.txt": (ShareError, "not a FHIR Bundle"),
    "shc-qr-odd-digit-count.txt": (ShareError, "odd number of digits"),
    "shc-qr-pair-out-of-range.txt": (ShareError, "digit pair 99"),
    "shc-qr-missing-prefix.txt": (ShareError, "must start with shc:/"),
    "shc-file-empty-vc.smart-health-card": (ShareError, "holds no card"),
    "shc-file-vc-not-array.smart-health-card": (ShareError, "must be a list"),
    "shc-file-wrong-key.smart-health-card": (ShareError, 'no "verifiableCredential"'),
}
SHC_CASES = [c for c in json.loads((INVALID / "cases.json").read_text()) if c["file"].startswith("shc-")]


def _read_case(name: str, store: IssuerStore):
    data = (INVALID / name).read_bytes()
    if name.endswith(".smart-health-card"):
        return read_card_file(data, issuers=store, now=NOW)
    text = data.decode()
    if name.startswith("shc-qr-"):
        return verify_card(parse_qr_text(text), issuers=store, now=NOW)
    return verify_card(text, issuers=store, now=NOW)


def test_every_shc_case_is_covered() -> None:
    files = {c["file"] for c in SHC_CASES}
    assert files == set(CASE_REASONS) | {"shc-qr-uppercase-prefix.txt", "shc-qr-chunked-missing-middle-0.txt",
                                        "shc-qr-chunked-missing-middle-2.txt"}
    assert all(c["expected"].startswith(("reject", "implementation-defined")) for c in SHC_CASES)


@pytest.mark.parametrize("name", sorted(CASE_REASONS))
def test_invalid_case_fails_with_its_reason(name: str, spec_store: IssuerStore) -> None:
    error, reason = CASE_REASONS[name]
    with pytest.raises(error) as info:
        _read_case(name, spec_store)
    assert reason in info.value.user_message


def test_chunked_set_with_missing_middle_is_incomplete(spec_store: IssuerStore) -> None:
    texts = [(INVALID / f"shc-qr-chunked-missing-middle-{i}.txt").read_text() for i in (0, 2)]
    with pytest.raises(ShareError, match=r"Part\(s\) 2 of 3 are missing"):
        parse_qr_text(texts)
    # The same two files are unchanged copies of the real chunks 1 and 3.
    real = [(SHC / f"example-02-f-qr-code-numeric-value-{i}.txt").read_text() for i in range(3)]
    assert parse_qr_text([texts[0], real[1], texts[1]]) == (SHC / "example-02-d-jws.txt").read_text().strip()


def test_uppercase_scheme_is_accepted(spec_store: IssuerStore) -> None:
    """Implementation-defined case: URI schemes are case-insensitive, so SHC:/ is read."""
    jws = parse_qr_text((INVALID / "shc-qr-uppercase-prefix.txt").read_text())
    assert jws == (SHC / "example-00-d-jws.txt").read_text().strip()
    assert verify_card(jws, issuers=spec_store, now=NOW).verified


# --- chunked QR error cases --------------------------------------------------------


def _chunks() -> list[str]:
    return [(SHC / f"example-02-f-qr-code-numeric-value-{i}.txt").read_text() for i in range(3)]


@pytest.mark.parametrize(
    "texts, reason",
    [
        (lambda c: [c[0], c[1], c[1], c[2]], "scanned twice"),
        (lambda c: [c[0], c[1], c[2].replace("shc:/3/3/", "shc:/4/3/")], "part 4 of 3"),
        (lambda c: [c[0], c[1], c[2].replace("shc:/3/3/", "shc:/3/4/")], "different cards"),
        (lambda c: [c[0].replace("shc:/1/3/", "shc:/1/40/")], "at most 10"),
        (lambda c: [t.replace("/3/", "/40/") for t in c], "at most 10"),
        (lambda c: ["shc:/1/1/56"] * 11, "at most 10"),
        (lambda c: [c[0].replace("shc:/1/3/", "shc:/0/3/"), c[1], c[2]], "part 0 of 3"),
        (lambda c: [c[0], "shc:/5676", c[2]], "mixed"),
        (lambda c: [], "No QR text"),
    ],
    ids=["duplicate", "index-above-total", "totals-disagree", "too-many-total", "too-many-40",
         "too-many-codes", "index-zero", "mixed-single", "empty"],
)
def test_chunk_errors(texts, reason) -> None:
    with pytest.raises(ShareError) as info:
        parse_qr_text(texts(_chunks()))
    assert reason in info.value.user_message


def test_chunks_of_two_different_cards_do_not_make_a_card(spec_store: IssuerStore) -> None:
    spec = _chunks()
    hl7 = [(HL7 / f"example-02-f-qr-code-numeric-value-{i}.txt").read_text() for i in range(3)]
    mixed = parse_qr_text([spec[0], hl7[1], spec[2]])  # same total, so it reassembles...
    with pytest.raises(ShareError):  # ...but the result is not a valid card
        verify_card(mixed, issuers=spec_store, now=NOW)


# --- payload rules -----------------------------------------------------------------


def test_deflate_bomb_is_refused_before_it_inflates(spec_store: IssuerStore) -> None:
    claims = example_claims()
    claims["padding"] = "0" * (64 * 1024 * 1024)
    jws = sign_card(claims)
    assert len(jws) < 200_000
    with pytest.raises(ShareError, match="inflates beyond"):
        verify_card(jws, issuers=spec_store, now=NOW)


def test_trailing_data_after_deflate_stream_is_refused(spec_store: IssuerStore) -> None:
    good = sign_card(example_claims())
    header, payload, _ = good.split(".")
    raw = base64.urlsafe_b64decode(payload + "==") + b"junk"
    jwk = next(k for k in PRIVATE_JWKS["keys"] if k["kid"] == SPEC_KID)
    jws = jose_jws.serialize_compact({"alg": "ES256", "kid": SPEC_KID, "zip": "DEF"}, raw, ECKey.import_key(jwk),
                                     registry=_REG)
    with pytest.raises(ShareError, match="data after its end"):
        verify_card(jws, issuers=spec_store, now=NOW)


def test_future_nbf_within_clock_skew_is_accepted(spec_store: IssuerStore) -> None:
    claims = example_claims()
    claims["nbf"] = (NOW + timedelta(minutes=2)).timestamp()
    assert verify_card(sign_card(claims), issuers=spec_store, now=NOW).verified


def test_card_from_an_unknown_issuer_is_returned_unverified() -> None:
    card = verify_card((SHC / "example-00-d-jws.txt").read_text(), issuers=IssuerStore(), now=NOW)
    assert not card.verified and card.status == "unverified"
    assert card.issuer_name is None and card.revocation == "unknown"
    assert card.fhir_bundle["resourceType"] == "Bundle"


def test_encryption_key_never_verifies_a_card(spec_store: IssuerStore) -> None:
    """The private example JWKS has an ECDH-ES key; a JWKS that publishes it must not make
    it a signing key, even when the card is really signed with it."""
    enc = next(k for k in PRIVATE_JWKS["keys"] if k.get("use") == "enc")
    public = [{k: v for k, v in key.items() if k != "d"} for key in PRIVATE_JWKS["keys"]]
    store = IssuerStore([TrustedIssuer.from_jwks(SPEC_ISS, {"keys": public}, name="spec")])
    assert store.get(SPEC_ISS).key(enc["kid"]) is None
    jws = sign_card(example_claims(), kid=enc["kid"])
    with pytest.raises(SignatureInvalid, match="does not publish"):
        verify_card(jws, issuers=store, now=NOW)


def test_key_announcing_a_crl_without_one_in_the_store_has_unknown_revocation() -> None:
    store = IssuerStore([spec_issuer(crls=[])])
    card = verify_card((SHC / "example-03-d-jws.txt").read_text(), issuers=store, now=NOW)
    assert card.verified and card.revocation == "unknown" and not card.revoked
    # A key without crlVersion (EBKOr…, example 01) does not revoke at all.
    card01 = verify_card((SHC / "example-01-d-jws.txt").read_text(), issuers=store, now=NOW)
    assert card01.revocation == "not-revoked"


def test_crl_entry_without_timestamp_revokes_every_card_with_that_rid() -> None:
    crl = {"kid": SPEC_KID, "method": "rid", "ctr": 1, "rids": ["vwAjHdarZuc"]}
    store = IssuerStore([spec_issuer(crls=[crl])])
    assert verify_card((HL7 / "example-03-d-jws.txt").read_text(), issuers=store, now=NOW).revoked


# --- the issuer store --------------------------------------------------------------


def _jwks() -> dict:
    return json.loads((SHC / "issuer/.well-known/jwks.json").read_text())


def test_x5c_that_does_not_match_the_key_is_refused() -> None:
    jwks = _jwks()
    x5c_key = next(k for k in jwks["keys"] if "x5c" in k)
    other = next(k for k in jwks["keys"] if "x5c" not in k)
    jwks["keys"] = [dict(other, x5c=x5c_key["x5c"])]  # 3Kfdg… presented with EBKOr…'s certificate
    with pytest.raises(ShareError, match="does not match the key in its x5c certificate"):
        TrustedIssuer.from_jwks(SPEC_ISS, jwks)


def test_x5c_for_another_issuer_is_refused() -> None:
    with pytest.raises(ShareError, match="x5c certificate .* is for"):
        TrustedIssuer.from_jwks("https://other.example.org/issuer", _jwks())


def test_private_keys_are_refused_and_kid_must_be_the_thumbprint() -> None:
    with pytest.raises(ShareError, match="private key material"):
        TrustedIssuer.from_jwks(SPEC_ISS, PRIVATE_JWKS)
    jwks = _jwks()
    jwks["keys"][0]["kid"] = "not-the-thumbprint"
    with pytest.raises(ShareError, match="thumbprint"):
        TrustedIssuer.from_jwks(SPEC_ISS, jwks)


def test_bundled_store_is_the_vci_directory_and_valid() -> None:
    store = IssuerStore.load(None)
    assert len(store) > 600 and store.get("https://myvaccinerecord.cdph.ca.gov/creds").name == "State of California"
    assert store.get(SPEC_ISS) is None  # the spec's example issuer is known, never trusted
    assert verify_card((SHC / "example-00-d-jws.txt").read_text(), issuers=store, now=NOW).verified is False


def test_user_added_issuer_is_trusted_from_the_wallet_home(tmp_path: Path) -> None:
    add_trusted_issuer(tmp_path, spec_issuer())
    store = IssuerStore.load(tmp_path)
    card = verify_card((SHC / "example-03-d-jws.txt").read_text(), issuers=store, now=NOW)
    assert card.verified and card.revoked  # the CRL travelled with the entry
    assert remove_trusted_issuer(tmp_path, SPEC_ISS)
    assert not remove_trusted_issuer(tmp_path, SPEC_ISS)
    assert len(IssuerStore.load(tmp_path, directory=False)) == 0


def test_damaged_user_store_fails_closed(tmp_path: Path) -> None:
    (tmp_path / "trusted_issuers.json").write_text('{"format": "health-wallet/trusted-issuers", "version": 1, '
                                                   '"issuers": [{"iss": "https://x.example"}]}')
    with pytest.raises(ShareError, match="trusted issuer list at"):
        IssuerStore.load(tmp_path)


# --- QR codes ----------------------------------------------------------------------


def test_numeric_encoding_round_trips_the_spec_qr_text() -> None:
    jws = (SHC / "example-00-d-jws.txt").read_text().strip()
    assert encode_numeric(jws) == (SHC / "example-00-f-qr-code-numeric-value-0.txt").read_text().strip()


def test_qr_for_a_card_that_fits_v22() -> None:
    jws = (SHC / "example-00-d-jws.txt").read_text().strip()
    qr = qr_for_card(jws)
    assert qr is not None and qr.version <= 22 and qr.error == "L"
    # Two segments (byte "shc:/" + numeric digits) are what keep it small: the same
    # text as one byte-mode segment needs a larger code.
    assert segno.make(encode_numeric(jws), error="L", boost_error=False).version > qr.version


def test_qr_size_limit_is_the_specs_1195_characters() -> None:
    """SMART Health Cards FAQ: a JWS of up to 1195 characters fits version 22 at level L."""
    assert qr_for_card("a" * 1195).version == 22
    assert qr_for_card("a" * 1196) is None


def test_qr_for_a_card_too_large_is_none() -> None:
    assert qr_for_card((SHC / "example-02-d-jws.txt").read_text().strip()) is None  # 3285 characters


def test_verify_a_card_file_from_disk(spec_store: IssuerStore) -> None:
    from wallet.share.verify import verify_card_file

    [card] = verify_card_file(SHC / "example-01-e-file.smart-health-card", issuers=spec_store, now=NOW)
    assert card.verified and card.kid == "EBKOr72QQDcTBUuVzAzkfBTGew0ZA16GuWty64nS-sw"  # the x5c key
    with pytest.raises(ShareError, match="cannot be read"):
        verify_card_file(SHC / "missing.smart-health-card", issuers=spec_store, now=NOW)
