"""Passphrase sealing of a whole export: a gzip'd tar inside a standard JWE.

Format: JWE compact serialization (RFC 7516) with ``alg`` ``PBES2-HS512+A256KW``
(RFC 7518 §4.8, PBKDF2-HMAC-SHA512 with :data:`PBES2_COUNT` iterations and a random
16-byte salt) and ``enc`` ``A256GCM``; the plaintext is a ``tar.gz`` of the plain
export's files. A standard format, so the export opens without this app (any JOSE
library, then ``tar -xz``); the cost is PBKDF2 instead of scrypt, which is why the
iteration count is high and the passphrase should be long.

Every failure to open — wrong passphrase, a changed byte, a swapped header — is one
:class:`~wallet.errors.DecryptionError`, so the cause cannot be told apart.
"""

from __future__ import annotations

import gzip
import io
import tarfile
import warnings
from collections.abc import Mapping

from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from ..errors import DecryptionError, ShareError
from .encoding import b64url_decode, json_loads
from .export_layout import MAX_FILE_BYTES, MAX_FILES, MAX_TOTAL_BYTES, valid_name

__all__ = [
    "JWE_ALG",
    "JWE_ENC",
    "MIN_PASSPHRASE",
    "PBES2_COUNT",
    "open_sealed_files",
    "pack_files",
    "seal_files",
    "unpack_files",
]

JWE_ALG = "PBES2-HS512+A256KW"
JWE_ENC = "A256GCM"
JWE_CTY = "application/gzip"
PBES2_COUNT = 300_000  # the most joserfc accepts; above OWASP's 210,000 for PBKDF2-HMAC-SHA512
_MIN_COUNT = 100_000
MIN_PASSPHRASE = 8


class _Registry(jwe.JWERegistry):
    max_ciphertext_length = 4 * MAX_TOTAL_BYTES // 3 + 16


def _registry() -> jwe.JWERegistry:
    return _Registry(algorithms=[JWE_ALG, JWE_ENC])


def pack_files(files: Mapping[str, bytes]) -> bytes:
    """A reproducible ``tar.gz`` of flat ``files`` (sorted, zero times and owners)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size = len(files[name])
            info.mode = 0o644
            info.mtime = 0
            tar.addfile(info, io.BytesIO(files[name]))
    return gzip.compress(raw.getvalue(), compresslevel=6, mtime=0)


def unpack_files(data: bytes) -> dict[str, bytes]:
    """The files of a ``tar.gz`` written by :func:`pack_files`; anything else is refused."""
    out: dict[str, bytes] = {}
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            for member in tar:
                if not member.isreg() or not valid_name(member.name):
                    raise ShareError(f"The sealed export holds an unexpected entry {member.name!r}.")
                if member.name in out:
                    raise ShareError(f"The sealed export holds {member.name!r} twice.")
                total += member.size
                if len(out) >= MAX_FILES or member.size > MAX_FILE_BYTES or total > MAX_TOTAL_BYTES:
                    raise ShareError("The sealed export is larger than any export this app writes.")
                fh = tar.extractfile(member)
                assert fh is not None
                out[member.name] = fh.read()
    except (tarfile.TarError, EOFError, OSError, gzip.BadGzipFile) as exc:
        raise ShareError("The sealed export's content is not a readable tar.gz archive.") from exc
    return out


def seal_files(files: Mapping[str, bytes], passphrase: str) -> bytes:
    """``files`` sealed under ``passphrase`` as the bytes of a compact JWE."""
    if not isinstance(passphrase, str) or len(passphrase) < MIN_PASSPHRASE:
        raise ShareError(f"An encrypted export needs a passphrase of at least {MIN_PASSPHRASE} characters.")
    header = {"alg": JWE_ALG, "enc": JWE_ENC, "cty": JWE_CTY, "p2c": PBES2_COUNT}
    with warnings.catch_warnings():  # joserfc warns on short oct keys; a passphrase is not a raw key
        warnings.simplefilter("ignore")
        key = OctKey.import_key(passphrase.encode("utf-8"))
        token = jwe.encrypt_compact(header, pack_files(files), key, registry=_registry())
    return token.encode("ascii")


def open_sealed_files(sealed: bytes, passphrase: str) -> dict[str, bytes]:
    """Open :func:`seal_files` output; any failure is one :class:`DecryptionError`."""
    failure = DecryptionError("Wrong passphrase, or the encrypted export was altered.")
    try:
        text = sealed.decode("ascii")
        segments = text.split(".")
        if len(segments) != 5:
            raise failure
        for seg in segments:  # refuse non-canonical base64url: every byte must matter
            b64url_decode(seg, what="encrypted export")
        header = json_loads(b64url_decode(segments[0], what="encrypted export"), what="encrypted export header")
    except (UnicodeDecodeError, ShareError) as exc:
        raise failure from exc
    if not isinstance(header, dict) or header.get("alg") != JWE_ALG or header.get("enc") != JWE_ENC:
        raise failure
    count = header.get("p2c")
    if not isinstance(count, int) or not _MIN_COUNT <= count <= PBES2_COUNT:
        raise failure
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            key = OctKey.import_key(passphrase.encode("utf-8"))
            plain = jwe.decrypt_compact(text, key, registry=_registry()).plaintext
    except (JoseError, ValueError, TypeError) as exc:
        raise failure from exc
    if plain is None:
        raise failure
    return unpack_files(plain)
