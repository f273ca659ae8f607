"""How an import writes: many rows to a statement in position order (the same rows, search
index and results as one at a time), a larger page cache and the cyclic collector paused
only while it runs, and no reference cycles made per record."""

from __future__ import annotations

import gc
import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.gen_lifetime import lifetime_resources
from wallet.errors import InvalidRecord
from wallet.events import Progress
from wallet.records import store as store_module
from wallet.records.importer import import_ndjson, import_ndjson_lines
from wallet.records.store import NewRecord, RecordStore
from wallet.records.summary import summarize
from wallet.vault import aead

WORDS = ("heart", "rate", "steps", "pressure", "systolic", "8867-4", "85354-9", "weight", "kg", "lisinopril",
         "peanut", "influenza", "encounter", "check", "Lindqvist", "final", "min", "mm")


INDEX_KEY = aead.new_key()  # both stores of a comparison give a record the same id


def _new_store(path: Path) -> RecordStore:
    return RecordStore(path, record_key=aead.new_key(), index_key=INDEX_KEY)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RecordStore]:
    s = _new_store(tmp_path / "records.sqlite3")
    yield s
    s.close()


def _lines(resources: list[dict]) -> list[bytes]:
    return [json.dumps(r).encode() + b"\n" for r in resources]


def _vocabulary(store: RecordStore) -> list[tuple]:
    """Every term of the search index with the rows (positions) and places it is found in."""
    conn = store._conn()
    conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_terms USING fts5vocab(main, search, 'instance')")
    return conn.execute("SELECT term, doc, col, offset FROM temp.search_terms ORDER BY term, doc, offset").fetchall()


def test_rows_written_many_to_a_statement_are_those_written_one_at_a_time(
        store: RecordStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "_ROWS_PER_INSERT", 37)  # several statements, the last one short
    resources = list(lifetime_resources(260, seed=5))
    random.Random(3).shuffle(resources)  # positions go up and down within a statement
    records = [NewRecord(store.record_id(r), r, summarize(r)) for r in resources]
    assert store.add_many(records[:200] + records[10:20]) == (200, 10)  # ten repeated within the call
    assert store.add_many(records[150:]) == (60, 50)
    one_by_one = _new_store(tmp_path / "one-by-one.sqlite3")
    try:
        for rec in records:
            one_by_one.put(NewRecord(one_by_one.record_id(rec.resource), rec.resource, rec.summary))
        assert store.ids() == one_by_one.ids() and len(store.ids()) == 260
        assert [s.key for s in store.summaries()] == [s.key for s in one_by_one.summaries()]
        assert store.counts_by_type() == one_by_one.counts_by_type()
        assert [(s.summary, store.get(s.id)) for s in store.summaries()] == \
            [(s.summary, one_by_one.get(s.id)) for s in one_by_one.summaries()]
        assert _vocabulary(store) == _vocabulary(one_by_one) and _vocabulary(store)
        found = {word: store.ids(text=word) for word in WORDS}
        assert found == {word: one_by_one.ids(text=word) for word in WORDS}
        assert all(found[word] for word in ("heart", "8867-4", "Lindqvist", "kg"))
        store.check()
    finally:
        one_by_one.close()


def test_a_streamed_file_searches_as_the_same_records_written_one_at_a_time(store: RecordStore,
                                                                            tmp_path: Path) -> None:
    resources = list(lifetime_resources(400, seed=9))
    random.Random(4).shuffle(resources[1:])  # the Patient first; readings out of time order
    import_ndjson_lines(store, _lines(resources), name="lifetime.ndjson", check_person=True, batch=150)
    one_by_one = _new_store(tmp_path / "one-by-one.sqlite3")
    try:
        for r in resources:
            one_by_one.put(NewRecord(one_by_one.record_id(r), r, summarize(r, patient=resources[0])))
        assert store.ids() == one_by_one.ids() and store.count() == 400
        assert _vocabulary(store) == _vocabulary(one_by_one)
        for word in WORDS:
            assert store.ids(text=word) == one_by_one.ids(text=word), word
            assert store.count(text=word) == one_by_one.count(text=word), word
        store.check()
    finally:
        one_by_one.close()


def _cache_size(store: RecordStore) -> int:
    size: int = store._conn().execute("PRAGMA cache_size").fetchone()[0]
    return size


def test_an_import_pauses_the_collector_and_enlarges_the_cache_only_while_it_runs(store: RecordStore) -> None:
    seen: list[tuple[bool, int]] = []

    def progress(_done: Progress) -> None:
        seen.append((gc.isenabled(), _cache_size(store)))

    everyday = _cache_size(store)
    assert everyday == -store_module._CACHE_KIB and gc.isenabled()
    import_ndjson_lines(store, _lines(list(lifetime_resources(120, seed=2))), name="a.ndjson",
                        check_person=True, batch=50, progress=progress)
    assert (False, -store_module._IMPORT_CACHE_KIB) in seen
    assert gc.isenabled() and _cache_size(store) == everyday
    bad = list(lifetime_resources(120, seed=3))
    bad[80] = {**bad[80], "status": "not-a-status"}
    seen.clear()
    with pytest.raises(InvalidRecord):
        import_ndjson_lines(store, _lines(bad), name="b.ndjson", batch=50, progress=progress)
    assert (False, -store_module._IMPORT_CACHE_KIB) in seen
    assert gc.isenabled() and _cache_size(store) == everyday
    gc.disable()
    try:  # a program that keeps the collector off finds it off after an import
        import_ndjson_lines(store, _lines(list(lifetime_resources(30, seed=4))), name="c.ndjson")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_file_of_records_makes_no_reference_cycles(store: RecordStore, tmp_path: Path) -> None:
    path = tmp_path / "lifetime.ndjson"
    path.write_bytes(b"".join(_lines(list(lifetime_resources(2_000, seed=6)))))
    import_ndjson(store, path, check_person=True, parallel=False, batch=500)  # everything imported once
    path.write_bytes(b"".join(_lines(list(lifetime_resources(2_000, seed=7)))))
    gc.collect()
    gc.disable()
    try:
        result = import_ndjson(store, path, check_person=False, parallel=False, batch=500)
        left_in_cycles = gc.collect()
    finally:
        gc.enable()
    assert result.total == 2_000
    assert left_in_cycles < 200  # one cycle a record would leave thousands of objects


def test_of_two_records_with_one_id_in_a_call_the_first_is_kept_whatever_its_date(store: RecordStore) -> None:
    first = {"resourceType": "Observation", "id": "same", "status": "final", "code": {"text": "First"},
             "effectiveDateTime": "2024-05-01T00:00:00Z"}
    second = {**first, "code": {"text": "Second"}, "effectiveDateTime": "2020-01-01T00:00:00Z"}  # positioned lower
    records = [NewRecord(store.record_id(r), r, summarize(r)) for r in (first, second)]
    assert store.add_many(records) == (1, 1)
    assert [s.summary.title for s in store.summaries()] == ["First"]
    assert store.ids(text="second") == [] and store.ids(text="first") == [records[0].id]
