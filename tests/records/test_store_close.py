"""Closing the store (locking the wallet) while another thread is reading waits for that
read to return instead of closing its connection under it, which crashed the process."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from wallet.records import store as store_module
from wallet.records.store import RecordStore
from wallet.vault import aead


def test_close_waits_for_a_read_running_on_another_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = RecordStore(tmp_path / "records.sqlite3", record_key=aead.new_key(), index_key=aead.new_key())
    reading, go_on = threading.Event(), threading.Event()

    def slow_count(self: RecordStore) -> int:  # a read that is under way when the wallet locks
        conn = self._conn()
        reading.set()
        go_on.wait(30)
        return int(conn.execute("SELECT count(*) FROM records").fetchone()[0])

    monkeypatch.setattr(RecordStore, "slow_count", store_module._guarded(slow_count), raising=False)
    answers: list[int] = []
    reader = threading.Thread(target=lambda: answers.append(store.slow_count()))  # type: ignore[attr-defined]
    reader.start()
    assert reading.wait(30)
    closer = threading.Thread(target=store.close)
    closer.start()
    closer.join(0.5)
    assert closer.is_alive()  # close waits while the read runs
    go_on.set()
    reader.join(30)
    closer.join(30)
    assert answers == [0] and not closer.is_alive()
    again = RecordStore(tmp_path / "records.sqlite3", record_key=store._key, index_key=store._index_key)
    assert again.count() == 0
    again.close()


def test_close_from_inside_a_call_of_its_own_thread_does_not_wait(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    store = RecordStore(tmp_path / "records.sqlite3", record_key=aead.new_key(), index_key=aead.new_key())
    monkeypatch.setattr(store_module, "_CLOSE_WAIT", 60.0)

    def close_inside(self: RecordStore) -> str:
        self.close()
        return "closed"

    monkeypatch.setattr(RecordStore, "close_inside", store_module._guarded(close_inside), raising=False)
    done: list[str] = []
    worker = threading.Thread(target=lambda: done.append(store.close_inside()))  # type: ignore[attr-defined]
    worker.start()
    worker.join(30)
    assert done == ["closed"]
