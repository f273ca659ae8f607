"""IPS must-haves the FHIR base models do not check: dates (``effective[x]`` 1..1 on
MedicationStatement and Observation, ``Patient.birthDate`` 1..1), the patient on every
clinical entry, titles. What the wallet does not know is said with data-absent-reason,
never made up."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from wallet.errors import InvalidRecord
from wallet.records.ips import DATA_ABSENT, build_ips, check_ips

ABSENT = {"extension": [{"url": DATA_ABSENT, "valueCode": "unknown"}]}
PATIENT = {"resourceType": "Patient", "id": "p1", "name": [{"given": ["Zoë"], "family": "Núñez"}]}
UNDATED = {"resourceType": "MedicationStatement", "id": "m1", "status": "active",
           "medicationCodeableConcept": {"text": "Salbutamol inhaler"}, "subject": {"reference": "Patient/p1"}}
DATED = dict(UNDATED, id="m2", effectiveDateTime="2024-01-02")
LAB = {"resourceType": "Observation", "id": "o1", "status": "final", "code": {"text": "Glucose"},
       "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                 "code": "laboratory"}]}],
       "valueQuantity": {"value": 5.4, "unit": "mmol/L"}}
ALLERGY = {"resourceType": "AllergyIntolerance", "id": "a1", "code": {"text": "Penicillin"},
           "patient": {"reference": "Patient/someone-else", "display": "Z. Núñez"}}


def built(*resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    bundle = build_ips([PATIENT, *resources], now=datetime(2026, 1, 1, tzinfo=UTC))
    check_ips(bundle)
    return {e["resource"].get("id"): e["resource"] for e in bundle["entry"]} | {"": bundle}


def test_missing_dates_say_unknown_and_entries_name_the_patient() -> None:
    by_id = built(UNDATED, DATED, LAB, ALLERGY)
    patient_url = by_id["m2"]["subject"]["reference"]
    assert by_id["m1"]["_effectiveDateTime"] == ABSENT and "effectiveDateTime" not in by_id["m1"]
    assert by_id["m2"]["effectiveDateTime"] == "2024-01-02" and "_effectiveDateTime" not in by_id["m2"]
    assert by_id["o1"]["_effectiveDateTime"] == ABSENT and by_id["o1"]["subject"] == {"reference": patient_url}
    assert by_id["a1"]["patient"] == {"reference": patient_url}
    assert by_id["p1"]["_birthDate"] == ABSENT
    assert "_effectiveDateTime" not in UNDATED and "subject" not in LAB  # the wallet's own records are unchanged
    assert "birthDate" not in PATIENT and "_birthDate" not in PATIENT


@pytest.mark.parametrize(("spoil", "rule"), [
    (lambda r: r.pop("_effectiveDateTime", None) if r.get("id") == "o1" else None, "Observation needs effective"),
    (lambda r: r.pop("subject", None) if r.get("id") == "o1" else None, "Observation needs its subject"),
    (lambda r: r.pop("_birthDate", None), "birthDate"),
    (lambda r: r["section"][0].pop("title") if r.get("resourceType") == "Composition" else None, "title"),
])
def test_check_ips_names_the_must_have_broken(spoil: Any, rule: str) -> None:
    bundle = copy.deepcopy(built(LAB)[""])
    for entry in bundle["entry"]:
        spoil(entry["resource"])
    with pytest.raises(InvalidRecord, match=rule):
        check_ips(bundle)
