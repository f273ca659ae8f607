"""Titles in plain words: a display or text, the CDC's vaccine names for bare CVX codes,
a code system's plain name for a code nobody named, people's names, medication names,
goals, coverage plans; categories in plain words (realworld ``titles/``)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import FIXTURES
from wallet.records.concepts import concept_title, fallback_title, human_name, record_displays
from wallet.records.cvx import CVX_SYSTEM, cvx_source, cvx_vaccine
from wallet.records.summary import ACTIVITY, INSURANCE, summarize

REALWORLD = FIXTURES / "realworld"


def _entries(name: str) -> dict[str, dict]:
    doc = json.loads((REALWORLD / "titles" / name).read_text("utf-8"))
    resources = [e["resource"] for e in doc["entry"]] if isinstance(doc, dict) else doc
    return {r["id"]: r for r in resources}


def test_people_are_named_as_people_write_their_names() -> None:
    people = _entries("practitioner-relatedperson-names.json")
    assert summarize(people["pr1"]).title == "Dr Jordan Example"
    assert summarize(people["rp1"]).title == "Robin Sample"
    assert human_name([{"use": "old", "text": "Old Name"}, {"use": "official", "given": ["Ann", "B"],
                                                            "family": "Lee", "suffix": ["MD"]}]) == "Ann B Lee MD"
    assert human_name([{"prefix": ["Mrs."], "given": ["Jane"], "family": "Doe"}], titles=False) == "Jane Doe"
    assert summarize({"resourceType": "Patient", "name": [{"prefix": ["Mr."], "given": ["Al"], "family": "Bo"}]}
                     ).title == "Al Bo"


def test_medication_goal_family_history_and_coverage_say_what_they_are() -> None:
    r = _entries("medication-goal-coverage.json")
    medication = summarize(r["a0000000-0000-4000-8000-000000000001"])
    assert (medication.title, medication.category) == ("Anastrozole 1 mg tablet", "Medications")
    statement = summarize(r["a0000000-0000-4000-8000-000000000002"])
    # named by reference: the wallet puts the Medication's name in when it reads the list
    assert statement.about == "urn:uuid:a0000000-0000-4000-8000-000000000001" and statement.status == "active"
    goal = summarize(r["a0000000-0000-4000-8000-000000000003"])
    assert (goal.title, goal.category) == ("Stop smoking", "Care plans")
    assert summarize(r["a0000000-0000-4000-8000-000000000004"]).title == "Mother: Stroke"
    part_a = summarize(r["a0000000-0000-4000-8000-000000000005"])
    part_d = summarize(r["a0000000-0000-4000-8000-000000000006"])
    assert (part_a.title, part_d.title) == ("Part A", "Part D")  # not "SUBSIDIZ" for every part
    assert part_a.category == INSURANCE and "Centers for Medicare and Medicaid Services" in part_a.detail


@pytest.mark.parametrize(("code", "name"), [
    ("207", "COVID-19 vaccine (Moderna)"), ("208", "COVID-19 vaccine (Pfizer-BioNTech)"),
    ("229", "COVID-19 vaccine (Moderna)"), ("212", "COVID-19 vaccine (Janssen)"),
    ("300", "COVID-19 vaccine (Pfizer-BioNTech)"), ("140", "Flu vaccine"),
    ("03", "Measles, mumps, rubella (MMR) vaccine"),
    ("3", "Measles, mumps, rubella (MMR) vaccine"), ("43", "Hepatitis B vaccine"),
])
def test_bare_cvx_codes_from_health_cards_show_vaccine_names(code: str, name: str) -> None:
    s = summarize({"resourceType": "Immunization", "status": "completed", "occurrenceDateTime": "2021-01-01",
                   "vaccineCode": {"coding": [{"system": CVX_SYSTEM, "code": code}]},
                   "protocolApplied": [{"doseNumberPositiveInt": 2}]})
    assert s.title == name and s.code == f"{CVX_SYSTEM}|{code}"
    assert s.detail == "given 2021-01-01, dose 2"


def test_the_cvx_table_names_its_source_and_uses_the_cdc_short_descriptions() -> None:
    assert "CDC" in cvx_source() and "cdc.gov" in cvx_source()
    moderna = cvx_vaccine("207")
    assert moderna is not None
    assert moderna.short_description == "COVID-19, mRNA, LNP-S, PF, 100 mcg/0.5mL dose or 50 mcg/0.25mL dose"
    for code in ("207", "208", "210", "211", "212", "213", "217", "218", "219", "221", "225", "226", "227", "228",
                 "229", "300", "301", "302"):
        assert cvx_vaccine(code) is not None, code
    assert cvx_vaccine("999") is None and cvx_vaccine("x") is None


def test_a_code_without_a_display_shows_its_system_never_a_bare_code() -> None:
    assert concept_title({"coding": [{"system": CVX_SYSTEM, "code": "999"}]}) == ("CVX 999", f"{CVX_SYSTEM}|999")
    assert concept_title({"coding": [{"system": "http://loinc.org", "code": "2345-7"}]})[0] == "LOINC 2345-7"
    assert concept_title({"coding": [{"system": "http://snomed.info/sct", "code": "44054006"}]})[0] == \
        "SNOMED CT 44054006"
    assert concept_title({"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "860975"}]}
                         )[0] == "RxNorm 860975"
    assert fallback_title("http://loinc.org|2345-7") == "LOINC 2345-7"
    # text first, then any display of the concept
    assert concept_title({"text": "Sugar", "coding": [{"code": "1", "display": "Glucose"}]})[0] == "Sugar"
    assert concept_title({"coding": [{"system": "a", "code": "1"}, {"system": "b", "code": "2", "display": "B"}]}
                         )[0] == "B"


def test_the_same_code_named_elsewhere_in_the_record_is_reused() -> None:
    res = {"resourceType": "Observation", "code": {"coding": [{"system": "http://loinc.org", "code": "2345-7"}]},
           "valueQuantity": {"value": 90, "unit": "mg/dL"},
           "derivedFrom": [{"display": "x"}],
           "contained": [{"resourceType": "Observation", "code": {"coding": [
               {"system": "http://loinc.org", "code": "2345-7", "display": "Glucose"}]}}]}
    assert record_displays(res) == {"http://loinc.org|2345-7": "Glucose"}
    assert summarize(res).title == "Glucose"


def test_categories_in_plain_words() -> None:
    def category(rt: str) -> str:
        return summarize({"resourceType": rt}).category

    assert category("Claim") == category("ExplanationOfBenefit") == category("Coverage") == INSURANCE
    assert category("Consent") == category("AuditEvent") == ACTIVITY
    assert category("Practitioner") == category("Organization") == "People and places"
    assert category("CarePlan") == category("Goal") == "Care plans"
    claim = summarize({"resourceType": "Claim", "status": "active",
                       "item": [{"productOrService": {"text": "Well child visit"}}],
                       "total": {"value": 269.68, "currency": "USD"}})
    assert (claim.title, claim.detail) == ("Claim: Well child visit", "269.68 USD, active")
    encounter = summarize({"resourceType": "Encounter", "status": "finished", "class": {"code": "AMB"}})
    assert (encounter.title, encounter.detail) == ("Outpatient visit", "outpatient visit, finished")


@pytest.mark.parametrize(("repeat", "words"), [
    ({"frequency": 1, "period": 1, "periodUnit": "d"}, "once a day"),
    ({"frequency": 2, "period": 1, "periodUnit": "d"}, "twice a day"),
    ({"frequency": 3, "period": 1, "periodUnit": "d"}, "3 times a day"),
    ({"frequency": 1, "period": 8, "periodUnit": "h"}, "every 8 hours"),
    ({"frequency": 1, "period": 1, "periodUnit": "wk"}, "once a week"),
    ({"frequency": 2, "period": 3, "periodUnit": "d"}, "twice every 3 days"),
])
def test_how_often_a_medication_is_taken_in_words(repeat: dict, words: str) -> None:
    s = summarize({"resourceType": "MedicationRequest", "status": "active",
                   "medicationCodeableConcept": {"text": "Metformin 500 mg"},
                   "dosageInstruction": [{"timing": {"repeat": repeat},
                                          "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet"}}]}]})
    assert s.detail == f"1 tablet, {words}, active"


def test_a_blood_pressure_reads_as_systolic_over_diastolic() -> None:
    doc = json.loads((FIXTURES / "fhir-examples" / "Observation-blood-pressure.json").read_text("utf-8"))
    s = summarize(doc)
    assert s.detail == "107/60 mmHg, low" and s.category == "Vital signs"
    one_part = {**doc, "component": doc["component"][:1], "interpretation": []}
    assert summarize(one_part).detail.endswith(": 107 mmHg")
