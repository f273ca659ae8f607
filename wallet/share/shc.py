"""Reading and checking SMART Health Cards (``.smart-health-card`` files and JWS).

What :func:`verify_card` enforces (spec rules exercised by the SMART Health Cards
examples):

- compact JWS, three canonical base64url segments; header ``alg`` ES256 only (no
  ``none``, no HMAC), ``zip: "DEF"`` required, a ``kid``;
- payload is raw DEFLATE (RFC 1951), inflated with a bound (:data:`MAX_PAYLOAD_BYTES`);
  a zlib-wrapped or uncompressed payload is refused;
- payload JSON (strict): ``iss``, numeric ``nbf`` (floats allowed), optional numeric
  ``exp``, ``vc.type`` containing ``https://smarthealth.cards#health-card`` and
  ``vc.credentialSubject.fhirBundle`` a ``Bundle`` (its content is validated later by
  the record importer);
- issuer: if ``iss`` is in the :class:`~wallet.share.issuers.IssuerStore` (the VCI
  directory, the user's own list), the ``kid`` must be one of its ES256 signing keys
  and the signature must verify, else the card is refused;
- integrity without the issuer's keys: if ``iss`` is unknown, the public keys that
  could have made the signature are recovered from it (ECDSA public key recovery,
  :mod:`~wallet.share.p256_recovery`) and one of them must have the header's ``kid``
  as its RFC 7638 thumbprint (SMART Health Cards: "kid" is the key's thumbprint) and
  verify the signature: an altered payload or signature, or a ``kid`` that is not the
  signer's, is refused. An intact card is returned with ``verified=False`` (shown as
  "issuer not in your trusted list"), unless its ``kid`` is a key the store knows to
  belong to another issuer (a trusted one, or a published example key whose private
  half anyone can use): a card claiming another issuer, refused;
- ``nbf`` more than :data:`CLOCK_SKEW` in the future: refused (a card cannot be
  issued in the future; the message suggests checking the computer's clock);
- ``exp`` in the past: accepted and flagged ``expired``;
- revocation (``vc.rid``): checked against the issuer entry's CRL for the ``kid``;
  ``rid.T`` revokes only cards whose ``nbf`` is before ``T``. Revoked cards are
  returned flagged (``revocation == "revoked"``) so the user sees why; if the key
  announces a ``crlVersion`` but the store has no CRL of that version the status is
  ``"unknown"``.

The original JWS is kept on the :class:`HealthCard`, byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from joserfc import jws as jose_jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey
from joserfc.jws import JWSRegistry
from joserfc.registry import HeaderParameter

from ..errors import ShareError, SignatureInvalid
from .encoding import b64url_decode, json_loads
from .issuers import IssuerStore, TrustedIssuer
from .p256_recovery import jwk_thumbprint, p256_jwk, recover_p256_keys, verify_es256

__all__ = [
    "CLOCK_SKEW",
    "HEALTH_CARD_TYPE",
    "MAX_PAYLOAD_BYTES",
    "HealthCard",
    "card_file_bytes",
    "parse_card_file",
    "read_card_file",
    "verify_card",
]

HEALTH_CARD_TYPE = "https://smarthealth.cards#health-card"
MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_JWS_CHARS = 4 * 1024 * 1024
MAX_PAYLOAD_BYTES = 4 * 1024 * 1024  # inflated; a DEFLATE bomb stops here
MAX_CARDS_PER_FILE = 100
CLOCK_SKEW = timedelta(minutes=5)
REVOCATION_STATES = ("not-revoked", "revoked", "unknown")


class _ShcRegistry(JWSRegistry):
    max_payload_length = MAX_JWS_CHARS


_REGISTRY = _ShcRegistry(
    header_registry={"zip": HeaderParameter("Compression algorithm (SMART Health Cards: DEF)", "str")},
    algorithms=["ES256"],
)


@dataclass(frozen=True)
class HealthCard:
    """A checked card: intact in every case (its signature matches its ``kid``);
    ``verified`` is ``False`` only for issuers the wallet does not know."""

    jws: str = field(repr=False)
    issuer: str
    kid: str
    verified: bool
    issuer_name: str | None
    nbf: datetime
    exp: datetime | None
    expired: bool
    revocation: str
    rid: str | None
    types: tuple[str, ...]
    fhir_bundle: dict[str, Any] = field(repr=False, hash=False, compare=False)

    def __post_init__(self) -> None:
        if self.revocation not in REVOCATION_STATES:
            raise ValueError(f"revocation must be one of {REVOCATION_STATES}")
        if self.verified and self.issuer_name is None:
            raise ValueError("a verified card names its issuer")
        if not self.verified and self.revocation != "unknown":
            raise ValueError("revocation of an unverified card is unknown")
        if self.nbf.tzinfo is None or (self.exp is not None and self.exp.tzinfo is None):
            raise ValueError("card times are aware datetimes")

    @property
    def revoked(self) -> bool:
        return self.revocation == "revoked"

    @property
    def status(self) -> str:
        """One word for lists: ``revoked``, ``expired``, ``unverified`` or ``valid``."""
        if self.revoked:
            return "revoked"
        if self.expired:
            return "expired"
        return "valid" if self.verified else "unverified"


def parse_card_file(data: bytes) -> list[str]:
    """The JWS strings of a ``.smart-health-card`` file (``{"verifiableCredential": [...]}``)."""
    if len(data) > MAX_FILE_BYTES:
        raise ShareError("The health card file is too large.")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    doc = json_loads(data, what="health card file")
    if not isinstance(doc, dict) or "verifiableCredential" not in doc:
        raise ShareError('The health card file has no "verifiableCredential" list.')
    creds = doc["verifiableCredential"]
    if not isinstance(creds, list):
        raise ShareError('"verifiableCredential" must be a list of JWS strings.')
    if not creds:
        raise ShareError("The health card file holds no card.")
    if len(creds) > MAX_CARDS_PER_FILE:
        raise ShareError(f"The health card file holds more than {MAX_CARDS_PER_FILE} cards.")
    if not all(isinstance(c, str) and c.count(".") == 2 for c in creds):
        raise ShareError('"verifiableCredential" must hold compact JWS strings (header.payload.signature).')
    return list(creds)


def card_file_bytes(jws_list: list[str]) -> bytes:
    """A ``.smart-health-card`` file holding ``jws_list`` (e.g. for a card read from a QR code)."""
    if not jws_list or not all(isinstance(j, str) for j in jws_list):
        raise ShareError("A health card file needs at least one compact JWS.")
    for jws in jws_list:
        _check_parts(jws.strip().split("."))
    return (json.dumps({"verifiableCredential": list(jws_list)}) + "\n").encode("ascii")


def read_card_file(data: bytes, *, issuers: IssuerStore, now: datetime) -> list[HealthCard]:
    """Every card of a ``.smart-health-card`` file, each checked by :func:`verify_card`."""
    return [verify_card(jws, issuers=issuers, now=now) for jws in parse_card_file(data)]


def _inflate(data: bytes) -> bytes:
    inflater = zlib.decompressobj(-15)
    try:
        out = inflater.decompress(data, MAX_PAYLOAD_BYTES + 1)
    except zlib.error as exc:
        if len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0:
            raise ShareError("The card's payload is zlib-wrapped; SMART Health Cards use raw DEFLATE.") from exc
        raise ShareError("The card's payload is not raw DEFLATE data (corrupt or not compressed).") from exc
    if len(out) > MAX_PAYLOAD_BYTES or inflater.unconsumed_tail:
        raise ShareError(f"The card's payload inflates beyond {MAX_PAYLOAD_BYTES // (1024 * 1024)} MB; refused.")
    if not inflater.eof or inflater.unused_data:
        raise ShareError("The card's payload is truncated or has data after its end.")
    return out


def _time(value: Any, name: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise ShareError(f'The card\'s "{name}" must be a number of seconds.')
    try:
        return datetime.fromtimestamp(float(value), tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise ShareError(f'The card\'s "{name}" is out of range.') from exc


def _check_parts(parts: list[str]) -> None:
    """A compact JWS is three parts separated by dots (RFC 7515, section 7.1)."""
    if len(parts) != 3:
        raise ShareError(f"The card is not a compact JWS: it has {len(parts)} parts instead of 3.")


def _split(jws: str) -> tuple[dict[str, Any], bytes, str]:
    if not isinstance(jws, str) or len(jws) > MAX_JWS_CHARS:
        raise ShareError("The card is not a JWS string or is too large.")
    jws = jws.strip()
    parts = jws.split(".")
    _check_parts(parts)
    header = json_loads(b64url_decode(parts[0], what="card's JWS header"), what="card's JWS header")
    payload = b64url_decode(parts[1], what="card's JWS payload")
    b64url_decode(parts[2], what="card's JWS signature")
    if not isinstance(header, dict):
        raise ShareError("The card's JWS header is not a JSON object.")
    if header.get("alg") != "ES256":
        raise SignatureInvalid(f"The card uses algorithm {header.get('alg')!r}; SMART Health Cards must use ES256.")
    if header.get("zip") != "DEF":
        raise ShareError('The card\'s payload is not compressed (no "zip": "DEF"); SMART Health Cards require it.')
    if not isinstance(header.get("kid"), str) or not header["kid"]:
        raise ShareError("The card's JWS header has no key id (kid).")
    return header, payload, jws


def _payload(raw: bytes) -> dict[str, Any]:
    claims = json_loads(_inflate(raw), what="card's payload")
    if not isinstance(claims, dict):
        raise ShareError("The card's payload is not a JSON object.")
    if not isinstance(claims.get("iss"), str) or not claims["iss"]:
        raise ShareError('The card has no issuer ("iss").')
    vc = claims.get("vc")
    if not isinstance(vc, dict):
        raise ShareError('The card has no credential ("vc").')
    types = vc.get("type")
    if not isinstance(types, list) or HEALTH_CARD_TYPE not in types or not all(isinstance(t, str) for t in types):
        raise ShareError(f'The card\'s "vc.type" does not include {HEALTH_CARD_TYPE}.')
    subject = vc.get("credentialSubject")
    bundle = subject.get("fhirBundle") if isinstance(subject, dict) else None
    if not isinstance(bundle, dict):
        raise ShareError('The card has no FHIR bundle ("vc.credentialSubject.fhirBundle").')
    if bundle.get("resourceType") != "Bundle":
        raise ShareError(
            f'The card\'s "fhirBundle" is a {bundle.get("resourceType")!r}, not a FHIR Bundle.'
        )
    rid = vc.get("rid")
    if rid is not None and (not isinstance(rid, str) or not rid):
        raise ShareError('The card\'s revocation id ("vc.rid") is not a string.')
    return claims


def _check_signature(jws: str, issuer: TrustedIssuer, kid: str) -> None:
    key = issuer.key(kid)
    if key is None:
        raise SignatureInvalid(
            f"The card is signed with key {kid}, which {issuer.name} does not publish; it may be forged."
        )
    try:
        jose_jws.deserialize_compact(jws, ECKey.import_key(dict(key.jwk)), algorithms=["ES256"], registry=_REGISTRY)
    except (JoseError, ValueError) as exc:
        raise SignatureInvalid(
            f"The card's signature does not match the key of {issuer.name}; the card was altered or forged."
        ) from exc


def _check_integrity(jws: str, kid: str) -> None:
    """Refuse the card unless a key recovered from its signature has ``kid`` as thumbprint."""
    header_b64, payload_b64, sig_b64 = jws.split(".")
    signing_input = f"{header_b64}.{payload_b64}".encode("ascii")
    signature = b64url_decode(sig_b64, what="card's JWS signature")
    if len(signature) != 64:
        raise SignatureInvalid("The card's signature has the wrong length for ES256; the card is damaged or forged.")
    for x, y in recover_p256_keys(hashlib.sha256(signing_input).digest(), signature):
        if jwk_thumbprint(p256_jwk(x, y)) == kid and verify_es256(signing_input, signature, x, y):
            return
    raise SignatureInvalid(
        "The card's signature does not match its key id (kid): the card was altered or forged; refused."
    )


def _revocation(issuer: TrustedIssuer, kid: str, rid: str | None, nbf: float) -> str:
    key = issuer.key(kid)
    assert key is not None
    crl = issuer.crl(kid)
    if crl is not None and (key.crl_version is None or crl.ctr >= key.crl_version):
        return "revoked" if rid is not None and crl.revokes(rid, nbf) else "not-revoked"
    if key.crl_version is None:
        return "not-revoked"  # the issuer does not revoke cards signed with this key
    return "unknown"


def verify_card(jws: str, *, issuers: IssuerStore, now: datetime) -> HealthCard:
    """Check one card; return it, or raise :class:`ShareError` / :class:`SignatureInvalid`."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    header, raw_payload, jws = _split(jws)
    kid: str = header["kid"]
    claims = _payload(raw_payload)
    iss: str = claims["iss"]
    issuer = issuers.get(iss)
    if issuer is not None:
        _check_signature(jws, issuer, kid)
    else:
        _check_integrity(jws, kid)
        owner = issuers.owner_of_key(kid)
        if owner is not None and owner[0] != iss:
            raise SignatureInvalid(
                f"The card says it was issued by {iss} but is signed with a key of {owner[1]}; refused."
            )
    nbf = _time(claims.get("nbf"), "nbf")
    exp = _time(claims["exp"], "exp") if claims.get("exp") is not None else None
    if nbf > now + CLOCK_SKEW:
        raise ShareError(
            f"The card says it was issued on {nbf:%Y-%m-%d %H:%M} UTC, in the future; "
            "it is not valid yet (or this computer's clock is wrong)."
        )
    vc = claims["vc"]
    rid = vc.get("rid")
    revocation = _revocation(issuer, kid, rid, claims["nbf"]) if issuer is not None else "unknown"
    return HealthCard(
        jws=jws,
        issuer=iss,
        kid=kid,
        verified=issuer is not None,
        issuer_name=issuer.name if issuer is not None else None,
        nbf=nbf,
        exp=exp,
        expired=exp is not None and exp <= now,
        revocation=revocation,
        rid=rid,
        types=tuple(vc["type"]),
        fhir_bundle=vc["credentialSubject"]["fhirBundle"],
    )
