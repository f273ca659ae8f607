"""The record store's schemas and the steps between them (see :mod:`wallet.records.store`).

Schemas 1 and 2 are unencrypted SQLite with every resource, summary, profile and card
sealed (AES-256-GCM, AAD ``kind|id|type``); schema 3 is SQLCipher with those columns as
JSON text, the paging indexes and the full-text index. Steps run in one transaction
(:func:`wallet.formats.upgrade_sqlite`); from a plain store they run on its encrypted copy.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Sequence

from ..errors import RecordError
from ..formats import FileFormat
from ..vault import aead
from .instants import start_instant

__all__ = ["LATEST_BY_TITLE_CATEGORIES", "LATEST_BY_TITLE_INDEX",
           "NEW_STORE", "SCHEMA_VERSION", "SLOT", "free_positions", "next_patient_seq", "next_position",
           "position_slot", "read_schema_version", "store_format", "upgrade_v1_to_v2", "write_schema_version"]

SCHEMA_VERSION = 3

# --- schemas 1 and 2 (unencrypted SQLite, rows sealed); only their upgrade steps use them --

_V2_TABLES = (
    # superseded versions of a record: seq 1 is the oldest
    """CREATE TABLE record_versions (
    id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    resource BLOB NOT NULL,
    summary BLOB NOT NULL,
    PRIMARY KEY (id, seq)
)""",
    # the people whose records this wallet keeps; patient is the FHIR Patient (NULL until known)
    "CREATE TABLE profiles (name TEXT PRIMARY KEY, is_owner INTEGER NOT NULL DEFAULT 0, patient BLOB)",
    "INSERT INTO profiles (name, is_owner, patient) VALUES ('owner', 1, NULL)",
)

# --- schema 3 (SQLCipher, columns plain inside the encrypted file) --------------------------

# ``n``, a record's position: newest first is ``n`` descending. A record of instant t (UTC
# seconds) gets the next free n in [slot(t), slot(t) + SLOT); records without a date sit
# below all dated ones, in the order they came. The search index shares it as its rowid,
# so a search walks its matches newest first and stops after a page.
SLOT = 1 << 20
_UNDATED = 1 << 40  # positions 1 .. 2^40 - 1: records without a date, below every dated one
_SHIFT = 1 << 34  # seconds: instants from about the year 1426 to 2514 keep their order
_SPILL = 1024  # a second's slot full (a million records of one instant): use the next seconds'


def position_slot(instant: float | None) -> int:
    """The first position of records of ``instant`` (``None``: no date)."""
    if instant is None:
        return 1
    seconds = min(max(math.floor(instant) + _SHIFT, 0), 2 * _SHIFT - 1)
    return _UNDATED + seconds * SLOT


def next_position(conn: sqlite3.Connection, instant: float | None) -> int:
    """A free position for a record of ``instant``: after those of the same second."""
    start = position_slot(instant)
    end = _UNDATED if instant is None else start + SLOT
    row = conn.execute("SELECT MAX(n) FROM records WHERE n >= ? AND n < ?", (start, end)).fetchone()
    if row[0] is None:
        return start
    if row[0] + 1 < end:
        return int(row[0]) + 1
    row = conn.execute("SELECT MAX(n) FROM records WHERE n >= ? AND n < ?",
                       (start, _UNDATED if instant is None else start + _SPILL * SLOT)).fetchone()
    return int(row[0]) + 1


def free_positions(conn: sqlite3.Connection, instants: Sequence[float | None]) -> list[int]:
    """The positions :func:`next_position` gives records of ``instants`` inserted one after
    another in this order, worked out with one query per 500 distinct seconds instead of one
    per record (inside the writer's transaction: nobody else inserts meanwhile)."""
    starts = [position_slot(instant) for instant in instants]
    distinct = list(dict.fromkeys(starts))
    taken: dict[int, int | None] = {}
    for i in range(0, len(distinct), 500):
        ranges = [[start, _UNDATED if start == 1 else start + SLOT] for start in distinct[i : i + 500]]
        taken.update(conn.execute(
            "SELECT s.value ->> 0, (SELECT MAX(n) FROM records WHERE n >= s.value ->> 0 AND n < s.value ->> 1) "
            "FROM json_each(?) AS s", (json.dumps(ranges),)).fetchall())
    out: list[int] = []
    for instant, start in zip(instants, starts, strict=True):
        end = _UNDATED if instant is None else start + SLOT
        last = taken.get(start)
        n = start if last is None else last + 1
        if n >= end:  # the second's slot is full (a million records): the next seconds', as next_position
            spill = _UNDATED if instant is None else start + _SPILL * SLOT
            row = conn.execute("SELECT MAX(n) FROM records WHERE n >= ? AND n < ?", (start, spill)).fetchone()
            n = max([int(row[0] or start), *(p for p in out if start <= p < spill)]) + 1
            if n >= _UNDATED:  # a later second's slot in this batch must count it
                own = n - (n - _UNDATED) % SLOT
                if own in taken:
                    taken[own] = max(taken[own] or n, n)
        taken[start] = n
        out.append(n)
    return out


def next_patient_seq(conn: sqlite3.Connection) -> int:
    """The import order of the next Patient (the owner's profile names its first one)."""
    row = conn.execute("SELECT MAX(seq) FROM records WHERE rtype = 'Patient'").fetchone()
    return int(row[0] or 0) + 1


_RECORDS_V3 = """CREATE TABLE records (
    n INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    rtype TEXT NOT NULL,
    category TEXT NOT NULL,
    rdate TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL,
    resource TEXT NOT NULL,
    profile TEXT NOT NULL DEFAULT 'owner',
    instant REAL,
    deleted INTEGER NOT NULL DEFAULT 0,
    seq INTEGER
)"""
# Paging reads these (partial: only records not deleted at their source); each ends with the
# position n, so a profile's records of one category or type are walked newest first.
_INDEXES_V3 = (
    "CREATE INDEX records_live_profile ON records (profile) WHERE deleted = 0",
    "CREATE INDEX records_live_category ON records (profile, category) WHERE deleted = 0",
    "CREATE INDEX records_live_type ON records (profile, rtype) WHERE deleted = 0",
    # the Patients in the order they were imported (seq: NULL for every other type)
    "CREATE INDEX records_patients ON records (seq) WHERE rtype = 'Patient'",
)
_COUNTS_V3 = (
    # how many records (not deleted at their source) of each profile, category and type:
    # kept by triggers, so counting needs no scan however many records there are
    "CREATE TABLE record_counts (profile TEXT NOT NULL, category TEXT NOT NULL, rtype TEXT NOT NULL, "
    "n INTEGER NOT NULL, PRIMARY KEY (profile, category, rtype)) WITHOUT ROWID",
    "CREATE TRIGGER records_count_insert AFTER INSERT ON records WHEN new.deleted = 0 BEGIN "
    "INSERT INTO record_counts (profile, category, rtype, n) VALUES (new.profile, new.category, new.rtype, 1) "
    "ON CONFLICT DO UPDATE SET n = n + 1; END",
    "CREATE TRIGGER records_count_delete AFTER DELETE ON records WHEN old.deleted = 0 BEGIN "
    "UPDATE record_counts SET n = n - 1 "
    "WHERE profile = old.profile AND category = old.category AND rtype = old.rtype; END",
    "CREATE TRIGGER records_count_update AFTER UPDATE OF profile, category, rtype, deleted ON records BEGIN "
    "UPDATE record_counts SET n = n - 1 "
    "WHERE old.deleted = 0 AND profile = old.profile AND category = old.category AND rtype = old.rtype; "
    "INSERT INTO record_counts (profile, category, rtype, n) SELECT new.profile, new.category, new.rtype, 1 "
    "WHERE new.deleted = 0 ON CONFLICT DO UPDATE SET n = n + 1; END",
)
_SEARCH_V3 = (
    # contentless (the text lives in records); unicode61 folds case and diacritics
    "CREATE VIRTUAL TABLE search USING fts5(body, content='', contentless_delete=1, "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER records_search_insert AFTER INSERT ON records BEGIN "
    "INSERT INTO search (rowid, body) VALUES (new.n, hw_search_text(new.summary, new.resource)); END",
    "CREATE TRIGGER records_search_delete AFTER DELETE ON records BEGIN "
    "DELETE FROM search WHERE rowid = old.n; END",
    "CREATE TRIGGER records_search_update AFTER UPDATE OF summary, resource ON records BEGIN "
    "DELETE FROM search WHERE rowid = old.n; "
    "INSERT INTO search (rowid, body) VALUES (new.n, hw_search_text(new.summary, new.resource)); END",
)
_TABLES_V3 = (
    _RECORDS_V3,
    *_INDEXES_V3,
    """CREATE TABLE record_versions (
    id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    resource TEXT NOT NULL,
    summary TEXT NOT NULL,
    PRIMARY KEY (id, seq)
)""",
    "CREATE TABLE profiles (name TEXT PRIMARY KEY, is_owner INTEGER NOT NULL DEFAULT 0, patient TEXT)",
    "CREATE TABLE cards (id TEXT PRIMARY KEY, card BLOB NOT NULL)",
    *_SEARCH_V3,
    *_COUNTS_V3,
)
# The overview page's categories: what a person takes, has and is allergic to, whose newest
# row of each title and status the overview shows however many readings the wallet holds.
LATEST_BY_TITLE_CATEGORIES = ("Medications", "Conditions", "Allergies")
# Their titles and statuses in an index of their own, so the newest row of each is found in
# the index alone; created on open when missing (a store made by an earlier release gets it
# the first time it opens: one pass over its rows).
LATEST_BY_TITLE_INDEX = (
    "CREATE INDEX IF NOT EXISTS records_latest_by_title ON records (profile, category, "
    "json_extract(summary, '$.title'), json_extract(summary, '$.status'), n) "
    "WHERE deleted = 0 AND category IN ('Medications', 'Conditions', 'Allergies')")
NEW_STORE = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL)",
    *_TABLES_V3,
    LATEST_BY_TITLE_INDEX,
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


def _unseal(record_key: bytes, kind: str, rid: str, rtype: str, blob: bytes) -> str:
    """A value sealed by schemas 1-2 (AES-256-GCM, AAD ``kind|id|type``), as JSON text."""
    return aead.open_sealed(record_key, blob, purpose="record", aad=f"{kind}|{rid}|{rtype}".encode()).decode()


def store_format(record_key: bytes) -> FileFormat[sqlite3.Connection]:
    """The record store's format; step 2 → 3 opens the rows sealed with ``record_key``."""

    def upgrade_v2_to_v3(conn: sqlite3.Connection) -> None:
        """Schema 2 → 3, on the encrypted copy: rows unsealed into the new tables (each at its
        position by instant; Patients numbered in their import order), paging indexes, the
        search index and the counts filled by their triggers; the sealed key check goes
        (SQLCipher's HMAC checks the key)."""
        for table in ("records", "record_versions", "profiles", "cards"):
            conn.execute(f"ALTER TABLE {table} RENAME TO v2_{table}")
        for index in ("records_category_date", "records_date", "records_category_instant", "records_instant"):
            conn.execute(f"DROP INDEX IF EXISTS {index}")
        for statement in _TABLES_V3:
            conn.execute(statement)
        rows = conn.execute("SELECT id, rtype, category, rdate, summary, resource, profile, instant, deleted "
                            "FROM v2_records ORDER BY rowid")
        for rid, rt, category, rdate, summary, resource, profile, instant, deleted in rows.fetchall():
            conn.execute("INSERT INTO records (n, id, rtype, category, rdate, summary, resource, profile, instant, "
                         "deleted, seq) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                         (next_position(conn, instant), rid, rt, category, rdate,
                          _unseal(record_key, "summary", rid, rt, summary),
                          _unseal(record_key, "resource", rid, rt, resource), profile, instant, deleted,
                          next_patient_seq(conn) if rt == "Patient" else None))
        types = dict(conn.execute("SELECT id, rtype FROM records").fetchall())
        for rid, seq, resource, summary in conn.execute("SELECT id, seq, resource, summary FROM v2_record_versions"):
            rt = types.get(rid, "")
            conn.execute("INSERT INTO record_versions (id, seq, resource, summary) VALUES (?,?,?,?)",
                         (rid, seq, _unseal(record_key, f"version-{seq}", rid, rt, resource),
                          _unseal(record_key, f"version-summary-{seq}", rid, rt, summary)))
        for name, is_owner, patient in conn.execute("SELECT name, is_owner, patient FROM v2_profiles"):
            person = _unseal(record_key, "profile", name, "Patient", patient) if patient else None
            conn.execute("INSERT INTO profiles (name, is_owner, patient) VALUES (?,?,?)", (name, is_owner, person))
        for cid, card in conn.execute("SELECT id, card FROM v2_cards"):
            conn.execute("INSERT INTO cards (id, card) VALUES (?, ?)",
                         (cid, aead.open_sealed(record_key, card, purpose="record", aad=f"card|{cid}".encode())))
        for table in ("records", "record_versions", "profiles", "cards"):
            conn.execute(f"DROP TABLE v2_{table}")
        conn.execute("DELETE FROM meta WHERE key = 'key_check'")

    return FileFormat("record store", SCHEMA_VERSION, (upgrade_v1_to_v2, upgrade_v2_to_v3), error=RecordError)


def read_schema_version(conn: sqlite3.Connection) -> object:
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return None if row is None else (row[0].decode() if isinstance(row[0], bytes) else row[0])


def write_schema_version(conn: sqlite3.Connection, version: int) -> None:
    conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(version),))


