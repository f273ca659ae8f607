"""Full-text search inside the encrypted store: by a word of a record's narrative, by its
code, by a display or a value; in step with imports, new versions, deletions and moves;
typed text is never query syntax; and ``records --search`` on the command line."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.cli_runner import cli
from tests.conftest import FIXTURES
from wallet.records.importer import import_file
from wallet.records.profiles import Profile
from wallet.records.search_text import match_expression, narrative_text
from wallet.records.store import CappedCount, NewRecord, RecordStore
from wallet.records.summary import summarize
from wallet.vault import aead

EXAMPLES = FIXTURES / "fhir-examples"
REPORT = EXAMPLES / "DiagnosticReport-102.json"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RecordStore]:
    s = RecordStore(tmp_path / "records.sqlite3", record_key=aead.new_key(), index_key=aead.new_key())
    for name in ("DiagnosticReport-102.json", "Condition-example.json", "Bundle-lipids.json", "Patient-example.json",
                 "Immunization-example.json"):
        import_file(s, EXAMPLES / name)
    yield s
    s.close()


def narrative_only_word(resource: dict[str, Any]) -> str:
    """A word of the narrative found nowhere else in the resource."""
    rest = copy.deepcopy(resource)
    rest.pop("text")
    elsewhere = json.dumps(rest).lower()
    words = re.findall(r"[A-Za-z]{6,}", narrative_text(resource["text"]["div"]))
    return next(w for w in words if w.lower() not in elsewhere)


def titles(rows: list[Any]) -> list[str]:
    return [r.summary.resource_type for r in rows]


def test_search_finds_a_record_by_a_word_of_its_narrative_and_by_its_code(store: RecordStore) -> None:
    report = json.loads(REPORT.read_text("utf-8"))
    word = narrative_only_word(report)
    (found,) = store.search(word)
    assert store.get(found.id)["id"] == report["id"]
    assert [r.id for r in store.search(word.upper())] == [found.id]  # case does not matter
    assert [r.id for r in store.search(report["code"]["coding"][0]["code"])] == [found.id]  # 38269-7
    (burn,) = store.search("39065001")  # a SNOMED CT code
    assert burn.summary.resource_type == "Condition"
    assert [r.id for r in store.search("burn ear")] == [burn.id]  # every word, in any field
    assert store.search("burn cholesterol") == []
    assert store.search("bur") == [] and [r.id for r in store.search("bur*")] == [burn.id]  # whole words, or *


def test_the_filter_box_search_finds_by_a_narrative_word_and_by_a_code_with_an_exact_count(
        store: RecordStore) -> None:
    report = json.loads(REPORT.read_text("utf-8"))
    for text in (narrative_only_word(report), report["code"]["coding"][0]["code"]):
        found = store.search_page(text)
        assert [store.get(r.id)["id"] for r in found.page.rows] == [report["id"]]
        assert found.count == CappedCount(1) and found.count.text == "1" and found.page.next is None
    assert store.search_page("39065001").page.rows[0].summary.resource_type == "Condition"
    assert store.search_page("nothing-like-this").count == CappedCount(0)


def test_search_covers_displays_values_and_prefixes(store: RecordStore) -> None:
    cholesterol = store.search("cholest*")  # a prefix, as the GUI's filter box types
    assert cholesterol and all(r.summary.category == "Lab results" for r in cholesterol)
    assert store.count(text="cholest*") == len(cholesterol)
    value = next(r for r in cholesterol if r.summary.value is not None)
    assert value.id in {r.id for r in store.search(str(value.summary.value))}
    assert store.search("cholest*", types=["Patient"]) == []
    assert {r.id for r in store.search("cholest*", category="Lab results")} == {r.id for r in cholesterol}


@pytest.mark.parametrize("text", ['"', "NEAR(", "a OR", "*", "-x", "col:umn", "^", "'); DROP TABLE records; --",
                                  "   ", "", "AND", "(( ))", "**", "a**", '"*"', "*a"])
def test_typed_text_is_never_query_syntax(store: RecordStore, text: str) -> None:
    rows = store.search(text)
    assert isinstance(rows, list)
    assert store.count() == 9  # nothing was harmed
    if match_expression(text) is None:
        assert rows == []


def test_search_follows_new_versions_deletions_and_moves(store: RecordStore) -> None:
    (burn,) = store.search("39065001")
    resource = store.get(burn.id)
    rash = {"coding": [{"system": "http://snomed.info/sct", "code": "271807003", "display": "Eruption"}],
            "text": "Skin rash"}
    narrative = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">A rash on the elbow</div>'}
    newer = dict(resource, meta={"lastUpdated": "2030-01-01T00:00:00Z"}, code=rash, text=narrative)
    store.add_many([], newer=[NewRecord(burn.id, newer, summarize(newer))])
    assert store.search("39065001") == [] and store.search("Burnt") == []
    assert [r.id for r in store.search("elbow rash")] == [burn.id]
    assert [r.id for r in store.search("271807003")] == [burn.id]

    store.add_many([], deleted=[burn.id])  # deleted at its source: hidden, kept
    assert store.search("elbow") == [] and store.count(text="elbow") == 0
    store.add_many([], newer=[NewRecord(burn.id, newer, summarize(newer))])
    assert len(store.search("elbow")) == 1

    store.delete(burn.id)
    assert store.search("elbow") == []

    store.put(NewRecord("a" * 24, newer, summarize(newer)))
    store.put(NewRecord("a" * 24, resource, summarize(resource)))  # replaced: the old words go
    assert store.search("elbow") == [] and [r.id for r in store.search("Burnt")] == ["a" * 24]

    patient_id = store.ids(types=["Patient"])[0]
    moved = store.move_profile("owner", Profile("mother"))
    assert moved == store.count(profile="mother") and store.search("cholest*", profile="owner") == []
    assert store.search("cholest*", profile="mother") and store.profile_of(store.search("cholest*")[0].id) == "mother"
    assert patient_id not in {r.id for r in store.search("", profile="mother")}


def test_records_search_on_the_command_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert cli(home, "init").code == 0
    assert cli(home, "import", str(REPORT), str(EXAMPLES / "Condition-example.json"), "--same-person").code == 0
    word = narrative_only_word(json.loads(REPORT.read_text("utf-8")))
    found = cli(home, "records", "--search", word, "--json")
    assert found.code == 0, found.stderr
    assert [(r["type"], r["title"]) for r in found.json] == [("DiagnosticReport", "DXA BONE DENSITOMETRY")]
    assert [r["type"] for r in cli(home, "records", "--search", "39065001", "--json").json] == ["Condition"]
    none = cli(home, "records", "--search", "nosuchword")
    assert none.code == 0 and "No records match." in none.stdout
    empty = cli(home, "records", "--search", "  ")
    assert empty.code == 1 and "Give --search a word" in empty.stderr and "Traceback" not in empty.stderr
    status = cli(home, "status", "--json")
    assert status.json["records"] == 2
    assert cli(home, "status", "--json", passphrase=None).json["records"] is None  # encrypted: not counted locked


def test_a_failed_import_leaves_the_search_index_as_it_was(store: RecordStore) -> None:
    note = {"resourceType": "Observation", "id": "late", "status": "final",
            "code": {"text": "Quokka count"}, "valueQuantity": {"value": 3, "unit": "animals"}}

    def records() -> Iterator[NewRecord]:
        yield NewRecord(store.record_id(note), note, summarize(note))
        raise OSError("No space left on device")

    with pytest.raises(OSError):
        store.add_many(records())
    assert store.search("quokka") == [] and store.count(text="quokka") == 0 and store.count() == 9
    store.add_many([NewRecord(store.record_id(note), note, summarize(note))])
    assert [r.summary.title for r in store.search("quokka")] == ["Quokka count"]


def test_the_services_search_page_and_count_within_the_active_profile(make_service: Any) -> None:
    from tests.conftest import PASSPHRASE

    service = make_service()
    service.create(PASSPHRASE)
    wallet = service.unlock(PASSPHRASE)
    try:
        wallet.import_file(REPORT)
        wallet.import_file(EXAMPLES / "Bundle-lipids.json", same_person=True)
        wallet.import_file(EXAMPLES / "Condition-example.json", profile="other")
        assert [r.summary.resource_type for r in wallet.search("densitometry")] == ["DiagnosticReport"]
        found = wallet.search_page("densitometry", category="All records")  # as the GUI's filter box
        assert [r.summary.resource_type for r in found.page.rows] == ["DiagnosticReport"] and found.count.exact
        assert wallet.capped_count(text="39065001") == CappedCount(0)  # another profile's
        assert wallet.search("39065001") == []  # another profile's
        assert [r.summary.title for r in wallet.search("39065001", profile="other")] == ["Burnt Ear"]
        owner = [r.id for r in wallet.summaries()]
        assert len(owner) == wallet.count() >= 2
        first = wallet.page(limit=1)
        rest = wallet.page(limit=len(owner), after=first.next).rows
        assert [r.id for r in first.rows + rest] == owner
        wallet.use_profile("other")
        assert wallet.count(text="burn") == 1 == wallet.count() == len(wallet.page().rows)
        assert service.record_count(PASSPHRASE) == wallet.store.count() and service.record_count() is None
    finally:
        wallet.lock()
