"""The encrypted record store: one SQLite file (WAL) in the wallet home.

Every resource and every summary is sealed with AES-256-GCM; the associated data
binds the record id and type, so rows cannot be swapped. Outside the ciphertext stay
only what listing needs: the record id (an HMAC of type and FHIR id, so it reveals
nothing), the resource type, the category and the clinical date. No names, codes or
free text.
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
from ..vault import aead
from .summary import CATEGORIES, Summary

__all__ = ["STORE_FILE", "NewRecord", "RecordStore", "StoredSummary", "count_rows", "damaged_message", "record_id_for"]

STORE_FILE = "records.sqlite3"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY,
    rtype TEXT NOT NULL,
    category TEXT NOT NULL,
    rdate TEXT NOT NULL DEFAULT '',
    summary BLOB NOT NULL,
    resource BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS records_category_date ON records (category, rdate);
CREATE INDEX IF NOT EXISTS records_date ON records (rdate);
CREATE TABLE IF NOT EXISTS cards (id TEXT PRIMARY KEY, card BLOB NOT NULL);
"""


def record_id_for(index_key: bytes, resource: dict[str, Any]) -> str:
    """Stable id: HMAC of ``Type/id``, or of the canonical content when there is no id."""
    rt = str(resource.get("resourceType"))
    fid = resource.get("id")
    if isinstance(fid, str) and fid:
        material = f"{rt}/{fid}".encode()
    else:
        material = b"content:" + json.dumps(resource, sort_keys=True, separators=(",", ":")).encode()
    return aead.keyed_hash(index_key, material).hex()[:24]


@dataclass(frozen=True)
class NewRecord:
    id: str
    resource: dict[str, Any]
    summary: Summary


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
            with conn:
                conn.executescript(_SCHEMA)
                row = conn.execute("SELECT value FROM meta WHERE key = 'key_check'").fetchone()
                if row is None:
                    conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
                    conn.execute("INSERT INTO meta VALUES ('key_check', ?)",
                                 (aead.seal(self._key, b"health-wallet", purpose="store-key-check"),))
                else:
                    try:
                        aead.open_sealed(self._key, row[0], purpose="store-key-check")
                    except DecryptionError as exc:
                        raise RecordError(
                            f"The record store {self.path} belongs to another wallet; move it away or use another --home."
                        ) from exc
        except sqlite3.DatabaseError as exc:  # "file is not a database", "database disk image is malformed"
            self.close()
            raise RecordError(damaged_message(self.path, exc)) from exc
        self.path.chmod(0o600)

    def __repr__(self) -> str:
        return f"RecordStore({self.path})"

    # --- connections -----------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA secure_delete=ON")
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

    def record_id(self, resource: dict[str, Any]) -> str:
        return record_id_for(self._index_key, resource)

    @staticmethod
    def _aad(kind: str, rid: str, rtype: str) -> bytes:
        return f"{kind}|{rid}|{rtype}".encode()

    def _seal_json(self, kind: str, rid: str, rtype: str, doc: Any) -> bytes:
        data = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
        return aead.seal(self._key, data, purpose="record", aad=self._aad(kind, rid, rtype))

    def _open_json(self, kind: str, rid: str, rtype: str, blob: bytes) -> Any:
        return json.loads(aead.open_sealed(self._key, blob, purpose="record", aad=self._aad(kind, rid, rtype)))

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
                 cancel: CancelToken | None = None) -> tuple[int, int]:
        """Insert in one transaction: all or nothing. Returns (added, duplicates)."""
        conn = self._conn()
        added = dupes = 0
        try:
            conn.execute("BEGIN IMMEDIATE")
            for n, rec in enumerate(records, start=1):
                if cancel is not None:
                    cancel.check()
                rt = rec.summary.resource_type
                cur = conn.execute(
                    "INSERT OR IGNORE INTO records (id, rtype, category, rdate, summary, resource) VALUES (?,?,?,?,?,?)",
                    (rec.id, rt, rec.summary.category, rec.summary.date,
                     self._seal_json("summary", rec.id, rt, rec.summary.to_json()),
                     self._seal_json("resource", rec.id, rt, rec.resource)),
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
                "INSERT OR REPLACE INTO records (id, rtype, category, rdate, summary, resource) VALUES (?,?,?,?,?,?)",
                (rec.id, rt, rec.summary.category, rec.summary.date,
                 self._seal_json("summary", rec.id, rt, rec.summary.to_json()),
                 self._seal_json("resource", rec.id, rt, rec.resource)),
            )

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

    def _where(self, category: str | None, types: Iterable[str] | None, since: str | None) -> tuple[str, list[Any]]:
        clauses, args = [], []
        if category:
            clauses.append("category = ?")
            args.append(category)
        types = list(types or [])
        if types:
            clauses.append(f"rtype IN ({','.join('?' * len(types))})")
            args.extend(types)
        if since:
            clauses.append("rdate >= ?")
            args.append(since)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", args

    def count(self, *, category: str | None = None, types: Iterable[str] | None = None, since: str | None = None) -> int:
        where, args = self._where(category, types, since)
        return self._conn().execute(f"SELECT COUNT(*) FROM records{where}", args).fetchone()[0]

    def ids(self, *, category: str | None = None, types: Iterable[str] | None = None, since: str | None = None,
            newest_first: bool = True, limit: int = -1, offset: int = 0) -> list[str]:
        where, args = self._where(category, types, since)
        order = "DESC" if newest_first else "ASC"
        q = f"SELECT id FROM records{where} ORDER BY rdate {order}, id LIMIT ? OFFSET ?"
        return [r[0] for r in self._conn().execute(q, [*args, limit, offset])]

    def summaries(self, *, category: str | None = None, types: Iterable[str] | None = None,
                  since: str | None = None, newest_first: bool = True, limit: int = -1,
                  offset: int = 0) -> list[StoredSummary]:
        where, args = self._where(category, types, since)
        order = "DESC" if newest_first else "ASC"
        q = f"SELECT id, rtype, summary FROM records{where} ORDER BY rdate {order}, id LIMIT ? OFFSET ?"
        return [StoredSummary(rid, Summary.from_json(self._open_json("summary", rid, rt, blob)))
                for rid, rt, blob in self._conn().execute(q, [*args, limit, offset])]

    def counts_by_category(self) -> dict[str, int]:
        counts = dict.fromkeys(CATEGORIES, 0)
        for cat, n in self._conn().execute("SELECT category, COUNT(*) FROM records GROUP BY category"):
            counts[cat] = n
        return counts

    def counts_by_type(self) -> dict[str, int]:
        return dict(self._conn().execute("SELECT rtype, COUNT(*) FROM records GROUP BY rtype ORDER BY rtype"))

    def resources(self, ids: Iterable[str]) -> Iterator[tuple[str, dict[str, Any]]]:
        for rid in ids:
            yield rid, self.get(rid)

    def cards(self) -> list[bytes]:
        rows = self._conn().execute("SELECT id, card FROM cards ORDER BY id").fetchall()
        return [aead.open_sealed(self._key, blob, purpose="record", aad=f"card|{cid}".encode()) for cid, blob in rows]


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
