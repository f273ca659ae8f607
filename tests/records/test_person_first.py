"""Another person's file is refused as soon as its person is known, before the rest of it
is validated; the refusal changes nothing, and the profile's own person's file imports."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES
from tests.records.conftest import NED
from wallet.errors import PatientMismatch
from wallet.records import importer, validate
from wallet.records.importer import import_ndjson, import_path
from wallet.records.parse import Located, read_file
from wallet.records.profiles import place_file
from wallet.records.store import RecordStore

SYNTHEA = FIXTURES / "synthea"
FLETCHER = next(SYNTHEA.glob("Fletcher_Hyatt_*.json"))  # 1,111 entries, the Patient first


@pytest.fixture
def validated(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The resource types validated in this process from now on, in order."""
    seen: list[str] = []
    real: Callable[[Located], list[str]] = validate.validate_resource

    def counting(item: Located) -> list[str]:
        seen.append(item.resource["resourceType"])
        return real(item)

    monkeypatch.setattr(validate, "validate_resource", counting)
    monkeypatch.setattr(importer, "validate_resource", counting)
    return seen


def _state(store: RecordStore) -> tuple[Any, ...]:
    return store.count(), store.ids(), [(p.name, p.patient) for p in store.profiles()], store.counts_by_profile()


def _as_ndjson(bundle: Path, path: Path, *, patient_at: int) -> Path:
    """The bundle's resources one per line, its Patient on line ``patient_at``."""
    resources = [e["resource"] for e in json.loads(bundle.read_text("utf-8"))["entry"]]
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    resources.remove(patient)
    resources.insert(patient_at - 1, patient)
    path.write_text("".join(json.dumps(r) + "\n" for r in resources), "utf-8")
    return path


def test_another_persons_bundle_is_refused_after_validating_its_patient_only(
        ned_store: RecordStore, validated: list[str]) -> None:
    before = _state(ned_store)
    with pytest.raises(PatientMismatch) as info:
        import_path(ned_store, FLETCHER, check_person=True)
    message = info.value.user_message
    assert message.startswith(f"{FLETCHER.name} is for Fletcher")
    assert "Ned Hintz (born 1993-12-08)" in message and len(message.splitlines()) == 1
    assert validated == ["Patient"]  # not the 1,110 other entries
    assert _state(ned_store) == before
    # into a profile of its own it is validated whole and imported
    validated.clear()
    moved = import_path(ned_store, FLETCHER, check_person=True, profile="fletcher")
    assert moved.new_profile and moved.total == ned_store.count(profile="fletcher") > 1_000
    assert validated.count("Patient") == 2 and len(validated) == 1_111 + 1


@pytest.mark.parametrize("parallel", [False, True])
def test_another_persons_ndjson_file_stops_at_its_first_patient(
        ned_store: RecordStore, validated: list[str], tmp_path: Path, parallel: bool) -> None:
    path = _as_ndjson(FLETCHER, tmp_path / "fletcher.ndjson", patient_at=3)
    before = _state(ned_store)
    with pytest.raises(PatientMismatch) as info:
        import_ndjson(ned_store, path, check_person=True, parallel=parallel)
    assert info.value.user_message.startswith("fletcher.ndjson is for Fletcher")
    assert "Ned Hintz (born 1993-12-08)" in info.value.user_message
    assert _state(ned_store) == before
    if not parallel:
        assert len(validated) == 3  # two records and the Patient, not the 1,108 lines after it
    # the message the check over the whole file gives
    with pytest.raises(PatientMismatch) as whole:
        place_file(read_file(path), name=path.name, profile="owner", profiles=ned_store.profiles())
    assert whole.value.user_message == info.value.user_message


def test_the_profiles_own_persons_ndjson_file_is_imported_whole(ned_store: RecordStore, validated: list[str],
                                                                tmp_path: Path) -> None:
    path = _as_ndjson(NED, tmp_path / "ned.ndjson", patient_at=2)
    result = import_ndjson(ned_store, path, check_person=True, parallel=False)
    assert result.matched_by is not None and result.profile == "owner"
    assert len(validated) == 71 and ned_store.count(profile="owner") == ned_store.count()


def _readings_of(patient_id: str, path: Path, *, then: str | None = None) -> Path:
    """Fletcher's Observations as NDJSON, each naming ``Patient/<patient_id>``; ``then``: a last line."""
    resources = [e["resource"] for e in json.loads(FLETCHER.read_text("utf-8"))["entry"]
                 if e["resource"]["resourceType"] == "Observation"][:340]  # line 336: \\u200b
    lines = [json.dumps({**r, "subject": {"reference": f"Patient/{patient_id}"}}) for r in resources]
    lines += [then] if then is not None else []
    path.write_text("".join(line + "\n" for line in lines), "utf-8")
    return path


@pytest.mark.parametrize("parallel", [False, True])
def test_a_file_of_records_of_another_patient_id_stops_at_its_first_record(
        ned_store: RecordStore, validated: list[str], tmp_path: Path, parallel: bool) -> None:
    path = _readings_of("fletcher-1", tmp_path / "observations.ndjson")
    before = _state(ned_store)
    with pytest.raises(PatientMismatch) as info:
        import_ndjson(ned_store, path, check_person=True, parallel=parallel)
    assert info.value.user_message.startswith(
        "observations.ndjson is for the patient Patient/fletcher-1 (the file has no Patient resource for them)")
    assert _state(ned_store) == before
    if not parallel:
        assert validated == ["Observation"]  # the first line, not the 339 after it
    with pytest.raises(PatientMismatch) as whole:
        place_file(read_file(path), name=path.name, profile="owner", profiles=ned_store.profiles())
    assert whole.value.user_message == info.value.user_message


@pytest.mark.parametrize("spelled", ['"Patient"', '"\\u0050atient"'])
def test_records_of_an_unknown_id_whose_patient_comes_last_are_judged_by_that_patient(
        ned_store: RecordStore, validated: list[str], tmp_path: Path, spelled: str) -> None:
    ned = next(e["resource"] for e in json.loads(NED.read_text("utf-8"))["entry"]
               if e["resource"]["resourceType"] == "Patient")
    last = json.dumps({**ned, "id": "ned-elsewhere"}).replace('"Patient"', spelled, 1)
    path = _readings_of("ned-elsewhere", tmp_path / "observations.ndjson", then=last)
    result = import_ndjson(ned_store, path, check_person=True, parallel=False)
    assert result.matched_by is not None and result.total == 341 and len(validated) == 341
    assert "Patient/ned-elsewhere" in next(p for p in ned_store.profiles() if p.name == "owner").references
