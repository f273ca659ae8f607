"""Summaries per resource type: the same one-liners for every resource in the fixtures.

``EXPECTED`` holds, per resource type, a SHA-256 over the summaries of every resource of
that type found anywhere in the fixture files (bundle entries, contained resources,
NDJSON lines, the invalid inputs too, but nothing nested deeper than ``MAX_DEPTH``), or the
name of the exception it raised. It was
taken from the summaries the wallet showed before they became table-driven; a change
to what a summary says must change this table on purpose (print the new one with
``python -m tests.records.test_summary``).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES
from wallet.records.summary import CATEGORIES, Summary, category_of, summarize


def _resources(doc: Any) -> Iterator[dict[str, Any]]:
    if isinstance(doc, dict):
        if "resourceType" in doc:
            yield doc
        for value in doc.values():
            yield from _resources(value)
    elif isinstance(doc, list):
        for value in doc:
            yield from _resources(value)


def _documents(root: Path) -> Iterator[Any]:
    for path in sorted(p for p in root.rglob("*") if p.suffix in (".json", ".ndjson") and p.is_file()):
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        for chunk in text.splitlines() if path.suffix == ".ndjson" else [text]:
            try:
                doc = json.loads(chunk)
            except (ValueError, RecursionError):
                continue  # the invalid inputs include files that are not JSON
            if _depth(doc) <= MAX_DEPTH:  # whether json parses deeper depends on the recursion limit
                yield doc


MAX_DEPTH = 100


def _depth(doc: Any) -> int:
    deepest, stack = 0, [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def _outcome(resource: dict[str, Any]) -> Any:
    try:
        return summarize(resource).to_json()
    except Exception as exc:  # an odd resource may fail; how it fails is part of the behaviour
        return type(exc).__name__


def digests(root: Path = FIXTURES) -> dict[str, str]:
    per_type: dict[str, Any] = defaultdict(hashlib.sha256)
    for doc in _documents(root):
        for resource in _resources(doc):
            line = json.dumps(_outcome(resource), sort_keys=True, default=str) + "\n"
            per_type[str(resource.get("resourceType"))].update(line.encode())
    return {rt: h.hexdigest()[:16] for rt, h in sorted(per_type.items())}


EXPECTED = {
    "AllergyIntolerance": "3ebda9dc42953bfc",
    "AuditEvent": "35fa2b5cd2d9a3be",
    "Bundle": "787c3375370501ca",
    "CarePlan": "629518342ce10c87",
    "Claim": "25c36ff85edfb2f8",
    "Composition": "39c2a4478048b5f8",
    "Condition": "d7e7acbc077a4f99",
    "Consent": "46c437e562f4c6d9",
    "Coverage": "6e80d3f1b3e72af4",
    "Device": "74830f23919ed9cf",
    "DiagnosticReport": "9f9bd91257e2cc63",
    "DocumentReference": "65fa1359d10ecca8",
    "Encounter": "49e22e58380b79c4",
    "ExplanationOfBenefit": "e7ad0045b1c4901c",
    "FamilyMemberHistory": "c43f319903a89118",
    "Goal": "e88bbf2f1a8af3e9",
    "ImagingStudy": "4ed1c97e180529fd",
    "Immunization": "5dd9808190eed0db",
    "Medication": "4aa79a8dfe42aa14",
    "MedicationRequest": "ac14562fb9862389",
    "MedicationStatement": "d88047df972cb94a",
    "Observation": "a2070862b470d6f8",
    "OperationOutcome": "25ddb63d962d826d",
    "Organization": "ebea774d64340307",
    "Patient": "78029bdd4891a148",
    "Patinet": "71364241c2594972",
    "Practitioner": "270d1cf3d8d28def",
    "Procedure": "b542719d8232176b",
    "Provenance": "ccb31f2f1967eadd",
    "RelatedPerson": "9907ce5cda1b2981",
    "ServiceRequest": "b69805958d2837c5",
    "Specimen": "dc5121c332aed3e6",
    "['Patient']": "a78e83c624302a38",
    "patient": "975314abba40b7c2",
}


def test_every_fixture_resource_is_summarized_as_before() -> None:
    assert digests() == EXPECTED


def test_observation_with_a_range_is_flagged() -> None:
    s = summarize({"resourceType": "Observation", "category": [{"coding": [{"code": "laboratory"}]}],
                   "code": {"coding": [{"system": "http://loinc.org", "code": "2823-3", "display": "Potassium"}]},
                   "valueQuantity": {"value": 5.4, "unit": "mmol/L"},
                   "referenceRange": [{"low": {"value": 3.5}, "high": {"value": 5.1}}],
                   "effectiveDateTime": "2024-03-01"})
    assert s == Summary("Observation", "Lab results", "Potassium", "5.4 mmol/L (range 3.5–5.1 mmol/L) — high",
                        "2024-03-01", "http://loinc.org|2823-3", 5.4, "mmol/L", 3.5, 5.1, "H", flag_source="range",
                        range_unit="mmol/L", code_display="Potassium")


@pytest.mark.parametrize("rt", ["MedicationRequest", "MedicationStatement", "MedicationAdministration",
                                "MedicationDispense", "Medication", "MedicationKnowledge"])
def test_every_medication_type_names_its_medication(rt: str) -> None:
    s = summarize({"resourceType": rt, "medicationReference": {"display": "Metformin 500 mg"},
                   "dosageInstruction": [{"timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}}}],
                   "status": "active"})
    assert (s.title, s.detail) == ("Metformin 500 mg", "twice a day, active")
    assert s.category in CATEGORIES


def test_a_type_without_its_own_row_gets_the_generic_summary() -> None:
    s = summarize({"resourceType": "CarePlan", "title": "Diabetes plan", "status": "active", "created": "2024-01-02"})
    assert (s.category, s.title, s.detail, s.date) == ("Care plans", "Diabetes plan", "active", "2024-01-02")
    s = summarize({"resourceType": "SupplyDelivery", "status": "completed", "type": {"text": "Inhaler spacer"}})
    assert (s.category, s.title, s.detail) == ("Other", "Inhaler spacer", "completed")
    assert category_of({"resourceType": "Observation", "category": [{"coding": [{"code": "vital-signs"}]}]}) == \
        "Vital signs"



def _synthea(resource_type: str, **match: str) -> dict:
    for path in sorted((FIXTURES / "synthea").glob("*_*.json")):
        for entry in json.loads(path.read_text("utf-8")).get("entry", []):
            res = entry["resource"]
            text = json.dumps(res.get("code", {}))
            if res["resourceType"] == resource_type and all(v in text for v in match.values()):
                return res
    raise AssertionError(f"no {resource_type} {match} in the Synthea fixtures")


def test_a_clinical_note_report_is_a_document_and_no_report_shows_its_status_as_result() -> None:
    note = _synthea("DiagnosticReport", code="34117-2")
    s = summarize(note)
    assert (s.category, s.title) == ("Documents", "History and physical note")
    assert s.detail != s.status and "final" not in s.detail
    panel = _synthea("DiagnosticReport", code="57698-3")
    assert (summarize(panel).category, summarize(panel).detail) == ("Lab results", "")
    us_core_note = {"resourceType": "DiagnosticReport", "status": "final", "code": {"text": "Echo report"},
                    "category": [{"coding": [{"system": "http://loinc.org", "code": "LP29708-2"}]}]}
    assert summarize(us_core_note).category == "Documents"


@pytest.mark.parametrize(("code", "category"), [
    ("laboratory", "Lab results"), ("vital-signs", "Vital signs"), ("vital-sign", "Vital signs"),
    ("exam", "Lab results"), ("imaging", "Procedures"), ("procedure", "Procedures"), ("activity", "Vital signs"),
    ("survey", "Other"), ("social-history", "Other"), ("therapy", "Other"),
])
def test_observation_categories_map_to_plain_categories(code: str, category: str) -> None:
    obs = {"resourceType": "Observation", "code": {"text": "x"},
           "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                     "code": code}]}]}
    assert category_of(obs) == category


def test_a_vital_sign_without_a_category_is_known_by_its_loinc_code() -> None:
    def obs(code: str) -> dict:
        return {"resourceType": "Observation", "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
                "valueQuantity": {"value": 72, "unit": "/min"}}

    assert category_of(obs("8867-4")) == "Vital signs"  # heart rate
    assert category_of(obs("8480-6")) == "Vital signs"  # systolic blood pressure
    assert category_of(obs("2345-7")) == "Lab results"  # glucose: a measurement without a category stays a lab
    labelled = {**obs("8867-4"), "category": [{"coding": [{"code": "laboratory"}]}]}
    assert category_of(labelled) == "Lab results"  # the source's own category wins


def test_an_exam_viral_load_is_a_lab_result() -> None:
    assert summarize(_synthea("Observation", name="HIV viral load")).category == "Lab results"


def test_a_conditions_status_reads_the_same_in_the_list_and_the_detail() -> None:
    from wallet.records.facts import record_facts

    res = {"resourceType": "Condition", "code": {"text": "Asthma"}, "onsetDateTime": "2020-01-01",
           "clinicalStatus": {"coding": [{"code": "active"}]}}
    s = summarize(res)
    assert (s.detail, s.status) == ("current, since 2020-01-01", "active")
    assert ("Status", "current") in record_facts(s, res, {})
    resolved = summarize({**res, "clinicalStatus": {"coding": [{"code": "resolved"}]}})
    assert resolved.detail.startswith("past (resolved)")

if __name__ == "__main__":
    for rt, digest in digests().items():
        print(f'    "{rt}": "{digest}",')
