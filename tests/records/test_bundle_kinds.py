"""Bundle kinds (FHIR R4 Bundle.type): history, searchset, transaction-response, batch-response;
resource versions; instants for ordering and --since."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import FIXTURES
from wallet.errors import InvalidRecord, RecordError
from wallet.records import fhir_json
from wallet.records.importer import import_file
from wallet.records.instants import local_text, period_end, start_instant, utc_text
from wallet.records.parse import parse_bytes
from wallet.records.store import RecordStore
from wallet.records.versions import history_order, newer

REAL = FIXTURES / "realworld"


@pytest.fixture
def store(tmp_path: Path) -> RecordStore:
    s = RecordStore(tmp_path / "records.sqlite3", record_key=b"k" * 32, index_key=b"i" * 32)
    yield s
    s.close()


def _write(tmp_path: Path, name: str, doc: dict) -> Path:
    path = tmp_path / name
    path.write_text(fhir_json.dumps(doc))
    return path


def _obs(version: str, updated: str, value: str, status: str = "final", rid: str = "bp-1") -> dict:
    return {"resourceType": "Observation", "id": rid, "meta": {"versionId": version, "lastUpdated": updated},
            "status": status, "code": {"text": "Glucose"}, "effectiveDateTime": "2024-03-01T08:00:00Z",
            "valueQuantity": {"value": Decimal(value), "unit": "mmol/L"}}


def _history(*entries: dict) -> dict:
    return {"resourceType": "Bundle", "type": "history", "entry": list(entries)}


def _version_entry(res: dict) -> dict:
    return {"fullUrl": f"http://example.org/fhir/Observation/{res['id']}", "resource": res,
            "request": {"method": "PUT", "url": f"Observation/{res['id']}"}}


def test_history_bundle_keeps_every_version_newest_current(store: RecordStore) -> None:
    result = import_file(store, REAL / "history-bundle" / "history-bundle-versions-only.json")
    assert result.imported == {"Observation": 1} and result.history_kept == 1 and result.skipped_duplicates == 0
    (rid,) = store.ids()
    assert store.get(rid)["meta"]["versionId"] == "2" and store.get(rid)["valueQuantity"]["value"] == Decimal("5.4")
    assert [r["meta"]["versionId"] for r, _ in store.versions(rid)] == ["1"]
    again = import_file(store, REAL / "history-bundle" / "history-bundle-versions-only.json")
    assert again.imported == {} and again.skipped_duplicates == 2 and len(store.versions(rid)) == 1


def test_history_bundle_with_a_delete_of_a_record_not_held_warns(store: RecordStore) -> None:
    result = import_file(store, REAL / "history-bundle" / "history-bundle.json")
    assert result.imported == {"Observation": 1} and result.deleted == 0
    assert result.warnings == ("entry[2]: Observation/old-2 was deleted at the source; the wallet does not hold it",)


def test_delete_marks_the_record_deleted_hidden_and_kept(store: RecordStore, tmp_path: Path) -> None:
    import_file(store, _write(tmp_path, "one.json", _obs("1", "2024-02-01T08:00:00Z", "5.0", rid="old-2")))
    (rid,) = store.ids()
    deletion = {"fullUrl": "http://example.org/fhir/Observation/old-2",
                "request": {"method": "DELETE", "url": "Observation/old-2"},
                "response": {"status": "200", "lastModified": "2024-02-02T09:00:00Z"}}
    result = import_file(store, _write(tmp_path, "hist.json", _history(deletion)))
    assert result.deleted == 1
    assert store.ids() == [] and store.count() == 0 and store.summaries() == []
    assert store.is_deleted(rid) and store.get(rid)["id"] == "old-2"  # kept
    # a version newer than the deletion brings it back; an older one does not
    import_file(store, _write(tmp_path, "older.json", _obs("0", "2024-01-01T08:00:00Z", "4.0", rid="old-2")))
    assert store.is_deleted(rid)
    import_file(store, _write(tmp_path, "newer.json", _obs("3", "2024-05-01T08:00:00Z", "6.0", rid="old-2")))
    assert not store.is_deleted(rid) and store.ids() == [rid]


def test_an_older_version_never_replaces_a_newer_one(store: RecordStore, tmp_path: Path) -> None:
    import_file(store, _write(tmp_path, "v2.json", _obs("2", "2024-03-02T10:00:00Z", "5.4")))
    (rid,) = store.ids()
    result = import_file(store, _write(tmp_path, "v1.json", _obs("1", "2024-03-01T09:00:00Z", "5.1", "preliminary")))
    assert result.imported == {} and result.history_kept == 1 and result.updated == 0
    assert store.get(rid)["meta"]["versionId"] == "2"
    result = import_file(store, _write(tmp_path, "v3.json", _obs("3", "2024-03-03T10:00:00Z", "5.6")))
    assert result.imported == {"Observation": 1} and result.updated == 1
    assert store.get(rid)["meta"]["versionId"] == "3"
    assert store.get_summary(rid).value == Decimal("5.6")
    assert [r["meta"]["versionId"] for r in history_order([r for r, _ in store.versions(rid)])] == ["2", "1"]


def test_a_changed_resource_without_versions_keeps_the_stored_one_and_says_so(store: RecordStore,
                                                                              tmp_path: Path) -> None:
    plain = {"resourceType": "Observation", "id": "x", "status": "final", "code": {"text": "Glucose"},
             "valueQuantity": {"value": 5.1}}
    import_file(store, _write(tmp_path, "a.json", plain))
    result = import_file(store, _write(tmp_path, "b.json", {**plain, "status": "amended"}))
    assert result.history_kept == 1 and "neither says which version is newer" in result.warnings[0]
    (rid,) = store.ids()
    assert store.get(rid)["status"] == "final" and store.versions(rid)[0][0]["status"] == "amended"


def test_version_order_rules() -> None:
    assert newer(_obs("2", "2024-03-02T10:00:00Z", "1"), _obs("1", "2024-03-01T10:00:00Z", "1")) is True
    assert newer(_obs("9", "2024-03-01T10:00:00+02:00", "1"), _obs("1", "2024-03-01T09:00:00Z", "1")) is False
    assert newer({"meta": {"versionId": "10"}}, {"meta": {"versionId": "9"}}) is True  # numbers, not text
    assert newer({"meta": {"versionId": "b"}}, {"meta": {"versionId": "a"}}) is None


def test_repeated_full_url_outside_history_needs_different_versions() -> None:
    a, b = _obs("1", "2024-03-01T09:00:00Z", "5.1"), _obs("2", "2024-03-02T09:00:00Z", "5.4")
    coll = {"resourceType": "Bundle", "type": "collection", "entry": [_version_entry(a), _version_entry(b)]}
    assert len(parse_bytes(json.dumps(coll, default=str).encode()).items) == 2  # bdl-7: versionIds differ
    b["meta"]["versionId"] = "1"
    with pytest.raises(InvalidRecord, match="used by two different resources"):
        parse_bytes(json.dumps(coll, default=str).encode())


def test_searchset_keeps_matches_and_includes_and_warns_of_outcomes_and_more_pages(store: RecordStore) -> None:
    path = REAL / "searchset-outcome" / "searchset-outcome.json"
    result = import_file(store, path)
    assert result.imported == {"Observation": 1, "Organization": 1}
    assert store.counts_by_type() == {"Observation": 1, "Organization": 1}  # no OperationOutcome record
    page, outcome = result.warnings
    assert page.startswith("this is page 1 of a longer result") and "page=2" in page
    assert outcome == ("entry[2]: the source says (warning): "
                       "Some results were not returned because the patient has restricted them.")


@pytest.mark.parametrize("kind", ["transaction-response", "batch-response"])
def test_response_bundles_import_the_resources_they_carry(store: RecordStore, tmp_path: Path, kind: str) -> None:
    obs = _obs("1", "2024-03-01T09:00:00Z", "5.10")
    doc = {"resourceType": "Bundle", "type": kind, "entry": [
        {"fullUrl": "http://example.org/fhir/Observation/bp-1", "resource": obs,
         "response": {"status": "201 Created", "location": "Observation/bp-1/_history/1"}},
        {"response": {"status": "200 OK", "location": "Patient/p9/_history/4"}},
        {"response": {"status": "404 Not Found", "outcome": {"resourceType": "OperationOutcome", "issue": [
            {"severity": "error", "code": "not-found", "diagnostics": "Condition/c1 is unknown"}]}}},
        {"response": {"status": "409 Conflict"}}]}
    result = import_file(store, _write(tmp_path, "resp.json", doc))
    assert result.imported == {"Observation": 1}
    assert result.warnings == ("entry[2]: the source says (error): Condition/c1 is unknown",
                               "entry[3]: the source answered 409 Conflict")
    (rid,) = store.ids()
    assert str(store.get(rid)["valueQuantity"]["value"]) == "5.10"


def test_instants_order_records_and_since_compares_them(store: RecordStore) -> None:
    import_file(store, REAL / "timezone-order" / "tz-observations.ndjson")
    titles = [s.summary.title.split(" (")[0] for s in store.summaries()]
    # A 04:30Z on the 10th, C 02:00Z, B 23:00Z on the 9th, D the month of March (its start)
    assert titles == ["Heart rate A", "Heart rate C", "Heart rate B", "Heart rate D"]
    since = [s.summary.title.split(" (")[0] for s in store.summaries(since="2024-03-10")]
    assert since == ["Heart rate A", "Heart rate C", "Heart rate D"]  # D: March overlaps (FHIR ge)
    later = [s.summary.title[:12] for s in store.summaries(since="2024-03-10T03:00:00Z")]
    assert later == ["Heart rate A", "Heart rate D"]
    assert [s.summary.title[:12] for s in store.summaries(since="2024-04")] == []
    assert store.count(since="2024") == 4
    with pytest.raises(RecordError, match="not a date"):
        store.summaries(since="last tuesday")


def test_fhir_times_start_end_and_local_text() -> None:
    assert start_instant("2024-03-09T23:30:00-05:00") == datetime(2024, 3, 10, 4, 30, tzinfo=UTC).timestamp()
    assert period_end("2020") == datetime(2021, 1, 1, tzinfo=UTC).timestamp()
    assert period_end("2020-12") == datetime(2021, 1, 1, tzinfo=UTC).timestamp()
    assert period_end("2020-02-29") == datetime(2020, 3, 1, tzinfo=UTC).timestamp()
    assert utc_text("2024-03-10T08:00:00+09:00") == "2024-03-09T23:00:00Z" and utc_text("soon") == ""
    assert local_text("2024-03-09T23:30:00-05:00", tz=ZoneInfo("Europe/Paris")) == "2024-03-10 05:30 CET"
    assert local_text("2024-03-09T23:30:00-05:00", tz=timezone(timedelta(hours=9))) == "2024-03-10 13:30 UTC+09:00"
    assert local_text("2024-03-09T23:30:00-05:00", tz=UTC) == "2024-03-10 04:30 UTC"
    assert local_text("2024-03", tz=UTC) == "2024-03"  # a partial date has no zone: as written
