"""A patient for printouts: a Synthea record (six allergies, five medications) renamed with
letters outside Latin-1, plus a glucose result above its reference range."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import FIXTURES

SOURCE = FIXTURES / "synthea" / "Mathilda_O'Keefe_e96a4adf-fbc9-4983-b6cd-16b1815bb634.json"
NAME = "Zoë Łucja O'Keefe-Núñez"
GLUCOSE = {
    "resourceType": "Observation", "id": "glucose-high", "status": "final",
    "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                              "code": "laboratory"}]}],
    "code": {"coding": [{"system": "http://loinc.org", "code": "2345-7", "display": "Glucose"}],
             "text": "Glucose [Mass/volume] in Serum or Plasma"},
    "effectiveDateTime": "2024-05-02T08:00:00Z",
    "valueQuantity": {"value": 182, "unit": "mg/dL", "system": "http://unitsofmeasure.org", "code": "mg/dL"},
    "referenceRange": [{"low": {"value": 70, "unit": "mg/dL"}, "high": {"value": 110, "unit": "mg/dL"}}],
}


def write_patient(folder: Path) -> Path:
    bundle: dict[str, Any] = json.loads(SOURCE.read_text("utf-8"))
    patient = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    patient["name"] = [{"use": "official", "given": ["Zoë", "Łucja"], "family": "O'Keefe-Núñez"}]
    glucose = dict(GLUCOSE, subject={"reference": f"urn:uuid:{patient['id']}"})
    bundle["entry"].append({"fullUrl": "urn:uuid:5d1b3c0e-2a47-4f0e-9a51-6f3c2d1e0b9a", "resource": glucose})
    out = folder / "patient.json"
    out.write_text(json.dumps(bundle), "utf-8")
    return out


def titles(kind: str) -> list[str]:
    """The names the source record gives its allergies ("allergies") or active medications."""
    bundle = json.loads(SOURCE.read_text("utf-8"))
    out = []
    for entry in bundle["entry"]:
        res = entry["resource"]
        if kind == "allergies" and res["resourceType"] == "AllergyIntolerance":
            out.append(res["code"].get("text") or res["code"]["coding"][0]["display"])
        if kind == "medications" and res["resourceType"] == "MedicationRequest" and res["status"] == "active":
            concept = res["medicationCodeableConcept"]
            out.append(concept.get("text") or concept["coding"][0]["display"])
    return out


def codes() -> set[str]:
    """The numeric codes (SNOMED CT, RxNorm, LOINC, CVX, …) of five or more characters the record carries."""
    found: set[str] = set()
    stack: list[Any] = [json.loads(SOURCE.read_text("utf-8")), GLUCOSE]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            code = cur.get("code")
            if isinstance(code, str) and "system" in cur and len(code) >= 5 and code.replace("-", "").isdigit():
                found.add(code)
            stack.extend(cur.values())
        elif isinstance(cur, list):
            stack.extend(cur)
    return found
