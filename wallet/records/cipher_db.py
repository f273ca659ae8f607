"""SQLCipher 4 connections for the record store: whole-file encryption, every page authenticated.

The ``sqlcipher3`` wheel bundles SQLCipher 4 (AES-256-CBC per page, HMAC-SHA512 over each
page and its page number, a random 16-byte salt per file). The store is keyed with a raw
32-byte key (``PRAGMA key = "x'…'"``), so SQLCipher runs no passphrase KDF of its own: the
key already comes from the wallet's keys through HKDF (:func:`page_key`). Settings are
pinned with ``cipher_compatibility = 4`` so a later SQLCipher with other defaults still
opens the file.

What stays on disk is ciphertext only: the main file, its WAL (frames are encrypted
pages) and the WAL index (``-shm``: page numbers and checksums, no content). Temporary
tables and sorts stay in memory (``temp_store = MEMORY``). A wrong key, a damaged header
or a page whose HMAC fails all surface as :data:`DATABASE_ERRORS`.

Plain ``sqlite3`` cannot open these files ("file is not a database").
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import cast

from sqlcipher3 import dbapi2 as sqlcipher

from ..vault import aead

__all__ = ["DATABASE_ERRORS", "PAGE_KEY_PURPOSE", "PLAIN_HEADER", "connect_encrypted", "connect_plain",
           "export_encrypted", "is_plain_sqlite", "page_key"]

PAGE_KEY_PURPOSE = "health-wallet/record-store-pages/v1"
PLAIN_HEADER = b"SQLite format 3\x00"  # the first 16 bytes of every unencrypted SQLite file
# sqlcipher3 has its own exception classes, parallel to sqlite3's
DATABASE_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, sqlcipher.Error)


def page_key(record_key: bytes) -> bytes:
    """The store's SQLCipher key: HKDF-SHA256(record key, :data:`PAGE_KEY_PURPOSE`), 32 bytes.

    The record key itself is HKDF(BIP-39 seed, ``health-wallet/records/v1``), so the page
    key is the wallet's, separate from every other key by its purpose string."""
    return aead.derive_key(record_key, PAGE_KEY_PURPOSE)


def is_plain_sqlite(path: Path) -> bool:
    """Whether ``path`` starts like an unencrypted SQLite database (a store of schema 1 or 2)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(len(PLAIN_HEADER)) == PLAIN_HEADER
    except FileNotFoundError:
        return False


def _keyed(conn: sqlite3.Connection, key: bytes, schema: str = "main") -> None:
    if len(key) != aead.KEY_SIZE:
        raise ValueError("the record store needs a 32-byte key")
    conn.execute(f"PRAGMA {schema}.key = \"x'{key.hex()}'\"")
    conn.execute(f"PRAGMA {schema}.cipher_compatibility = 4")


def connect_encrypted(path: Path, key: bytes, *, timeout: float = 30) -> sqlite3.Connection:
    """An open connection to the SQLCipher database at ``path`` (created on first write).

    The key is checked at once (the first page is read and its HMAC verified): raises one
    of :data:`DATABASE_ERRORS` for a wrong key or a damaged file. The connection is typed as
    ``sqlite3.Connection``; sqlcipher3 implements the same DB-API."""
    conn = cast(sqlite3.Connection, sqlcipher.connect(str(path), timeout=timeout, check_same_thread=False))
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")  # failures are reported as errors, not on stderr
        _keyed(conn, key)
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except BaseException:
        conn.close()
        raise
    return conn


def connect_plain(path: Path, *, timeout: float = 30) -> sqlite3.Connection:
    """A connection through SQLCipher to an unencrypted database (to export it encrypted)."""
    conn = cast(sqlite3.Connection, sqlcipher.connect(str(path), timeout=timeout))
    conn.execute("PRAGMA cipher_log_level = NONE")
    return conn


def export_encrypted(plain: sqlite3.Connection, target: Path, key: bytes) -> None:
    """Copy every table and index of the open unencrypted database into a new SQLCipher file."""
    plain.execute("PRAGMA cipher_default_compatibility = 4")
    plain.execute(f"ATTACH DATABASE ? AS encrypted KEY \"x'{key.hex()}'\"", (str(target),))
    try:
        plain.execute("SELECT sqlcipher_export('encrypted')").fetchall()
    finally:
        plain.execute("DETACH DATABASE encrypted")
