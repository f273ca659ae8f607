"""A file that does not say whose records it holds (no Patient, and no record refers to one)
is added to the chosen profile, as before, but the import says so: another person's labs
must not land in a wallet without a word."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.records.conftest import NED
from wallet.records.importer import import_path
from wallet.records.store import RecordStore
from wallet.vault import aead

LAB_CARD = FIXTURES / "smart-health-cards" / "example-02-a-fhirBundle.json"  # a lab report naming no patient


def _observation(n: int, subject: str | None) -> dict:
    obs = {"resourceType": "Observation", "id": f"o{n}", "status": "final",
           "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
           "valueQuantity": {"value": 60 + n, "unit": "/min"}}
    if subject is not None:
        obs["subject"] = {"reference": subject}
    return obs


def test_a_bundle_naming_nobody_is_added_with_a_warning(ned_store: RecordStore) -> None:
    result = import_path(ned_store, LAB_CARD, check_person=True)
    assert result.total > 0 and result.profile == "owner"
    (warning,) = [w for w in result.warnings if "does not say whose records" in w]
    assert "Ned Hintz" in warning and "delete them" in warning


@pytest.mark.parametrize("suffix", [".ndjson", ".json"])
def test_ndjson_and_bundles_naming_nobody_say_so(ned_store: RecordStore, tmp_path: Path, suffix: str) -> None:
    resources = [_observation(n, None) for n in range(3)]
    path = tmp_path / f"readings{suffix}"
    if suffix == ".ndjson":
        path.write_text("".join(json.dumps(r) + "\n" for r in resources))
    else:
        path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection",
                                    "entry": [{"resource": r} for r in resources]}))
    result = import_path(ned_store, path, check_person=True)
    assert result.total == 3
    assert any("does not say whose records" in w for w in result.warnings)


def test_files_that_name_their_person_or_hold_nobodys_records_say_nothing(ned_store: RecordStore,
                                                                          tmp_path: Path) -> None:
    owner_id = next(r["id"] for r in (e["resource"] for e in json.loads(NED.read_text())["entry"])
                    if r["resourceType"] == "Patient")
    named = tmp_path / "named.ndjson"
    named.write_text(json.dumps(_observation(1, f"Patient/{owner_id}")) + "\n")
    staff = tmp_path / "staff.ndjson"
    staff.write_text(json.dumps({"resourceType": "Organization", "id": "org1", "name": "Clinic"}) + "\n")
    for path in (named, staff):
        result = import_path(ned_store, path, check_person=True)
        assert result.total == 1
        assert not any("does not say whose records" in w for w in result.warnings), path.name


def test_a_profile_of_nobody_yet_gets_no_warning(tmp_path: Path) -> None:
    store = RecordStore(tmp_path / "records.sqlite3", record_key=aead.new_key(), index_key=aead.new_key())
    try:
        result = import_path(store, LAB_CARD, check_person=True)  # nobody's records into nobody's wallet
        assert result.total > 0
        assert not any("does not say whose records" in w for w in result.warnings)
    finally:
        store.close()
