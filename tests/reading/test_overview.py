"""The overview's content, without widgets or a store: which records are active, current,
past, which allergies count, and the latest value of each vital sign."""

from __future__ import annotations

from wallet.records.store import StoredSummary
from wallet.records.summary import summarize
from wallet.services.overview import overview_from


def _rows(*resources: dict) -> list[StoredSummary]:
    return [StoredSummary(f"r{n}", summarize(r)) for n, r in enumerate(resources)]


def _condition(text: str, status: str, onset: str) -> dict:
    return {"resourceType": "Condition", "code": {"text": text}, "onsetDateTime": onset,
            **({"clinicalStatus": {"coding": [{"code": status}]}} if status else {})}


def test_conditions_split_into_current_and_past_one_line_each() -> None:
    conditions = _rows(_condition("Asthma", "active", "2020-01-01"), _condition("Asthma", "active", "2010-01-01"),
                       _condition("Flu", "resolved", "2019-01-01"), _condition("Gout", "", "2018-01-01"),
                       _condition("Asthma", "resolved", "2005-01-01"), _condition("Eczema", "remission", "2001"))
    o = overview_from([], conditions, [], [])
    assert [r.summary.title for r in o.current_conditions] == ["Asthma", "Gout"]  # no status given: current
    assert [r.summary.title for r in o.past_conditions] == ["Flu", "Eczema"]  # Asthma is current again
    assert o.current_conditions[0].summary.date == "2020-01-01"  # the newest line of each


def test_active_medications_leave_out_stopped_ones_and_medication_definitions() -> None:
    def request(name: str, status: str) -> dict:
        return {"resourceType": "MedicationRequest", "status": status, "medicationCodeableConcept": {"text": name}}

    meds = _rows(request("Metformin", "active"), request("Metformin", "active"), request("Amoxicillin", "stopped"),
                 request("Lisinopril", "on-hold"), {"resourceType": "Medication", "code": {"text": "Metformin"}})
    o = overview_from(meds, [], [], [])
    assert [r.summary.title for r in o.active_medications] == ["Metformin", "Lisinopril"]


def test_allergies_and_the_latest_vitals() -> None:
    allergies = _rows({"resourceType": "AllergyIntolerance", "code": {"text": "Peanut"},
                       "clinicalStatus": {"coding": [{"code": "active"}]}},
                      {"resourceType": "AllergyIntolerance", "code": {"text": "Penicillin"},
                       "clinicalStatus": {"coding": [{"code": "resolved"}]}})

    def weight(kg: float, day: str) -> dict:
        return {"resourceType": "Observation", "category": [{"coding": [{"code": "vital-signs"}]}],
                "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7", "display": "Body weight"}]},
                "effectiveDateTime": day, "valueQuantity": {"value": kg, "unit": "kg"}}

    vitals = _rows(weight(72.5, "2024-03-10"), weight(74.0, "2023-01-01"))  # newest first, as the store gives
    o = overview_from([], [], allergies, vitals, total=9)
    assert [r.summary.title for r in o.allergies] == ["Peanut"]
    assert [r.summary.value_text for r in o.latest_vitals] == ["72.5 kg"]
    assert o.total == 9 and not o.empty
    assert overview_from([], [], [], []).empty
