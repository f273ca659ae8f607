"""A large write's commit leaves copying its pages from the WAL into the file to a thread of
the store: what was committed is there at once and after a reopen, the file holds it once
that thread is done, and writes made meanwhile are kept."""

from __future__ import annotations

import struct
import threading
import time
from pathlib import Path

import pytest

from benchmarks.gen_lifetime import lifetime_resources
from wallet.records import store as store_module
from wallet.records.store import NewRecord, RecordStore
from wallet.records.summary import summarize
from wallet.records.wal_copier import WalCopier
from wallet.vault import aead

RECORD_KEY, INDEX_KEY = aead.new_key(), aead.new_key()


def _open(path: Path) -> RecordStore:
    return RecordStore(path, record_key=RECORD_KEY, index_key=INDEX_KEY)


def _records(store: RecordStore, count: int, seed: int) -> list[NewRecord]:
    return [NewRecord(store.record_id(r), r, summarize(r)) for r in lifetime_resources(count, seed=seed)]


def test_a_large_commit_is_read_at_once_and_lands_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "records.sqlite3"
    store = _open(path)
    empty_size = path.stat().st_size
    records = _records(store, 3000, seed=1)
    assert store.add_many(records) == (3000, 0)
    assert store.count() == 3000  # committed: read at once, whatever the copying thread is doing
    store._checkpointer.wait()
    # the pages are in the file, not only in the WAL, while the store is still open (closing
    # the last connection would copy them too)
    assert path.stat().st_size > 1_000_000 > empty_size
    store.close()
    again = _open(path)
    try:
        assert again.count() == 3000
        assert again.existing_ids(r.id for r in records) == {r.id for r in records}
    finally:
        again.close()


def test_writes_made_while_the_pages_are_copied_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "records.sqlite3"
    store = _open(path)
    copying, go_on = threading.Event(), threading.Event()
    checkpoint = store._checkpoint

    def slow_checkpoint() -> None:  # the copy starts, and waits until the next write is done
        copying.set()
        go_on.wait(30)
        checkpoint()

    monkeypatch.setattr(store, "_checkpoint", slow_checkpoint)
    store._checkpointer = WalCopier(store._checkpoint)
    first, second = _records(store, 1500, seed=2), _records(store, 1500, seed=3)
    assert store.add_many(first) == (1500, 0)
    assert copying.wait(30)
    assert path.stat().st_size < 1_000_000  # the commit left its pages in the WAL for the thread to copy
    added, _ = store.add_many(second)  # a second large write while the first's pages are being copied
    go_on.set()
    store.close()
    assert path.stat().st_size > 1_000_000
    again = _open(path)
    try:
        assert again.count() == len({r.id for r in first} | {r.id for r in second})
        assert added == again.count() - 1500
    finally:
        again.close()


def _wal_restarts(tmp_path: Path, bound: int) -> list[int]:
    """Four large writes, each begun while the last one's pages are still being copied; the
    WAL header's checkpoint sequence number after each (SQLite file format, section 4.1:
    bytes 12-15, one more each time the WAL starts again from its beginning)."""
    path = tmp_path / f"bound-{bound}" / "records.sqlite3"
    store = _open(path)
    checkpoint = store._checkpoint

    def slow_checkpoint() -> None:
        time.sleep(0.5)  # still copying when the next write begins
        checkpoint()

    store._checkpointer = WalCopier(slow_checkpoint)
    sequence = []
    try:
        for seed in range(4):
            store.add_many(_records(store, 300, seed=20 + seed))
            header = path.with_name(path.name + "-wal").read_bytes()[:32]
            sequence.append(struct.unpack(">I", header[12:16])[0])
        assert store.count() == 1200
    finally:
        store.close()
    return sequence


def test_the_wal_starts_again_once_past_its_bound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each large write of an import begins while the last one's pages are still being
    copied, so SQLite never starts the WAL again and it grows by every write; past the
    bound a write waits for the copy and starts the WAL from its beginning."""
    monkeypatch.setattr(store_module, "_WAL_BOUND", 1 << 40)
    assert len(set(_wal_restarts(tmp_path, 1 << 40))) == 1  # never started again: the WAL only grew
    monkeypatch.setattr(store_module, "_WAL_BOUND", 0)
    restarts = _wal_restarts(tmp_path, 0)
    assert restarts == sorted(set(restarts))  # started again before every write
