"""High/low flags and reference ranges (realworld ``lab-flags/`` and ``comparator-range-units/``):
the lab's interpretation wins; a computed flag only from a range that applies (same unit,
a normal range, age and appliesTo holding); a comparator is part of the value."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tests.conftest import FIXTURES
from wallet.records.lab_values import pick_range, quantity
from wallet.records.summary import summarize

REALWORLD = FIXTURES / "realworld"


def _load(path: str) -> dict[str, dict]:
    doc = json.loads((REALWORLD / path).read_text("utf-8"))
    return {r["id"]: r for r in (doc if isinstance(doc, list) else [doc])}


def test_the_labs_interpretation_wins_over_the_range() -> None:
    labs = _load("lab-flags/interpretation-vs-range.json")
    high = summarize(labs["in-range-lab-says-high"])  # 100 in 70-110, the lab says High
    assert (high.flag, high.flag_source, high.flag_words, high.abnormal) == ("H", "lab", "High", True)
    normal = summarize(labs["out-of-range-lab-says-normal"])  # 130 above 110, the lab says Normal
    assert (normal.flag, normal.flag_source, normal.abnormal) == ("N", "lab", False)
    assert normal.detail == "130 mg/dL (range 70–110 mg/dL) — normal"
    critical = summarize(labs["critical-high-no-range"])
    assert (critical.flag, critical.flag_words, critical.abnormal) == ("HH", "Critically high", True)
    assert critical.detail == "500 mg/dL — critically high"


def test_a_comparator_is_part_of_the_value_and_flags_only_when_decisive() -> None:
    less = summarize(_load("comparator-range-units/less-than.json")["less-than"])
    assert less.value_text == "< 5 mg/dL" and less.comparator == "<"
    assert (less.flag, less.flag_source) == ("L", "range")  # below 5 is surely below 10
    assert less.detail == "< 5 mg/dL (range 10–20 mg/dL) — low"


@pytest.mark.parametrize(("comparator", "value", "flag"), [
    ("<", 25, ""), ("<", 5, "L"), ("<", 10, "L"), ("<=", 10, ""), (">", 20, "H"), (">=", 20, ""), (">", 15, ""),
    ("", 21, "H"), ("", 9.9, "L"), ("", 15, ""), ("ad", 50, ""),
])
def test_comparators_against_a_range(comparator: str, value: float, flag: str) -> None:
    q = {"value": value, "unit": "mg/dL"} | ({"comparator": comparator} if comparator else {})
    s = summarize({"resourceType": "Observation", "category": [{"coding": [{"code": "laboratory"}]}],
                   "code": {"text": "X"}, "valueQuantity": q,
                   "referenceRange": [{"low": {"value": 10, "unit": "mg/dL"}, "high": {"value": 20, "unit": "mg/dL"}}]})
    assert s.flag == flag


def test_values_in_another_unit_are_never_compared_and_the_range_keeps_its_unit() -> None:
    s = summarize(_load("comparator-range-units/range-other-unit.json")["unit-mismatch"])
    assert s.flag == "" and s.flag_source == ""
    assert (s.unit, s.range_unit, s.range_label) == ("mmol/L", "mg/dL", "70–110 mg/dL")
    assert s.detail == "5.5 mmol/L (range 70–110 mg/dL)"  # not "range 70–110 mmol/L — low"


def test_the_range_that_applies_is_chosen_among_several() -> None:
    res = {"resourceType": "Observation", "code": {"text": "Glucose"}, "effectiveDateTime": "2024-01-01",
           "valueQuantity": {"value": 8.0, "unit": "mmol/L", "system": "http://unitsofmeasure.org", "code": "mmol/L"},
           "referenceRange": [
               {"low": {"value": 70, "unit": "mg/dL"}, "high": {"value": 110, "unit": "mg/dL"}},
               {"low": {"value": 3.9, "unit": "mmol/L", "code": "mmol/L", "system": "http://unitsofmeasure.org"},
                "high": {"value": 6.1, "unit": "mmol/L", "code": "mmol/L", "system": "http://unitsofmeasure.org"}}]}
    s = summarize(res)
    assert (s.flag, s.low, s.high, s.range_unit) == ("H", Decimal("3.9"), Decimal("6.1"), "mmol/L")


def test_age_applies_to_and_treatment_ranges_need_what_they_restrict() -> None:
    res = {"resourceType": "Observation", "code": {"text": "Hb"}, "effectiveDateTime": "2024-01-01",
           "valueQuantity": {"value": 12.5, "unit": "g/dL"},
           "referenceRange": [{"low": {"value": 13.5, "unit": "g/dL"}, "high": {"value": 17.5, "unit": "g/dL"},
                               "appliesTo": [{"coding": [{"system": "http://hl7.org/fhir/administrative-gender",
                                                          "code": "male"}]}],
                               "age": {"low": {"value": 18, "unit": "a"}}}]}
    value = quantity(res["valueQuantity"])
    assert summarize(res).flag == ""  # the patient is not known here: the range may not be theirs
    man = pick_range(res, value, patient={"gender": "male", "birthDate": "1980-05-01"}, when="2024-01-01")
    assert man is not None and man.applies
    woman = pick_range(res, value, patient={"gender": "female", "birthDate": "1980-05-01"}, when="2024-01-01")
    boy = pick_range(res, value, patient={"gender": "male", "birthDate": "2015-05-01"}, when="2024-01-01")
    assert woman is not None and not woman.applies and boy is not None and not boy.applies
    treatment = {**res, "referenceRange": [{"low": {"value": 13.5}, "high": {"value": 17.5},
                                            "type": {"coding": [{"code": "treatment"}]}}]}
    assert summarize(treatment).flag == ""


def test_an_interpretation_with_only_text_is_shown_in_its_words() -> None:
    s = summarize({"resourceType": "Observation", "code": {"text": "Culture"}, "valueString": "E. coli",
                   "interpretation": [{"text": "Resistant to ampicillin"}]})
    assert (s.flag, s.flag_source, s.flag_words) == ("", "lab", "Resistant to ampicillin")
    assert s.detail == "E. coli, resistant to ampicillin"
