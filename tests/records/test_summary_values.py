"""Summaries show a measurement exactly as written, its comparator included, and flag it
only when the value read with its comparator is surely outside the range."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import FIXTURES
from wallet.records import fhir_json
from wallet.records.summary import Summary, summarize

REAL = FIXTURES / "realworld"


def _obs(value: str, comparator: str = "", low: str | None = "10", high: str | None = "20") -> dict:
    quantity = {"value": Decimal(value), "unit": "mg/dL", **({"comparator": comparator} if comparator else {})}
    ref = {k: {"value": Decimal(v), "unit": "mg/dL"} for k, v in (("low", low), ("high", high)) if v is not None}
    return {"resourceType": "Observation", "status": "final", "code": {"text": "Glucose"},
            "valueQuantity": quantity, "referenceRange": [ref]}


def test_the_realworld_values_read_as_written() -> None:
    dec = summarize(fhir_json.loads((REAL / "decimal-precision" / "observation-decimals.json").read_text()))
    assert dec.detail == "5.10 mmol/L (range 3.90–6.10 mmol/L)" and dec.value_text == "5.10 mmol/L"
    assert (str(dec.value), str(dec.low), str(dec.high)) == ("5.10", "3.90", "6.10")
    less = summarize(fhir_json.loads((REAL / "comparator-range-units" / "less-than.json").read_text()))
    assert less.comparator == "<" and less.value_text == "< 5 mg/dL"
    assert less.detail == "< 5 mg/dL (range 10–20 mg/dL) — low" and less.flag == "L"


@pytest.mark.parametrize("value, comparator, flag", [
    ("25", "", "H"), ("5", "", "L"), ("15", "", ""),
    ("5", "<", "L"), ("10", "<", "L"), ("12", "<", ""), ("25", "<", ""),  # "< 25" may be normal
    ("10", "<=", ""), ("9", "<=", "L"),
    ("25", ">", "H"), ("20", ">", "H"), ("15", ">", ""), ("5", ">", ""),  # "> 5" may be normal
    ("20", ">=", ""), ("21", ">=", "H"), ("50", "ad", ""),
])
def test_flags_read_the_comparator(value: str, comparator: str, flag: str) -> None:
    s = summarize(_obs(value, comparator))
    assert s.flag == flag
    assert s.detail.startswith(" ".join(x for x in (comparator, value, "mg/dL") if x))


def test_summaries_round_trip_through_their_sealed_json() -> None:
    s = summarize(_obs("5.10", "<"))
    again = Summary.from_json(fhir_json.loads(fhir_json.dumps(s.to_json())))
    assert again == s and str(again.value) == "5.10"
    older = Summary.from_json({"resource_type": "Observation", "category": "Lab results", "title": "t",
                               "value": 6.3, "low": 3})  # stored by a release that kept floats
    assert older.value == Decimal("6.3") and older.low == Decimal(3) and older.comparator == ""
    with pytest.raises(ValueError, match="comparator"):
        Summary("Observation", "Lab results", "t", comparator="~")
