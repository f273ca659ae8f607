"""References resolve in the Bundles the wallet writes as they did in the source
(FHIR R4 Bundle, "Resolving references in Bundles")."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from wallet.records import fhir_json
from wallet.records.bundle import collection_bundle
from wallet.records.importer import import_file
from wallet.records.references import only_urn_or_local_references, resolve, unresolved_in_bundle
from wallet.records.store import RecordStore

LINKS = FIXTURES / "realworld" / "export-links"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> RecordStore:
    s = RecordStore(tmp_path / "records.sqlite3", record_key=b"k" * 32, index_key=b"i" * 32)
    yield s
    s.close()


def _bundle_of(store: RecordStore) -> dict:
    ids = store.ids(newest_first=False)
    return collection_bundle([store.get(i) for i in ids], now=NOW,
                             source_urls=[store.get_summary(i).full_url for i in ids])


def _subject_target(bundle: dict) -> dict:
    urls = {e["fullUrl"]: n for n, e in enumerate(bundle["entry"])}
    obs = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation")
    n = resolve(obs["resource"]["subject"]["reference"], from_url=obs["fullUrl"], full_urls=urls)
    assert n is not None, "the Observation's subject does not resolve"
    return bundle["entry"][n]["resource"]


@pytest.mark.parametrize("name", ["collection-uuid-refs.json", "searchset-relative-refs.json"])
def test_source_full_urls_are_kept_so_references_resolve_unchanged(store: RecordStore, name: str) -> None:
    source = (LINKS / name).read_text()
    import_file(store, LINKS / name)
    bundle = _bundle_of(store)
    assert {e["fullUrl"] for e in bundle["entry"]} <= {u for u in source.split('"') if u.startswith(("urn:", "http"))}
    assert _subject_target(bundle)["id"] == "p1"
    obs = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation")
    assert obs["subject"]["reference"] in source  # not rewritten: it resolves as it was
    assert unresolved_in_bundle(bundle) == []


def test_relative_references_from_ndjson_are_rewritten_to_resolve(store: RecordStore, tmp_path: Path) -> None:
    path = tmp_path / "patient.ndjson"
    path.write_text(
        '{"resourceType":"Patient","id":"p1","name":[{"family":"Testperson"}]}\n'
        '{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"Weight"},'
        '"subject":{"reference":"Patient/p1"},"performer":[{"reference":"Practitioner/elsewhere"}]}\n')
    import_file(store, path)
    ids = store.ids(newest_first=False)
    stored = {store.get(i)["id"]: store.get(i) for i in ids}
    bundle = _bundle_of(store)
    assert all(e["fullUrl"].startswith("urn:uuid:") for e in bundle["entry"])
    assert _subject_target(bundle)["id"] == "p1"
    obs = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation")
    assert obs["performer"] == [{"reference": "Practitioner/elsewhere"}]  # not in the bundle: left as it was
    assert stored["o1"]["subject"] == {"reference": "Patient/p1"}  # the stored record is unchanged
    assert unresolved_in_bundle(bundle) == []
    # the wallet's own backup gives records back exactly: nothing rewritten
    backup = collection_bundle([stored["p1"], stored["o1"]], now=NOW, link=False)
    assert backup["entry"][1]["resource"]["subject"] == {"reference": "Patient/p1"}


def test_a_bundle_whose_reference_misses_an_entry_it_holds_is_reported() -> None:
    """What earlier releases exported: new urn:uuid fullUrls, the source's references kept."""
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:0b5e2c1e-3c0e-4d5b-9b0a-4a3c1e2d3f40",
         "resource": {"resourceType": "Patient", "id": "p1"}},
        {"fullUrl": "urn:uuid:7d1f6c0a-1f0e-4e3b-8a7c-2b9d0e1f2a3b",
         "resource": {"resourceType": "Observation", "id": "o1", "subject": {"reference": "Patient/p1"},
                      "performer": [{"reference": "Practitioner/x"}, {"reference": "#contained"},
                                    {"reference": "urn:uuid:00000000-0000-4000-8000-000000000000"}]}}]}
    assert unresolved_in_bundle(bundle) == [
        "entry[1] (Observation/o1) refers to Patient/p1, which does not resolve inside the bundle"]


_BROKEN = {"resourceType": "Bundle", "type": "collection", "entry": [
    {"fullUrl": "urn:uuid:0b5e2c1e-3c0e-4d5b-9b0a-4a3c1e2d3f40", "resource": {"resourceType": "Patient", "id": "p1"}},
    {"fullUrl": "urn:uuid:5d0d6b4e-8d2a-4b8e-9a43-6a3e2b1c0d9f",
     "resource": {"resourceType": "Observation", "id": "o1", "subject": {"reference": "Patient/p1"}}}]}


def test_the_text_shortcut_only_clears_text_whose_references_are_all_urn_or_local() -> None:
    synthea = next((FIXTURES / "synthea").glob("Clemente_Kreiger_*.json")).read_bytes()
    bundle = fhir_json.loads(synthea)
    compact = fhir_json.dumps(bundle).encode()
    assert only_urn_or_local_references(compact)  # Synthea: every reference is urn:uuid or #
    assert unresolved_in_bundle(bundle, source=compact) == unresolved_in_bundle(bundle) == []
    assert not only_urn_or_local_references(synthea)  # indented: '"reference": "urn:' is not counted
    want = unresolved_in_bundle(_BROKEN)
    assert len(want) == 1
    for text in (fhir_json.dumps(_BROKEN),  # a relative reference
                 fhir_json.dumps(_BROKEN).replace('"reference":"Patient/p1"', '"reference" : "Patient/p1"'),
                 fhir_json.dumps(_BROKEN).replace('"reference":"Patient/p1"', '"refer\\u0065nce":"Patient/p1"'),
                 fhir_json.dumps(_BROKEN).replace('"Patient/p1"', '"\\u0075rn:x"')):
        assert not only_urn_or_local_references(text.encode()), text
        parsed = fhir_json.loads(text)
        assert unresolved_in_bundle(parsed, source=text.encode()) == unresolved_in_bundle(parsed)
    assert unresolved_in_bundle(_BROKEN, source=fhir_json.dumps(_BROKEN).encode()) == want
    # a string that reads "reference" is counted too: never a reason to skip the walk
    assert not only_urn_or_local_references(b'{"code":"reference","x":{"reference":"urn:uuid:1"}}')
    assert only_urn_or_local_references(b'{"a":{"reference":"urn:uuid:1"},"b":[{"reference":"#c"}],'
                                        b'"note":"she said \\"reference\\": yes"}')


def test_resolution_rules() -> None:
    urls = {"https://h/fhir/Patient/p1": 0, "urn:uuid:1": 1}
    assert resolve("Patient/p1", from_url="https://h/fhir/Observation/o1", full_urls=urls) == 0
    assert resolve("Patient/p1/_history/3", from_url="https://h/fhir/Observation/o1", full_urls=urls) == 0
    assert resolve("Patient/p1", from_url="urn:uuid:9", full_urls=urls) is None
    assert resolve("Patient/p1", from_url="https://other/fhir/Observation/o1", full_urls=urls) is None
    assert resolve("https://h/fhir/Patient/p1", from_url=None, full_urls=urls) == 0
    assert resolve("urn:uuid:1", from_url=None, full_urls=urls) == 1
    assert resolve("#c", from_url="https://h/fhir/Observation/o1", full_urls=urls) is None
