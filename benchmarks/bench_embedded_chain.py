"""The embedded chain's costs: a grant end to end, opening from the snapshot, replaying the journal.

Builds a chain of N grant blocks in a temporary folder, then opens it three ways:
from the snapshot left at close (the usual case), from the journal alone (snapshot
deleted: every block re-executed), and after another process appended 50 blocks
(snapshot plus a short replay).

    python benchmarks/bench_embedded_chain.py [--blocks 500]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from eth_account import Account  # noqa: E402

from wallet.chain import new_grant_id, open_embedded_chain  # noqa: E402
from wallet.chain.embedded import EmbeddedChain  # noqa: E402
from wallet.chain.journal import JOURNAL_FILE, SNAPSHOT_FILE  # noqa: E402
from wallet.clock import FixedClock  # noqa: E402

CID = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"


def _grants(backend, clock: FixedClock, count: int) -> list[float]:
    patient, doctor = Account.create(), Account.create()
    times = []
    for _ in range(count):
        gid = new_grant_id(doctor.address)
        start = time.perf_counter()
        backend.grant(patient, gid, doctor.address, CID, os.urandom(93), clock.now() + timedelta(days=30))
        times.append(time.perf_counter() - start)
        clock.advance(1)
    return times


def _open(folder: Path, clock: FixedClock, runs: int = 3) -> tuple[float, int]:
    seconds = []
    replayed = 0
    for _ in range(runs):
        chain = EmbeddedChain(folder, clock=clock)
        seconds.append(chain.open_seconds)
        replayed = chain.replayed_blocks
    return statistics.median(seconds), replayed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=500)
    args = parser.parse_args()
    clock = FixedClock(datetime(2030, 1, 1, tzinfo=UTC))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "chain"
        backend = open_embedded_chain(folder, clock=clock)
        per_grant = _grants(backend, clock, args.blocks)
        backend.close()
        head = backend.web3.eth.block_number

        warm, warm_replayed = _open(folder, clock)
        snapshot_size = (folder / SNAPSHOT_FILE).stat().st_size
        journal_size = (folder / JOURNAL_FILE).stat().st_size

        other = open_embedded_chain(folder, clock=clock)
        _grants(other, clock, 50)  # another process's blocks, no close: no new snapshot
        behind, behind_replayed = _open(folder, clock)

        (folder / SNAPSHOT_FILE).unlink()
        cold, cold_replayed = _open(folder, clock, runs=1)

    print(f"embedded chain, {head} blocks of grants ({args.blocks} + deploy and funding)")
    print(f"  grant end to end (estimate, sign, execute, journal): median {statistics.median(per_grant) * 1000:.1f} ms")
    print(f"  open from snapshot:                 {warm * 1000:8.1f} ms  (replayed {warm_replayed} blocks)")
    print(f"  open after 50 more blocks elsewhere: {behind * 1000:7.1f} ms  (replayed {behind_replayed} blocks)")
    print(f"  open from the journal alone:        {cold * 1000:8.1f} ms  (replayed {cold_replayed} blocks, "
          f"{cold / max(cold_replayed, 1) * 1000:.2f} ms per block)")
    print(f"  journal {journal_size / 1024:.0f} KiB, snapshot {snapshot_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
