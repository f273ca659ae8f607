"""Importing FHIR: every valid fixture imports, every invalid one is refused whole."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from wallet.errors import Cancelled, InvalidRecord
from wallet.events import CancelToken
from wallet.records.importer import import_file
from wallet.records.store import RecordStore
from wallet.vault import aead

INVALID = FIXTURES / "invalid"
# Inputs the spec leaves to us, and what we chose (documented in docs/formats.md):
ACCEPTED = {
    "fhir-bom-prefixed.json": "a UTF-8 byte order mark is stripped",
    "fhir-bundle-dangling-reference.json": "imported with a warning per unresolved reference",
}
REJECTED = sorted(p.name for p in INVALID.glob("fhir-*.json") if p.name not in ACCEPTED)


@pytest.fixture
def store(tmp_path: Path) -> RecordStore:
    s = RecordStore(tmp_path / "records.sqlite3", record_key=aead.new_key(), index_key=aead.new_key())
    yield s
    s.close()


def snapshot(store: RecordStore) -> list:
    return [*store.ids(), store.count()]


def test_fixture_list_is_complete() -> None:
    assert len(REJECTED) + len(ACCEPTED) == len(list(INVALID.glob("fhir-*.json")))
    assert len(REJECTED) >= 25


@pytest.mark.parametrize("name", REJECTED)
def test_invalid_file_is_refused_and_store_unchanged(store: RecordStore, name: str) -> None:
    import_file(store, FIXTURES / "fhir-examples" / "Patient-example.json")
    before = snapshot(store)
    with pytest.raises(InvalidRecord) as info:
        import_file(store, INVALID / name)
    message = info.value.user_message
    assert name in message or "empty" in message or "larger" in message
    assert "Traceback" not in message and len(message.splitlines()) == 1
    assert snapshot(store) == before


@pytest.mark.parametrize(
    "name, fragment",
    [
        ("fhir-duplicate-keys.json", "duplicate property 'id'"),
        ("fhir-nan-number.json", "NaN"),
        ("fhir-deeply-nested.json", "nested"),
        ("fhir-wrong-resourcetype-unknown.json", "Patinet"),
        ("fhir-patient-gender-not-in-valueset.json", "gender"),
        ("fhir-bundle-invalid-type.json", "transactional"),
        ("fhir-observation-valuequantity-string.json", "valueQuantity.value must be a JSON number"),
        ("fhir-bundle-entry-null-resource.json", "entry[2]"),
        ("fhir-bundle-two-patients.json", "2 different patients"),
        # Chalmers' Patient and an Observation about Patient/f001: two people's records
        ("fhir-top-level-array.json", "2 different patients"),
        ("fhir-bundle-duplicate-fullurl.json", "two different resources"),
        ("fhir-invalid-utf8.json", "UTF-8"),
        ("fhir-patient-birthdate-feb30.json", "birthDate"),
    ],
)
def test_rejections_say_why(store: RecordStore, name: str, fragment: str) -> None:
    with pytest.raises(InvalidRecord, match=None) as info:
        import_file(store, INVALID / name)
    assert fragment in info.value.user_message


def test_accepted_edge_cases(store: RecordStore, tmp_path: Path) -> None:
    assert import_file(store, INVALID / "fhir-bom-prefixed.json").imported == {"Patient": 1}
    # a JSON array of resources is an accepted import format (one person's records)
    array_path = tmp_path / "array.json"
    patient = json.loads((FIXTURES / "fhir-examples" / "Patient-example.json").read_text())
    obs = json.loads((FIXTURES / "fhir-examples" / "Observation-f001.json").read_text())
    obs["subject"] = {"reference": "Patient/example"}
    array_path.write_text(json.dumps([patient, obs]))
    array = import_file(store, array_path)
    assert array.imported == {"Observation": 1} and array.skipped_duplicates == 1  # same Patient as above
    result = import_file(store, INVALID / "fhir-bundle-dangling-reference.json")
    assert result.total == 2 and len(result.warnings) == 2
    assert all("urn:uuid:" in w for w in result.warnings)


def test_every_fhir_example_imports(store: RecordStore) -> None:
    for path in sorted((FIXTURES / "fhir-examples").glob("*.json")):
        if path.name == "package.json":
            continue
        assert import_file(store, path).total >= 1, path.name


def test_reimport_adds_nothing_and_ndjson_works(store: RecordStore, tmp_path: Path) -> None:
    lipids = FIXTURES / "fhir-examples" / "Bundle-lipids.json"
    first = import_file(store, lipids)
    assert first.total == 5
    again = import_file(store, lipids)
    assert again.total == 0 and again.skipped_duplicates == 5
    nd = tmp_path / "obs.ndjson"
    entries = json.loads(lipids.read_text())["entry"]
    nd.write_text("\n".join(json.dumps(e["resource"]) for e in entries[:3]) + "\n")
    assert import_file(store, nd).skipped_duplicates == 3
    assert store.count() == 5


def test_ndjson_bad_line_rejects_file(store: RecordStore, tmp_path: Path) -> None:
    nd = tmp_path / "mixed.ndjson"
    good = (FIXTURES / "fhir-examples" / "Observation-f001.json").read_text().replace("\n", "")
    nd.write_text(good + "\n" + '{"resourceType": "Patient", "gender": "robot"}\n')
    with pytest.raises(InvalidRecord, match="line 2"):
        import_file(store, nd)
    assert store.count() == 0


def test_cancel_leaves_store_unchanged(store: RecordStore) -> None:
    token = CancelToken()
    seen = []

    def progress(p) -> None:
        seen.append(p)
        if p.done >= 100:
            token.cancel()

    big = max((FIXTURES / "synthea").glob("*.json"), key=lambda p: p.stat().st_size)
    with pytest.raises(Cancelled):
        import_file(store, big, progress=progress, cancel=token)
    assert store.count() == 0 and seen


def test_summaries_flag_out_of_range(store: RecordStore) -> None:
    import_file(store, FIXTURES / "fhir-examples" / "Observation-f001.json")
    (row,) = store.summaries(category="Lab results")
    s = row.summary
    assert (s.value, s.unit, s.low, s.high, s.flag) == (Decimal("6.3"), "mmol/l", Decimal("3.1"), Decimal("6.2"), "H")
    assert "high" in s.detail and s.code == "http://loinc.org|15074-8"


@pytest.mark.parametrize(
    "fixture, category, title, detail_part",
    [
        ("Condition-example.json", "Conditions", "Burnt Ear", "since 2012-05-24"),
        ("AllergyIntolerance-example.json", "Allergies", "Cashew nuts", "Anaphylactic reaction (severe)"),
        ("Immunization-example.json", "Immunizations", "Fluvax (Influenza)", "given 2013-01-10"),
        ("MedicationRequest-medrx0302.json", "Medications", "", "active"),
        ("DocumentReference-example.json", "Documents", "Physical", ""),
        ("Observation-satO2.json", "Vital signs", "oxygen saturation", "95"),
    ],
)
def test_summaries_per_type(store: RecordStore, fixture: str, category: str, title: str, detail_part: str) -> None:
    import_file(store, FIXTURES / "fhir-examples" / fixture)
    (row,) = store.summaries(category=category)
    assert title.lower() in row.summary.title.lower()
    assert detail_part in row.summary.detail


def test_pages_cannot_be_swapped(store: RecordStore) -> None:
    """Rows live in encrypted pages whose HMAC covers the page number: a page moved to another
    place in the file is refused on read, never taken for another record."""
    import_file(store, FIXTURES / "fhir-examples" / "Bundle-lipids.json")
    ids = store.ids()
    store.close()
    data = bytearray(store.path.read_bytes())
    page = 4096
    assert len(data) >= 3 * page
    data[page : 2 * page], data[2 * page : 3 * page] = data[2 * page : 3 * page], data[page : 2 * page]
    store.path.write_bytes(bytes(data))
    from wallet.errors import StoreUnreadable

    with pytest.raises(StoreUnreadable):
        reopened = RecordStore(store.path, record_key=store._key, index_key=store._index_key)
        try:
            for rid in ids:
                reopened.get(rid)
            reopened.check()
        finally:
            reopened.close()


def test_store_of_another_wallet_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite3"
    RecordStore(path, record_key=aead.new_key(), index_key=aead.new_key()).close()
    from wallet.errors import RecordError

    with pytest.raises(RecordError, match="another wallet"):
        RecordStore(path, record_key=aead.new_key(), index_key=aead.new_key())
