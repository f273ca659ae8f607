"""ES256K detached JWS signed with the wallet's EVM key, so the signer *is* its address.

Format (RFC 7515 compact serialization, detached payload, RFC 7515 appendix F)::

    BASE64URL(header) ".." BASE64URL(r || s)

- ``header`` = ``{"alg": "ES256K", "kid": "ethereum:0x<EIP-55 address>", "jwk": {...}}``:
  ``jwk`` is the secp256k1 public key (RFC 8812), ``kid`` names the account in the
  chain-agnostic EIP-681 URI form (the same key controls the address on every EVM
  chain). Verification recomputes the address from ``jwk`` (Keccak-256 of ``x || y``,
  last 20 bytes) and refuses the signature unless it equals the ``kid``.
- The signature is ECDSA over SHA-256 of the signing input, ``r || s`` as 64 bytes,
  with low ``s`` as Ethereum requires; verification accepts either ``s`` (RFC 8812 does
  not require low ``s``, and the content is what is protected), so any ES256K
  implementation's signature verifies.
- Signing uses ``eth_keys`` (the library behind the wallet's account, RFC 6979
  deterministic nonces); verification uses ``joserfc`` (OpenSSL through
  ``cryptography``): two independent implementations meet in the standard format.

Payloads that are JSON are signed in a canonical form, so a verifier re-derives the
exact bytes from the document: RFC 8785 (:func:`canonical_json`, what earlier releases
signed), or, named by the protected header ``"cty"``, a form that keeps FHIR decimals
as written (:mod:`wallet.records.fhir_json`, ``cty`` = :data:`EXACT_DECIMALS_CTY`).
"""

from __future__ import annotations

import hashlib
from typing import Any

from eth_keys import keys as eth_keys
from eth_keys.datatypes import PrivateKey, PublicKey
from eth_utils import keccak, to_checksum_address
from joserfc import jws as jose_jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey  # importing joserfc.jwk registers secp256k1 (RFC 8812)
from joserfc.jws import JWSRegistry

from ..errors import ShareError, SignatureInvalid
from ..records.jcs import jcs_bytes
from .encoding import b64url_decode, b64url_encode, json_loads

__all__ = [
    "ALG",
    "EXACT_DECIMALS_CTY",
    "address_from_jwk",
    "canonical_json",
    "content_type",
    "public_jwk",
    "sign_detached",
    "signer_kid",
    "verify_detached",
]

ALG = "ES256K"
KID_PREFIX = "ethereum:"
# RFC 7515 "cty": the payload is FHIR JSON in the canonical form that keeps decimals as written
EXACT_DECIMALS_CTY = "fhir+json; canonicalization=rfc8785-exact-decimals"
_MAX_HEADER = 1024
_MAX_JWS = 4096

class _Registry(JWSRegistry):
    max_header_length = 2 * _MAX_HEADER


_REGISTRY = _Registry(algorithms=[ALG])


def canonical_json(value: Any) -> bytes:
    """RFC 8785 (JCS) bytes of ``value`` (:func:`wallet.records.jcs.jcs_bytes`, equal to the
    ``rfc8785`` package); raises :class:`ShareError` for a value RFC 8785 cannot represent."""
    try:
        return jcs_bytes(value)
    except (TypeError, ValueError) as exc:
        raise ShareError(f"A record holds a value that cannot be signed canonically: {exc}.") from exc


def signer_kid(address: str) -> str:
    return KID_PREFIX + to_checksum_address(address)


def public_jwk(private_key: bytes) -> dict[str, str]:
    return _jwk(eth_keys.PrivateKey(private_key).public_key)


def _jwk(public_key: PublicKey) -> dict[str, str]:
    raw = public_key.to_bytes()  # x || y, 64 bytes
    return {"kty": "EC", "crv": "secp256k1", "x": b64url_encode(raw[:32]), "y": b64url_encode(raw[32:])}


def address_from_jwk(jwk: Any) -> str:
    """The EIP-55 address of a secp256k1 JWK; raises :class:`SignatureInvalid` if it is not one."""
    if not isinstance(jwk, dict) or jwk.get("kty") != "EC" or jwk.get("crv") != "secp256k1" or "d" in jwk:
        raise SignatureInvalid("The signature's key is not a secp256k1 public key.")
    try:
        x = b64url_decode(jwk.get("x", ""), what="signature key")
        y = b64url_decode(jwk.get("y", ""), what="signature key")
    except ShareError as exc:
        raise SignatureInvalid(exc.user_message) from exc
    if len(x) != 32 or len(y) != 32:
        raise SignatureInvalid("The signature's key has the wrong size for secp256k1.")
    return to_checksum_address(keccak(x + y)[-20:])


def sign_detached(payload: bytes, *, private_key: bytes | PrivateKey, cty: str | None = None) -> str:
    """Compact JWS with a detached payload over ``payload``, signed by ``private_key``
    (32 bytes, or a key object already made from them: its public key is derived once).

    ``cty`` (RFC 7515 section 4.1.10) names the payload's form in the protected header.
    """
    key = private_key if isinstance(private_key, PrivateKey) else eth_keys.PrivateKey(private_key)
    jwk = _jwk(key.public_key)
    header: dict[str, Any] = {"alg": ALG, "kid": signer_kid(key.public_key.to_checksum_address()), "jwk": jwk}
    if cty is not None:
        header["cty"] = cty
    header_segment = b64url_encode(canonical_json(header))
    signing_input = (header_segment + "." + b64url_encode(payload)).encode("ascii")
    sig = key.sign_msg_hash(hashlib.sha256(signing_input).digest())  # low-s, RFC 6979
    rs = sig.r.to_bytes(32, "big") + sig.s.to_bytes(32, "big")
    return header_segment + ".." + b64url_encode(rs)


def content_type(jws: str, *, what: str = "signature") -> str | None:
    """The protected header's ``cty`` of a compact JWS, read before it is verified (the
    signature covers it, so :func:`verify_detached` then fails if it was changed)."""
    if not isinstance(jws, str) or len(jws) > _MAX_JWS:
        raise SignatureInvalid(f"The {what} is malformed.")
    try:
        header = json_loads(b64url_decode(jws.split(".")[0], what=f"{what} header"), what=f"{what} header")
    except ShareError as exc:
        raise SignatureInvalid(exc.user_message) from exc
    cty = header.get("cty") if isinstance(header, dict) else None
    if cty is not None and not isinstance(cty, str):
        raise SignatureInvalid(f"The {what} names its content type with a non-string.")
    return cty


def verify_detached(jws: str, payload: bytes, *, what: str = "signature") -> str:
    """Check ``jws`` over ``payload``; return the signer's EIP-55 address.

    Raises :class:`SignatureInvalid` with the reason; never returns a failure value.
    """
    if not isinstance(jws, str) or len(jws) > _MAX_JWS:
        raise SignatureInvalid(f"The {what} is malformed.")
    parts = jws.split(".")
    if len(parts) != 3 or parts[1] != "":
        raise SignatureInvalid(f"The {what} is not a detached compact JWS (header..signature).")
    header_segment, _, sig_segment = parts
    try:
        header_bytes = b64url_decode(header_segment, what=f"{what} header")
        sig = b64url_decode(sig_segment, what=what)
        header = json_loads(header_bytes, what=f"{what} header")
    except ShareError as exc:
        raise SignatureInvalid(exc.user_message) from exc
    if not isinstance(header, dict) or header.get("alg") != ALG:
        raise SignatureInvalid(f"The {what} does not use {ALG} (secp256k1), the wallet's signature algorithm.")
    if set(header) - {"alg", "kid", "jwk", "typ", "cty"} or "crit" in header:
        raise SignatureInvalid(f"The {what} has header fields this version does not understand.")
    if len(sig) != 64:
        raise SignatureInvalid(f"The {what} has the wrong length for {ALG}.")
    address = address_from_jwk(header.get("jwk"))
    kid = header.get("kid")
    if not isinstance(kid, str) or kid.lower() != signer_kid(address).lower():
        raise SignatureInvalid(
            f"The {what} names signer {kid!r} but its key belongs to {address}; it was not made by that account."
        )
    try:
        key = ECKey.import_key(header["jwk"])
        jose_jws.deserialize_compact(jws, key, algorithms=[ALG], registry=_REGISTRY, payload=payload)
    except (JoseError, ValueError) as exc:
        raise SignatureInvalid(
            f"The {what} does not match the signed content: it was altered or signed by another key."
        ) from exc
    return address
