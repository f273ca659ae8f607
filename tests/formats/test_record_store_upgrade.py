"""The fixture home's record store (schema 1, release 747f7c1) upgraded to schema 2:
every record, summary and card still opens; instants come from the clinical dates; a
newer schema is refused; a crash during the upgrade leaves schema 1."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.formats.conftest import EXPECTED, HOMES
from wallet.errors import RecordError
from wallet.records.instants import start_instant
from wallet.records.store import STORE_FILE, RecordStore, schema_version
from wallet.vault.keys import WalletKeys

KEYS = WalletKeys(EXPECTED["patient"]["phrase"])


def open_store(path: Path) -> RecordStore:
    return RecordStore(path, record_key=KEYS.symmetric_key("records"), index_key=KEYS.symmetric_key("record-index"))


def columns(path: Path, table: str) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
    finally:
        conn.close()


def plain_rows(path: Path) -> list[tuple[str, str, str, str]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT id, rtype, category, rdate FROM records ORDER BY id").fetchall()
    finally:
        conn.close()


@pytest.fixture
def v1_store(tmp_path: Path) -> Path:
    path = tmp_path / STORE_FILE
    shutil.copy2(HOMES / "patient" / STORE_FILE, path)
    assert schema_version(path) == 1
    assert columns(path, "records") == ["id", "rtype", "category", "rdate", "summary", "resource"]
    return path


def test_schema_1_opens_as_schema_2_with_nothing_lost(v1_store: Path) -> None:
    before = plain_rows(v1_store)
    store = open_store(v1_store)
    try:
        assert schema_version(v1_store) == 2
        assert plain_rows(v1_store) == before
        assert sorted(store.ids()) == EXPECTED["patient"]["record_ids"]
        assert store.counts_by_type() == EXPECTED["patient"]["counts_by_type"]
        for rid, rtype, _category, rdate in before:
            assert store.get(rid)["resourceType"] == rtype
            summary = store.get_summary(rid)
            assert (summary.resource_type, summary.date) == (rtype, rdate)
        assert len(store.cards()) == EXPECTED["patient"]["cards"]
    finally:
        store.close()
    conn = sqlite3.connect(v1_store)
    try:
        rows = conn.execute("SELECT rdate, instant, profile, deleted FROM records").fetchall()
        assert {(profile, deleted) for _, _, profile, deleted in rows} == {("owner", 0)}
        assert all(instant == start_instant(rdate) for rdate, instant, _, _ in rows)
        dated = [instant for rdate, instant, _, _ in rows if rdate]
        assert dated and all(isinstance(i, float) for i in dated)
        assert conn.execute("SELECT * FROM profiles").fetchall() == [("owner", 1, None)]
        assert conn.execute("SELECT COUNT(*) FROM record_versions").fetchone() == (0,)
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {"records_category_instant", "records_instant"} <= indexes
    finally:
        conn.close()
    assert columns(v1_store, "record_versions") == ["id", "seq", "resource", "summary"]
    assert columns(v1_store, "profiles") == ["name", "is_owner", "patient"]
    store = open_store(v1_store)  # opening again changes nothing
    store.close()
    assert schema_version(v1_store) == 2 and plain_rows(v1_store) == before


def test_new_store_is_created_at_schema_2(tmp_path: Path) -> None:
    path = tmp_path / STORE_FILE
    open_store(path).close()
    assert schema_version(path) == 2
    assert columns(path, "records") == ["id", "rtype", "category", "rdate", "summary", "resource",
                                        "profile", "instant", "deleted"]
    upgraded = tmp_path / "upgraded" / STORE_FILE
    upgraded.parent.mkdir()
    shutil.copy2(HOMES / "patient" / STORE_FILE, upgraded)
    open_store(upgraded).close()

    def schema(p: Path) -> set[tuple[str, str]]:
        conn = sqlite3.connect(p)
        try:
            return {(name, " ".join(sql.split())) for name, sql in
                    conn.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL")}
        finally:
            conn.close()

    def shape(p: Path) -> dict[str, list[tuple[str, str, int, object]]]:
        conn = sqlite3.connect(p)
        try:
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            return {t: [(r[1], r[2], r[3], r[4]) for r in conn.execute(f"PRAGMA table_info({t})")] for t in tables}
        finally:
            conn.close()

    assert shape(path) == shape(upgraded)  # an upgraded store and a new one have the same tables and columns
    assert {n for n, _ in schema(path)} == {n for n, _ in schema(upgraded)}


def test_newer_schema_is_refused_and_untouched(v1_store: Path) -> None:
    conn = sqlite3.connect(v1_store)
    conn.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    raw = v1_store.read_bytes()
    with pytest.raises(RecordError) as err:
        open_store(v1_store)
    assert "newer Health Wallet" in err.value.user_message and "version 3" in err.value.user_message
    assert v1_store.read_bytes() == raw


def test_another_wallets_store_is_not_upgraded(v1_store: Path) -> None:
    other = WalletKeys("legal winner thank year wave sausage worth useful legal winner thank yellow")
    with pytest.raises(RecordError, match="another wallet"):
        RecordStore(v1_store, record_key=other.symmetric_key("records"),
                    index_key=other.symmetric_key("record-index"))
    assert schema_version(v1_store) == 1


CRASH = """
import os, signal, sqlite3, sys
from wallet.formats import FileFormat, upgrade_sqlite
from wallet.records import store

def upgrade_v2_to_v3(conn):
    if sys.argv[2] == "kill":
        os.kill(os.getpid(), signal.SIGKILL)  # the process dies inside the transaction
    raise OSError("No space left on device")

fmt = FileFormat("record store", 3, (store.upgrade_v1_to_v2, upgrade_v2_to_v3))
conn = sqlite3.connect(sys.argv[1])
conn.execute("PRAGMA journal_mode=WAL")
try:
    upgrade_sqlite(conn, fmt, where=sys.argv[1], read_version=store._read_schema_version,
                   write_version=store._write_schema_version)
except OSError as exc:
    print(exc)
    sys.exit(3)
"""


@pytest.mark.parametrize("how", ["raise", "kill"])
def test_crash_during_upgrade_leaves_schema_1(v1_store: Path, how: str) -> None:
    before = plain_rows(v1_store)
    proc = subprocess.run([sys.executable, "-c", CRASH, str(v1_store), how], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2], timeout=120)
    assert proc.returncode == (3 if how == "raise" else -9), proc.stderr
    assert schema_version(v1_store) == 1
    assert columns(v1_store, "records") == ["id", "rtype", "category", "rdate", "summary", "resource"]
    assert "profiles" not in _tables(v1_store)
    assert plain_rows(v1_store) == before
    store = open_store(v1_store)  # and it still opens (and upgrades) afterwards
    try:
        assert store.counts_by_type() == EXPECTED["patient"]["counts_by_type"]
    finally:
        store.close()
    assert schema_version(v1_store) == 2


def _tables(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    finally:
        conn.close()


def test_schema_1_tables_left_empty_by_a_crash_are_taken_over(tmp_path: Path) -> None:
    """Release 1 created its tables, then wrote its version and key check: a crash between left this."""
    path = tmp_path / STORE_FILE
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
        CREATE TABLE records (id TEXT PRIMARY KEY, rtype TEXT NOT NULL, category TEXT NOT NULL,
            rdate TEXT NOT NULL DEFAULT '', summary BLOB NOT NULL, resource BLOB NOT NULL);
        CREATE TABLE cards (id TEXT PRIMARY KEY, card BLOB NOT NULL);
    """)
    conn.close()
    open_store(path).close()
    assert schema_version(path) == 2 and "instant" in columns(path, "records")
    open_store(path).close()
