"""The encrypted record store: one SQLCipher 4 database (WAL) in the wallet home.

Schema 3 encrypts the whole file (:mod:`.cipher_db`): every page is AES-256 encrypted
and carries an HMAC-SHA512 over its content and page number, keyed from the wallet's keys
(HKDF, purpose ``health-wallet/record-store-pages/v1``). Nothing in the file, its WAL or
its WAL index is readable without the passphrase, and a changed byte anywhere makes the
page that holds it fail to read: :class:`~wallet.errors.StoreUnreadable`, never a
changed record.

Inside the encrypted file the columns are plain: the resource and its summary as JSON
text, the type, category, date, instant and profile. Schemas 1 and 2 sealed each
resource and summary with AES-256-GCM (AAD binding the record id and type) because the
file itself was readable; with every page authenticated under a key of the same wallet,
per-row sealing adds no protection (an attacker who can forge a page HMAC holds the keys
that seal rows too, and neither stops replaying an older copy of the whole file), while
it costs an AES-GCM operation per row read and keeps SQL from filtering and indexing
what it needs (full-text search, paging). It was dropped.

Full-text search: an FTS5 table ``search`` (contentless, rowid = ``records.n``) holds
the words of each record (:mod:`.search_text`); triggers keep it in step with every
insert, update and delete of ``records`` in the same transaction.

Schema versions (``meta.schema_version``; upgrades in :func:`store_format`, see
:mod:`wallet.formats`):

1. ``records`` (id, rtype, category, rdate, summary, resource), ``cards``, ``meta``;
   unencrypted SQLite, rows sealed.
2. ``records`` gains ``profile`` (default ``'owner'``), ``instant`` (REAL, UTC epoch
   seconds of the start of ``rdate``; NULL when none) and ``deleted`` (0/1); new tables
   ``record_versions`` (id, seq, resource, summary) and ``profiles`` (name, is_owner,
   patient), with the row ``('owner', 1, NULL)``. Still unencrypted, rows sealed.
3. SQLCipher 4; ``records`` gains ``n`` (INTEGER PRIMARY KEY: the record's position,
   ordered by instant, and its rowid in the search index) and ``seq`` (Patients' import
   order); columns unsealed; partial indexes for paging; ``search`` (FTS5) and
   ``record_counts``, both kept by triggers.
   A plain store is migrated by writing the encrypted one beside it and renaming it over
   (:func:`wallet.formats.migrate_file`); steps 1 → 2 → 3 run on the encrypted copy, so
   the plain file is never changed and a crash leaves it complete.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import json
import json.scanner
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import MISSING, dataclass, field, fields
from decimal import Decimal
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

from ..errors import Cancelled, DecryptionError, RecordError, RecordNotFound, StoreUnreadable
from ..events import CancelToken, ProgressSink, report
from ..formats import (
    FileMigration,
    migrate_file,
    migration_lock,
    pending_migration,
    recorded_version,
    resume_migration,
    upgrade_sqlite,
)
from ..formats import record_version as record_file_version
from ..vault import aead
from . import fhir_json
from .cipher_db import DATABASE_ERRORS, connect_encrypted, connect_plain, export_encrypted, is_plain_sqlite, page_key
from .instants import period_end, start_instant
from .lab_values import number
from .profiles import OWNER, Profile
from .search_text import match_expression, search_text
from .store_schema import (
    LATEST_BY_TITLE_CATEGORIES,
    LATEST_BY_TITLE_INDEX,
    NEW_STORE,
    SCHEMA_VERSION,
    free_positions,
    next_patient_seq,
    next_position,
    position_slot,
    read_schema_version,
    store_format,
    write_schema_version,
)
from .summary import CATEGORIES, COMPARATORS, Summary
from .wal_copier import WalCopier

__all__ = [
    "SCHEMA_VERSION",
    "SEARCH_COUNT_CAP",
    "STORE_FILE",
    "CappedCount",
    "NewRecord",
    "Page",
    "PageKey",
    "RecordStore",
    "SearchPage",
    "StoredSummary",
    "StreamBatch",
    "damaged_message",
    "record_id_for",
    "schema_version",
    "store_format",
]

STORE_FILE = "records.sqlite3"
SEARCH_COUNT_CAP = 1000  # a search counts its matches exactly up to this many ("1,000+" above)


def record_id_for(index_key: bytes, resource: dict[str, Any], profile: str = OWNER) -> str:
    """Stable id: HMAC of ``Type/id``, or of the canonical content when there is no id.

    Outside the owner's profile the profile's name is part of it, so two people's
    records with the same FHIR id never collide (nor count as duplicates). The content
    is hashed with its numbers as floats, as earlier releases did, so a resource without
    an id keeps the id it was given then."""
    return aead.keyed_hash(index_key, _id_material(resource, profile)).hex()[:24]


def _id_material(resource: dict[str, Any], profile: str) -> bytes:
    """What :func:`record_id_for` hashes."""
    rt = str(resource.get("resourceType"))
    fid = resource.get("id")
    if isinstance(fid, str) and fid:
        material = f"{rt}/{fid}".encode()
    else:
        content = fhir_json.to_float_tree(resource)
        material = b"content:" + json.dumps(content, sort_keys=True, separators=(",", ":")).encode()
    if profile != OWNER:
        material = b"profile:" + profile.encode() + b"\x00" + material
    return material


@dataclass(frozen=True)
class NewRecord:
    """One record to write. ``text``: the resource's JSON exactly as read, when the
    resource is that text unchanged (stored as it is instead of written again); ``None``:
    the store writes ``resource`` (:func:`~wallet.records.fhir_json.dumps`)."""

    id: str
    resource: dict[str, Any]
    summary: Summary
    profile: str = OWNER
    text: str | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class StreamBatch:
    """One batch of :meth:`RecordStore.add_stream`: the writes of a slice of an import."""

    fresh: tuple[NewRecord, ...] = ()
    newer: tuple[NewRecord, ...] = ()
    history: tuple[NewRecord, ...] = ()
    deleted: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoredSummary:
    """A stored record's summary; ``instant`` (UTC epoch seconds, ``None`` without a date) and
    ``profile`` are filled by :meth:`RecordStore.page` and :meth:`RecordStore.search`."""

    id: str
    summary: Summary
    instant: float | None = field(default=None, compare=False)
    profile: str = field(default=OWNER, compare=False)
    position: int = field(default=0, compare=False, repr=False)

    @property
    def key(self) -> PageKey:
        """Where the next page starts when this is the last row of a page."""
        return PageKey(self.position)


@dataclass(frozen=True)
class PageKey:
    """A keyset cursor: the position of the last row of a page (order: newest first). Valid
    until the store changes; a page after a changed record starts where that record was."""

    position: int


@dataclass(frozen=True)
class Page:
    """One page of summaries, newest first; ``next`` is the cursor of the following page
    (``None`` when this page is the last)."""

    rows: tuple[StoredSummary, ...]
    next: PageKey | None


@dataclass(frozen=True)
class CappedCount:
    """How many records match, counted exactly up to a cap (as mail clients count a search).

    ``exact``: ``value`` is the count. Otherwise more than ``value`` records match (``value``
    is the cap) and :attr:`text` reads ``1,000+``. Raises ``ValueError`` for a negative value."""

    value: int
    exact: bool = True

    def __post_init__(self) -> None:
        if self.value < 0:
            raise ValueError(f"a count is at least 0, not {self.value}")

    @property
    def text(self) -> str:
        """``"98"``, ``"12,345"``; ``"1,000+"`` when capped."""
        return f"{self.value:,}" + ("" if self.exact else "+")


@dataclass(frozen=True)
class SearchPage:
    """The first page of a search and how many records match (:meth:`RecordStore.search_page`)."""

    page: Page
    count: CappedCount


_CACHE_KIB = 32 * 1024  # a connection's page cache: paging, search, small imports
# ...and while add_many or add_stream writes (back to _CACHE_KIB after; the pages above it
# are freed). The record ids' index takes random keys: at a million records (about 40 bytes
# a record) it no longer fits the everyday cache, and every page read back from the file is
# decrypted and its HMAC checked, every page pushed out before the commit encrypted (and
# often read back) once more. Peak RSS of a 1,000,000-record import: docs/search-and-scale.md.
_IMPORT_CACHE_KIB = 128 * 1024
_CLOSE_WAIT = 10.0  # seconds close() waits for calls running on other threads
_WAL_AUTOCHECKPOINT = 1000  # SQLite's default: pages in the WAL after which a commit copies them into the file
_WAL_BOUND = 512 * 1024 * 1024  # bytes of WAL past which a large write first waits for the copy (_commit_large)
_INSERT_COLUMNS = " INTO records (n, id, rtype, category, rdate, instant, summary, resource, profile, seq) VALUES "
_INSERT_ROW = "(?,?,?,?,?,?,?,?,?,?)"
_INSERT = _INSERT_COLUMNS + _INSERT_ROW
# rows of one multi-row INSERT: 10 values each, well under SQLite's 32,766 bound variables
_ROWS_PER_INSERT = 1000
# the summaries of a page, read as fhir_json.loads reads them (decimals exact), by one decoder
# built once rather than one per row
_SUMMARY_JSON = json.JSONDecoder(parse_float=Decimal)
P = ParamSpec("P")
R = TypeVar("R")


def _unreadable(exc: Exception) -> bool:
    """Whether a database error means the file cannot be read (damage or a wrong key)."""
    if not isinstance(exc, DATABASE_ERRORS) or type(exc).__name__ in ("IntegrityError", "ProgrammingError",
                                                                      "InterfaceError"):
        return False
    text = str(exc).lower()
    return type(exc).__name__ == "DatabaseError" or "malformed" in text or "not a database" in text


def _guarded(method: Callable[Concatenate[RecordStore, P], R]) -> Callable[Concatenate[RecordStore, P], R]:
    """Turn a read that fails on a damaged page (its HMAC) into one :class:`StoreUnreadable`;
    and count the call as the store's while it runs, so :meth:`RecordStore.close` on another
    thread waits for it instead of closing its connection under it."""

    def wrapper(self: RecordStore, /, *args: P.args, **kwargs: P.kwargs) -> R:
        me = threading.get_ident()
        with self._idle:  # counted, so that close() waits for it (see RecordStore.close)
            self._in_use[me] = self._in_use.get(me, 0) + 1
        try:
            return method(self, *args, **kwargs)
        except DATABASE_ERRORS as exc:
            if _unreadable(exc):
                raise StoreUnreadable(damaged_message(self.path, exc)) from exc
            raise
        finally:
            with self._idle:
                left = self._in_use.pop(me) - 1
                if left:
                    self._in_use[me] = left
                else:
                    self._idle.notify_all()

    functools.update_wrapper(wrapper, method)
    return wrapper


def _search_text_sql(known: dict[str, str], summary: object, resource: object) -> str:
    """``hw_search_text(summary, resource)`` for the search index's triggers: the text the
    writer already worked out for this resource JSON (``known``), else read from the JSON."""
    if not isinstance(summary, str) or not isinstance(resource, str):
        return ""
    text = known.pop(resource, None)
    if text is not None:
        return text
    return search_text(json.loads(summary, parse_float=str), json.loads(resource, parse_float=str))


class RecordStore:
    """Open with the wallet's record keys; safe to use from several threads.

    ``record_key`` (32 bytes, HKDF(seed, ``health-wallet/records/v1``)) keys the file
    (through :func:`~wallet.records.cipher_db.page_key`) and opens rows sealed by
    schemas 1-2 while they are migrated; ``index_key`` makes record ids. Raises
    :class:`StoreUnreadable` for a damaged store or one of another wallet,
    :class:`RecordError` for one written by a newer version.
    """

    def __init__(self, path: Path, *, record_key: bytes, index_key: bytes) -> None:
        self.path = Path(path)
        self._key = record_key
        self._page_key = page_key(record_key)
        self._index_key = index_key
        self._id_mac = hmac.new(index_key, digestmod=hashlib.sha256)  # keyed once, copied per record id
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._known_text: dict[int, dict[str, str]] = {}  # per connection: resource JSON -> its search text
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._in_use: dict[int, int] = {}  # thread -> store calls running on it (_guarded)
        self._checkpointer = WalCopier(self._checkpoint)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if is_plain_sqlite(self.path) or pending_migration(self.path) is not None:
                with migration_lock(self.path):  # and once it is held, look again
                    resume_migration(self.path, is_new=lambda p: not is_plain_sqlite(p))
                    if is_plain_sqlite(self.path):
                        self._migrate_plain()
            conn = self._conn()
            self._create_or_upgrade(conn)
        except DATABASE_ERRORS as exc:  # "file is not a database", "database disk image is malformed"
            self.close()
            raise StoreUnreadable(damaged_message(self.path, exc)) from exc
        except BaseException:
            self.close()
            raise
        self.path.chmod(0o600)

    def __repr__(self) -> str:
        return f"RecordStore({self.path})"

    # --- opening, creating, migrating ------------------------------------------------

    def _check_plain(self) -> int:
        """The schema of the unencrypted store at ``self.path`` after checking that it is this
        wallet's and of a version this app reads; its WAL is folded into the file first."""
        conn = sqlite3.connect(self.path, timeout=30)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            has_meta = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
            version = read_schema_version(conn) if has_meta else None
            check = conn.execute("SELECT value FROM meta WHERE key = 'key_check'").fetchone() if has_meta else None
            if check is not None:
                try:
                    aead.open_sealed(self._key, check[0], purpose="store-key-check")
                except DecryptionError as exc:
                    raise StoreUnreadable(f"The record store {self.path} belongs to another wallet; move it away "
                                          "or use another --home.") from exc
            found = store_format(self._key).check_version(version if version is not None else "1", self.path)
            if found >= SCHEMA_VERSION:
                raise RecordError(f"The record store {self.path} says schema {found} but is not encrypted; "
                                  "it was not written by Health Wallet. Nothing was changed.")
            return found
        finally:
            conn.close()

    def _migrate_plain(self) -> None:
        """Schema 1 or 2 (unencrypted) → 3: an encrypted copy is written beside the store,
        upgraded, and renamed over it (:func:`wallet.formats.migrate_file`)."""
        found = self._check_plain()
        for suffix in ("-wal", "-shm"):
            side = Path(f"{self.path}{suffix}")
            if side.exists() and side.stat().st_size and suffix == "-wal":
                raise RecordError(f"The record store {self.path} is in use by another program; close it and "
                                  "try again. Nothing was changed.")
            with contextlib.suppress(FileNotFoundError):
                side.unlink()

        def build(partial: Path) -> None:
            plain = connect_plain(self.path)
            try:
                export_encrypted(plain, partial, self._page_key)
            finally:
                plain.close()  # the last connection: SQLite removes the (empty) WAL beside it
            conn = self._connect(partial)
            try:
                conn.execute("PRAGMA journal_mode=DELETE")
                self._create_or_upgrade(conn)
                conn.execute("VACUUM")  # the pages the sealed tables left: the copy is written compact
            finally:
                conn.close()

        migrate_file(FileMigration(self.path, found, SCHEMA_VERSION), build)

    def _create_or_upgrade(self, conn: sqlite3.Connection) -> None:
        """Create a new store at the current schema, or check the keys and upgrade an older one.

        The key check comes first, so a store of another wallet is refused untouched.
        """
        conn.execute("BEGIN IMMEDIATE")
        try:
            found = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
            fresh = found is None
            if fresh:
                for statement in NEW_STORE:
                    conn.execute(statement)
                write_schema_version(conn, SCHEMA_VERSION)
            elif read_schema_version(conn) is None and \
                    conn.execute("SELECT 1 FROM meta WHERE key = 'key_check'").fetchone() is None and \
                    conn.execute("SELECT 1 FROM records LIMIT 1").fetchone() is None:
                # schema 1 created its tables before its first transaction: a crash between left them empty
                write_schema_version(conn, 1)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        if fresh:
            record_file_version(self.path, SCHEMA_VERSION)
            return
        version = store_format(self._key).check_version(read_schema_version(conn), self.path)
        if version < SCHEMA_VERSION:
            row = conn.execute("SELECT value FROM meta WHERE key = 'key_check'").fetchone()
            if row is not None:
                try:
                    aead.open_sealed(self._key, row[0], purpose="store-key-check")
                except DecryptionError as exc:
                    raise StoreUnreadable(f"The record store {self.path} belongs to another wallet; move it "
                                          "away or use another --home.") from exc
        upgrade_sqlite(conn, store_format(self._key), where=self.path, read_version=read_schema_version,
                       write_version=write_schema_version)
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'records_latest_by_title'").fetchone() is None:
            with conn:
                conn.execute(LATEST_BY_TITLE_INDEX)

    # --- connections -----------------------------------------------------------

    def _connect(self, path: Path) -> sqlite3.Connection:
        conn = connect_encrypted(path, self._page_key)
        conn.execute("PRAGMA secure_delete=ON")
        conn.execute(f"PRAGMA cache_size=-{_CACHE_KIB}")
        conn.execute("PRAGMA recursive_triggers=ON")  # REPLACE fires the search index's delete trigger
        conn.create_function("fhir_period_end", 1, _period_end_sql, deterministic=True)
        known: dict[str, str] = {}
        conn.create_function("hw_search_text", 2, functools.partial(_search_text_sql, known), deterministic=True)
        self._known_text[id(conn)] = known
        return conn

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = self._connect(self.path)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
            except DATABASE_ERRORS as exc:
                if _unreadable(exc):
                    raise StoreUnreadable(damaged_message(self.path, exc)) from exc
                raise
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def _checkpoint(self) -> None:
        """Copy what the WAL holds into the file, on a connection opened for it (see
        :meth:`_commit_large`); a checkpoint that cannot run now is left to the next commit."""
        with contextlib.suppress(*DATABASE_ERRORS, OSError):
            conn = connect_encrypted(self.path, self._page_key)
            try:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                conn.close()

    def close(self) -> None:
        """Close every thread's connection, once the calls other threads are making on the
        store have returned (at most :data:`_CLOSE_WAIT` seconds: a connection closed under a
        running query crashes the process) and a copy of the WAL under way has finished."""
        self._checkpointer.wait()
        me = threading.get_ident()
        with self._idle:
            self._idle.wait_for(lambda: not self._in_use.keys() - {me}, timeout=_CLOSE_WAIT)
            for conn in self._connections:
                with contextlib.suppress(*DATABASE_ERRORS):
                    conn.close()
            self._connections.clear()
            self._known_text.clear()
            self._local = threading.local()

    @_guarded
    def check(self) -> None:
        """Read every page of the file and check its HMAC, and SQLite's own integrity check.

        Raises :class:`StoreUnreadable` naming the first fault; returns when all is well.
        Reads the whole file (measured 0.35 s for 18 MB, 3.4 s for 89 MB on a busy machine); the
        normal reads check only the pages they touch."""
        conn = self._conn()
        faults = [r[0] for r in conn.execute("PRAGMA cipher_integrity_check")]
        if not faults:
            faults = [r[0] for r in conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
        if faults:
            raise StoreUnreadable(damaged_message(self.path, sqlite3.DatabaseError(faults[0])))

    # --- ids and JSON --------------------------------------------------------------

    def record_id(self, resource: dict[str, Any], profile: str = OWNER) -> str:
        """:func:`record_id_for` with this store's key (HMAC-SHA256, keyed once per store)."""
        mac = self._id_mac.copy()
        mac.update(_id_material(resource, profile))
        return mac.hexdigest()[:24]

    @staticmethod
    def _dump(doc: Any) -> str:
        return fhir_json.dumps(doc)

    def _row(self, conn: sqlite3.Connection, rid: str, summary: Summary, resource: dict[str, Any],
             profile: str) -> tuple[Any, ...]:
        """The values of :data:`_INSERT` for one record: its position by instant, its columns."""
        instant = start_instant(summary.date)
        return (next_position(conn, instant), rid, summary.resource_type, summary.category, summary.date, instant,
                *self._dump_record(conn, summary, resource), profile,
                next_patient_seq(conn) if summary.resource_type == "Patient" else None)

    def _dump_record(self, conn: sqlite3.Connection, summary: Summary, resource: dict[str, Any],
                     text: str | None = None) -> tuple[str, str]:
        """The summary and resource as stored (JSON; ``text``: the resource's own, when the
        caller has it), their search text handed to the index's trigger so it need not parse
        them again."""
        summary_json = summary.to_json()
        resource_text = text if text is not None else self._dump(resource)
        self._known_text[id(conn)][resource_text] = search_text(summary_json, resource)
        return self._dump(summary_json), resource_text

    @staticmethod
    def _load(text: str | bytes) -> Any:
        return fhir_json.loads(text)

    # --- writing ----------------------------------------------------------------

    @_guarded
    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        ids = list(ids)
        found: set[str] = set()
        conn = self._conn()
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            q = f"SELECT id FROM records WHERE id IN ({','.join('?' * len(chunk))})"
            found.update(r[0] for r in conn.execute(q, chunk))
        return found

    @_guarded
    def add_many(self, records: Iterable[NewRecord], *, cards: Iterable[bytes] = (),
                 progress: ProgressSink | None = None, total: int = 0,
                 cancel: CancelToken | None = None, profile: Profile | None = None,
                 more_profiles: Iterable[Profile] = (),
                 newer: Iterable[NewRecord] = (), history: Iterable[NewRecord] = (),
                 deleted: Iterable[str] = ()) -> tuple[int, int]:
        """Insert in one transaction: all or nothing. Returns (added, duplicates).

        ``profile`` and ``more_profiles``: saved (created or updated) in the same transaction.
        ``newer``: new current versions of stored records (the stored one moves to
        ``record_versions``, and the record is no longer deleted); ``history``: earlier
        versions to keep in ``record_versions``; ``deleted``: ids of records deleted at their
        source (hidden from lists, kept). The search index follows in the same transaction."""
        conn = self._conn()
        added = dupes = 0
        self._wal_room(conn)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(f"PRAGMA cache_size=-{_IMPORT_CACHE_KIB}")
            for saved in ([profile] if profile is not None else []) + list(more_profiles):
                self._save_profile(conn, saved)
            self._write_batch(conn, StreamBatch((), tuple(newer), tuple(history), tuple(deleted)))
            done = 0
            for chunk in _chunks(records, _WRITE_CHUNK):
                if cancel is not None:
                    cancel.check()
                stored = self._write_batch(conn, StreamBatch(fresh=tuple(chunk)))
                added += stored
                dupes += len(chunk) - stored
                done += len(chunk)
                if progress is not None:
                    report(progress, done, total, "Saving")
            for card in cards:
                cid = aead.keyed_hash(self._index_key, b"card:" + card).hex()[:24]
                conn.execute("INSERT OR IGNORE INTO cards (id, card) VALUES (?, ?)", (cid, card))
            self._commit_large(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            self._known_text[id(conn)].clear()  # duplicates were never inserted
            conn.execute(f"PRAGMA cache_size=-{_CACHE_KIB}")
        return added, dupes

    @_guarded
    def add_stream(self, batches: Iterable[StreamBatch], *, finish: Callable[[], Iterable[Profile]] = tuple,
                   cancel: CancelToken | None = None) -> tuple[int, int]:
        """Write ``batches`` in one transaction, all or nothing; return (added, duplicates).

        For imports too large to hold in memory: ``batches`` is consumed lazily *inside*
        the transaction, one batch at a time, so only one batch is ever held. The
        producer may read the store between batches (same thread, same connection: it
        sees the rows already written) and may raise to roll everything back. Each batch
        is applied as :meth:`add_many` applies its arguments (``newer`` replaces the
        current version, keeping it; ``history`` is kept; ``deleted`` marks; ``fresh`` is
        inserted, a row already present counting as a duplicate). ``finish`` is called after the last batch and
        the profiles it returns are saved in the same transaction (it may raise too).
        SQLite spills the transaction's pages to the WAL as its page cache fills, so
        memory stays bounded whatever the size."""
        conn = self._conn()
        added = dupes = 0
        self._wal_room(conn)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(f"PRAGMA cache_size=-{_IMPORT_CACHE_KIB}")
            for batch in batches:
                if cancel is not None:
                    cancel.check()
                stored = self._write_batch(conn, batch)
                added += stored
                dupes += len(batch.fresh) - stored
            for saved in finish():
                self._save_profile(conn, saved)
            self._commit_large(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            self._known_text[id(conn)].clear()
            conn.execute(f"PRAGMA cache_size=-{_CACHE_KIB}")
        return added, dupes

    def _commit_large(self, conn: sqlite3.Connection) -> None:
        """Commit a large write without copying its pages from the WAL into the file on the
        way (SQLite's automatic checkpoint, about as long as the commit itself: 1 s for
        100,000 readings): a thread of this store copies them instead, on a connection of its
        own (``PRAGMA wal_checkpoint(PASSIVE)``, which waits for no reader or writer), while
        the caller goes on, to the next file of an import, say. What is committed is
        committed either way: the WAL holds it until it is copied (SQLite, "Write-Ahead
        Logging", section 4 "Checkpointing"). The WAL's size is bounded by :meth:`_wal_room`."""
        conn.execute("PRAGMA wal_autocheckpoint=0")
        try:
            conn.execute("COMMIT")
        finally:
            conn.execute(f"PRAGMA wal_autocheckpoint={_WAL_AUTOCHECKPOINT}")
        self._checkpointer.request()

    def _wal_room(self, conn: sqlite3.Connection) -> None:
        """Before a large write: when the WAL is past :data:`_WAL_BOUND`, wait for the pages
        being copied (:meth:`_commit_large`), then start the WAL again from its beginning
        (``PRAGMA wal_checkpoint(TRUNCATE)``: nothing is left to copy; it waits for readers
        of the WAL to finish). An import's next file begins while the last one's pages are
        still being copied, so without this the WAL would grow by every file of the import."""
        with contextlib.suppress(OSError):
            if self.path.with_name(self.path.name + "-wal").stat().st_size <= _WAL_BOUND:
                return
        self._checkpointer.wait()
        with contextlib.suppress(*DATABASE_ERRORS):  # busy: the WAL goes on growing until the next write
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _write_batch(self, conn: sqlite3.Connection, batch: StreamBatch) -> int:
        """Apply one batch inside the caller's transaction, in this order: ``newer`` replaces
        the current version (kept in ``record_versions``; the record is no longer deleted),
        ``history`` is kept, ``deleted`` marks, ``fresh`` is inserted (a row whose id is
        present is left alone). Returns how many ``fresh`` rows were inserted."""
        try:
            for rec in batch.newer:
                self._keep_version(conn, rec.id)
                instant = start_instant(rec.summary.date)
                conn.execute(
                    "UPDATE records SET n = ?, rtype = ?, category = ?, rdate = ?, instant = ?, summary = ?, "
                    "resource = ?, deleted = 0 WHERE id = ?",
                    (next_position(conn, instant), rec.summary.resource_type, rec.summary.category, rec.summary.date,
                     instant, *self._dump_record(conn, rec.summary, rec.resource, rec.text), rec.id))
            for rec in batch.history:
                self._add_version(conn, rec.id, rec.resource, rec.summary)
            if batch.deleted:
                conn.executemany("UPDATE records SET deleted = 1 WHERE id = ?", [(rid,) for rid in batch.deleted])
            return self._insert_fresh(conn, batch.fresh)
        finally:
            self._known_text[id(conn)].clear()  # a duplicate's search text was never taken

    def _insert_fresh(self, conn: sqlite3.Connection, records: Sequence[NewRecord]) -> int:
        """Insert ``records`` (``INSERT OR IGNORE``: a present id is a duplicate); positions are
        worked out for the whole batch at once (:func:`~wallet.records.store_schema.free_positions`).
        Returns how many were inserted.

        The rows go in by position, up to :data:`_ROWS_PER_INSERT` in one statement, not one
        statement each: FTS5 writes the words it holds in memory to a new segment of the
        search index at the start of every statement of a transaction (a savepoint) and
        whenever a rowid is lower than the last one, so row-by-row inserts in file order made
        about one segment per record, merged again and again as the index grew."""
        if not records:
            return 0
        instants = [start_instant(rec.summary.date) for rec in records]
        seq: int | None = None
        rows: list[tuple[Any, ...]] = []
        ids: set[str] = set()
        for rec, instant, n in zip(records, instants, free_positions(conn, instants), strict=True):
            s = rec.summary
            if s.resource_type == "Patient":
                seq = next_patient_seq(conn) if seq is None else seq + 1
            if rec.id in ids:
                continue  # the first of an id in the batch is the one kept, whatever its position
            ids.add(rec.id)
            rows.append((n, rec.id, s.resource_type, s.category, s.date, instant,
                         *self._dump_record(conn, s, rec.resource, rec.text), rec.profile,
                         seq if s.resource_type == "Patient" else None))
        rows.sort(key=lambda row: cast(int, row[0]))
        inserted = 0
        for i in range(0, len(rows), _ROWS_PER_INSERT):
            part = rows[i : i + _ROWS_PER_INSERT]
            values = ",".join([_INSERT_ROW] * len(part))
            inserted += conn.execute(f"INSERT OR IGNORE{_INSERT_COLUMNS}{values}",
                                     [value for row in part for value in row]).rowcount
        return inserted

    @_guarded
    def put(self, rec: NewRecord) -> None:
        """Insert or replace one record (the wallet's own Consents change as grants do)."""
        conn = self._conn()
        try:
            with conn:
                conn.execute(
                    "INSERT" + _INSERT + " ON CONFLICT (id) DO UPDATE SET n = excluded.n, rtype = excluded.rtype, "
                    "category = excluded.category, rdate = excluded.rdate, instant = excluded.instant, "
                    "summary = excluded.summary, resource = excluded.resource, profile = excluded.profile, "
                    "seq = COALESCE(records.seq, excluded.seq)",
                    self._row(conn, rec.id, rec.summary, rec.resource, rec.profile))
        finally:
            self._known_text[id(conn)].clear()

    @_guarded
    def move_profile(self, source: str, target: Profile, *, keep_types: Iterable[str] = ()) -> int:
        """Move every record of profile ``source`` (except ``keep_types``) into the new
        profile ``target``, and leave ``source`` naming nobody; one transaction. Records get
        new ids (ids outside the owner's profile name the profile).
        Returns how many moved. Raises :class:`RecordError` when ``target`` exists."""
        conn = self._conn()
        keep = list(keep_types)
        if conn.execute("SELECT 1 FROM profiles WHERE name = ?", (target.name,)).fetchone():
            raise RecordError(f"There is already a profile {target.name!r}; choose another name.")
        where = f" AND rtype NOT IN ({','.join('?' * len(keep))})" if keep else ""
        rows = conn.execute(f"SELECT id, rtype FROM records WHERE profile = ?{where}", [source, *keep]).fetchall()
        moved = 0
        try:
            conn.execute("BEGIN IMMEDIATE")
            self._save_profile(conn, target)
            was = next((p for p in self.profiles() if p.name == source), None)
            self._save_profile(conn, Profile(source, is_owner=was.is_owner if was else source == OWNER))
            for rid, _rtype in rows:
                resource = self.get(rid)
                summary = self.get_summary(rid)
                new_id = self.record_id(resource, target.name)
                conn.execute("DELETE FROM records WHERE id = ?", (rid,))
                conn.execute("DELETE FROM record_versions WHERE id = ?", (rid,))
                conn.execute("INSERT OR IGNORE" + _INSERT, self._row(conn, new_id, summary, resource, target.name))
                moved += 1
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            self._known_text[id(conn)].clear()
        return moved

    def _next_seq(self, conn: sqlite3.Connection, rid: str) -> int:
        row = conn.execute("SELECT MAX(seq) FROM record_versions WHERE id = ?", (rid,)).fetchone()
        return int(row[0] or 0) + 1

    def _add_version(self, conn: sqlite3.Connection, rid: str, resource: dict[str, Any], summary: Summary) -> None:
        seq = self._next_seq(conn, rid)
        conn.execute("INSERT INTO record_versions (id, seq, resource, summary) VALUES (?,?,?,?)",
                     (rid, seq, self._dump(resource), self._dump(summary.to_json())))

    def _keep_version(self, conn: sqlite3.Connection, rid: str) -> None:
        """Copy the current version of ``rid`` into ``record_versions`` (inside a transaction)."""
        row = conn.execute("SELECT resource, summary FROM records WHERE id = ?", (rid,)).fetchone()
        if row is None:
            raise RecordNotFound(f"No record {rid}.")
        seq = self._next_seq(conn, rid)
        conn.execute("INSERT INTO record_versions (id, seq, resource, summary) VALUES (?,?,?,?)",
                     (rid, seq, row[0], row[1]))

    @_guarded
    def versions(self, rid: str) -> list[tuple[dict[str, Any], Summary]]:
        """The earlier versions of ``rid`` kept in ``record_versions``, in the order they were kept."""
        row = self._conn().execute("SELECT 1 FROM records WHERE id = ?", (rid,)).fetchone()
        if row is None:
            raise RecordNotFound(f"No record {rid}; list them with 'health-wallet records'.")
        rows = self._conn().execute("SELECT resource, summary FROM record_versions WHERE id = ? ORDER BY seq",
                                    (rid,)).fetchall()
        return [(self._load(res), Summary.from_json(self._load(summ))) for res, summ in rows]

    @_guarded
    def current(self, ids: Iterable[str]) -> dict[str, tuple[dict[str, Any], bool]]:
        """The stored current version and deleted flag of each of ``ids`` that exists."""
        out: dict[str, tuple[dict[str, Any], bool]] = {}
        conn = self._conn()
        ids = list(ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            q = f"SELECT id, resource, deleted FROM records WHERE id IN ({','.join('?' * len(chunk))})"
            for rid, text, gone in conn.execute(q, chunk):
                out[rid] = (self._load(text), bool(gone))
        return out

    @_guarded
    def is_deleted(self, rid: str) -> bool:
        row = self._conn().execute("SELECT deleted FROM records WHERE id = ?", (rid,)).fetchone()
        if row is None:
            raise RecordNotFound(f"No record {rid}; list them with 'health-wallet records'.")
        return bool(row[0])

    @_guarded
    def delete(self, rid: str) -> None:
        conn = self._conn()
        with conn:
            if not conn.execute("DELETE FROM records WHERE id = ?", (rid,)).rowcount:
                raise RecordNotFound(f"No record {rid}.")

    # --- reading ----------------------------------------------------------------

    @_guarded
    def get(self, rid: str) -> dict[str, Any]:
        row = self._conn().execute("SELECT resource FROM records WHERE id = ?", (rid,)).fetchone()
        if row is None:
            raise RecordNotFound(f"No record {rid}; list them with 'health-wallet records'.")
        resource: dict[str, Any] = self._load(row[0])
        return resource

    @_guarded
    def get_summary(self, rid: str) -> Summary:
        row = self._conn().execute("SELECT summary FROM records WHERE id = ?", (rid,)).fetchone()
        if row is None:
            raise RecordNotFound(f"No record {rid}.")
        return Summary.from_json(self._load(row[0]))

    def _where(self, category: str | None, types: Iterable[str] | None, since: str | None,
               profile: str | None = None) -> tuple[str, list[Any]]:
        """SQL for the filters. Records deleted at their source are left out. ``since`` (a
        FHIR date or dateTime) keeps records whose clinical time is at or after its start,
        compared as instants; a partial date is its whole period (FHIR search ``ge``: the
        periods overlap), so ``2024-03`` is kept for ``since 2024-03-10``."""
        clauses: list[str] = ["deleted = 0"]
        args: list[Any] = []
        _add_owner_filters(clauses, args, profile, category, types)
        if since:
            start, earliest = _since_bounds(since)
            # a partial date lasts at most a year: only those rows need their period's end; the
            # position range lets the index skip everything older
            clauses.append("n >= ? AND instant >= ? AND (instant >= ? OR fhir_period_end(rdate) > ?)")
            args.extend([position_slot(earliest), earliest, start, start])
        return " WHERE " + " AND ".join(clauses), args

    def _source(self, category: str | None, types: Iterable[str] | None, since: str | None,
                profile: str | None, text: str | None, *, counting: bool = False) -> tuple[str, list[Any], str]:
        """``FROM … WHERE …`` for the filters, its arguments, and the position column to order by.

        With ``text`` the search index drives: it yields its matches by position (newest
        first or last, without sorting), each looked up in ``records`` and filtered, so a page
        stops after ``limit`` rows that pass. Two things keep that lookup in a small index
        rather than the table's rows (a million records do not fit the page cache, and every
        page read from the file is decrypted): ``types`` is narrowed to the types the table of
        counts says are stored (dropped when it names them all, as the timeline does), and a
        count (``counting``) of one profile's category checks each match in that category's
        index. Callers run this and their query in one snapshot (:meth:`_snapshot`)."""
        none_stored = False
        if text is not None and types is not None:
            kinds = list(types)
            types = self._stored_types(category, kinds, profile) if kinds else kinds
            none_stored = bool(kinds) and types == []
        where, args = self._where(category, types, since, profile)
        if text is None:
            return " FROM records" + where, args, "n"
        match = match_expression(text)
        if match is None or none_stored:
            return " FROM records" + where + " AND 0", args, "n"
        where += " AND search MATCH ?"
        args.append(match)
        if since:  # the same lower bound, on the index's side: SQLite does not carry it across the join
            where += " AND search.rowid >= ?"
            args.append(position_slot(_since_bounds(since)[1]))
        table = "records"
        if counting and profile is not None and category and not types:
            table += " INDEXED BY records_live_category"  # (profile, category, n): no table row read
        return f" FROM search CROSS JOIN {table} ON records.n = search.rowid" + where, args, "search.rowid"

    def _stored_types(self, category: str | None, types: Iterable[str], profile: str | None) -> list[str] | None:
        """``types`` less those no live record of ``profile`` (and ``category``) has; ``None``
        when that leaves every type stored (the filter then excludes nothing)."""
        wanted = set(types)
        stored = {rtype for rtype, n in self._counted("rtype", profile, category) if n}
        if stored <= wanted:
            return None
        return sorted(stored & wanted)

    @contextlib.contextmanager
    def _snapshot(self, needed: bool = True) -> Iterator[sqlite3.Connection]:
        """This thread's connection, its statements reading one snapshot of the store (a read
        transaction, unless one is open on it already or ``needed`` is False)."""
        conn = self._conn()
        if not needed or conn.in_transaction:
            yield conn
            return
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            if conn.in_transaction:
                conn.execute("COMMIT")  # it only read

    @_guarded
    def count(self, *, category: str | None = None, types: Iterable[str] | None = None, since: str | None = None,
              profile: str | None = None, text: str | None = None, cancel: CancelToken | None = None) -> int:
        """How many records pass the filters of :meth:`page`. Without ``since`` or ``text`` this
        reads the table of counts the store keeps (a few rows, however many records); with
        ``since``, a paging index from that date on; with ``text``, every match (for a filter
        box, :meth:`capped_count`). ``cancel``: a cancelled token stops the count mid-way,
        raising :class:`~wallet.errors.Cancelled`."""
        if since is None and text is None:
            ((total,),) = self._counted("", profile, category, types)
            return int(total or 0)
        with self._snapshot(types is not None and text is not None) as conn, _interruptible(conn, cancel):
            source, args, _position = self._source(category, types, since, profile, text, counting=True)
            count: int = conn.execute(f"SELECT COUNT(*){source}", args).fetchone()[0]
        return count

    @_guarded
    def capped_count(self, *, category: str | None = None, types: Iterable[str] | None = None,
                     since: str | None = None, profile: str | None = None, text: str | None = None,
                     cap: int = SEARCH_COUNT_CAP) -> CappedCount:
        """:meth:`count`, exact up to ``cap`` (at least 1) records; above it, ``CappedCount(cap,
        exact=False)``. A search reads at most ``cap + 1`` of its matches, so the time is bounded
        however many records match; without ``text`` or ``since`` the count is always exact
        (the table of counts). Raises ``ValueError`` for a cap below 1."""
        if cap < 1:
            raise ValueError(f"capped_count: cap is at least 1, not {cap}")
        if since is None and text is None:
            return CappedCount(self.count(category=category, types=types, profile=profile))
        with self._snapshot(types is not None and text is not None) as conn:
            source, args, _position = self._source(category, types, since, profile, text, counting=True)
            found: int = conn.execute(f"SELECT COUNT(*) FROM (SELECT 1{source} LIMIT ?)",
                                      [*args, cap + 1]).fetchone()[0]
        return CappedCount(found) if found <= cap else CappedCount(cap, exact=False)

    @_guarded
    def page(self, *, category: str | None = None, types: Iterable[str] | None = None, since: str | None = None,
             profile: str | None = None, text: str | None = None, limit: int = 100, offset: int = 0,
             after: PageKey | None = None) -> Page:
        """One page of summaries, newest first (by clinical instant; records without a date
        last; records of the same instant newest imported first), read through the indexes:
        only the page's rows are read.

        Filters: ``category`` (one of :data:`CATEGORIES`), ``types`` (FHIR resource types),
        ``since`` (FHIR date/dateTime, as :meth:`count`), ``profile`` (``None``: every
        profile), ``text`` (full-text search, :meth:`search`). Position: ``offset`` rows
        skipped, or (as fast deep in a long list as at its top) ``after``, the
        :attr:`Page.next` of the page before; not both. ``limit`` is 1 to 10,000. Raises
        ``ValueError`` for a bad limit or position, :class:`RecordError` for a ``since`` that
        is not a date."""
        if not 1 <= limit <= 10_000 or offset < 0 or (offset and after is not None):
            raise ValueError("page: limit is 1..10000, offset at least 0, and offset and after not both")
        with self._snapshot(types is not None and text is not None) as conn:
            source, args, position = self._source(category, types, since, profile, text)
            if after is not None:
                source += f" AND {position} < ?"
                args.append(after.position)
            q = (f"SELECT id, summary, instant, profile, n{source} ORDER BY {position} DESC LIMIT ? OFFSET ?")
            found = conn.execute(q, [*args, limit + 1, offset]).fetchall()
        rows = tuple(_stored_summaries(found[:limit]))
        return Page(rows, rows[-1].key if len(found) > limit else None)

    @_guarded
    def search(self, text: str, *, category: str | None = None, types: Iterable[str] | None = None,
               since: str | None = None, profile: str | None = None, limit: int = 100,
               offset: int = 0) -> list[StoredSummary]:
        """Records whose words match ``text``, newest first, with the filters of :meth:`page`.

        Every word of ``text`` must be found as a whole word (a word ending in ``*``: as the
        start of a word), case and accents ignored, in the record's title, codes and displays,
        values and units, notes or narrative (:mod:`.search_text`); no other character of
        ``text`` is query syntax. Text without a letter or digit finds nothing."""
        return list(self.page(category=category, types=types, since=since, profile=profile, text=text,
                              limit=limit, offset=offset).rows)

    @_guarded
    def search_page(self, text: str, *, category: str | None = None, types: Iterable[str] | None = None,
                    since: str | None = None, profile: str | None = None, limit: int = 200,
                    cap: int | None = SEARCH_COUNT_CAP) -> SearchPage:
        """What a filter box shows first: the newest ``limit`` matches of ``text`` (as
        :meth:`search`, with the filters of :meth:`page`) and their :meth:`capped_count`.

        When the page holds every match, that is the count, exact (no second query); otherwise
        the count reads at most ``cap + 1`` matches (and is at least the page's rows). Either
        way the time is bounded by ``limit`` and ``cap``, not by how many records the store
        holds or how many match. ``cap=None``: no count beyond the page (more than
        ``len(rows)`` match: ``CappedCount(len(rows), exact=False)``), for a caller that
        counts elsewhere, as the GUI does on its worker thread. The exact count above the cap
        is :meth:`count` (it reads every match: run it off the GUI thread). Raises as
        :meth:`page` and :meth:`capped_count`."""
        first = self.page(category=category, types=types, since=since, profile=profile, text=text, limit=limit)
        if first.next is None:  # every match is on the page
            return SearchPage(first, CappedCount(len(first.rows)))
        if cap is None:
            return SearchPage(first, CappedCount(len(first.rows), exact=False))
        count = self.capped_count(category=category, types=types, since=since, profile=profile, text=text, cap=cap)
        if not count.exact and count.value < len(first.rows):  # a page longer than the cap: at least its rows
            count = CappedCount(len(first.rows), exact=False)
        return SearchPage(first, count)

    @_guarded
    def ids(self, *, category: str | None = None, types: Iterable[str] | None = None, since: str | None = None,
            newest_first: bool = True, limit: int = -1, offset: int = 0, profile: str | None = None,
            text: str | None = None) -> list[str]:
        """Record ids, of one ``profile`` or (``None``) of every profile; in the order of
        :meth:`page` (or exactly the reverse)."""
        with self._snapshot(types is not None and text is not None) as conn:
            source, args, position = self._source(category, types, since, profile, text)
            q = f"SELECT id{source} ORDER BY {position} {'DESC' if newest_first else 'ASC'} LIMIT ? OFFSET ?"
            return [r[0] for r in conn.execute(q, [*args, limit, offset])]

    @_guarded
    def latest_by_title(self, category: str, profile: str) -> list[StoredSummary]:
        """The newest summary of each title and status in one of ``profile``'s categories of
        :data:`LATEST_BY_TITLE_CATEGORIES`, newest first: what the overview shows of what a
        person takes, has and is allergic to, found in the index ``records_latest_by_title``
        alone, so its time follows the distinct titles, not the rows. Raises ``ValueError``
        for another category."""
        if category not in LATEST_BY_TITLE_CATEGORIES:
            raise ValueError(f"no index of the newest row per title for {category!r}")
        with self._snapshot() as conn:
            # the partial index's own terms, as written there, so SQLite sees that it applies
            newest = ("SELECT MAX(n) FROM records INDEXED BY records_latest_by_title "
                      "WHERE deleted = 0 AND category IN ('Medications', 'Conditions', 'Allergies') "
                      "AND profile = ? AND category = ? "
                      "GROUP BY json_extract(summary, '$.title'), json_extract(summary, '$.status')")
            found = conn.execute(f"SELECT id, summary, instant, profile, n FROM records WHERE n IN ({newest}) "
                                 "ORDER BY n DESC", [profile, category]).fetchall()
        return _stored_summaries(found)

    @_guarded
    def newest_per_code(self, category: str, profile: str, *, among: int) -> list[StoredSummary]:
        """The newest summary of each ``code`` (a summary without one: of each title) among the
        newest ``among`` live rows of ``profile``'s ``category`` that have a value or a detail,
        newest first: what the overview shows of the latest vital signs. The grouping runs in
        SQL over the JSON, so only the rows shown are read into :class:`Summary` values (the
        newest 1,000 readings of a watch hold a handful of codes). Codes and titles are
        grouped as written; a caller folding case groups these few rows again."""
        with self._snapshot() as conn:
            newest = ("SELECT MAX(n) FROM (SELECT n, summary FROM records WHERE deleted = 0 AND profile = ? "
                      "AND category = ? ORDER BY n DESC LIMIT ?) "
                      "WHERE json_extract(summary, '$.value') IS NOT NULL "
                      "OR coalesce(json_extract(summary, '$.detail'), '') != '' "
                      "GROUP BY coalesce(nullif(json_extract(summary, '$.code'), ''), "
                      "json_extract(summary, '$.title'))")
            found = conn.execute(f"SELECT id, summary, instant, profile, n FROM records WHERE n IN ({newest}) "
                                 "ORDER BY n DESC", [profile, category, among]).fetchall()
        return _stored_summaries(found)

    @_guarded
    def summaries(self, *, category: str | None = None, types: Iterable[str] | None = None,
                  since: str | None = None, newest_first: bool = True, limit: int = -1,
                  offset: int = 0, profile: str | None = None, text: str | None = None) -> list[StoredSummary]:
        """Summaries in the order of :meth:`ids`, every one at once (``limit`` -1); prefer :meth:`page`."""
        with self._snapshot(types is not None and text is not None) as conn:
            source, args, position = self._source(category, types, since, profile, text)
            q = (f"SELECT id, summary, instant, profile, n{source} ORDER BY {position} "
                 f"{'DESC' if newest_first else 'ASC'} LIMIT ? OFFSET ?")
            found = conn.execute(q, [*args, limit, offset]).fetchall()
        return _stored_summaries(found)

    def _counted(self, columns: str, profile: str | None, category: str | None = None,
                 types: Iterable[str] | None = None) -> list[tuple[Any, ...]]:
        """Rows of ``record_counts`` (kept by triggers) grouped by ``columns``, summed."""
        clauses: list[str] = ["n > 0"]
        args: list[Any] = []
        _add_owner_filters(clauses, args, profile, category, types)
        group = f" GROUP BY {columns} ORDER BY {columns}" if columns else ""
        select = f"{columns}, " if columns else ""
        return self._conn().execute(f"SELECT {select}SUM(n) FROM record_counts WHERE {' AND '.join(clauses)}{group}",
                                    args).fetchall()

    @_guarded
    def counts_by_category(self, profile: str | None = None) -> dict[str, int]:
        counts = dict.fromkeys(CATEGORIES, 0)
        counts.update({cat: int(n) for cat, n in self._counted("category", profile)})
        return counts

    @_guarded
    def counts_by_type(self, profile: str | None = None) -> dict[str, int]:
        return {rtype: int(n) for rtype, n in self._counted("rtype", profile)}

    @_guarded
    def counts_by_profile(self) -> dict[str, int]:
        return {name: int(n) for name, n in self._counted("profile", None)}

    @_guarded
    def profile_of(self, rid: str) -> str:
        row = self._conn().execute("SELECT profile FROM records WHERE id = ?", (rid,)).fetchone()
        if row is None:
            raise RecordNotFound(f"No record {rid}; list them with 'health-wallet records'.")
        return str(row[0])

    # --- profiles -----------------------------------------------------------------

    @_guarded
    def profiles(self) -> list[Profile]:
        """The wallet's profiles, the owner first, then by name. The owner's always is one;
        while it names nobody, records from before profiles give it their first Patient."""
        rows = self._conn().execute(
            "SELECT name, is_owner, patient FROM profiles ORDER BY is_owner DESC, name").fetchall()
        found = [Profile.from_json(name, bool(owner), self._load(text) if text else {})
                 for name, owner, text in rows]
        profiles = [p for p in found if p.name != OWNER or p.names_someone]
        if not any(p.name == OWNER for p in profiles):
            first = self._conn().execute(  # the first Patient imported: seq follows imports
                "SELECT id FROM records WHERE rtype = 'Patient' AND profile = ? ORDER BY seq LIMIT 1",
                (OWNER,)).fetchone()
            profiles.insert(0, Profile(OWNER, is_owner=True, patient=self.get(first[0]) if first else None))
        return profiles

    @_guarded
    def save_profile(self, profile: Profile) -> None:
        conn = self._conn()
        with conn:
            self._save_profile(conn, profile)

    def _save_profile(self, conn: sqlite3.Connection, profile: Profile) -> None:
        conn.execute("INSERT OR REPLACE INTO profiles (name, is_owner, patient) VALUES (?, ?, ?)",
                     (profile.name, int(profile.is_owner), self._dump(profile.to_json())))

    def resources(self, ids: Iterable[str]) -> Iterator[tuple[str, dict[str, Any]]]:
        for rid in ids:
            yield rid, self.get(rid)

    @_guarded
    def cards(self) -> list[bytes]:
        return [bytes(r[0]) for r in self._conn().execute("SELECT card FROM cards ORDER BY id")]


_WRITE_CHUNK = 1000  # records :meth:`RecordStore.add_many` prepares and inserts together


def _chunks(records: Iterable[NewRecord], size: int) -> Iterator[list[NewRecord]]:
    chunk: list[NewRecord] = []
    for rec in records:
        chunk.append(rec)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _period_end_sql(rdate: object) -> float | None:
    return period_end(rdate) if isinstance(rdate, str) else None


def schema_version(path: Path) -> int:
    """The schema version of the store at ``path``, read without keys (0 when there is none):
    from the file for an unencrypted store (1, 2), else from the home's format record."""
    path = Path(path)
    if not path.exists():
        return 0
    if not is_plain_sqlite(path):
        return recorded_version(path) or 0
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        value = read_schema_version(conn)
        return int(value) if isinstance(value, str) and value.isdigit() else 0
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def damaged_message(path: Path, exc: Exception) -> str:
    """One line for a record store that cannot be read: damaged (a changed byte, cut short, an
    overwritten header) or keyed for another wallet; SQLCipher cannot tell these apart."""
    return (f"The record store {path} is damaged or belongs to another wallet ({exc}); nothing was changed. "
            "Move it away and restore your records with health-wallet restore-backup, or import your files again.")


@contextlib.contextmanager
def _interruptible(conn: sqlite3.Connection, cancel: CancelToken | None) -> Iterator[None]:
    """Statements on ``conn`` stop soon after ``cancel`` is cancelled (SQLite's progress
    handler, every few thousand steps): :class:`~wallet.errors.Cancelled`."""
    if cancel is None:
        yield
        return
    conn.set_progress_handler(lambda: 1 if cancel.cancelled else 0, 4096)
    try:
        yield
    except DATABASE_ERRORS as exc:
        if cancel.cancelled and "interrupt" in str(exc).lower():
            raise Cancelled() from exc
        raise
    finally:
        conn.set_progress_handler(None, 0)


def _since_bounds(since: str) -> tuple[float, float]:
    """The start of ``since`` (UTC epoch seconds) and the earliest instant a record kept by it
    can have (a partial date's period lasts at most a year). Raises :class:`RecordError` when
    ``since`` is not a FHIR date or dateTime."""
    start = start_instant(since)
    if start is None:
        raise RecordError(f"{since!r} is not a date; give one like 2024-03-10 (or 2024-03, "
                          "or 2024-03-10T08:00:00+01:00).")
    return start, start - 366 * 86400.0


def _stored_summaries(rows: Iterable[tuple[Any, ...]]) -> list[StoredSummary]:
    """Rows of ``SELECT id, summary, instant, profile, n`` as :class:`StoredSummary` values.

    Built as the dataclass's ``__init__`` builds them (it has no checks of its own), without
    its five ``object.__setattr__`` calls: a page is read at each keystroke of a search."""
    out = []
    for rid, text, instant, prof, n in rows:
        row = _new(StoredSummary)
        row.__dict__.update(id=rid, summary=_stored_summary(text), instant=instant, profile=prof, position=n)
        out.append(row)
    return out


_new = object.__new__
_SUMMARY_DEFAULTS = {f.name: f.default for f in fields(Summary)}
_SUMMARY_REQUIRED = tuple(f.name for f in fields(Summary) if f.default is MISSING)
_SUMMARY_CATEGORIES = frozenset(CATEGORIES)
_SUMMARY_COMPARATORS = frozenset(COMPARATORS)
_SUMMARY_NUMBERS = ("value", "low", "high")
# the C scanner JSONDecoder.decode runs (same parse_float), called without decode's two white-space regexes
_scan_json = json.scanner.make_scanner(cast(Any, _SUMMARY_JSON))  # typeshed names the C type, not the decoder


def _stored_summary(text: str) -> Summary:
    """The :class:`Summary` a row's ``summary`` column holds (JSON of :meth:`Summary.to_json`).

    A page of rows is read while the user types, so this is the common case made cheap
    (about 2 µs a row instead of 6): JSON as this store writes it (no white space around
    the object, only :class:`Summary` field names, the required ones present) whose values
    pass the checks of ``Summary.__post_init__`` written out here (category, comparator,
    flag, flag source; numbers made :class:`Decimal`) becomes the value without running the
    dataclass's ``__init__`` and ``__post_init__`` again. Anything else goes through
    :meth:`Summary.from_json`, which validates and raises exactly as before (``ValueError``,
    ``TypeError`` for an unknown or missing field, ``JSONDecodeError``)."""
    try:
        doc, end = _scan_json(text, 0)
    except StopIteration:  # not a JSON value at 0 (white space first): the full decoder says what is wrong
        doc, end = None, -1
    if end != len(text) or type(doc) is not dict:
        return Summary.from_json(_SUMMARY_JSON.decode(text))
    values = {**_SUMMARY_DEFAULTS, **doc}
    if len(values) != len(_SUMMARY_DEFAULTS) or any(values[name] is MISSING for name in _SUMMARY_REQUIRED):
        return Summary.from_json(doc)  # a name that is no field, or a required one missing: TypeError
    category, comparator, flag, source = values["category"], values["comparator"], values["flag"], values["flag_source"]
    if (type(category) is not str or category not in _SUMMARY_CATEGORIES
            or type(comparator) is not str or comparator not in _SUMMARY_COMPARATORS
            or source not in ("", "lab", "range")
            or (flag and (type(flag) is not str or len(flag) > 16 or any(ch.isspace() for ch in flag)))):
        return Summary.from_json(doc)
    for name in _SUMMARY_NUMBERS:
        value = values[name]
        if value is not None and type(value) is not Decimal:
            values[name] = number(value)  # as __post_init__: an int written as 55 is Decimal 55
    summary = _new(Summary)
    summary.__dict__.update(values)  # frozen: set once here, as the dataclass's __init__ would
    return summary


def _add_owner_filters(clauses: list[str], args: list[Any], profile: str | None, category: str | None,
                       types: Iterable[str] | None) -> None:
    """Append the profile, category and resource-type clauses (and their arguments) that
    ``records`` and ``record_counts`` share: both tables carry those three columns."""
    if profile is not None:
        clauses.append("profile = ?")
        args.append(profile)
    if category:
        clauses.append("category = ?")
        args.append(category)
    kinds = list(types or [])
    if kinds:
        clauses.append(f"rtype IN ({','.join('?' * len(kinds))})")
        args.extend(kinds)
