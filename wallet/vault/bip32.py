"""BIP-32 private derivation on secp256k1 and the Ethereum address of a key.

Deriving the address here (``cryptography`` for the curve, Keccak-256 from
:mod:`wallet.vault.keccak`) keeps ``eth_account`` — half a second to import — off the path of
opening and unlocking a wallet; it is loaded only to sign. Tests check both agree.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives.asymmetric import ec

from .keccak import keccak256

__all__ = ["HARDENED", "derive_private_key", "eip55", "evm_address"]

_HEX = frozenset("0123456789abcdefABCDEF")

HARDENED = 0x80000000
_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def _public(private: int, *, compressed: bool) -> bytes:
    """The SEC 1 encoding of the public point (built from its coordinates: the
    serialization module would load cryptography's SSH and PKCS#12 code with it)."""
    point = ec.derive_private_key(private, ec.SECP256K1()).public_key().public_numbers()
    x = point.x.to_bytes(32, "big")
    if compressed:
        return bytes([2 + (point.y & 1)]) + x
    return b"\x04" + x + point.y.to_bytes(32, "big")


def _parse_path(path: str) -> list[int]:
    parts = path.split("/")
    if parts[0] != "m":
        raise ValueError(f"a derivation path starts with 'm': {path!r}")
    out = []
    for part in parts[1:]:
        hardened = part.endswith("'")
        index = int(part[:-1] if hardened else part)
        if not 0 <= index < HARDENED:
            raise ValueError(f"path index out of range: {part!r}")
        out.append(index + HARDENED if hardened else index)
    return out


def derive_private_key(seed: bytes, path: str) -> bytes:
    """The 32-byte private key at ``path`` (e.g. ``m/44'/60'/0'/0/0``) of a BIP-39 seed."""
    digest = hmac.new(b"Bitcoin seed", seed, hashlib.sha512).digest()
    key, chain = int.from_bytes(digest[:32], "big"), digest[32:]
    if not 0 < key < _N:
        raise ValueError("invalid master key")
    for index in _parse_path(path):
        if index & HARDENED:
            data = b"\x00" + key.to_bytes(32, "big") + index.to_bytes(4, "big")
        else:
            data = _public(key, compressed=True) + index.to_bytes(4, "big")
        digest = hmac.new(chain, data, hashlib.sha512).digest()
        tweak = int.from_bytes(digest[:32], "big")
        key, chain = (tweak + key) % _N, digest[32:]
        if tweak >= _N or key == 0:
            raise ValueError("invalid child key; use the next index")  # probability ~2^-127
    return key.to_bytes(32, "big")


def eip55(raw: str) -> str:
    """The EIP-55 checksum form of a lower-case 40-hex-digit address body (no ``0x``).

    Only the encoding: :class:`wallet.chain.values.Address` parses and checks addresses."""
    check = keccak256(raw.encode()).hex()
    return "0x" + "".join(c.upper() if int(check[i], 16) >= 8 else c for i, c in enumerate(raw))


def evm_address(private_key: bytes) -> str:
    """The EIP-55 checksummed address of a secp256k1 private key."""
    public = _public(int.from_bytes(private_key, "big"), compressed=False)[1:]
    return eip55(keccak256(public)[-20:].hex())
