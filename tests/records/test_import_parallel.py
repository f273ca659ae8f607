"""NDJSON imports validated in a second process: the same records, the same refusals, the
first bad line named, nothing kept from a file that fails; batched writes keep positions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from benchmarks.gen_lifetime import lifetime_resources
from wallet.errors import InvalidRecord
from wallet.records import line_validator
from wallet.records.importer import import_ndjson
from wallet.records.instants import start_instant
from wallet.records.store import NewRecord, RecordStore
from wallet.records.store_schema import free_positions, next_position
from wallet.records.summary import summarize
from wallet.vault import aead

UNSAFE = '<div xmlns="http://www.w3.org/1999/xhtml">Pulse <script>alert(1)</script></div>'


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RecordStore]:
    s = RecordStore(tmp_path / "records.sqlite3", record_key=aead.new_key(), index_key=aead.new_key())
    yield s
    s.close()


@pytest.fixture
def other(tmp_path: Path) -> Iterator[RecordStore]:
    s = RecordStore(tmp_path / "other.sqlite3", record_key=aead.new_key(), index_key=aead.new_key())
    yield s
    s.close()


def _write(path: Path, resources: list[dict]) -> Path:
    path.write_bytes(b"".join(json.dumps(r).encode() + b"\n" for r in resources))
    return path


def _readings(n: int, seed: int = 11) -> list[dict]:
    return list(lifetime_resources(n, seed=seed))


def _state(store: RecordStore) -> tuple:
    return store.count(), store.ids(), [p.name for p in store.profiles()], store.counts_by_profile()


def _contents(store: RecordStore) -> list[tuple]:
    return [(s.summary, store.get(s.id)) for s in store.summaries(newest_first=False)]


def _validating_process_ran() -> bool:
    """Whether the second process validated (with one usable CPU the import runs in one process)."""
    shared = line_validator._shared
    return (shared is not None and shared.alive) or not line_validator.parallel_possible()


def test_a_file_validated_in_a_second_process_stores_what_one_process_stores(
        store: RecordStore, other: RecordStore, tmp_path: Path) -> None:
    resources = _readings(3500)
    resources[10] = {**resources[10], "text": {"status": "generated", "div": UNSAFE}}  # removed, record kept
    resources[11] = {**resources[11], "text": {"status": "generated",
                                              "div": '<div xmlns="http://www.w3.org/1999/xhtml">Pulse 60</div>'}}
    resources[12] = {**resources[12], "code": {"text": "Pouls au repos, café"}}  # written with a \u escape
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": resources.pop(20)}]}
    resources.insert(20, bundle)  # a Bundle on a line gives its entries
    path = _write(tmp_path / "readings.ndjson", resources)
    together = import_ndjson(store, path, check_person=True, parallel=True)
    assert _validating_process_ran()
    alone = import_ndjson(other, path, check_person=True, parallel=False)
    assert together == alone and together.total == 3500
    assert any("narrative" in w for w in together.warnings)
    assert _contents(store) == _contents(other)
    assert "text" not in store.get(store.record_id(resources[10]))  # the unsafe narrative was not stored
    assert store.search("Pulse 60") and not store.search("alert")
    assert store.get(store.record_id(resources[12]))["code"]["text"] == "Pouls au repos, café"
    assert store.search("cafe")


def test_a_bad_line_late_in_a_large_file_leaves_nothing_and_is_named(store: RecordStore, tmp_path: Path) -> None:
    import_ndjson(store, _write(tmp_path / "first.ndjson", _readings(30, seed=1)), check_person=True)
    before = _state(store)
    resources = _readings(12_000, seed=2)
    resources[9_499] = {**resources[9_499], "status": "not-a-status"}  # line 9,500: many chunks in
    with pytest.raises(InvalidRecord) as info:
        import_ndjson(store, _write(tmp_path / "readings.ndjson", resources), check_person=True, parallel=True)
    assert _validating_process_ran()
    assert info.value.user_message.startswith("readings.ndjson line 9500: ")
    assert "not-a-status" in info.value.user_message
    assert _state(store) == before
    # the process is ready for the next file
    result = import_ndjson(store, _write(tmp_path / "good.ndjson", _readings(2_500, seed=1)), check_person=True,
                           parallel=True)
    assert result.total > 2_400 and store.count() > before[0] + 2_400


@pytest.mark.parametrize("parallel", [True, False])
def test_the_first_bad_line_is_named_whichever_check_finds_it(store: RecordStore, tmp_path: Path,
                                                              parallel: bool) -> None:
    resources = _readings(3_000, seed=3)
    resources[1_499] = {**resources[1_499], "status": "not-a-status"}  # line 1,500: FHIR validation
    lines = [json.dumps(r) for r in resources]
    lines[2_499] = "[" * 500 + "]" * 500  # line 2,500: refused by the input gate, before json.loads
    path = tmp_path / "readings.ndjson"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InvalidRecord) as info:
        import_ndjson(store, path, parallel=parallel)
    assert info.value.user_message.startswith("readings.ndjson line 1500: ")
    assert store.count() == 0
    lines[1_499] = json.dumps(resources[1_498] | {"id": "fixed"})
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InvalidRecord) as info:
        import_ndjson(store, path, parallel=parallel)
    assert info.value.user_message.startswith("readings.ndjson line 2500 ")
    assert "nested deeper" in info.value.user_message
    assert store.count() == 0


def test_a_validating_process_that_stopped_is_replaced_by_checks_in_this_one(
        store: RecordStore, tmp_path: Path) -> None:
    import_ndjson(store, _write(tmp_path / "first.ndjson", _readings(1_200, seed=4)), check_person=True,
                  parallel=True)
    shared = line_validator._shared
    if line_validator.parallel_possible():
        assert shared is not None and shared._process is not None
        shared._process.kill()  # as if the system had stopped it
        shared._process.wait()
    resources = _readings(2_500, seed=4)
    resources[2_199] = {**resources[2_199], "status": "not-a-status"}
    before = _state(store)
    with pytest.raises(InvalidRecord) as info:
        import_ndjson(store, _write(tmp_path / "bad.ndjson", resources), check_person=True, parallel=True)
    assert info.value.user_message.startswith("bad.ndjson line 2200: ")
    assert _state(store) == before


def test_positions_worked_out_per_batch_are_those_of_one_insert_at_a_time(store: RecordStore) -> None:
    same = "2024-03-10T08:00:00Z"
    dates = [same, "", "2024-03-10", same, "2023-01-01T00:00:00+01:00", "", same, "2024-03-10T08:00:00.5Z"]
    resources = [{"resourceType": "Observation", "id": f"o{i}", "status": "final", "code": {"text": f"Reading {i}"},
                  **({"effectiveDateTime": d} if d else {})} for i, d in enumerate(dates)]
    store.add_many([NewRecord(store.record_id(r), r, summarize(r)) for r in resources[:2]])
    conn = store._conn()
    instants = [start_instant(d) if d else None for d in dates]
    batched = free_positions(conn, instants)
    conn.execute("BEGIN")
    try:
        one_by_one = []
        for i, instant in enumerate(instants):
            n = next_position(conn, instant)
            conn.execute("INSERT INTO records (n, id, rtype, category, summary, resource) VALUES (?,?,?,?,?,?)",
                         (n, f"probe{i}", "Observation", "Other", "{}", "{}"))
            one_by_one.append(n)
    finally:
        conn.execute("ROLLBACK")
    assert batched == one_by_one
    store.add_many([NewRecord(store.record_id(r), r, summarize(r)) for r in resources[2:]])
    titles = [s.summary.title for s in store.summaries()]  # newest first; same instant: last imported first
    assert titles == ["Reading 7", "Reading 6", "Reading 3", "Reading 0", "Reading 2", "Reading 4",
                      "Reading 5", "Reading 1"]


def test_batched_inserts_count_what_they_add_and_what_was_already_held(store: RecordStore) -> None:
    resources = [{"resourceType": "Observation", "id": f"c{i}", "status": "final", "code": {"text": f"Count {i}"},
                  "effectiveDateTime": f"2024-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z"} for i in range(1_005)]
    records = [NewRecord(store.record_id(r), r, summarize(r)) for r in resources]
    assert store.add_many(records[:3]) == (3, 0)
    assert store.add_many(records[:5] + records[3:4]) == (2, 4)  # one repeated within the call
    assert store.add_many(records) == (1_000, 5)  # more than one prepared batch
    assert store.count() == 1_005
    assert [s.summary.title for s in store.summaries(limit=2)] == ["Count 1004", "Count 1003"]


@pytest.fixture
def shared_checks(store: RecordStore, tmp_path: Path) -> Iterator[line_validator.LineValidator | None]:
    """The validating process, started by a first import, checking every odd chunk of a file
    in the importing process instead (as when it is behind); back to its own choice after."""
    import_ndjson(store, _write(tmp_path / "first.ndjson", _readings(10, seed=9)), check_person=True, parallel=True)
    shared = line_validator._shared
    if line_validator.parallel_possible():
        assert shared is not None and shared.alive
        shared.here = lambda number: number % 2 == 1
    yield shared
    if shared is not None:
        shared.here = None


def test_a_file_checked_partly_here_and_partly_there_stores_what_one_process_stores(
        store: RecordStore, other: RecordStore, tmp_path: Path,
        shared_checks: line_validator.LineValidator | None) -> None:
    first = _readings(10, seed=9)
    import_ndjson(other, _write(tmp_path / "first.ndjson", first), check_person=True, parallel=False)
    resources = _readings(3_700, seed=5)  # chunks 0, 2, 4, 6 checked there; 1, 3, 5, 7 here
    for at in (10, line_validator.CHUNK + 10, 2 * line_validator.CHUNK + 10):  # there, here, there
        resources[at] = {**resources[at], "text": {"status": "generated", "div": UNSAFE}}
    resources[line_validator.CHUNK + 11] = {**resources[line_validator.CHUNK + 11], "code": {"text": "Pouls, café"}}
    path = _write(tmp_path / "readings.ndjson", resources)
    counts = (shared_checks.checked_here, shared_checks.checked_there) if shared_checks is not None else (0, 0)
    shared = import_ndjson(store, path, check_person=True, parallel=True)
    if shared_checks is not None:  # 8 chunks: 4 checked in each process
        assert (shared_checks.checked_here - counts[0], shared_checks.checked_there - counts[1]) == (4, 4)
    alone = import_ndjson(other, path, check_person=True, parallel=False)
    assert shared == alone and shared.total == 3_700
    assert sum("narrative" in w for w in shared.warnings) == 3
    assert _contents(store) == _contents(other)
    assert store.get(store.record_id(resources[line_validator.CHUNK + 11]))["code"]["text"] == "Pouls, café"
    assert not store.search("alert")


@pytest.mark.parametrize(("bad", "named"), [
    ((1_100, 700), 700),  # found here (chunk 1) before the one found there (chunk 2)
    ((300, 700), 300),  # found there (chunk 0), answered after the one found here (chunk 1)
    ((1_800, 2_300), 1_800),  # both found here (chunk 3 before chunk 4)
])
def test_the_first_bad_line_is_named_whichever_process_found_it(
        store: RecordStore, tmp_path: Path, shared_checks: line_validator.LineValidator | None,
        bad: tuple[int, int], named: int) -> None:
    before = _state(store)
    resources = _readings(3_000, seed=6)
    for line in bad:
        resources[line - 1] = {**resources[line - 1], "status": f"not-a-status-{line}"}
    with pytest.raises(InvalidRecord) as info:
        import_ndjson(store, _write(tmp_path / "readings.ndjson", resources), check_person=True, parallel=True)
    assert info.value.user_message.startswith(f"readings.ndjson line {named}: ")
    assert f"not-a-status-{named}" in info.value.user_message
    assert _state(store) == before
    assert shared_checks is None or shared_checks.alive  # and it serves the next file
    good = import_ndjson(store, _write(tmp_path / "good.ndjson", _readings(1_200, seed=7)), check_person=True,
                         parallel=True)
    assert good.total == 1_200


def test_too_many_lines_is_named_after_the_bad_lines_before_it(
        store: RecordStore, tmp_path: Path, shared_checks: line_validator.LineValidator | None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from wallet.untrusted import KEEP_LIMITS

    monkeypatch.setattr(line_validator, "KEEP_LIMITS", replace(KEEP_LIMITS, max_items=1_500))
    resources = _readings(2_000, seed=8)
    path = _write(tmp_path / "many.ndjson", resources)
    with pytest.raises(InvalidRecord) as info:
        import_ndjson(store, path, parallel=True)
    assert info.value.user_message == "many.ndjson holds more than 1,500 lines; split it into smaller files."
    resources[1_499] = {**resources[1_499], "status": "not-a-status"}  # the last line allowed
    with pytest.raises(InvalidRecord) as info:
        import_ndjson(store, _write(tmp_path / "many.ndjson", resources), parallel=True)
    assert info.value.user_message.startswith("many.ndjson line 1500: ")
    assert store.count() == 10
