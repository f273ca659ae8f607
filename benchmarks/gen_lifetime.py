"""A lifetime record of one person: years of readings from a watch, a scale and a home
blood-pressure cuff, plus the clinical records of their doctors' visits, as FHIR R4
NDJSON (one file per resource type, as a FHIR Bulk Data export writes them).

Deterministic: the same ``--seed`` and ``--resources`` write the same bytes. Written
streaming (one line at a time), so memory stays flat at any size. Observation files are
split every ``--lines-per-file`` lines (default 100,000, under the wallet's limit of lines
in one file), named ``Observation.000.ndjson``, ``Observation.001.ndjson``, …

What it holds, for ``N`` resources over ``--years`` years ending 2026-06-30:
  - ``Patient.ndjson``: one Patient;
  - clinical records, about 1 % of N (at least 20): ``Encounter`` (a visit every few
    months), ``Condition``, ``MedicationRequest``, ``Immunization``, ``AllergyIntolerance``;
  - the rest are Observations, spread evenly over the years: heart rate (LOINC 8867-4,
    /min, category vital-signs, 60 %), steps in a day (LOINC 41950-7, category activity,
    15 %), blood pressure (LOINC 85354-9 panel with systolic 8480-6 and diastolic 8462-4
    components, mm[Hg], 15 %), body weight (LOINC 29463-7, kg, 10 %).

    python benchmarks/gen_lifetime.py OUT_DIR [--resources 1000000] [--seed 1] [--years 10]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

__all__ = ["generate", "lifetime_resources"]

END = datetime(2026, 6, 30, tzinfo=UTC)
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
VITALS = [{"system": CATEGORY, "code": "vital-signs", "display": "Vital Signs"}]
ACTIVITY = [{"system": CATEGORY, "code": "activity", "display": "Activity"}]

CONDITIONS = [("38341003", "Hypertensive disorder, systemic arterial (disorder)"),
              ("44054006", "Diabetes mellitus type 2 (disorder)"),
              ("195662009", "Acute viral pharyngitis (disorder)"),
              ("10509002", "Acute bronchitis (disorder)"),
              ("55822004", "Hyperlipidemia (disorder)")]
MEDICATIONS = [("314076", "lisinopril 10 MG Oral Tablet"), ("860975", "24 HR metformin hydrochloride 500 MG"),
               ("617312", "atorvastatin 10 MG Oral Tablet"), ("308136", "amlodipine 2.5 MG Oral Tablet")]
VACCINES = [("140", "Influenza, seasonal, injectable, preservative free"), ("113", "Td (adult) preservative free"),
            ("208", "SARS-COV-2 (COVID-19) vaccine, mRNA, spike protein, LNP, preservative free, 30 mcg/0.3mL dose")]
ALLERGIES = [("91935009", "Allergy to peanut (finding)"), ("300913006", "Shellfish allergy (finding)")]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _instant(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _concept(system: str, code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def _quantity(value: float | int, unit: str, code: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": code}


def _observation(rng: random.Random, subject: dict[str, str], when: datetime, day: float) -> dict[str, Any]:
    """One reading; ``day`` (0..1 through the years) drifts the values slowly."""
    obs: dict[str, Any] = {"resourceType": "Observation", "id": _uuid(rng), "status": "final",
                           "subject": subject, "effectiveDateTime": _instant(when)}
    pick = rng.random()
    if pick < 0.60:
        obs["category"] = [{"coding": VITALS}]
        obs["code"] = _concept(LOINC, "8867-4", "Heart rate")
        obs["valueQuantity"] = _quantity(rng.randint(52, 118), "/min", "/min")
    elif pick < 0.75:
        obs["category"] = [{"coding": ACTIVITY}]
        obs["code"] = _concept(LOINC, "41950-7", "Number of steps in 24 hour Measured")
        obs["effectiveDateTime"] = when.strftime("%Y-%m-%d")
        obs["valueQuantity"] = _quantity(rng.randint(800, 21000), "steps", "{steps}")
    elif pick < 0.90:
        systolic = int(112 + 18 * day + rng.gauss(0, 7))
        diastolic = int(72 + 8 * day + rng.gauss(0, 5))
        obs["category"] = [{"coding": VITALS}]
        obs["code"] = _concept(LOINC, "85354-9", "Blood pressure panel with all children optional")
        obs["component"] = [
            {"code": _concept(LOINC, "8480-6", "Systolic blood pressure"),
             "valueQuantity": _quantity(systolic, "mm[Hg]", "mm[Hg]")},
            {"code": _concept(LOINC, "8462-4", "Diastolic blood pressure"),
             "valueQuantity": _quantity(diastolic, "mm[Hg]", "mm[Hg]")},
        ]
    else:
        obs["category"] = [{"coding": VITALS}]
        obs["code"] = _concept(LOINC, "29463-7", "Body weight")
        obs["valueQuantity"] = _quantity(round(71.0 + 6 * day + rng.gauss(0, 0.8), 1), "kg", "kg")
    return obs


def _clinical(rng: random.Random, n: int, subject: dict[str, str], when: datetime) -> dict[str, Any]:
    kind = n % 5
    rid = _uuid(rng)
    if kind == 0:
        return {"resourceType": "Encounter", "id": rid, "status": "finished",
                "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB",
                          "display": "ambulatory"},
                "type": [_concept(SNOMED, "185349003", "Encounter for check up (procedure)")],
                "subject": subject, "period": {"start": _instant(when), "end": _instant(when + timedelta(minutes=20))}}
    if kind == 1:
        code, display = rng.choice(CONDITIONS)
        return {"resourceType": "Condition", "id": rid,
                "clinicalStatus": _concept("http://terminology.hl7.org/CodeSystem/condition-clinical", "active",
                                           "Active"),
                "code": _concept(SNOMED, code, display), "subject": subject, "onsetDateTime": _instant(when),
                "recordedDate": _instant(when)}
    if kind == 2:
        code, display = rng.choice(MEDICATIONS)
        return {"resourceType": "MedicationRequest", "id": rid, "status": "active", "intent": "order",
                "medicationCodeableConcept": _concept("http://www.nlm.nih.gov/research/umls/rxnorm", code, display),
                "subject": subject, "authoredOn": _instant(when),
                "dosageInstruction": [{"text": "Take one tablet by mouth once a day"}]}
    if kind == 3:
        code, display = rng.choice(VACCINES)
        return {"resourceType": "Immunization", "id": rid, "status": "completed",
                "vaccineCode": _concept("http://hl7.org/fhir/sid/cvx", code, display), "patient": subject,
                "occurrenceDateTime": _instant(when), "primarySource": True}
    code, display = rng.choice(ALLERGIES)
    return {"resourceType": "AllergyIntolerance", "id": rid,
            "clinicalStatus": _concept("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                                       "active", "Active"),
            "code": _concept(SNOMED, code, display), "patient": subject, "recordedDate": _instant(when),
            "criticality": "high" if rng.random() < 0.3 else "low"}


def lifetime_resources(total: int, *, seed: int = 1, years: int = 10) -> Iterator[dict[str, Any]]:
    """The ``total`` resources, Patient first, then clinical records, then Observations
    oldest first. A generator: nothing is held but the current resource."""
    if total < 2:
        raise ValueError("a lifetime record holds at least a Patient and one other resource")
    rng = random.Random(seed)
    start = END - timedelta(days=365 * years)
    span = (END - start).total_seconds()
    patient_id = _uuid(rng)
    yield {"resourceType": "Patient", "id": patient_id,
           "name": [{"use": "official", "family": "Lindqvist", "given": ["Maja", "Elin"]}],
           "gender": "female", "birthDate": "1971-04-12",
           "address": [{"city": "Uppsala", "country": "SE"}]}
    subject = {"reference": f"Patient/{patient_id}"}
    clinical = min(total - 1, max(20, (total - 1) // 100))
    for n in range(clinical):
        yield _clinical(rng, n, subject, start + timedelta(seconds=span * (n + rng.random()) / clinical))
    readings = total - 1 - clinical
    for n in range(readings):
        day = (n + rng.random()) / readings
        yield _observation(rng, subject, start + timedelta(seconds=int(span * day)), day)


def generate(out: Path, total: int, *, seed: int = 1, years: int = 10, lines_per_file: int = 100_000) -> dict[str, int]:
    """Write ``total`` resources as NDJSON files into ``out`` (created); return lines per file name."""
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    handles: dict[str, IO[str]] = {}
    part = 0
    try:
        for resource in lifetime_resources(total, seed=seed, years=years):
            rtype = resource["resourceType"]
            if rtype == "Observation":
                name = f"Observation.{part:03d}.ndjson"
                if counts.get(name, 0) >= lines_per_file:
                    handles.pop(name).close()
                    part += 1
                    name = f"Observation.{part:03d}.ndjson"
            else:
                name = f"{rtype}.ndjson"
            fh = handles.get(name)
            if fh is None:
                fh = handles[name] = open(out / name, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
            fh.write(json.dumps(resource, separators=(",", ":"), ensure_ascii=False) + "\n")
            counts[name] = counts.get(name, 0) + 1
    finally:
        for fh in handles.values():
            fh.close()
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--resources", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--lines-per-file", type=int, default=100_000)
    args = parser.parse_args(argv)
    counts = generate(args.out, args.resources, seed=args.seed, years=args.years, lines_per_file=args.lines_per_file)
    for name, n in sorted(counts.items()):
        print(f"{name}: {n:,} resources")
    print(f"total: {sum(counts.values()):,} resources in {len(counts)} files under {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
