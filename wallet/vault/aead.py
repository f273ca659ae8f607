"""The crypto recipe layer: the one place that touches ``cryptography.hazmat``.

Sealed data carries a versioned header bound as associated data, so a blob sealed for
one purpose (a record, a backup, a share) cannot be replayed as another, and a blob
sealed for one record cannot be swapped for another's. Every failure to open becomes
one :class:`~wallet.errors.DecryptionError`.

Sealed layout (version 1)::

    magic "HWS1" | alg (1 byte, 1 = AES-256-GCM) | len(purpose) (1 byte) | purpose
    | nonce (12 bytes) | ciphertext || tag (16 bytes)

AAD = everything before the ciphertext, followed by the caller's ``aad``.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from ..errors import DecryptionError

__all__ = [
    "KEY_SIZE",
    "WRAPPED_KEY_SIZE",
    "derive_key",
    "keyed_hash",
    "new_key",
    "open_sealed",
    "scrypt_key",
    "seal",
    "unwrap_key",
    "wrap_key",
    "x25519_public",
]

KEY_SIZE = 32
MAGIC = b"HWS1"
ALG_AES256GCM = 1
NONCE_SIZE = 12
TAG_SIZE = 16


def new_key() -> bytes:
    return os.urandom(KEY_SIZE)


def derive_key(ikm: bytes, purpose: str, *, length: int = KEY_SIZE, salt: bytes | None = None) -> bytes:
    """HKDF-SHA256 with a purpose string, e.g. ``"health-wallet/records/v1"``."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=purpose.encode()).derive(ikm)


def keyed_hash(key: bytes, data: bytes) -> bytes:
    """HMAC-SHA256: stable identifiers that reveal nothing without the key."""
    return hmac.new(key, data, hashlib.sha256).digest()


def _header(purpose: str) -> bytes:
    p = purpose.encode()
    if not 0 < len(p) < 256:
        raise ValueError("purpose must be 1..255 bytes")
    return MAGIC + bytes([ALG_AES256GCM, len(p)]) + p


def seal(key: bytes, plaintext: bytes, *, purpose: str, aad: bytes = b"") -> bytes:
    if len(key) != KEY_SIZE:
        raise ValueError("AES-256-GCM needs a 32-byte key")
    header = _header(purpose)
    nonce = os.urandom(NONCE_SIZE)
    ct = AESGCM(key).encrypt(nonce, plaintext, header + nonce + aad)
    return header + nonce + ct


def open_sealed(key: bytes, blob: bytes, *, purpose: str, aad: bytes = b"") -> bytes:
    header = _header(purpose)
    if len(key) != KEY_SIZE or len(blob) < len(header) + NONCE_SIZE + TAG_SIZE:
        raise DecryptionError()
    if not hmac.compare_digest(blob[: len(header)], header):
        raise DecryptionError()
    nonce = blob[len(header) : len(header) + NONCE_SIZE]
    try:
        return AESGCM(key).decrypt(nonce, blob[len(header) + NONCE_SIZE :], header + nonce + aad)
    except InvalidTag as exc:
        raise DecryptionError() from exc


def scrypt_key(passphrase: str, salt: bytes, *, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=KEY_SIZE, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


# --- X25519 key wrapping (HPKE-style: ephemeral ECDH + HKDF + AES-GCM) ---------------

WRAP_VERSION = 1
WRAPPED_KEY_SIZE = 1 + 32 + NONCE_SIZE + KEY_SIZE + TAG_SIZE  # 93 bytes
_WRAP_PURPOSE = "health-wallet/wrap/v1"


def x25519_public(private: bytes) -> bytes:
    return X25519PrivateKey.from_private_bytes(private).public_key().public_bytes_raw()


def _wrap_kek(shared: bytes, eph_pub: bytes, recipient_pub: bytes, context: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_SIZE,
        salt=eph_pub + recipient_pub,
        info=_WRAP_PURPOSE.encode() + b"|" + context,
    ).derive(shared)


def wrap_key(recipient_public: bytes, content_key: bytes, *, context: bytes) -> bytes:
    """Wrap ``content_key`` so only the holder of ``recipient_public``'s private key opens it.

    ``context`` (e.g. chain id, contract and grant id) is bound in, so a wrapped key
    cannot be replayed into another grant.
    """
    if len(content_key) != KEY_SIZE or len(recipient_public) != 32:
        raise ValueError("wrap_key needs a 32-byte key and a 32-byte X25519 public key")
    eph = X25519PrivateKey.generate()
    eph_pub = eph.public_key().public_bytes_raw()
    shared = eph.exchange(X25519PublicKey.from_public_bytes(recipient_public))
    kek = _wrap_kek(shared, eph_pub, recipient_public, context)
    nonce = os.urandom(NONCE_SIZE)
    ct = AESGCM(kek).encrypt(nonce, content_key, bytes([WRAP_VERSION]) + eph_pub + context)
    return bytes([WRAP_VERSION]) + eph_pub + nonce + ct


def unwrap_key(recipient_private: bytes, wrapped: bytes, *, context: bytes) -> bytes:
    if len(wrapped) != WRAPPED_KEY_SIZE or wrapped[0] != WRAP_VERSION:
        raise DecryptionError("The shared key is malformed or not addressed to this wallet.")
    eph_pub = wrapped[1:33]
    nonce = wrapped[33 : 33 + NONCE_SIZE]
    try:
        priv = X25519PrivateKey.from_private_bytes(recipient_private)
        shared = priv.exchange(X25519PublicKey.from_public_bytes(eph_pub))
        kek = _wrap_kek(shared, eph_pub, priv.public_key().public_bytes_raw(), context)
        return AESGCM(kek).decrypt(nonce, wrapped[33 + NONCE_SIZE :], bytes([WRAP_VERSION]) + eph_pub + context)
    except (InvalidTag, ValueError) as exc:
        raise DecryptionError("The shared key is not addressed to this wallet or was altered.") from exc
