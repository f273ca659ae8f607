"""Pages newest first through the store's index, undated records last; a search's pages keep
that order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.gen_lifetime import lifetime_resources
from wallet.records.store import NewRecord, RecordStore
from wallet.records.summary import summarize
from wallet.vault import aead


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RecordStore]:
    s = RecordStore(tmp_path / "records.sqlite3", record_key=aead.new_key(), index_key=aead.new_key())
    resources = list(lifetime_resources(300, seed=5))
    undated = [{"resourceType": "Observation", "id": f"undated-{i}", "status": "final",
                "code": {"text": "Heart rate note"}} for i in range(3)]
    s.add_many([NewRecord(s.record_id(r), r, summarize(r)) for r in resources + undated])
    yield s
    s.close()


def _instants(rows) -> list:
    return [r.instant for r in rows]


def test_pages_are_newest_first_with_undated_records_last(store: RecordStore) -> None:
    rows = []
    page = store.page(limit=50)
    while True:
        rows.extend(page.rows)
        if page.next is None:
            break
        page = store.page(limit=50, after=page.next)
    dated = [i for i in _instants(rows) if i is not None]
    assert len(rows) == store.count() == 303
    assert dated == sorted(dated, reverse=True) and _instants(rows)[-3:] == [None, None, None]
    assert [r.id for r in rows] == store.ids()
    assert store.ids(newest_first=False) == store.ids()[::-1]  # oldest first: exactly the reverse


@pytest.mark.parametrize("word", ["heart", "weight", "check up", "nothing-like-this"])
def test_search_pages_keep_the_newest_first_order_of_every_record(store: RecordStore, word: str) -> None:
    found = [r.id for r in store.page(text=word, limit=1000).rows]
    matching = set(store.ids(text=word))
    assert found == [rid for rid in store.ids() if rid in matching]
    assert store.count(text=word) == len(found)
    assert (len(found) > 0) == (word != "nothing-like-this")
