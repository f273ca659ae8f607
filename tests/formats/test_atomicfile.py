"""Atomic replacement of a file: the one writer every versioned file and migration uses."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from wallet.atomicfile import replace_atomic, write_atomic


def test_write_atomic_replaces_whole_with_private_permissions(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "settings.json"
    write_atomic(path, b"old")
    write_atomic(path, b"new contents", sync_folder=False)
    assert path.read_bytes() == b"new contents"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["settings.json"]  # no temporary file left


def test_a_failing_build_leaves_the_old_file_and_no_partial(tmp_path: Path) -> None:
    path = tmp_path / "records.sqlite3"
    path.write_bytes(b"old store")
    beside = tmp_path / "records.sqlite3.v2-partial"

    def build(target: Path) -> None:
        target.write_bytes(b"half a new st")
        Path(f"{target}-wal").write_bytes(b"wal")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        replace_atomic(path, build, beside=beside, leftovers=("-wal", "-shm"))
    assert path.read_bytes() == b"old store"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["records.sqlite3"]


def test_the_built_file_replaces_and_its_stale_side_files_go(tmp_path: Path) -> None:
    path = tmp_path / "records.sqlite3"
    path.write_bytes(b"old store")
    beside = tmp_path / "records.sqlite3.v2-partial"

    def build(target: Path) -> None:
        target.write_bytes(b"new store")
        Path(f"{target}-shm").write_bytes(b"index")  # closed cleanly: nothing in it is needed

    replace_atomic(path, build, beside=beside, leftovers=("-wal", "-shm"))
    assert path.read_bytes() == b"new store"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["records.sqlite3"]


def test_a_build_that_writes_nothing_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "head.json"
    path.write_bytes(b"{}")
    with pytest.raises(FileNotFoundError):
        replace_atomic(path, lambda _target: None, beside=tmp_path / ".head.json.tmp")
    assert path.read_bytes() == b"{}" and os.listdir(tmp_path) == ["head.json"]
