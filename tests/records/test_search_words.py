"""A word typed as a patient says it finds the records that write it otherwise: its plural
or singular, its British or American spelling, the word records use ("flu": influenza)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSPHRASE
from wallet.records.search_text import match_expression
from wallet.records.search_words import MOST_FORMS, other_forms


@pytest.mark.parametrize(("typed", "forms"), [
    ("seizures", ("seizure",)), ("seizure", ("seizures",)), ("allergies", ("allergy",)),
    ("allergy", ("allergies",)), ("anaemia", ("anaemias", "anemia", "anemias")),
    ("anemia", ("anemias", "anaemia", "anaemias")), ("Haemoglobin", ("haemoglobins", "hemoglobin", "hemoglobins")),
    ("flu", ("influenza",)), ("BMI", ("body mass index",)), ("vaccines", ("vaccine", "immunization")),
    ("120", ()), ("8302-2", ()), ("mmHg", ()), ("a", ()),
])
def test_other_forms(typed: str, forms: tuple[str, ...]) -> None:
    assert other_forms(typed) == forms


def test_every_word_has_a_handful_of_forms_at_most() -> None:
    assert all(len(other_forms(w)) <= MOST_FORMS for w in ("paediatric", "oesophageal", "haemorrhoids", "x" * 200))


def test_the_query_asks_for_each_form_and_stays_a_query() -> None:
    assert match_expression("flu") == '("flu" OR "influenza")'
    assert match_expression("BMI*") == '("BMI"* OR "body mass index"*)'
    assert match_expression('seizures"') == '"seizures"""'  # a quote is never query syntax


def _record(rtype: str, rid: str, text: str, **more: Any) -> dict[str, Any]:
    key = {"Condition": "code", "Immunization": "vaccineCode", "Observation": "code"}[rtype]
    person = "patient" if rtype == "Immunization" else "subject"
    return {"resourceType": rtype, "id": rid, key: {"text": text}, person: {"reference": "Patient/p1"}, **more}


RECORDS = [
    _record("Condition", "seizure", "Seizure disorder", onsetDateTime="2019-04-01"),
    _record("Condition", "anemia", "Anemia (disorder)", onsetDateTime="2020-01-01"),
    _record("Condition", "oedema", "Oedema of lower leg", onsetDateTime="2021-01-01"),
    _record("Immunization", "flu", "Influenza, seasonal, injectable", status="completed",
            occurrenceDateTime="2022-10-01"),
    _record("Observation", "bmi", "Body mass index", status="final", effectiveDateTime="2023-01-01",
            valueQuantity={"value": 24.1, "unit": "kg/m2", "system": "http://unitsofmeasure.org", "code": "kg/m2"}),
]


def test_a_patient_s_words_find_the_records_in_the_wallet(make_service: Any, tmp_path: Path) -> None:
    bundle = tmp_path / "records.json"
    bundle.write_text(json.dumps({"resourceType": "Bundle", "type": "collection",
                                  "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in RECORDS]}))
    service = make_service()
    service.create(PASSPHRASE)
    wallet = service.unlock(PASSPHRASE)
    try:
        wallet.import_file(bundle)

        def found(text: str) -> list[str]:
            return sorted(wallet.store.get(r.id)["id"] for r in wallet.search(text))

        assert found("seizures") == found("seizure") == ["seizure"]
        assert found("anaemia") == found("anemia") == ["anemia"]
        assert found("edema") == found("oedema") == ["oedema"]
        assert found("flu") == found("flu vaccine") == found("influenza") == ["flu"]
        assert found("BMI") == ["bmi"]
        assert found("seizures anaemia") == []  # every word is still required
        assert wallet.count(text="seizures") == 1
    finally:
        wallet.lock()
