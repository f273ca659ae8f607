"""Exports onto real small drives that fill up, turn read-only or disappear mid-write."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from wallet.errors import ExportError
from wallet.events import Progress
from wallet.share.export import cleanup_leftovers, write_export
from wallet.share.export_layout import PARTIAL_PREFIX
from wallet.share.verify import verify_export

from .drives import Drive


@pytest.fixture
def drive(tmp_path: Path):
    d = Drive(tmp_path / "usb", size_kib=512)
    yield d
    d.close()


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _looks_complete(folder: Path) -> list[str]:
    return [n for n in _names(folder) if n.startswith("health-export-")]


def test_mount_is_available_or_equivalents_are_used(drive: Drive) -> None:
    """Report which mechanism the drive tests use on this machine (tmpfs here, as root)."""
    assert drive.mounted or os.geteuid() != 0, drive.mount_error
    if drive.mounted:
        assert "tmpfs" in Path("/proc/mounts").read_text()


def test_export_fits_on_a_small_drive(drive: Drive, keys, clock, small_records, card_bytes) -> None:
    result = write_export(drive.root, resources=small_records, cards=card_bytes, keys=keys, clock=clock)
    assert verify_export(result.path).signer == keys.account.address


def test_drive_too_small_is_refused_before_writing(drive: Drive, keys, clock, large_records) -> None:
    with pytest.raises(ExportError, match="free but the export needs about") as info:
        write_export(drive.root, resources=large_records, keys=keys, clock=clock)
    assert "MB" in info.value.user_message
    assert _names(drive.root) == []


def test_drive_that_fills_up_mid_write(drive: Drive, keys, clock, small_records, card_bytes) -> None:
    """After the space check passed, something else fills the drive: ENOSPC on a real tmpfs."""

    def fill_after_first_file(p: Progress) -> None:
        if p.done == 1:
            drive.fill()

    with pytest.raises(ExportError, match="ran out of space"):
        write_export(drive.root, resources=small_records, cards=card_bytes, keys=keys, clock=clock,
                     progress=fill_after_first_file)
    assert _names(drive.root) == ["filler.bin"]  # the partial folder was removed
    (drive.root / "filler.bin").unlink()
    assert write_export(drive.root, resources=small_records, keys=keys, clock=clock).path.is_dir()


def test_file_size_limit_is_reported_as_out_of_space(tmp_path: Path) -> None:
    """RLIMIT_FSIZE makes every write past 64 KiB fail with EFBIG (no mount needed)."""
    script = textwrap.dedent(f"""
        import resource, signal, sys
        from datetime import datetime, timezone
        sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
        from tests.share.conftest import NOW
        from wallet.clock import FixedClock
        from wallet.errors import ExportError
        from wallet.share.export import write_export
        from wallet.vault.keys import WalletKeys
        from tests.conftest import ABANDON
        import json, pathlib
        source = next(pathlib.Path({str(FIXTURES)!r}, "synthea").glob("Clemente_Kreiger_*.json"))
        bundle = json.loads(source.read_text())
        records = [e["resource"] for e in bundle["entry"]]
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
        try:
            write_export(pathlib.Path(sys.argv[1]), resources=records, keys=WalletKeys(ABANDON), clock=FixedClock(NOW))
        except ExportError as exc:
            print(exc.user_message)
            sys.exit(3)
    """)
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 3, done.stderr
    assert "ran out of space" in done.stdout
    assert _names(tmp_path) == []


def test_read_only_drive(drive: Drive, keys, clock, small_records) -> None:
    drive.make_read_only()
    with pytest.raises(ExportError, match=r"read-only|may not write"):
        write_export(drive.root, resources=small_records, keys=keys, clock=clock)
    drive.make_writable()
    assert _names(drive.root) == []


def test_drive_turning_read_only_mid_write_leaves_a_leftover_the_next_export_removes(
    drive: Drive, keys, clock, small_records
) -> None:
    def lock_after_two_files(p: Progress) -> None:
        if p.done == 2:
            drive.make_read_only()

    with pytest.raises(ExportError, match=r"read-only|may not write") as info:
        write_export(drive.root, resources=small_records, keys=keys, clock=clock, progress=lock_after_two_files)
    assert "the next export removes it" in info.value.user_message
    leftovers = _names(drive.root)
    assert len(leftovers) == 1 and leftovers[0].startswith(PARTIAL_PREFIX)  # never looks complete
    assert _looks_complete(drive.root) == []
    drive.make_writable()
    result = write_export(drive.root, resources=small_records, keys=keys, clock=clock)
    assert _names(drive.root) == [result.path.name]


def test_drive_removed_mid_write(drive: Drive, tmp_path: Path, keys, clock, small_records, card_bytes) -> None:
    def unplug_after_three_files(p: Progress) -> None:
        if p.done == 3:
            drive.unplug()

    with pytest.raises(ExportError, match="removed or stopped responding"):
        write_export(drive.root, resources=small_records, cards=card_bytes, keys=keys, clock=clock,
                     progress=unplug_after_three_files)
    assert not drive.root.exists() or _looks_complete(drive.root) == []


def test_drive_removed_before_rename(drive: Drive, keys, clock, small_records) -> None:
    """Unplugged after the last file, before the folder is renamed into place."""
    def unplug_after_last_file(p: Progress) -> None:
        if p.done == p.total - 2:
            drive.unplug()

    with pytest.raises(ExportError, match="removed or stopped responding"):
        write_export(drive.root, resources=small_records, keys=keys, clock=clock, progress=unplug_after_last_file)
    assert not drive.root.exists() or _looks_complete(drive.root) == []


def test_drive_removed_during_read_back(drive: Drive, keys, clock, small_records) -> None:
    def unplug_when_reading_back(p: Progress) -> None:
        if p.message.startswith("Reading"):
            drive.unplug()

    with pytest.raises(ExportError, match="removed or stopped responding"):
        write_export(drive.root, resources=small_records, keys=keys, clock=clock, progress=unplug_when_reading_back)


def test_cleanup_of_an_unplugged_drive_is_harmless(tmp_path: Path) -> None:
    assert cleanup_leftovers(tmp_path / "gone") == []
