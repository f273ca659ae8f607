"""Which P-256 keys could have made an ES256 signature: ECDSA public key recovery.

An ECDSA signature ``(r, s)`` over a message hash ``e`` fixes the signer's public key
up to a few candidates (SEC 1 v2, section 4.1.6 "Public Key Recovery Operation"): for
each point ``R`` whose x coordinate is ``r`` (or ``r + n``, when that is still below
the field prime), ``Q = r⁻¹ (s R − e G)``. With the RFC 7638 thumbprint of each
candidate, a card's ``kid`` (which SMART Health Cards define as the thumbprint of the
signing key) can be checked without the issuer's key set: an altered payload or
signature recovers only keys whose thumbprints differ from the ``kid``.

The curve arithmetic here only *finds* candidates; the signature is then verified by
OpenSSL through ``cryptography`` with the candidate key, so this code cannot make a
bad signature pass. Curve: NIST P-256 (FIPS 186-4, D.1.2.3; SEC 2 secp256r1).
"""

from __future__ import annotations

import hashlib
import json

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from .encoding import b64url_encode

__all__ = ["jwk_thumbprint", "p256_jwk", "recover_p256_keys", "verify_es256"]

# NIST P-256 domain parameters (FIPS 186-4, D.1.2.3).
P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
A = P - 3
B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
G = (0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
     0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5)

_Jacobian = tuple[int, int, int]
_INFINITY: _Jacobian = (1, 1, 0)


def _double(p: _Jacobian) -> _Jacobian:
    x, y, z = p
    if z == 0 or y == 0:
        return _INFINITY
    yy = y * y % P
    s = 4 * x * yy % P
    zz = z * z % P
    m = 3 * (x - zz) * (x + zz) % P  # a = -3
    x3 = (m * m - 2 * s) % P
    return x3, (m * (s - x3) - 8 * yy * yy) % P, 2 * y * z % P


def _add(p: _Jacobian, q: _Jacobian) -> _Jacobian:
    if p[2] == 0:
        return q
    if q[2] == 0:
        return p
    x1, y1, z1 = p
    x2, y2, z2 = q
    z1z1, z2z2 = z1 * z1 % P, z2 * z2 % P
    u1, u2 = x1 * z2z2 % P, x2 * z1z1 % P
    s1, s2 = y1 * z2 * z2z2 % P, y2 * z1 * z1z1 % P
    if u1 == u2:
        return _double(p) if s1 == s2 else _INFINITY
    h, r = (u2 - u1) % P, (s2 - s1) % P
    hh = h * h % P
    hhh = h * hh % P
    v = u1 * hh % P
    x3 = (r * r - hhh - 2 * v) % P
    return x3, (r * (v - x3) - s1 * hhh) % P, h * z1 * z2 % P


def _multiply(k: int, point: tuple[int, int]) -> _Jacobian:
    result, addend = _INFINITY, (point[0], point[1], 1)
    while k:
        if k & 1:
            result = _add(result, addend)
        addend = _double(addend)
        k >>= 1
    return result


def _affine(p: _Jacobian) -> tuple[int, int] | None:
    if p[2] == 0:
        return None
    z_inv = pow(p[2], -1, P)
    zz = z_inv * z_inv % P
    return p[0] * zz % P, p[1] * zz * z_inv % P


def _on_curve(x: int, y: int) -> bool:
    return (y * y - (x * x * x + A * x + B)) % P == 0


def recover_p256_keys(digest: bytes, signature: bytes) -> tuple[tuple[int, int], ...]:
    """The public keys ``(x, y)`` for which ``signature`` (``r || s``, 64 bytes, as in JWS
    ES256, RFC 7518 section 3.4) is a valid ECDSA signature of the SHA-256 ``digest``.

    Up to four candidates (two in practice); none for a malformed signature.
    """
    if len(signature) != 64 or len(digest) != 32:
        return ()
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    if not (0 < r < N and 0 < s < N):
        return ()
    e = int.from_bytes(digest, "big") % N
    r_inv = pow(r, -1, N)
    u1, u2 = (-e * r_inv) % N, (s * r_inv) % N
    found: list[tuple[int, int]] = []
    for x in (r, r + N):
        if x >= P:
            continue
        alpha = (x * x * x + A * x + B) % P
        beta = pow(alpha, (P + 1) // 4, P)  # P ≡ 3 (mod 4): the square root, if there is one
        if beta * beta % P != alpha:
            continue
        for y in (beta, P - beta):
            q = _affine(_add(_multiply(u1, G), _multiply(u2, (x, y))))
            if q is not None and _on_curve(*q) and q not in found:
                found.append(q)
    return tuple(found)


def p256_jwk(x: int, y: int) -> dict[str, str]:
    """The public JWK of a P-256 point (RFC 7518 section 6.2.1)."""
    return {"crv": "P-256", "kty": "EC", "x": b64url_encode(x.to_bytes(32, "big")),
            "y": b64url_encode(y.to_bytes(32, "big"))}


def jwk_thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638 thumbprint of an EC public JWK: SHA-256 over the required members
    (``crv``, ``kty``, ``x``, ``y``) in lexical order, no whitespace; base64url."""
    required = {k: jwk[k] for k in ("crv", "kty", "x", "y")}
    canonical = json.dumps(required, separators=(",", ":"), sort_keys=True).encode()
    return b64url_encode(hashlib.sha256(canonical).digest())


def verify_es256(signing_input: bytes, signature: bytes, x: int, y: int) -> bool:
    """Whether ``signature`` (``r || s``) over ``signing_input`` verifies with the P-256 key
    ``(x, y)``, checked by OpenSSL (``cryptography``)."""
    if len(signature) != 64:
        return False
    try:
        key = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
        key.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True
