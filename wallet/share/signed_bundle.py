"""``Bundle.signature``: the patient's ES256K signature over a FHIR Bundle.

The signed bytes are a canonical JSON form of the Bundle *without* its ``signature``
element. ``signature.data`` holds the detached compact JWS (:mod:`wallet.share.jws`),
base64-encoded as FHIR's ``base64Binary`` requires; ``sigFormat`` is
``application/jose``. ``who`` names the signing account; the JWS header carries the
public key, and verification derives the account from it.

Which canonical form is named in the JWS protected header, so it is signed too:

- ``cty`` = :data:`~wallet.share.jws.EXACT_DECIMALS_CTY` (what this release signs):
  RFC 8785 with every number written exactly (:func:`wallet.records.fhir_json.canonical_bytes`),
  so a FHIR decimal's written precision is covered: ``5.10`` edited to ``5.1`` fails.
- no ``cty`` (what earlier releases signed): RFC 8785 of the Bundle with its numbers
  read as IEEE doubles. Still verified, but it cannot tell ``5.10`` from ``5.1``;
  :func:`signature_form` says which form a Bundle carries.

The file this release writes (:func:`signed_bundle_bytes`) is the signed payload itself
with the ``signature`` member added last::

    <canonical bytes of the Bundle without signature, less the closing "}">,"signature":{…}}

so a reader verifies the signature over the bytes it read, with the member cut out, and
never rebuilds them (:func:`verify_bundle_bytes`). Any JSON reader still sees an ordinary
Bundle, and re-canonicalising it without ``signature`` gives the same payload.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import replace
from datetime import datetime
from typing import Any

from eth_keys import keys as eth_keys
from eth_keys.datatypes import PrivateKey

from .. import untrusted
from ..errors import ShareError, SignatureInvalid
from ..records import fhir_json
from .encoding import json_loads
from .jws import EXACT_DECIMALS_CTY, canonical_json, content_type, sign_detached, signer_kid, verify_detached

__all__ = ["EXACT_FORM", "LEGACY_FORM", "SIG_FORMAT", "account_identifier", "sign_bundle", "signature_form",
           "signed_bundle_bytes", "verify_bundle_bytes", "verify_bundle_signature"]

EXACT_FORM = fhir_json.CANONICAL_FORM  # numbers exactly as written
LEGACY_FORM = "rfc8785"  # numbers as IEEE doubles (exports of earlier releases)

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


def _signature(payload: bytes, *, private_key: bytes | PrivateKey, when: datetime) -> dict[str, Any]:
    """``Bundle.signature`` over the canonical ``payload`` of the Bundle without it."""
    key = private_key if isinstance(private_key, PrivateKey) else eth_keys.PrivateKey(private_key)
    jws = sign_detached(payload, private_key=key, cty=EXACT_DECIMALS_CTY)
    address = key.public_key.to_checksum_address()
    return {
        "type": [_SOURCE_SIGNATURE],
        "when": _instant(when),
        "who": {"identifier": account_identifier(address), "display": address},
        "targetFormat": "application/fhir+json",
        "sigFormat": SIG_FORMAT,
        "data": base64.b64encode(jws.encode("ascii")).decode("ascii"),
    }


def sign_bundle(bundle: dict[str, Any], *, private_key: bytes, when: datetime) -> dict[str, Any]:
    """A copy of ``bundle`` with ``signature`` set (any earlier signature is replaced)."""
    unsigned = {k: v for k, v in bundle.items() if k != "signature"}
    return {**unsigned, "signature": _signature(_exact_bytes(unsigned), private_key=private_key, when=when)}


_MEMBER = b',"signature":'


def signed_bundle_bytes(bundle: dict[str, Any], *, private_key: bytes | PrivateKey,
                        when: datetime) -> bytes:
    """``bundle`` signed, as UTF-8 JSON bytes in the layout of the module docs: the Bundle
    without ``signature`` is canonicalised once, and those bytes are both what is signed
    and what is written. Any earlier signature is replaced. ``private_key``: 32 bytes, or
    a key object made from them.

    Raises :class:`ShareError` for a value the canonical form cannot represent.
    """
    unsigned = {k: v for k, v in bundle.items() if k != "signature"}
    if not unsigned:
        raise ValueError("a Bundle has members besides its signature")
    payload = _exact_bytes(unsigned)
    signature = _exact_bytes(_signature(payload, private_key=private_key, when=when))
    return b"".join((payload[:-1], _MEMBER, signature, b"}"))


# the signature object sits one level down in the file: it gets one level less of the gate's depth
_SIGNATURE_LIMITS = replace(untrusted.DEFAULT_LIMITS, max_depth=untrusted.DEFAULT_LIMITS.max_depth - 1)


def verify_bundle_bytes(data: bytes, *, what: str) -> tuple[dict[str, Any], str] | None:
    """Read and verify a Bundle file written as :func:`signed_bundle_bytes` lays it out
    (``data`` may end with one line feed): ``(bundle, signer's EIP-55 address)``.

    The signature is checked over the bytes read with the ``signature`` member cut out,
    and the Bundle handed back is parsed from exactly those bytes (through the input
    gate, :func:`wallet.share.encoding.json_loads`), so what it holds is what was signed.
    ``None`` when ``data`` is not in that layout or does not verify so (an export of an
    earlier release, a file rewritten by another tool, a damaged file): the caller then
    reads it the general way (parse, canonicalise, :func:`verify_bundle_signature`), which
    accepts the same Bundles and names what is wrong. Never raises for bad input.

    The cut-out bytes are not re-canonicalised: the JWS authenticates them as they are, so
    only the key's holder can make a file whose payload is not the canonical form (this
    wallet never does), and what is shown is still exactly what that key signed.
    """
    body = data[:-1] if data.endswith(b"\n") else data
    cut = body.rfind(_MEMBER)
    if cut <= 0 or not body.endswith(b"}") or len(data) > untrusted.DEFAULT_LIMITS.max_bytes:
        return None
    payload = body[:cut] + b"}"
    try:
        signature = json_loads(body[cut + len(_MEMBER):-1], what=f"{what} signature", limits=_SIGNATURE_LIMITS)
        jws = _jws_of(signature)
        if content_type(jws, what="Bundle signature") != EXACT_DECIMALS_CTY:
            return None  # the earlier form is over re-read numbers, never over these bytes
        address = verify_detached(jws, payload, what="Bundle signature")
        unsigned = json_loads(payload, what=what)
    except ShareError:  # SignatureInvalid is one
        return None
    # the file is then exactly ``unsigned`` plus the signature member (valid JSON, no
    # repeated name), and the gate's per-object member limit holds for it too
    if (not isinstance(unsigned, dict) or not unsigned or "signature" in unsigned
            or len(unsigned) >= untrusted.DEFAULT_LIMITS.max_items):
        return None
    if not _names_signer(signature, address):
        return None
    return {**unsigned, "signature": signature}, address


def _exact_bytes(unsigned: dict[str, Any]) -> bytes:
    try:
        return fhir_json.canonical_bytes(unsigned)
    except (TypeError, ValueError) as exc:
        raise ShareError(f"A record holds a value that cannot be signed canonically: {exc}.") from exc


def _signature_jws(bundle: Any) -> str:
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise SignatureInvalid("The signed file is not a FHIR Bundle.")
    return _jws_of(bundle.get("signature"))


def _jws_of(sig: Any) -> str:
    """The compact JWS a ``Bundle.signature`` element carries; raises :class:`SignatureInvalid`."""
    if not isinstance(sig, dict) or sig.get("sigFormat") != SIG_FORMAT or not isinstance(sig.get("data"), str):
        raise SignatureInvalid("The Bundle has no JOSE signature (Bundle.signature).")
    try:
        raw = base64.b64decode(sig["data"], validate=True)
        if base64.b64encode(raw).decode("ascii") != sig["data"]:
            raise ValueError("non-canonical base64")
        return raw.decode("ascii")
    except (binascii.Error, ValueError) as exc:
        raise SignatureInvalid("Bundle.signature.data is not valid base64.") from exc


def signature_form(bundle: Any) -> str:
    """:data:`EXACT_FORM` or :data:`LEGACY_FORM`: what ``Bundle.signature`` was made over
    (not yet verified); raises :class:`SignatureInvalid` for an unknown form."""
    cty = content_type(_signature_jws(bundle), what="Bundle signature")
    if cty is None:
        return LEGACY_FORM
    if cty == EXACT_DECIMALS_CTY:
        return EXACT_FORM
    raise SignatureInvalid(f"The Bundle signature covers a form this version does not know ({cty!r}).")


def verify_bundle_signature(bundle: Any) -> str:
    """The EIP-55 address that signed ``bundle``; raises :class:`SignatureInvalid`.

    ``bundle`` is read with decimals as :class:`~decimal.Decimal` (as
    :func:`wallet.records.parse.loads_strict` does); both canonical forms are checked
    by the one the signature names.
    """
    jws = _signature_jws(bundle)
    form = signature_form(bundle)
    unsigned = {k: v for k, v in bundle.items() if k != "signature"}
    try:
        payload = (_exact_bytes(unsigned) if form == EXACT_FORM
                   else canonical_json(fhir_json.to_float_tree(unsigned)))
    except ShareError as exc:
        raise SignatureInvalid(f"The Bundle cannot be checked: {exc.user_message}") from exc
    address = verify_detached(jws, payload, what="Bundle signature")
    named = _named_signer(bundle["signature"])
    if named is not None and named != signer_kid(address):
        raise SignatureInvalid(f"Bundle.signature names {named} as signer, but {address} made the signature.")
    return address


def _named_signer(signature: dict[str, Any]) -> Any:
    """``Bundle.signature.who.identifier.value`` when present (any JSON value), else ``None``."""
    who = signature.get("who")
    ident = who.get("identifier") if isinstance(who, dict) else None
    return ident.get("value") if isinstance(ident, dict) else None


def _names_signer(signature: dict[str, Any], address: str) -> bool:
    named = _named_signer(signature)
    return named is None or named == signer_kid(address)
