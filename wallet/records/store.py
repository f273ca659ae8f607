"""The encrypted record store: one SQLite file (WAL) in the wallet home.

Every resource and every summary is sealed with AES-256-GCM; the associated data
binds the record id and type, so rows cannot be swapped. Outside the ciphertext stay
only what listing needs: the record id (an HMAC of type and FHIR id, so it reveals
nothing), the resource type, the category, the clinical date and the UTC instant it
starts, the profile (person) it belongs to, and whether it was deleted. No names,
codes or free text. Superseded versions of a record (``record_versions``) and each
profile's Patient (``profiles``) are sealed the same way.

Schema versions (``meta.schema_version``; upgrades in :data:`STORE_FORMAT`, one
transaction, see :mod:`wallet.formats`):

1. ``records`` (id, rtype, category, rdate, summary, resource), ``cards``, ``meta``.
2. ``records`` gains ``profile`` (default ``'owner'``), ``instant`` (REAL, UTC epoch
   seconds of the start of ``rdate``; NULL when none) and ``deleted`` (0/1); new tables
   ``record_versions`` (id, seq, resource, summary) and ``profiles`` (name, is_owner,
   patient), with the row ``('owner', 1, NULL)``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import DecryptionError, RecordError, RecordNotFound
from ..events import CancelToken, ProgressSink, report
from ..formats import FileFormat, upgrade_sqlite
from ..vault import aead
from . import fhir_json
from .instants import period_end, start_instant
from .profiles import OWNER, Profile
from .summary import CATEGORIES, Summary

__all__ = [
    "STORE_FILE",
    "STORE_FORMAT",
    "NewRecord",
    "RecordStore",
    "StoredSummary",
    "count_rows",
    "damaged_message",
    "record_id_for",
    "schema_version",
]

STORE_FILE = "records.sqlite3"
SCHEMA_VERSION = 2

# The schema a new store is created with (version 2). An older store is brought here by
# STORE_FORMAT's steps, in one transaction.
_SCHEMA_V2 = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL)",
    """CREATE TABLE records (
    id TEXT PRIMARY KEY,
    rtype TEXT NOT NULL,
    category TEXT NOT NULL,
    rdate TEXT NOT NULL DEFAULT '',
    summary BLOB NOT NULL,
    resource BLOB NOT NULL,
    profile TEXT NOT NULL DEFAULT 'owner',
    instant REAL,
    deleted INTEGER NOT NULL DEFAULT 0
)""",
    "CREATE INDEX records_category_date ON records (category, rdate)",
    "CREATE INDEX records_date ON records (rdate)",
    "CREATE INDEX records_category_instant ON records (category, instant)",
    "CREATE INDEX records_instant ON records (instant)",
    "CREATE TABLE cards (id TEXT PRIMARY KEY, card BLOB NOT NULL)",
)
_V2_TABLES = (
    # superseded versions of a record: seq 1 is the oldest; sealed like the current row
    """CREATE TABLE record_versions (
    id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    resource BLOB NOT NULL,
    summary BLOB NOT NULL,
    PRIMARY KEY (id, seq)
)""",
    # the people whose records this wallet keeps; patient is the sealed FHIR Patient (NULL until known)
    "CREATE TABLE profiles (name TEXT PRIMARY KEY, is_owner INTEGER NOT NULL DEFAULT 0, patient BLOB)",
    "INSERT INTO profiles (name, is_owner, patient) VALUES ('owner', 1, NULL)",
)


def upgrade_v1_to_v2(conn: sqlite3.Connection) -> None:
    """Schema 1 → 2: profiles, instants, deleted flags, superseded versions.

    Every existing record belongs to the owner's profile; ``instant`` is the UTC start of
    its clinical date (``rdate``), NULL when that is empty or not a FHIR date/dateTime.
    """
    conn.execute("ALTER TABLE records ADD COLUMN profile TEXT NOT NULL DEFAULT 'owner'")
    conn.execute("ALTER TABLE records ADD COLUMN instant REAL")
    conn.execute("ALTER TABLE records ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0")
    rows = conn.execute("SELECT id, rdate FROM records WHERE rdate != ''").fetchall()
    conn.executemany("UPDATE records SET instant = ? WHERE id = ?",
                     [(start_instant(rdate), rid) for rid, rdate in rows])
    conn.execute("CREATE INDEX records_category_instant ON records (category, instant)")
    conn.execute("CREATE INDEX records_instant ON records (instant)")
    for statement in _V2_TABLES:
        conn.execute(statement)


STORE_FORMAT: FileFormat[sqlite3.Connection] = FileFormat(
    "record store", SCHEMA_VERSION, (upgrade_v1_to_v2,), error=RecordError)


def _read_schema_version(conn: sqlite3.Connection) -> object:
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return None if row is None else (row[0].decode() if isinstance(row[0], bytes) else row[0])


def _write_schema_version(conn: sqlite3.Connection, version: int) -> None:
    conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(version),))


def record_id_for(index_key: bytes, resource: dict[str, Any], profile: str = OWNER) -> str:
    """Stable id: HMAC of ``Type/id``, or of the canonical content when there is no id.

    Outside the owner's profile the profile's name is part of it, so two people's
    records with the same FHIR id never collide (nor count as duplicates). The content
    is hashed with its numbers as floats, as earlier releases did, so a resource without
    an id keeps the id it was given then."""
    rt = str(resource.get("resourceType"))
    fid = resource.get("id")
    if isinstance(fid, str) and fid:
        material = f"{rt}/{fid}".encode()
    else:
        content = fhir_json.to_float_tree(resource)
        material = b"content:" + json.dumps(content, sort_keys=True, separators=(",", ":")).encode()
    if profile != OWNER:
        material = b"profile:" + profile.encode() + b"\x00" + material
    return aead.keyed_hash(index_key, material).hex()[:24]


@dataclass(frozen=True)
class NewRecord:
    id: str
    resource: dict[str, Any]
    summary: Summary
    profile: str = OWNER


@dataclass(frozen=True)
class StoredSummary:
    id: str
    summary: Summary


class RecordStore:
    """Open with the wallet's record keys; safe to use from several threads."""

    def __init__(self, path: Path, *, record_key: bytes, index_key: bytes) -> None:
        self.path = Path(path)
        self._key = record_key
        self._index_key = index_key
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        try:
            conn = self._conn()
            self._create_or_upgrade(conn)
        except sqlite3.DatabaseError as exc:  # "file is not a database", "database disk image is malformed"
            self.close()
            raise RecordError(damaged_message(self.path, exc)) from exc
        self.path.chmod(0o600)

    def __repr__(self) -> str:
        return f"RecordStore({self.path})"

    def _create_or_upgrade(self, conn: sqlite3.Connection) -> None:
        """Create a new store at the current schema, or check the keys and upgrade an older one.

        The key check comes first, so a store of another wallet is refused untouched.
        """
        conn.execute("BEGIN IMMEDIATE")
        try:
            found = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
            fresh = found is None
            if fresh:
                for statement in _SCHEMA_V2 + _V2_TABLES:
                    conn.execute(statement)
                _write_schema_version(conn, SCHEMA_VERSION)
                conn.execute("INSERT INTO meta VALUES ('key_check', ?)",
                             (aead.seal(self._key, b"health-wallet", purpose="store-key-check"),))
            elif conn.execute("SELECT 1 FROM meta WHERE key = 'key_check'").fetchone() is None and \
                    conn.execute("SELECT 1 FROM records LIMIT 1").fetchone() is None:
                # schema 1 created its tables before its first transaction: a crash between left them empty
                conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', '1')")
                conn.execute("INSERT INTO meta VALUES ('key_check', ?)",
                             (aead.seal(self._key, b"health-wallet", purpose="store-key-check"),))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        if fresh:
            return
        row = conn.execute("SELECT value FROM meta WHERE key = 'key_check'").fetchone()
        try:
            if row is None:
                raise DecryptionError()
            aead.open_sealed(self._key, row[0], purpose="store-key-check")
        except DecryptionError as exc:
            raise RecordError(
                f"The record store {self.path} belongs to another wallet; move it away or use another --home."
            ) from exc
        upgrade_sqlite(conn, STORE_FORMAT, where=self.path, read_version=_read_schema_version,
                       write_version=_write_schema_version)

    # --- connections -----------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA secure_delete=ON")
            conn.create_function("fhir_period_end", 1, _period_end_sql, deterministic=True)
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                try:
                    conn.close()
                except sqlite3.ProgrammingError:
                    pass
            self._connections.clear()
        self._local = threading.local()

    # --- ids and sealing --------------------------------------------------------

    def record_id(self, resource: dict[str, Any], profile: str = OWNER) -> str:
        return record_id_for(self._index_key, resource, profile)

    @staticmethod
    def _aad(kind: str, rid: str, rtype: str) -> bytes:
        return f"{kind}|{rid}|{rtype}".encode()

    def _seal_json(self, kind: str, rid: str, rtype: str, doc: Any) -> bytes:
        data = fhir_json.dumps(doc).encode()
        return aead.seal(self._key, data, purpose="record", aad=self._aad(kind, rid, rtype))

    def _open_json(self, kind: str, rid: str, rtype: str, blob: bytes) -> Any:
        return fhir_json.loads(aead.open_sealed(self._key, blob, purpose="record", aad=self._aad(kind, rid, rtype)))

    # --- writing ----------------------------------------------------------------

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        ids = list(ids)
        found: set[str] = set()
        conn = self._conn()
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            q = f"SELECT id FROM records WHERE id IN ({','.join('?' * len(chunk))})"
            found.update(r[0] for r in conn.execute(q, chunk))
        return found

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
        source (hidden from lists, kept)."""
        conn = self._conn()
        added = dupes = 0
        try:
            conn.execute("BEGIN IMMEDIATE")
            for saved in ([profile] if profile is not None else []) + list(more_profiles):
                self._save_profile(conn, saved)
            for rec in newer:
                self._keep_version(conn, rec.id)
                rt = rec.summary.resource_type
                conn.execute(
                    "UPDATE records SET rtype = ?, category = ?, rdate = ?, instant = ?, summary = ?, resource = ?, "
                    "deleted = 0 WHERE id = ?",
                    (rt, rec.summary.category, rec.summary.date, start_instant(rec.summary.date),
                     self._seal_json("summary", rec.id, rt, rec.summary.to_json()),
                     self._seal_json("resource", rec.id, rt, rec.resource), rec.id))
            for rec in history:
                self._add_version(conn, rec.id, rec.resource, rec.summary)
            for rid in deleted:
                conn.execute("UPDATE records SET deleted = 1 WHERE id = ?", (rid,))
            for n, rec in enumerate(records, start=1):
                if cancel is not None:
                    cancel.check()
                rt = rec.summary.resource_type
                cur = conn.execute(
                    "INSERT OR IGNORE INTO records (id, rtype, category, rdate, instant, summary, resource, profile) "
                    "VALUES (?,?,?,?,?,?,?,?)",
                    (rec.id, rt, rec.summary.category, rec.summary.date, start_instant(rec.summary.date),
                     self._seal_json("summary", rec.id, rt, rec.summary.to_json()),
                     self._seal_json("resource", rec.id, rt, rec.resource), rec.profile),
                )
                if cur.rowcount:
                    added += 1
                else:
                    dupes += 1
                if progress is not None and n % 50 == 0:
                    report(progress, n, total, "Saving")
            for card in cards:
                cid = aead.keyed_hash(self._index_key, b"card:" + card).hex()[:24]
                conn.execute("INSERT OR IGNORE INTO cards (id, card) VALUES (?, ?)",
                             (cid, aead.seal(self._key, card, purpose="record", aad=f"card|{cid}".encode())))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return added, dupes

    def put(self, rec: NewRecord) -> None:
        """Insert or replace one record (the wallet's own Consents change as grants do)."""
        rt = rec.summary.resource_type
        conn = self._conn()
        with conn:
            conn.execute(
                "INSERT OR REPLACE INTO records (id, rtype, category, rdate, instant, summary, resource, profile) "
                "VALUES (?,?,?,?,?,?,?,?)",
                (rec.id, rt, rec.summary.category, rec.summary.date, start_instant(rec.summary.date),
                 self._seal_json("summary", rec.id, rt, rec.summary.to_json()),
                 self._seal_json("resource", rec.id, rt, rec.resource), rec.profile),
            )

    def move_profile(self, source: str, target: Profile, *, keep_types: Iterable[str] = ()) -> int:
        """Move every record of profile ``source`` (except ``keep_types``) into the new
        profile ``target``, and leave ``source`` naming nobody; one transaction. Records are
        sealed again under their new ids (ids outside the owner's profile name the profile).
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
            for rid, rtype in rows:
                resource = self.get(rid)
                summary = self.get_summary(rid)
                new_id = self.record_id(resource, target.name)
                conn.execute("DELETE FROM records WHERE id = ?", (rid,))
                conn.execute("DELETE FROM record_versions WHERE id = ?", (rid,))
                conn.execute(
                    "INSERT OR IGNORE INTO records (id, rtype, category, rdate, instant, summary, resource, profile) "
                    "VALUES (?,?,?,?,?,?,?,?)",
                    (new_id, rtype, summary.category, summary.date, start_instant(summary.date),
                     self._seal_json("summary", new_id, rtype, summary.to_json()),
                     self._seal_json("resource", new_id, rtype, resource), target.name))
                moved += 1
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return moved

    def _next_seq(self, conn: sqlite3.Connection, rid: str) -> int:
        row = conn.execute("SELECT MAX(seq) FROM record_versions WHERE id = ?", (rid,)).fetchone()
        return int(row[0] or 0) + 1

    def _add_version(self, conn: sqlite3.Connection, rid: str, resource: dict[str, Any], summary: Summary) -> None:
        seq = self._next_seq(conn, rid)
        rt = summary.resource_type
        conn.execute("INSERT INTO record_versions (id, seq, resource, summary) VALUES (?,?,?,?)",
                     (rid, seq, self._seal_json(f"version-{seq}", rid, rt, resource),
                      self._seal_json(f"version-summary-{seq}", rid, rt, summary.to_json())))

    def _keep_version(self, conn: sqlite3.Connection, rid: str) -> None:
        """Copy the current version of ``rid`` into ``record_versions`` (inside a transaction)."""
        row = conn.execute("SELECT rtype, resource, summary FROM records WHERE id = ?", (rid,)).fetchone()
        if row is None:
            raise RecordNotFound(f"No record {rid}.")
        rt = row[0]
        self._add_version(conn, rid, self._open_json("resource", rid, rt, row[1]),
                          Summary.from_json(self._open_json("summary", rid, rt, row[2])))

    def versions(self, rid: str) -> list[tuple[dict[str, Any], Summary]]:
        """The earlier versions of ``rid`` kept in ``record_versions``, in the order they were kept."""
        row = self._conn().execute("SELECT rtype FROM records WHERE id = ?", (rid,)).fetchone()
        if row is None:
            raise RecordNotFound(f"No record {rid}; list them with 'health-wallet records'.")
        rt = row[0]
        rows = self._conn().execute("SELECT seq, resource, summary FROM record_versions WHERE id = ? ORDER BY seq",
                                    (rid,)).fetchall()
        return [(self._open_json(f"version-{seq}", rid, rt, res),
                 Summary.from_json(self._open_json(f"version-summary-{seq}", rid, rt, summ)))
                for seq, res, summ in rows]

    def current(self, ids: Iterable[str]) -> dict[str, tuple[dict[str, Any], bool]]:
        """The stored current version and deleted flag of each of ``ids`` that exists."""
        out: dict[str, tuple[dict[str, Any], bool]] = {}
        conn = self._conn()
        ids = list(ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            q = f"SELECT id, rtype, resource, deleted FROM records WHERE id IN ({','.join('?' * len(chunk))})"
            for rid, rt, blob, gone in conn.execute(q, chunk):
                out[rid] = (self._open_json("resource", rid, rt, blob), bool(gone))
        return out

    def is_deleted(self, rid: str) -> bool:
        row = self._conn().execute("SELECT deleted FROM records WHERE id = ?", (rid,)).fetchone()
        if row is None:
            raise RecordNotFound(f"No record {rid}; list them with 'health-wallet records'.")
        return bool(row[0])

    def delete(self, rid: str) -> None:
        conn = self._conn()
        with conn:
            if not conn.execute("DELETE FROM records WHERE id = ?", (rid,)).rowcount:
                raise RecordNotFound(f"No record {rid}.")

    # --- reading ----------------------------------------------------------------

    def get(self, rid: str) -> dict[str, Any]:
        row = self._conn().execute("SELECT rtype, resource FROM records WHERE id = ?", (rid,)).fetchone()
        if row is None:
            raise RecordNotFound(f"No record {rid}; list them with 'health-wallet records'.")
        return self._open_json("resource", rid, row[0], row[1])

    def get_summary(self, rid: str) -> Summary:
        row = self._conn().execute("SELECT rtype, summary FROM records WHERE id = ?", (rid,)).fetchone()
        if row is None:
            raise RecordNotFound(f"No record {rid}.")
        return Summary.from_json(self._open_json("summary", rid, row[0], row[1]))

    def _where(self, category: str | None, types: Iterable[str] | None, since: str | None,
               profile: str | None = None) -> tuple[str, list[Any]]:
        """SQL for the filters. Records deleted at their source are left out. ``since`` (a
        FHIR date or dateTime) keeps records whose clinical time is at or after its start,
        compared as instants; a partial date is its whole period (FHIR search ``ge``: the
        periods overlap), so ``2024-03`` is kept for ``since 2024-03-10``."""
        clauses: list[str] = ["deleted = 0"]
        args: list[Any] = []
        if profile is not None:
            clauses.append("profile = ?")
            args.append(profile)
        if category:
            clauses.append("category = ?")
            args.append(category)
        types = list(types or [])
        if types:
            clauses.append(f"rtype IN ({','.join('?' * len(types))})")
            args.extend(types)
        if since:
            start = start_instant(since)
            if start is None:
                raise RecordError(f"{since!r} is not a date; give one like 2024-03-10 (or 2024-03, "
                                  "or 2024-03-10T08:00:00+01:00).")
            # a partial date lasts at most a year: only those rows need their period's end
            clauses.append("(instant >= ? OR (instant >= ? AND fhir_period_end(rdate) > ?))")
            args.extend([start, start - 366 * 86400.0, start])
        return " WHERE " + " AND ".join(clauses), args

    def count(self, *, category: str | None = None, types: Iterable[str] | None = None, since: str | None = None,
              profile: str | None = None) -> int:
        where, args = self._where(category, types, since, profile)
        return self._conn().execute(f"SELECT COUNT(*) FROM records{where}", args).fetchone()[0]

    def ids(self, *, category: str | None = None, types: Iterable[str] | None = None, since: str | None = None,
            newest_first: bool = True, limit: int = -1, offset: int = 0, profile: str | None = None) -> list[str]:
        """Record ids, of one ``profile`` or (``None``) of every profile."""
        where, args = self._where(category, types, since, profile)
        order = "DESC" if newest_first else "ASC"
        q = f"SELECT id FROM records{where} ORDER BY instant {order}, id LIMIT ? OFFSET ?"
        return [r[0] for r in self._conn().execute(q, [*args, limit, offset])]

    def summaries(self, *, category: str | None = None, types: Iterable[str] | None = None,
                  since: str | None = None, newest_first: bool = True, limit: int = -1,
                  offset: int = 0, profile: str | None = None) -> list[StoredSummary]:
        where, args = self._where(category, types, since, profile)
        order = "DESC" if newest_first else "ASC"
        q = f"SELECT id, rtype, summary FROM records{where} ORDER BY instant {order}, id LIMIT ? OFFSET ?"
        return [StoredSummary(rid, Summary.from_json(self._open_json("summary", rid, rt, blob)))
                for rid, rt, blob in self._conn().execute(q, [*args, limit, offset])]

    def counts_by_category(self, profile: str | None = None) -> dict[str, int]:
        counts = dict.fromkeys(CATEGORIES, 0)
        where, args = self._where(None, None, None, profile)
        for cat, n in self._conn().execute(f"SELECT category, COUNT(*) FROM records{where} GROUP BY category", args):
            counts[cat] = n
        return counts

    def counts_by_type(self, profile: str | None = None) -> dict[str, int]:
        where, args = self._where(None, None, None, profile)
        return dict(self._conn().execute(f"SELECT rtype, COUNT(*) FROM records{where} GROUP BY rtype ORDER BY rtype",
                                         args))

    def counts_by_profile(self) -> dict[str, int]:
        return dict(self._conn().execute("SELECT profile, COUNT(*) FROM records WHERE deleted = 0 GROUP BY profile"))

    def profile_of(self, rid: str) -> str:
        row = self._conn().execute("SELECT profile FROM records WHERE id = ?", (rid,)).fetchone()
        if row is None:
            raise RecordNotFound(f"No record {rid}; list them with 'health-wallet records'.")
        return str(row[0])

    # --- profiles -----------------------------------------------------------------

    def profiles(self) -> list[Profile]:
        """The wallet's profiles, the owner first, then by name. The owner's always is one;
        while it names nobody, records from before profiles give it their first Patient."""
        rows = self._conn().execute(
            "SELECT name, is_owner, patient FROM profiles ORDER BY is_owner DESC, name").fetchall()
        found = [Profile.from_json(name, bool(owner), self._open_json("profile", name, "Patient", blob) if blob else {})
                 for name, owner, blob in rows]
        profiles = [p for p in found if p.name != OWNER or p.patient is not None or p.references]
        if not any(p.name == OWNER for p in profiles):
            first = self._conn().execute(  # the first Patient imported: rowid follows insertion
                "SELECT id FROM records WHERE rtype = 'Patient' AND profile = ? ORDER BY rowid LIMIT 1",
                (OWNER,)).fetchone()
            profiles.insert(0, Profile(OWNER, is_owner=True, patient=self.get(first[0]) if first else None))
        return profiles

    def save_profile(self, profile: Profile) -> None:
        conn = self._conn()
        with conn:
            self._save_profile(conn, profile)

    def _save_profile(self, conn: sqlite3.Connection, profile: Profile) -> None:
        conn.execute("INSERT OR REPLACE INTO profiles (name, is_owner, patient) VALUES (?, ?, ?)",
                     (profile.name, int(profile.is_owner),
                      self._seal_json("profile", profile.name, "Patient", profile.to_json())))

    def resources(self, ids: Iterable[str]) -> Iterator[tuple[str, dict[str, Any]]]:
        for rid in ids:
            yield rid, self.get(rid)

    def cards(self) -> list[bytes]:
        rows = self._conn().execute("SELECT id, card FROM cards ORDER BY id").fetchall()
        return [aead.open_sealed(self._key, blob, purpose="record", aad=f"card|{cid}".encode()) for cid, blob in rows]


def _period_end_sql(rdate: object) -> float | None:
    return period_end(rdate) if isinstance(rdate, str) else None


def schema_version(path: Path) -> int:
    """The schema version of the store at ``path``, read without keys (0 when there is none)."""
    if not Path(path).exists():
        return 0
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        value = _read_schema_version(conn)
        return int(value) if isinstance(value, str) and value.isdigit() else 0
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def count_rows(path: Path) -> int:
    """Number of records, read without keys (for status on a locked wallet)."""
    if not Path(path).exists():
        return 0
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM records").fetchone()[0])
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return 0
        raise RecordError(damaged_message(Path(path), exc)) from exc
    except sqlite3.DatabaseError as exc:
        raise RecordError(damaged_message(Path(path), exc)) from exc
    finally:
        conn.close()


def damaged_message(path: Path, exc: sqlite3.Error) -> str:
    """One line for a record store SQLite cannot read (truncated, overwritten, not a database)."""
    return (f"The record store {path} is damaged ({exc}); nothing was changed. Move it away and restore "
            "your records with health-wallet restore-backup, or import your files again.")
