"""The step-wise upgrade framework on real files: steps run in order, results are written
back atomically, newer versions and failing steps change nothing."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from wallet.errors import ConfigError, WalletError
from wallet.formats import FileFormat, JsonDocument, load_json_file, upgrade_json_document, upgrade_sqlite


def upgrade_v1_to_v2(doc: JsonDocument) -> None:
    doc["names"] = [doc.pop("name")]


def upgrade_v2_to_v3(doc: JsonDocument) -> None:
    doc["names"] = [*sorted(doc["names"]), "added in 3"]


NOTES = FileFormat("notes file", 3, (upgrade_v1_to_v2, upgrade_v2_to_v3), error=ConfigError)


def test_steps_must_be_named_in_order() -> None:
    with pytest.raises(ValueError, match="upgrade_v1_to_v2"):
        FileFormat("x", 3, (upgrade_v2_to_v3, upgrade_v1_to_v2))
    with pytest.raises(ValueError, match="needs 1 upgrade steps"):
        FileFormat("x", 2, ())
    assert FileFormat("x", 1).pending(1) == ()


def test_older_document_runs_every_later_step_in_order() -> None:
    old = {"version": 1, "name": "b"}
    doc, upgraded = upgrade_json_document(old, NOTES, where="notes.json")
    assert upgraded and doc == {"version": 3, "names": ["b", "added in 3"]}
    assert old == {"version": 1, "name": "b"}  # the caller's copy is untouched
    doc2, upgraded2 = upgrade_json_document({"version": 2, "names": ["z", "a"]}, NOTES, where="notes.json")
    assert upgraded2 and doc2 == {"version": 3, "names": ["a", "z", "added in 3"]}
    same, again = upgrade_json_document(doc, NOTES, where="notes.json")
    assert not again and same == doc


@pytest.mark.parametrize("version", [4, 99])
def test_newer_version_is_refused_with_one_line(tmp_path: Path, version: int) -> None:
    path = tmp_path / "notes.json"
    raw = json.dumps({"version": version, "names": []}).encode()
    path.write_bytes(raw)
    with pytest.raises(ConfigError) as err:
        load_json_file(path, NOTES)
    assert "newer Health Wallet" in err.value.user_message and "\n" not in err.value.user_message
    assert f"version {version}" in err.value.user_message
    assert path.read_bytes() == raw


@pytest.mark.parametrize("version", [None, 0, -1, "two", True, 1.5])
def test_unknown_version_is_refused(tmp_path: Path, version: object) -> None:
    path = tmp_path / "notes.json"
    path.write_text(json.dumps({"version": version}))
    with pytest.raises(ConfigError, match="unknown format version"):
        load_json_file(path, NOTES)


def test_load_writes_the_upgrade_back_atomically(tmp_path: Path) -> None:
    path = tmp_path / "notes.json"
    path.write_text(json.dumps({"version": 1, "name": "b"}))
    assert load_json_file(path, NOTES) == {"version": 3, "names": ["b", "added in 3"]}
    assert json.loads(path.read_text()) == {"version": 3, "names": ["b", "added in 3"]}
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["notes.json"]  # no temp file left
    assert load_json_file(tmp_path / "missing.json", NOTES) is None


def test_failing_step_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    def upgrade_v2_to_v3(doc: JsonDocument) -> None:  # a crash in the second step
        raise OSError("disk gone")

    broken = FileFormat("notes file", 3, (upgrade_v1_to_v2, upgrade_v2_to_v3), error=ConfigError)
    path = tmp_path / "notes.json"
    raw = json.dumps({"version": 1, "name": "b"}).encode()
    path.write_bytes(raw)
    with pytest.raises(OSError):
        load_json_file(path, broken)
    assert path.read_bytes() == raw
    assert load_json_file(path, NOTES) == {"version": 3, "names": ["b", "added in 3"]}


def _sqlite_format(*, fail: bool) -> FileFormat[sqlite3.Connection]:
    def upgrade_v1_to_v2(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE t ADD COLUMN b INTEGER NOT NULL DEFAULT 7")
        conn.execute("CREATE TABLE extra (x)")

    def upgrade_v2_to_v3(conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE t SET b = a * 2")
        if fail:
            raise sqlite3.OperationalError("disk I/O error")

    return FileFormat("test database", 3, (upgrade_v1_to_v2, upgrade_v2_to_v3))


def _v1_database(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (a INTEGER)")
    conn.executemany("INSERT INTO t VALUES (?)", [(1,), (2,)])
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()


def _version(conn: sqlite3.Connection) -> object:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def _set_version(conn: sqlite3.Connection, version: int) -> None:
    conn.execute(f"PRAGMA user_version = {int(version)}")


def test_sqlite_upgrade_is_one_transaction(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    _v1_database(path)
    conn = sqlite3.connect(path)
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        upgrade_sqlite(conn, _sqlite_format(fail=True), where=path, read_version=_version, write_version=_set_version)
    conn.close()
    conn = sqlite3.connect(path)
    assert _version(conn) == 1
    assert [r[1] for r in conn.execute("PRAGMA table_info(t)")] == ["a"]  # the first step was undone too
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'extra'").fetchone() is None
    assert upgrade_sqlite(conn, _sqlite_format(fail=False), where=path, read_version=_version,
                          write_version=_set_version) == 1
    assert _version(conn) == 3 and conn.execute("SELECT a, b FROM t ORDER BY a").fetchall() == [(1, 2), (2, 4)]
    _set_version(conn, 4)
    conn.commit()
    with pytest.raises(WalletError, match="newer Health Wallet"):
        upgrade_sqlite(conn, _sqlite_format(fail=False), where=path, read_version=_version, write_version=_set_version)
    assert not conn.in_transaction
    conn.close()
