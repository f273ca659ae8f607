"""Atomic replacement of a file: the one writer every versioned file and migration uses."""

from __future__ import annotations

import errno
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


def test_missing_folders_are_created_for_the_owner_only(tmp_path: Path) -> None:
    old = os.umask(0)  # the modes are the wallet's choice, not a lenient umask's
    try:
        write_atomic(tmp_path / "usb" / "summaries" / "ips.json", b"{}")
    finally:
        os.umask(old)
    for folder in (tmp_path / "usb", tmp_path / "usb" / "summaries"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    assert stat.S_IMODE((tmp_path / "usb" / "summaries" / "ips.json").stat().st_mode) == 0o600


def test_an_existing_folder_keeps_its_permissions(tmp_path: Path) -> None:
    chosen = tmp_path / "shared"
    chosen.mkdir(mode=0o755)
    chosen.chmod(0o755)
    write_atomic(chosen / "summary.pdf", b"%PDF-")
    assert stat.S_IMODE(chosen.stat().st_mode) == 0o755


@pytest.mark.parametrize("refusal", [errno.EPERM, errno.EOPNOTSUPP])
def test_a_drive_that_cannot_keep_permissions_still_gets_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  refusal: int) -> None:
    """FAT (a USB stick) answers chmod with EPERM, some network shares with EOPNOTSUPP: the
    kernel's answer is stood in for here, as no FAT file system can be mounted in a test."""
    def fat_fchmod(_fd: int, _mode: int) -> None:
        raise OSError(refusal, os.strerror(refusal))

    monkeypatch.setattr(os, "fchmod", fat_fchmod)
    write_atomic(tmp_path / "stick" / "ips.json", b"{\"resourceType\": \"Bundle\"}")
    assert (tmp_path / "stick" / "ips.json").read_bytes() == b"{\"resourceType\": \"Bundle\"}"
    assert os.listdir(tmp_path / "stick") == ["ips.json"]


def test_other_chmod_failures_still_fail_the_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_fchmod(_fd: int, _mode: int) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(os, "fchmod", failing_fchmod)
    with pytest.raises(OSError, match="Input/output"):
        write_atomic(tmp_path / "ips.json", b"{}")
    assert os.listdir(tmp_path) == []
