"""The embedded chain's persistence: restarts, other processes, damage, snapshots, time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from eth_account import Account

from tests.chain.conftest import CID
from wallet.chain import new_grant_id, open_embedded_chain
from wallet.chain.embedded import EmbeddedChain
from wallet.chain.journal import JOURNAL_FILE, SNAPSHOT_FILE
from wallet.clock import FixedClock
from wallet.errors import ChainUnavailable

REPO = Path(__file__).resolve().parents[2]


def _worker(folder: Path, clock: FixedClock, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.chain.embedded_worker", str(folder), str(clock.timestamp()), *args],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _result(proc: subprocess.Popen[str]) -> dict:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return json.loads(out)


def _grant(backend, patient, doctor, clock: FixedClock, days: int = 1) -> bytes:
    gid = new_grant_id(doctor.address)
    backend.grant(patient, gid, doctor.address, CID, os.urandom(93), clock.now() + timedelta(days=days))
    return gid


def test_grants_and_backup_survive_reopening(tmp_path: Path, clock: FixedClock) -> None:
    folder = tmp_path / "chain"
    patient, doctor = Account.create(), Account.create()
    first = open_embedded_chain(folder, clock=clock)
    gid = _grant(first, patient, doctor, clock)
    first.publish_backup(patient, CID)
    chain_id, contract = first.chain_id, first.contract_address
    first.close()

    again = open_embedded_chain(folder, clock=clock)
    assert (again.chain_id, again.contract_address) == (chain_id, contract)
    assert again.is_active(gid)
    assert again.grant_info(gid).patient == patient.address
    assert again.latest_backup(patient.address) == CID
    assert [g.grant_id for g in again.grants_for_grantee(doctor.address)] == [gid]
    again.revoke(patient, gid)  # nonces continue where they were
    again.close()


def test_each_new_chain_has_its_own_id_and_deploys_its_contract_once(tmp_path: Path, clock: FixedClock) -> None:
    a = open_embedded_chain(tmp_path / "a", clock=clock)
    b = open_embedded_chain(tmp_path / "b", clock=clock)
    assert a.chain_id != b.chain_id
    assert a.contract_address == b.contract_address  # the development account's first deployment
    assert a.web3.eth.block_number == 1


def test_a_restored_wallet_finds_its_backup_from_a_new_process(tmp_path: Path, clock: FixedClock) -> None:
    folder = tmp_path / "chain"
    owner = Account.create()
    open_embedded_chain(folder, clock=clock).publish_backup(owner, "bafk-old")
    _result(_worker(folder, clock, "backup", owner.key.hex(), CID))
    assert open_embedded_chain(folder, clock=clock).latest_backup(owner.address) == CID


def test_patient_and_doctor_processes_share_the_chain(tmp_path: Path, clock: FixedClock) -> None:
    folder = tmp_path / "chain"
    patient, doctor = Account.create(), Account.create()
    doctor_side = open_embedded_chain(folder, clock=clock)  # stays open while the patient works
    assert doctor_side.grants_for_grantee(doctor.address) == []
    grants = _result(_worker(folder, clock, "grant", patient.key.hex(), doctor.address, "2"))["grants"]
    received = doctor_side.grants_for_grantee(doctor.address)  # sees the other process's blocks
    assert ["0x" + g.grant_id.hex() for g in received] == grants
    doctor_side.record_access(doctor, received[0].grant_id)
    patient_side = open_embedded_chain(folder, clock=clock)
    assert [g.accesses for g in patient_side.grants_by_patient(patient.address)] == [1, 0]


def test_concurrent_writers_lose_nothing_and_replay_identically(tmp_path: Path, clock: FixedClock) -> None:
    folder = tmp_path / "chain"
    open_embedded_chain(folder, clock=clock).close()
    doctor = Account.create()
    patients = [Account.create() for _ in range(3)]
    procs = [_worker(folder, clock, "grant", p.key.hex(), doctor.address, "4") for p in patients]
    made = [g for proc in procs for g in _result(proc)["grants"]]
    assert len(made) == 12

    live = open_embedded_chain(folder, clock=clock)
    assert sorted("0x" + g.grant_id.hex() for g in live.grants_for_grantee(doctor.address)) == sorted(made)
    head = live.web3.eth.get_block("latest")

    (folder / SNAPSHOT_FILE).unlink()  # replay every block from the journal alone
    replayed = EmbeddedChain(folder, clock=clock)
    assert replayed.replayed_blocks == head["number"]
    from web3 import Web3

    from wallet.chain.embedded import EmbeddedProvider

    assert Web3(EmbeddedProvider(replayed)).eth.get_block("latest")["hash"] == head["hash"]


def test_the_same_account_in_two_processes_gets_fresh_nonces(tmp_path: Path, clock: FixedClock) -> None:
    folder = tmp_path / "chain"
    patient, doctor = Account.create(), Account.create()
    here = open_embedded_chain(folder, clock=clock)
    _grant(here, patient, doctor, clock)
    _result(_worker(folder, clock, "grant", patient.key.hex(), doctor.address, "1"))
    _grant(here, patient, doctor, clock)  # the other process used the next nonce meanwhile
    assert len(here.grants_by_patient(patient.address)) == 3


def test_snapshot_makes_opening_fast_and_damage_only_costs_a_replay(tmp_path: Path, clock: FixedClock) -> None:
    folder = tmp_path / "chain"
    patient, doctor = Account.create(), Account.create()
    backend = open_embedded_chain(folder, clock=clock)
    ids = [_grant(backend, patient, doctor, clock) for _ in range(5)]
    backend.close()  # leaves a snapshot at the head

    warm = EmbeddedChain(folder, clock=clock)
    assert warm.replayed_blocks == 0

    (folder / SNAPSHOT_FILE).write_bytes(b"HWCS\x01garbage")
    cold = open_embedded_chain(folder, clock=clock)
    assert all(cold.is_active(gid) for gid in ids)


def test_a_torn_last_line_is_ignored_and_repaired(tmp_path: Path, clock: FixedClock) -> None:
    folder = tmp_path / "chain"
    patient, doctor = Account.create(), Account.create()
    backend = open_embedded_chain(folder, clock=clock)
    gid = _grant(backend, patient, doctor, clock)
    backend.close()
    with open(folder / JOURNAL_FILE, "ab") as fh:
        fh.write(b'{"n": 99, "ts": 1, "txs": ["0x02')  # a writer died mid-line
    reopened = open_embedded_chain(folder, clock=clock)
    assert reopened.is_active(gid)
    reopened.revoke(patient, gid)  # the next append replaces the torn bytes
    lines = (folder / JOURNAL_FILE).read_bytes().splitlines()
    assert all(line.startswith(b"{") and line.endswith(b"}") for line in lines)
    (folder / SNAPSHOT_FILE).unlink()
    assert not open_embedded_chain(folder, clock=clock).is_active(gid)


def test_a_damaged_journal_is_reported(tmp_path: Path, clock: FixedClock) -> None:
    folder = tmp_path / "chain"
    open_embedded_chain(folder, clock=clock).close()
    (folder / SNAPSHOT_FILE).unlink()
    with open(folder / JOURNAL_FILE, "ab") as fh:
        fh.write(b"not json\n")
    with pytest.raises(ChainUnavailable) as info:
        open_embedded_chain(folder, clock=clock)
    assert "damaged" in info.value.user_message and str(folder) in info.value.user_message


def test_a_journal_that_replays_differently_is_refused(tmp_path: Path, clock: FixedClock) -> None:
    folder = tmp_path / "chain"
    open_embedded_chain(folder, clock=clock).close()
    (folder / SNAPSHOT_FILE).unlink()
    path = folder / JOURNAL_FILE
    header, block = path.read_text().splitlines()
    doc = json.loads(block)
    doc["ts"] += 1  # same transaction, other time: another block hash
    path.write_text(header + "\n" + json.dumps(doc) + "\n")
    with pytest.raises(ChainUnavailable) as info:
        open_embedded_chain(folder, clock=clock)
    assert "differently" in info.value.user_message


def test_block_time_follows_the_clock_and_never_goes_back(tmp_path: Path, clock: FixedClock) -> None:
    backend = open_embedded_chain(tmp_path / "chain", clock=clock)
    patient = Account.create()
    first = backend.register_key(patient, os.urandom(32))
    clock.advance(3600)
    assert backend.now() == clock.now()  # calls see the clock even with no new block
    later = backend.register_key(patient, os.urandom(32))
    stamp = lambda r: backend.web3.eth.get_block(r.block)["timestamp"]  # noqa: E731
    assert stamp(later) == clock.timestamp()
    clock.advance(-7200)  # a clock set back: blocks still move forward
    earlier = backend.register_key(patient, os.urandom(32))
    assert stamp(earlier) == stamp(later) + 1 > stamp(first)
    assert backend.now() == datetime.fromtimestamp(stamp(earlier), UTC)


def test_a_busy_chain_says_so(tmp_path: Path, clock: FixedClock) -> None:
    from wallet.chain.journal import Journal

    folder = tmp_path / "chain"
    backend = open_embedded_chain(folder, clock=clock)
    holder = Journal(folder)
    holder.lock(1.0)  # as if another process were stuck mid-write
    try:
        chain = EmbeddedChain(folder, clock=clock, lock_timeout=0.2)
        from web3 import Web3

        from wallet.chain.embedded import EmbeddedProvider
        from wallet.chain.web3_backend import Web3ChainBackend

        busy = Web3ChainBackend(Web3(EmbeddedProvider(chain)), description="busy",
                                contract_address=backend.contract_address, development=True,
                                faucet=chain.dev_account, time_source=chain.now_timestamp)
        started = time.monotonic()
        with pytest.raises(ChainUnavailable) as info:
            busy.publish_backup(Account.create(), CID)
        assert "busy" in info.value.user_message and time.monotonic() - started < 5
        assert busy.latest_backup(Account.create().address) is None  # reading needs no lock
    finally:
        holder.unlock()


def test_an_unwritable_folder_is_reported(tmp_path: Path, clock: FixedClock) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ChainUnavailable) as info:
        open_embedded_chain(blocker / "chain", clock=clock)
    assert str(blocker) in info.value.user_message


def test_one_account_racing_itself_from_two_openings(tmp_path: Path, clock: FixedClock) -> None:
    import threading

    folder = tmp_path / "chain"
    patient, doctor = Account.create(), Account.create()
    sides = [open_embedded_chain(folder, clock=clock) for _ in range(2)]
    sides[0].register_key(patient, os.urandom(32))  # funded once
    errors: list[BaseException] = []

    def work(backend) -> None:
        try:
            for _ in range(5):
                _grant(backend, patient, doctor, clock)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(side,)) for side in sides]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert len(sides[1].grants_by_patient(patient.address)) == 10
