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
    "AllergyIntolerance": "15fc1e3a7873434f",
    "AuditEvent": "06edca4f50f73315",
    "Bundle": "787c3375370501ca",
    "CarePlan": "69f4874b859bf28c",
    "Claim": "a66d394b896929b4",
    "Composition": "f4211dc8e0490003",
    "Condition": "7dcfe2e1745507bc",
    "Consent": "e99ec924dba18be7",
    "Coverage": "86dd643d0352c653",
    "Device": "e4a998ecee1dc577",
    "DiagnosticReport": "845cfd313e5892c6",
    "DocumentReference": "9a6c1c02343779f0",
    "Encounter": "b26d70ea4965a729",
    "ExplanationOfBenefit": "4e626a094a71cead",
    "FamilyMemberHistory": "1981231889042784",
    "Goal": "854fba11ab026935",
    "ImagingStudy": "21f57f9ec01c393f",
    "Immunization": "7325fd1c0bf138dc",
    "Medication": "7b720056848a4c0d",
    "MedicationRequest": "2c941cb9f0ff2cf3",
    "MedicationStatement": "40f6ca6cc661243d",
    "Observation": "883165fe124407c1",
    "OperationOutcome": "b1355e050f4f5977",
    "Organization": "dc214efcc8f7f590",
    "Patient": "78029bdd4891a148",
    "Patinet": "7ed285289cb25bf8",
    "Practitioner": "17c9d291d39dceac",
    "Procedure": "e56d762b18ec9224",
    "Provenance": "ccb31f2f1967eadd",
    "RelatedPerson": "642d2299c2a94c44",
    "ServiceRequest": "42932d8e0acafa74",
    "Specimen": "9aa1e52dc659bc37",
    "['Patient']": "cac6e10725636bc6",
    "patient": "7bee14c1da335768",
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
                        "2024-03-01", "http://loinc.org|2823-3", 5.4, "mmol/L", 3.5, 5.1, "H")


@pytest.mark.parametrize("rt", ["MedicationRequest", "MedicationStatement", "MedicationAdministration",
                                "MedicationDispense", "Medication", "MedicationKnowledge"])
def test_every_medication_type_names_its_medication(rt: str) -> None:
    s = summarize({"resourceType": rt, "medicationReference": {"display": "Metformin 500 mg"},
                   "dosageInstruction": [{"timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}}}],
                   "status": "active"})
    assert (s.title, s.detail) == ("Metformin 500 mg", "2× per 1 d, active")
    assert s.category in CATEGORIES


def test_a_type_without_its_own_row_gets_the_generic_summary() -> None:
    s = summarize({"resourceType": "CarePlan", "title": "Diabetes plan", "status": "active", "created": "2024-01-02"})
    assert (s.category, s.title, s.detail, s.date) == ("Other", "Diabetes plan", "active", "2024-01-02")
    assert category_of({"resourceType": "Observation", "category": [{"coding": [{"code": "vital-signs"}]}]}) == \
        "Vital signs"


if __name__ == "__main__":
    for rt, digest in digests().items():
        print(f'    "{rt}": "{digest}",')
