"""What a signed export folder holds, and its SHA-256 manifest.

A plain export is a flat folder::

    bundle.json                  FHIR Bundle (collection) with Bundle.signature
    provenance.json              FHIR Provenance: who exported, when
    card-01.smart-health-card    imported SMART Health Cards, byte for byte
    HOW-TO-VERIFY.txt            instructions for a reader without this app
    SHA256SUMS                   "<sha256 hex>  <name>" for every file above (sha256sum format)
    SHA256SUMS.jws               ES256K detached JWS over the bytes of SHA256SUMS

An encrypted export holds ``export.jwe`` (the plain folder as a gzip'd tar, sealed
with a passphrase) and ``HOW-TO-VERIFY.txt``, which must equal the copy inside.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

from ..errors import SignatureInvalid

__all__ = [
    "BUNDLE_FILE",
    "EXPORT_PREFIX",
    "HOWTO_FILE",
    "MANIFEST_FILE",
    "MANIFEST_SIG_FILE",
    "MAX_FILES",
    "MAX_FILE_BYTES",
    "MAX_TOTAL_BYTES",
    "PARTIAL_PREFIX",
    "PROVENANCE_FILE",
    "SEALED_FILE",
    "card_file_name",
    "is_card_file",
    "manifest_bytes",
    "parse_manifest",
    "valid_name",
]

BUNDLE_FILE = "bundle.json"
PROVENANCE_FILE = "provenance.json"
MANIFEST_FILE = "SHA256SUMS"
MANIFEST_SIG_FILE = "SHA256SUMS.jws"
HOWTO_FILE = "HOW-TO-VERIFY.txt"
SEALED_FILE = "export.jwe"
EXPORT_PREFIX = "health-export-"
PARTIAL_PREFIX = ".health-export-partial-"  # never looks complete; removed by the next export

MAX_FILES = 10_000
MAX_FILE_BYTES = 1024 * 1024 * 1024
MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_CARD = re.compile(r"card-\d{2,5}\.smart-health-card")
_LINE = re.compile(rb"([0-9a-f]{64})  ([A-Za-z0-9][A-Za-z0-9._-]{0,99})")


def card_file_name(index: int) -> str:
    """Name of the ``index``-th card (1-based): ``card-01.smart-health-card``."""
    return f"card-{index:02d}.smart-health-card"


def is_card_file(name: str) -> bool:
    return _CARD.fullmatch(name) is not None


def valid_name(name: str) -> bool:
    """Flat, portable file names only (FAT/exFAT/NTFS safe, no path separators)."""
    return _NAME.fullmatch(name) is not None


def manifest_bytes(files: Mapping[str, bytes]) -> bytes:
    """``sha256sum`` output for ``files``, sorted by name, LF line ends."""
    lines = [f"{hashlib.sha256(files[name]).hexdigest()}  {name}\n" for name in sorted(files)]
    return "".join(lines).encode("ascii")


def parse_manifest(data: bytes) -> dict[str, str]:
    """Name → hex digest; refuses anything but the exact form :func:`manifest_bytes` writes."""
    if not data.endswith(b"\n"):
        raise SignatureInvalid(f"{MANIFEST_FILE} is damaged: it does not end with a line break.")
    out: dict[str, str] = {}
    previous = b""
    for number, line in enumerate(data[:-1].split(b"\n"), start=1):
        m = _LINE.fullmatch(line)
        if m is None:
            raise SignatureInvalid(f"{MANIFEST_FILE} is damaged at line {number}.")
        digest, name = m.group(1).decode(), m.group(2)
        if name <= previous:
            raise SignatureInvalid(f"{MANIFEST_FILE} is damaged: names are repeated or out of order at line {number}.")
        previous = name
        out[name.decode("ascii")] = digest
    if not out:
        raise SignatureInvalid(f"{MANIFEST_FILE} lists no file.")
    return out
