"""The embedded chain's journal, version 2: hash-chained lines and a head. The release's
version 1 journal is upgraded with every block kept; a dropped, edited or emptied journal
is refused with one line; a torn last line from a crash is still recovered."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from eth_account import Account

from tests.chain.conftest import CID
from tests.formats.conftest import EXPECTED, HOMES
from wallet.chain import new_grant_id, open_embedded_chain
from wallet.chain.journal import HEAD_FILE, JOURNAL_FILE, SNAPSHOT_FILE, JournalHead, line_hash, upgrade_v1_to_v2
from wallet.clock import FixedClock
from wallet.errors import ChainDamaged

REPO = Path(__file__).resolve().parents[2]


def lines_of(folder: Path) -> list[bytes]:
    return (folder / JOURNAL_FILE).read_bytes().splitlines()


def assert_chained(folder: Path) -> None:
    lines = lines_of(folder)
    assert json.loads(lines[0])["version"] == 2
    for before, line in itertools.pairwise(lines):
        assert json.loads(line)["prev"] == line_hash(before)
    head = json.loads((folder / HEAD_FILE).read_text())
    assert (head["lines"], head["hash"]) == (len(lines), line_hash(lines[-1]))


@pytest.fixture
def v1_chain(tmp_path: Path) -> Path:
    folder = tmp_path / "embedded-chain"
    shutil.copytree(HOMES / "embedded-chain", folder)
    assert json.loads(lines_of(folder)[0])["version"] == 1
    return folder


def test_release_journal_is_upgraded_with_every_block(v1_chain: Path, clock: FixedClock) -> None:
    before = [json.loads(line) for line in lines_of(v1_chain)]
    backend = open_embedded_chain(v1_chain, clock=clock)
    try:
        gid = bytes.fromhex(EXPECTED["grant"]["grant_id"][2:])
        assert backend.is_active(gid)
        assert backend.grant_info(gid).patient == EXPECTED["patient"]["address"]
        assert [g.grant_id for g in backend.grants_for_grantee(EXPECTED["doctor"]["address"])] == [gid]
    finally:
        backend.close()
    after = [json.loads(line) for line in lines_of(v1_chain)]
    assert len(after) >= len(before)  # blocks the current version adds on open (its contract) come after
    assert {k: v for k, v in after[0].items() if k != "version"} == {k: v for k, v in before[0].items()
                                                                      if k != "version"}
    assert [{k: v for k, v in doc.items() if k != "prev"} for doc in after[1 : len(before)]] == before[1:]
    assert_chained(v1_chain)
    upgraded = (v1_chain / JOURNAL_FILE).read_bytes()
    (v1_chain / SNAPSHOT_FILE).unlink()  # a full replay of the upgraded journal gives the same chain
    again = open_embedded_chain(v1_chain, clock=clock)
    try:
        assert again.is_active(gid)
    finally:
        again.close()
    assert (v1_chain / JOURNAL_FILE).read_bytes() == upgraded


def test_crash_between_head_and_journal_during_upgrade_recovers(v1_chain: Path, clock: FixedClock) -> None:
    """The upgrade writes the head first: a crash before the journal's rename leaves the v1 journal
    and a head naming its v2 form; the next open upgrades again."""
    upgraded = lines_of(v1_chain)
    upgrade_v1_to_v2(upgraded)
    (v1_chain / HEAD_FILE).write_bytes(JournalHead(len(upgraded), line_hash(upgraded[-1])).to_json())
    backend = open_embedded_chain(v1_chain, clock=clock)
    backend.close()
    assert_chained(v1_chain)


UPGRADE_CRASH = """
import sys
from wallet.chain import journal
from wallet.clock import SystemClock
from wallet.chain.embedded import EmbeddedChain
from wallet.errors import WalletError
from wallet.formats import FileFormat

def upgrade_v2_to_v3(lines):
    raise OSError("No space left on device")

journal.JOURNAL_FORMAT = FileFormat("embedded chain journal", 3, (journal.upgrade_v1_to_v2, upgrade_v2_to_v3))
journal.VERSION = 3
try:
    EmbeddedChain(sys.argv[1], clock=SystemClock())
except WalletError as exc:
    print(exc.user_message)
    sys.exit(3)
"""


def test_failing_upgrade_leaves_the_v1_journal(v1_chain: Path, clock: FixedClock) -> None:
    raw = (v1_chain / JOURNAL_FILE).read_bytes()
    proc = subprocess.run([sys.executable, "-c", UPGRADE_CRASH, str(v1_chain)], capture_output=True, text=True,
                          cwd=REPO, timeout=300)
    assert proc.returncode == 3 and "No space left" in proc.stdout, proc.stderr
    assert (v1_chain / JOURNAL_FILE).read_bytes() == raw
    assert not (v1_chain / HEAD_FILE).exists()
    open_embedded_chain(v1_chain, clock=clock).close()
    assert_chained(v1_chain)


@pytest.fixture
def v2_chain(tmp_path: Path, clock: FixedClock) -> tuple[Path, list[bytes]]:
    """A fresh chain with a few grants (block 1 deploys the contract)."""
    folder = tmp_path / "chain"
    backend = open_embedded_chain(folder, clock=clock)
    patient, doctor = Account.create(), Account.create()
    ids = []
    for _ in range(3):
        gid = new_grant_id(doctor.address)
        backend.grant(patient, gid, doctor.address, CID, os.urandom(93), clock.now() + timedelta(days=1))
        ids.append(gid)
    backend.close()
    assert_chained(folder)
    assert len(lines_of(folder)) >= 6
    return folder, ids


def write_lines(folder: Path, lines: list[bytes]) -> None:
    (folder / JOURNAL_FILE).write_bytes(b"".join(line + b"\n" for line in lines))


def refused(folder: Path, clock: FixedClock) -> str:
    with pytest.raises(ChainDamaged) as info:
        open_embedded_chain(folder, clock=clock)
    message = info.value.user_message
    assert "\n" not in message and str(folder) in message
    return message


@pytest.mark.parametrize("snapshot", [True, False])
def test_dropped_middle_line_is_refused(v2_chain: tuple[Path, list[bytes]], clock: FixedClock,
                                        snapshot: bool) -> None:
    folder, _ = v2_chain
    if not snapshot:
        (folder / SNAPSHOT_FILE).unlink()
    lines = lines_of(folder)
    write_lines(folder, lines[:2] + lines[3:])
    assert "does not follow" in refused(folder, clock)


def test_edited_middle_line_is_refused(v2_chain: tuple[Path, list[bytes]], clock: FixedClock) -> None:
    folder, _ = v2_chain
    lines = lines_of(folder)
    doc = json.loads(lines[3])
    doc["logs"][0][3] = "0x" + "00" * 32  # the event's data changed, the block hash kept
    lines[3] = json.dumps(doc, separators=(",", ":")).encode()
    write_lines(folder, lines)
    assert "line 5 does not follow line 4" in refused(folder, clock)


@pytest.mark.parametrize("snapshot", [True, False])
def test_dropped_last_lines_are_refused(v2_chain: tuple[Path, list[bytes]], clock: FixedClock,
                                        snapshot: bool) -> None:
    folder, _ = v2_chain
    if not snapshot:
        (folder / SNAPSHOT_FILE).unlink()
    write_lines(folder, lines_of(folder)[:-1])  # the last grant silently gone, the chain still whole
    assert "dropped from its end" in refused(folder, clock)


def test_edited_last_line_is_refused(v2_chain: tuple[Path, list[bytes]], clock: FixedClock) -> None:
    folder, _ = v2_chain
    lines = lines_of(folder)
    doc = json.loads(lines[-1])
    doc["logs"][0][3] = "0x" + "00" * 32
    lines[-1] = json.dumps(doc, separators=(",", ":")).encode()
    write_lines(folder, lines)
    assert "edited" in refused(folder, clock)


@pytest.mark.parametrize("how", ["emptied", "deleted", "header only"])
def test_emptied_journal_is_refused(v2_chain: tuple[Path, list[bytes]], clock: FixedClock, how: str) -> None:
    folder, _ = v2_chain
    if how == "emptied":
        (folder / JOURNAL_FILE).write_bytes(b"")
    elif how == "deleted":
        (folder / JOURNAL_FILE).unlink()
    else:
        write_lines(folder, lines_of(folder)[:1])
    message = refused(folder, clock)
    assert ("empty" in message) if how != "header only" else ("dropped" in message)
    assert not (folder / JOURNAL_FILE).exists() or len(lines_of(folder)) <= 1  # no new chain was started


def test_emptied_journal_without_head_but_with_snapshot_is_refused(v2_chain: tuple[Path, list[bytes]],
                                                                   clock: FixedClock) -> None:
    folder, _ = v2_chain
    (folder / JOURNAL_FILE).unlink()
    (folder / HEAD_FILE).unlink()
    assert "empty" in refused(folder, clock)


def test_deleted_head_is_refused(v2_chain: tuple[Path, list[bytes]], clock: FixedClock) -> None:
    folder, _ = v2_chain
    (folder / HEAD_FILE).unlink()
    assert HEAD_FILE in refused(folder, clock)


def test_newer_journal_is_refused(v2_chain: tuple[Path, list[bytes]], clock: FixedClock) -> None:
    folder, _ = v2_chain
    lines = lines_of(folder)
    header = json.loads(lines[0])
    header["version"] = 3
    lines[0] = json.dumps(header, sort_keys=True).encode()
    write_lines(folder, lines)
    raw = (folder / JOURNAL_FILE).read_bytes()
    assert "newer Health Wallet" in refused(folder, clock)
    assert (folder / JOURNAL_FILE).read_bytes() == raw


@pytest.mark.parametrize("snapshot", [True, False])
def test_torn_last_line_is_still_recovered(v2_chain: tuple[Path, list[bytes]], clock: FixedClock,
                                           snapshot: bool) -> None:
    folder, ids = v2_chain
    if not snapshot:
        (folder / SNAPSHOT_FILE).unlink()
    whole = lines_of(folder)
    torn = json.dumps({"n": len(whole), "ts": 1, "txs": ["0x02"], "prev": line_hash(whole[-1])}).encode()
    with open(folder / JOURNAL_FILE, "ab") as fh:
        fh.write(torn[: len(torn) // 2])  # a writer died mid-line, before moving the head
    backend = open_embedded_chain(folder, clock=clock)
    try:
        assert all(backend.is_active(gid) for gid in ids)
        backend.publish_backup(Account.create(), CID)  # the next append replaces the torn bytes
    finally:
        backend.close()
    assert len(lines_of(folder)) > len(whole)
    assert_chained(folder)


def test_a_complete_but_cut_last_line_is_damage_not_a_torn_write(v2_chain: tuple[Path, list[bytes]],
                                                                  clock: FixedClock) -> None:
    """Only bytes after the last newline are a crash's torn line; a complete line that is cut is refused."""
    folder, _ = v2_chain
    lines = lines_of(folder)
    lines[-1] = lines[-1][: len(lines[-1]) // 2]
    write_lines(folder, lines)
    assert "damaged" in refused(folder, clock)


def test_older_copy_put_back_over_an_upgraded_chain_is_refused(v1_chain: Path, clock: FixedClock) -> None:
    """A version 1 journal restored over a chain that went further must not reset its head."""
    old = lines_of(v1_chain)
    backend = open_embedded_chain(v1_chain, clock=clock)
    try:
        backend.publish_backup(Account.create(), CID)  # the chain moves on after the upgrade
    finally:
        backend.close()
    write_lines(v1_chain, old)
    raw = (v1_chain / JOURNAL_FILE).read_bytes()
    assert "older copy was put back" in refused(v1_chain, clock)
    assert (v1_chain / JOURNAL_FILE).read_bytes() == raw
