"""How numbers and UCUM units are shown in lists, while the summary keeps them as written."""

from __future__ import annotations

from decimal import Decimal

import pytest

from wallet.records.display_values import shown_detail, shown_number, shown_range, shown_unit, shown_value
from wallet.records.summary import summarize


@pytest.mark.parametrize(("written", "shown"), [
    ("86.66329952150107", "86.66"),
    ("6.1903933332307925", "6.19"),
    ("2.6750", "2.68"),  # ROUND_HALF_UP
    ("-0.00004", "0.00"),
    ("5.10", "5.10"),  # up to 3 decimals: exactly as written
    ("2.675", "2.675"),
    ("120", "120"),
])
def test_long_decimals_are_rounded_and_short_ones_kept(written: str, shown: str) -> None:
    assert shown_number(Decimal(written)) == shown


@pytest.mark.parametrize(("code", "shown"), [
    ("Cel", "°C"), ("[degF]", "°F"), ("mm[Hg]", "mmHg"), ("[lb_av]", "lb"), ("[in_i]", "in"),
    ("kg/m2", "kg/m²"), ("/min", "/min"), ("{score}", "score"), ("{beats}/min", "beats/min"),
    ("10*3/uL", "10³/µL"), ("10*6/uL", "10⁶/µL"), ("ug", "µg"), ("uL", "µL"), ("ug/L", "µg/L"), ("%", "%"),
    ("mg/dL", "mg/dL"), ("beats per minute", "beats per minute"), ("", ""),
])
def test_ucum_codes_are_shown_as_people_write_them(code: str, shown: str) -> None:
    assert shown_unit(code) == shown


def _observation(quantity: dict[str, object], **more: object) -> dict[str, object]:
    return {"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "8310-5", "display": "Body temperature"}]},
            "effectiveDateTime": "2017-03-15T22:48:50+00:00", "valueQuantity": quantity, **more}


def test_a_summary_keeps_the_value_and_unit_as_written_and_shows_them_readably() -> None:
    s = summarize(_observation({"value": 37.53169002566453, "unit": "Cel",
                                "system": "http://unitsofmeasure.org", "code": "Cel"}))
    assert s.value == Decimal("37.53169002566453") and s.unit == "Cel"
    assert s.value_text == "37.53169002566453 Cel"  # as written: the detail pane
    assert shown_value(s) == "37.53 °C"
    assert shown_detail(s) == "37.53 °C"


def test_the_source_unit_text_wins_over_its_code() -> None:
    s = summarize(_observation({"value": 98.6, "unit": "degrees F", "system": "http://unitsofmeasure.org",
                                "code": "[degF]"}))
    assert shown_value(s) == "98.6 degrees F"


def test_a_range_and_flag_are_shown_with_the_value() -> None:
    # decimals as fhir_json reads them: the written precision kept
    s = summarize(_observation({"value": Decimal("5.10"), "unit": "mmol/L"},
                               referenceRange=[{"low": {"value": Decimal("3.90"), "unit": "mmol/L"},
                                                "high": {"value": Decimal("6.10"), "unit": "mmol/L"}}]))
    assert shown_range(s) == "3.90–6.10 mmol/L"
    assert shown_detail(s) == s.detail == "5.10 mmol/L (range 3.90–6.10 mmol/L)"


def test_a_blood_pressure_detail_is_shown_rounded_in_mmhg() -> None:
    def part(code: str, value: float) -> dict[str, object]:
        return {"code": {"coding": [{"system": "http://loinc.org", "code": code}]},
                "valueQuantity": {"value": value, "unit": "mm[Hg]", "system": "http://unitsofmeasure.org",
                                  "code": "mm[Hg]"}}
    s = summarize({"resourceType": "Observation", "status": "final",
                   "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9", "display": "Blood Pressure"}]},
                   "component": [part("8480-6", 125.81790266281557), part("8462-4", 84.13886204995498)]})
    assert s.detail == "125.81790266281557/84.13886204995498 mm[Hg]"  # stored as written
    assert shown_detail(s) == "125.82/84.14 mmHg"
