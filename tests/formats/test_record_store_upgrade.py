"""The fixture home's record store (schema 1, unencrypted, release 747f7c1) becomes an
SQLCipher store of schema 3: every record, summary and card is the same, plain sqlite3
cannot read it, a newer schema is refused, and a process killed (SIGKILL) at any point of
the migration leaves the old store or the new one complete, and the next open finishes."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.formats.conftest import EXPECTED, HOMES
from wallet.errors import RecordError, StoreUnreadable
from wallet.formats import HOME_FORMATS_FILE
from wallet.records import fhir_json
from wallet.records.cipher_db import connect_encrypted, is_plain_sqlite, page_key
from wallet.records.instants import start_instant
from wallet.records.store import STORE_FILE, RecordStore, schema_version
from wallet.vault import aead
from wallet.vault.keys import WalletKeys

KEYS = WalletKeys(EXPECTED["patient"]["phrase"])
RECORD_KEY = KEYS.symmetric_key("records")


def open_store(path: Path) -> RecordStore:
    return RecordStore(path, record_key=RECORD_KEY, index_key=KEYS.symmetric_key("record-index"))


def encrypted(path: Path) -> sqlite3.Connection:
    return connect_encrypted(path, page_key(RECORD_KEY))


def plain_content(path: Path) -> dict[str, Any]:
    """Everything the unencrypted store holds, unsealed with the wallet's record key."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT id, rtype, category, rdate, summary, resource FROM records").fetchall()
        cards = conn.execute("SELECT id, card FROM cards ORDER BY id").fetchall()
    finally:
        conn.close()

    def unseal(kind: str, rid: str, rtype: str, blob: bytes) -> Any:
        aad = f"{kind}|{rid}|{rtype}".encode()
        return fhir_json.loads(aead.open_sealed(RECORD_KEY, blob, purpose="record", aad=aad))

    return {
        "records": {rid: (rtype, category, rdate, unseal("summary", rid, rtype, s), unseal("resource", rid, rtype, r))
                    for rid, rtype, category, rdate, s, r in rows},
        "cards": [aead.open_sealed(RECORD_KEY, c, purpose="record", aad=f"card|{cid}".encode()) for cid, c in cards],
    }


def store_content(path: Path) -> dict[str, Any]:
    store = open_store(path)
    try:
        return {
            "records": {rid: (s.resource_type, s.category, s.date, s.to_json(), store.get(rid))
                        for rid in store.ids() for s in [store.get_summary(rid)]},
            "cards": store.cards(),
        }
    finally:
        store.close()


def home_record(folder: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((folder / HOME_FORMATS_FILE).read_text("utf-8"))
    return doc


@pytest.fixture
def v1_store(tmp_path: Path) -> Path:
    path = tmp_path / STORE_FILE
    shutil.copy2(HOMES / "patient" / STORE_FILE, path)
    assert schema_version(path) == 1 and is_plain_sqlite(path)
    return path


def test_schema_1_becomes_an_encrypted_schema_3_with_nothing_lost(v1_store: Path) -> None:
    before = plain_content(v1_store)
    assert len(before["records"]) == len(EXPECTED["patient"]["record_ids"]) == 77
    after = store_content(v1_store)
    assert after == {"records": {rid: (rt, cat, d, s, r) for rid, (rt, cat, d, s, r) in before["records"].items()},
                     "cards": before["cards"]}
    assert schema_version(v1_store) == 3 and not is_plain_sqlite(v1_store)
    assert home_record(v1_store.parent)["files"] == {STORE_FILE: {"version": 3}}
    assert home_record(v1_store.parent)["migrating"] == {}
    assert sorted(p.name for p in v1_store.parent.iterdir()) == [HOME_FORMATS_FILE, STORE_FILE]
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        sqlite3.connect(v1_store).execute("SELECT * FROM sqlite_master").fetchall()

    conn = encrypted(v1_store)
    try:
        rows = conn.execute("SELECT rdate, instant, profile, deleted FROM records").fetchall()
        assert {(profile, deleted) for _, _, profile, deleted in rows} == {("owner", 0)}
        assert all(instant == start_instant(rdate) for rdate, instant, _, _ in rows)
        assert conn.execute("SELECT name, is_owner, patient FROM profiles").fetchall() == [("owner", 1, None)]
        assert conn.execute("SELECT key FROM meta ORDER BY key").fetchall() == [("schema_version",)]
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {"records_live_profile", "records_live_category", "records_live_type", "records_patients"} <= indexes
        assert conn.execute("SELECT COUNT(*) FROM search").fetchone() == (77,)
    finally:
        conn.close()
    raw = v1_store.read_bytes()
    open_store(v1_store).close()  # opening again changes no record
    assert schema_version(v1_store) == 3 and len(v1_store.read_bytes()) == len(raw)


def _shape(path: Path) -> tuple[dict[str, list[tuple[str, str, int, object]]], set[tuple[str, str]]]:
    conn = encrypted(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        columns = {t: [(r[1], r[2], r[3], r[4]) for r in conn.execute(f"PRAGMA table_info({t})")] for t in tables}
        sql = {(name, " ".join(text.split())) for name, text in
               conn.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL")}
        return columns, sql
    finally:
        conn.close()


def test_new_store_is_created_at_schema_3_like_an_upgraded_one(tmp_path: Path, v1_store: Path) -> None:
    path = tmp_path / "new" / STORE_FILE
    open_store(path).close()
    assert schema_version(path) == 3 and not is_plain_sqlite(path)
    open_store(v1_store).close()
    assert _shape(path) == _shape(v1_store)  # same tables, columns, indexes, triggers


def test_newer_schema_is_refused_and_untouched(v1_store: Path) -> None:
    conn = sqlite3.connect(v1_store)
    conn.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    raw = v1_store.read_bytes()
    with pytest.raises(RecordError) as err:
        open_store(v1_store)
    assert "newer Health Wallet" in err.value.user_message and "version 4" in err.value.user_message
    assert v1_store.read_bytes() == raw

    encrypted_store = v1_store.parent / "enc" / STORE_FILE
    open_store(encrypted_store).close()
    conn = encrypted(encrypted_store)
    with conn:
        conn.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    conn.close()
    raw = encrypted_store.read_bytes()
    with pytest.raises(RecordError, match="newer Health Wallet"):
        open_store(encrypted_store)
    assert encrypted_store.read_bytes() == raw


def test_another_wallets_store_is_not_migrated(v1_store: Path) -> None:
    other = WalletKeys("legal winner thank year wave sausage worth useful legal winner thank yellow")
    raw = v1_store.read_bytes()
    with pytest.raises(StoreUnreadable, match="another wallet"):
        RecordStore(v1_store, record_key=other.symmetric_key("records"), index_key=other.symmetric_key("record-index"))
    assert v1_store.read_bytes() == raw and schema_version(v1_store) == 1
    assert not (v1_store.parent / HOME_FORMATS_FILE).exists()
    open_store(v1_store).close()
    with pytest.raises(StoreUnreadable, match="damaged or belongs to another wallet"):  # and once encrypted
        RecordStore(v1_store, record_key=other.symmetric_key("records"), index_key=other.symmetric_key("record-index"))


CRASH = """
import os, signal, sys
from wallet import formats
from wallet.records import store, store_schema
from wallet.vault.keys import WalletKeys

path, stage = sys.argv[1], sys.argv[2]

def die(*args, **kwargs):
    if stage == "raise":
        raise OSError("No space left on device")
    os.kill(os.getpid(), signal.SIGKILL)

def after(original):
    def run(*args, **kwargs):
        result = original(*args, **kwargs)
        die()
        return result
    return run

if stage == "marker":  # the home's format record names the migration; nothing else written yet
    formats._remove_partial = after(formats._remove_partial)
elif stage == "export":  # the encrypted copy holds schema 1, not yet upgraded
    store.export_encrypted = after(store.export_encrypted)
elif stage in ("step", "raise"):  # inside the 2 -> 3 step, half the rows unsealed
    calls = []
    original = store_schema._unseal
    def unseal(*args):
        calls.append(1)
        if len(calls) == 40:
            die()
        return original(*args)
    store_schema._unseal = unseal
elif stage == "rename":  # the copy complete and fsynced, not yet renamed
    replace = os.replace
    os.replace = lambda src, dst: die() if str(src).endswith("-partial") else replace(src, dst)
elif stage == "record":  # renamed; the format record still says "migrating"
    formats.record_version = lambda *a, **k: die()

keys = WalletKeys(sys.argv[3])
try:
    store.RecordStore(path, record_key=keys.symmetric_key("records"), index_key=keys.symmetric_key("record-index"))
except OSError as exc:
    print(exc)
    sys.exit(3)
"""


@pytest.mark.parametrize("stage", ["marker", "export", "step", "raise", "rename", "record"])
def test_a_kill_during_migration_leaves_one_complete_store(v1_store: Path, stage: str) -> None:
    raw = v1_store.read_bytes()
    before = plain_content(v1_store)
    proc = subprocess.run([sys.executable, "-c", CRASH, str(v1_store), stage, EXPECTED["patient"]["phrase"]],
                          capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2], timeout=120)
    assert proc.returncode == (3 if stage == "raise" else -9), proc.stderr
    if stage == "record":  # the new store is in place, complete
        assert not is_plain_sqlite(v1_store)
        assert home_record(v1_store.parent)["migrating"] == {STORE_FILE: {"from": 1, "to": 3}}
        conn = encrypted(v1_store)
        try:
            assert conn.execute("SELECT COUNT(*) FROM records").fetchone() == (77,)
            assert conn.execute("PRAGMA cipher_integrity_check").fetchall() == []
        finally:
            conn.close()
    else:  # the old store, byte for byte, which the old release still reads
        partial = v1_store.parent / f"{STORE_FILE}.v3-partial"
        assert partial.exists() == (stage in ("export", "step", "rename"))
        assert v1_store.read_bytes() == raw and schema_version(v1_store) == 1
        assert plain_content(v1_store) == before
    after = store_content(v1_store)  # the next open finishes the migration
    assert after["records"] == before["records"] and after["cards"] == before["cards"]
    assert schema_version(v1_store) == 3
    assert home_record(v1_store.parent) == {"format": "health-wallet/home-formats", "version": 1,
                                            "files": {STORE_FILE: {"version": 3}}, "migrating": {}}
    assert sorted(p.name for p in v1_store.parent.iterdir()) == [HOME_FORMATS_FILE, STORE_FILE]


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
    assert schema_version(path) == 3 and not is_plain_sqlite(path)
    store = open_store(path)
    try:
        assert store.count() == 0 and store.profiles()[0].name == "owner"
    finally:
        store.close()


OPEN = """
import sys
from wallet.records import store
from wallet.vault.keys import WalletKeys

keys = WalletKeys(sys.argv[2])
opened = store.RecordStore(sys.argv[1], record_key=keys.symmetric_key("records"),
                           index_key=keys.symmetric_key("record-index"))
print(opened.count())
opened.close()
"""


def test_two_programs_opening_an_old_store_at_once_migrate_it_once(v1_store: Path) -> None:
    before = plain_content(v1_store)
    procs = [subprocess.Popen([sys.executable, "-c", OPEN, str(v1_store), EXPECTED["patient"]["phrase"]],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parents[2]) for _ in range(3)]
    results = [proc.communicate(timeout=300) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0, 0], [err for _out, err in results]
    assert [out.strip() for out, _err in results] == ["77"] * 3
    after = store_content(v1_store)
    assert after["records"] == before["records"] and after["cards"] == before["cards"]
    assert sorted(p.name for p in v1_store.parent.iterdir()) == [HOME_FORMATS_FILE, STORE_FILE]


def _grow(path: Path, extra: int) -> None:
    """Add ``extra`` sealed Observations to a schema 1 store, as release 0.1.0 wrote them."""
    conn = sqlite3.connect(path)
    with conn:
        for i in range(extra):
            rid = f"{i:024x}"
            summary = {"resource_type": "Observation", "category": "Vital signs", "title": f"Pulse {i}",
                       "date": "2020-01-02"}
            resource = {"resourceType": "Observation", "id": f"x{i}", "status": "final",
                        "code": {"text": "Pulse"}, "effectiveDateTime": "2020-01-02"}
            sealed = [aead.seal(RECORD_KEY, json.dumps(doc).encode(), purpose="record",
                                aad=f"{kind}|{rid}|Observation".encode())
                      for kind, doc in (("summary", summary), ("resource", resource))]
            conn.execute("INSERT INTO records VALUES (?,?,?,?,?,?)",
                         (rid, "Observation", "Vital signs", "2020-01-02", *sealed))
    conn.close()


SLOW_OPEN = """
import sys
from wallet.records import store
from wallet.vault.keys import WalletKeys

keys = WalletKeys(sys.argv[2])
print("start", flush=True)
store.RecordStore(sys.argv[1], record_key=keys.symmetric_key("records"), index_key=keys.symmetric_key("record-index"))
"""


def test_a_sigkill_from_outside_at_any_moment_leaves_one_complete_store(v1_store: Path) -> None:
    import os
    import signal
    import time

    _grow(v1_store, 3000)
    before = plain_content(v1_store)
    raw = v1_store.read_bytes()
    outcomes = set()
    for delay in (0.0, 0.05, 0.15, 0.3, 0.5, 0.8, 1.2):
        if not is_plain_sqlite(v1_store):  # migrated by the last run: start again from the old store
            for leftover in v1_store.parent.iterdir():
                leftover.unlink()
            v1_store.write_bytes(raw)
        proc = subprocess.Popen([sys.executable, "-c", SLOW_OPEN, str(v1_store), EXPECTED["patient"]["phrase"]],
                                stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])
        assert proc.stdout is not None and proc.stdout.readline().strip() == "start"
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        if is_plain_sqlite(v1_store):
            assert v1_store.read_bytes() == raw
            outcomes.add("old")
        else:
            conn = encrypted(v1_store)
            try:
                assert conn.execute("SELECT COUNT(*) FROM records").fetchone() == (77 + 3000,)
            finally:
                conn.close()
            outcomes.add("new")
        after = store_content(v1_store)
        assert after["records"] == before["records"] and after["cards"] == before["cards"]
    assert "old" in outcomes  # the kills landed during the migration, not only after it
