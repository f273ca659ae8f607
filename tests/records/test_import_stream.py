"""Streaming NDJSON import: bounded memory, all or nothing per file; the lifetime generator."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.gen_lifetime import generate, lifetime_resources
from wallet.errors import InvalidRecord, PatientMismatch
from wallet.records.importer import import_ndjson, import_ndjson_lines, import_parsed, import_path
from wallet.records.parse import Located, parse_bytes
from wallet.records.store import RecordStore
from wallet.records.validate import validate_resource
from wallet.vault import aead


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RecordStore]:
    s = RecordStore(tmp_path / "records.sqlite3", record_key=aead.new_key(), index_key=aead.new_key())
    yield s
    s.close()


def _lines(resources: list[dict]) -> list[bytes]:
    return [json.dumps(r).encode() + b"\n" for r in resources]


def _state(store: RecordStore) -> tuple:
    return store.count(), store.ids(), [p.name for p in store.profiles()], store.counts_by_profile()


def test_an_ndjson_file_streams_to_the_same_records_as_a_whole_read(store: RecordStore, tmp_path: Path) -> None:
    resources = list(lifetime_resources(300, seed=7))
    path = tmp_path / "lifetime.ndjson"
    path.write_bytes(b"".join(_lines(resources)))
    result = import_path(store, path, check_person=True)  # *.ndjson: streamed
    assert result.total == 300 and result.imported["Observation"] == 300 - 1 - 20
    assert result.person is not None and "Lindqvist" in result.person
    other = RecordStore(tmp_path / "other.sqlite3", record_key=aead.new_key(), index_key=aead.new_key())
    try:
        whole = import_parsed(other, parse_bytes(path.read_bytes(), name=path.name), name=path.name,
                              check_person=True)
        assert whole.imported == result.imported and whole.person == result.person
        assert other.counts_by_type() == store.counts_by_type()
        assert sorted(s.summary.date for s in other.summaries()) == sorted(s.summary.date for s in store.summaries())
    finally:
        other.close()
    again = import_ndjson(store, path, check_person=True, batch=64)  # the same file twice: all duplicates
    assert again.total == 0 and again.skipped_duplicates == 300 and store.count() == 300


def test_a_bad_line_in_the_middle_leaves_the_store_unchanged(store: RecordStore) -> None:
    import_ndjson_lines(store, _lines(list(lifetime_resources(30, seed=1))), name="first.ndjson", check_person=True)
    before = _state(store)
    resources = list(lifetime_resources(100, seed=2))
    resources[49] = {**resources[49], "status": "not-a-status"}  # line 50
    with pytest.raises(InvalidRecord) as info:
        import_ndjson_lines(store, _lines(resources), name="readings.ndjson", batch=10, check_person=True)
    assert "readings.ndjson line 50" in info.value.user_message
    assert _state(store) == before  # 40 records were written in the transaction, then rolled back


def test_a_file_of_someone_else_is_refused_and_nothing_is_kept(store: RecordStore) -> None:
    import_ndjson_lines(store, _lines(list(lifetime_resources(30, seed=1))), name="mine.ndjson", check_person=True)
    before = _state(store)
    theirs = list(lifetime_resources(50, seed=3))
    theirs[0] = {**theirs[0], "name": [{"family": "Okafor", "given": ["Chidi"]}], "birthDate": "1984-02-02"}
    with pytest.raises(PatientMismatch):
        import_ndjson_lines(store, _lines(theirs), name="theirs.ndjson", batch=8, check_person=True)
    assert _state(store) == before


def test_two_people_in_one_file_are_refused(store: RecordStore) -> None:
    one = list(lifetime_resources(20, seed=4))
    two = list(lifetime_resources(20, seed=5))
    two[0] = {**two[0], "name": [{"family": "Okafor", "given": ["Chidi"]}], "birthDate": "1984-02-02"}
    with pytest.raises(InvalidRecord, match="2 different patients"):
        import_ndjson_lines(store, _lines(one + two), name="mixed.ndjson", batch=5)
    assert store.count() == 0


def test_memory_holds_one_batch_the_rest_is_already_in_the_open_transaction(store: RecordStore) -> None:
    """Structural: when line k is read, every line up to the last full batch before it has
    been written (the store, read on the importing thread, sees the open transaction)."""
    batch, total = 16, 200
    written_when_read: list[tuple[int, int]] = []

    def lines() -> Iterator[bytes]:
        for k, line in enumerate(_lines(list(lifetime_resources(total, seed=9))), start=1):
            written_when_read.append((k, store.count()))
            yield line

    result = import_ndjson_lines(store, lines(), name="watch.ndjson", batch=batch)
    assert result.total == total and store.count() == total
    for k, written in written_when_read:
        assert written == (k - 1) // batch * batch  # never more than one batch held unwritten
    assert max(k - 1 - w for k, w in written_when_read) == batch - 1


def test_the_generator_is_deterministic_and_valid(tmp_path: Path) -> None:
    def digest(folder: Path) -> dict[str, str]:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}

    counts = generate(tmp_path / "a", 500, seed=11, lines_per_file=200)
    generate(tmp_path / "b", 500, seed=11, lines_per_file=200)
    generate(tmp_path / "c", 500, seed=12, lines_per_file=200)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a")["Observation.000.ndjson"] != digest(tmp_path / "c")["Observation.000.ndjson"]
    assert sum(counts.values()) == 500 and counts["Patient.ndjson"] == 1
    assert counts["Observation.000.ndjson"] == 200 and counts["Observation.002.ndjson"] == 500 - 1 - 20 - 400
    codes = set()
    for path in sorted((tmp_path / "a").iterdir()):
        for no, line in enumerate(path.read_bytes().splitlines(), start=1):
            resource = json.loads(line)
            validate_resource(Located(f"{path.name} line {no}", resource))
            if resource["resourceType"] == "Observation":
                codes.add(resource["code"]["coding"][0]["code"])
    assert codes == {"8867-4", "41950-7", "85354-9", "29463-7"}  # heart rate, steps, blood pressure, weight
