"""``Bundle.signature``: the patient's ES256K signature over a FHIR Bundle.

The signed bytes are the RFC 8785 canonical JSON of the Bundle *without* its
``signature`` element. ``signature.data`` holds the detached compact JWS
(:mod:`wallet.share.jws`), base64-encoded as FHIR's ``base64Binary`` requires;
``sigFormat`` is ``application/jose``. ``who`` names the signing account; the JWS
header carries the public key, and verification derives the account from it.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from eth_keys import keys as eth_keys

from ..errors import SignatureInvalid
from .jws import canonical_json, sign_detached, signer_kid, verify_detached

__all__ = ["SIG_FORMAT", "account_identifier", "sign_bundle", "verify_bundle_signature"]

SIG_FORMAT = "application/jose"
_SOURCE_SIGNATURE = {
    "system": "urn:iso-astm:E1762-95:2013",
    "code": "1.2.840.10065.1.12.1.14",
    "display": "Source Signature",
}


def account_identifier(address: str) -> dict[str, str]:
    """FHIR Identifier for an EVM account: a URI (``ethereum:0x…``, EIP-681 form)."""
    return {"system": "urn:ietf:rfc:3986", "value": signer_kid(address)}


def _instant(when: datetime) -> str:
    if when.tzinfo is None:
        raise ValueError("signature time must be an aware datetime")
    return when.isoformat(timespec="seconds").replace("+00:00", "Z")


def sign_bundle(bundle: dict[str, Any], *, private_key: bytes, when: datetime) -> dict[str, Any]:
    """A copy of ``bundle`` with ``signature`` set (any earlier signature is replaced)."""
    unsigned = {k: v for k, v in bundle.items() if k != "signature"}
    jws = sign_detached(canonical_json(unsigned), private_key=private_key)
    address = eth_keys.PrivateKey(private_key).public_key.to_checksum_address()
    return {
        **unsigned,
        "signature": {
            "type": [_SOURCE_SIGNATURE],
            "when": _instant(when),
            "who": {"identifier": account_identifier(address), "display": address},
            "targetFormat": "application/fhir+json",
            "sigFormat": SIG_FORMAT,
            "data": base64.b64encode(jws.encode("ascii")).decode("ascii"),
        },
    }


def verify_bundle_signature(bundle: Any) -> str:
    """The EIP-55 address that signed ``bundle``; raises :class:`SignatureInvalid`."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise SignatureInvalid("The signed file is not a FHIR Bundle.")
    sig = bundle.get("signature")
    if not isinstance(sig, dict) or sig.get("sigFormat") != SIG_FORMAT or not isinstance(sig.get("data"), str):
        raise SignatureInvalid("The Bundle has no JOSE signature (Bundle.signature).")
    try:
        raw = base64.b64decode(sig["data"], validate=True)
        if base64.b64encode(raw).decode("ascii") != sig["data"]:
            raise ValueError("non-canonical base64")
        jws = raw.decode("ascii")
    except (binascii.Error, ValueError) as exc:
        raise SignatureInvalid("Bundle.signature.data is not valid base64.") from exc
    unsigned = {k: v for k, v in bundle.items() if k != "signature"}
    address = verify_detached(jws, canonical_json(unsigned), what="Bundle signature")
    who = sig.get("who")
    ident = who.get("identifier") if isinstance(who, dict) else None
    named = ident.get("value") if isinstance(ident, dict) else None
    if named is not None and named != signer_kid(address):
        raise SignatureInvalid(f"Bundle.signature names {named} as signer, but {address} made the signature.")
    return address
