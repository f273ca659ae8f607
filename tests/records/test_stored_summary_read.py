"""A page's summaries are read from the JSON the store writes without running the
dataclass's validation a second time; what they read must be exactly what
``Summary.from_json`` gives, and anything the fast read does not accept must raise
exactly as ``Summary.from_json`` does."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from benchmarks.gen_lifetime import lifetime_resources
from tests.conftest import FIXTURES
from wallet.records import fhir_json
from wallet.records.store import _SUMMARY_JSON, _stored_summary
from wallet.records.summary import Summary, summarize


def _resources() -> list[dict]:
    found: list[dict] = list(lifetime_resources(300, seed=5))
    for path in sorted((FIXTURES / "synthea").glob("*.json"))[:2] + sorted((FIXTURES / "realworld").rglob("*.json")):
        try:
            doc = fhir_json.loads(Path(path).read_text())
        except (ValueError, RecursionError):  # the realworld folder's hostile files: the input gate's tests
            continue
        if isinstance(doc, dict) and doc.get("resourceType") == "Bundle":
            found.extend(e["resource"] for e in doc.get("entry", []) if isinstance(e.get("resource"), dict))
        elif isinstance(doc, dict) and "resourceType" in doc:
            found.append(doc)
    return found


def _fields(summary: Summary) -> list[tuple[str, object, type]]:
    return [(name, value, type(value)) for name, value in summary.__dict__.items()]


def test_every_summary_reads_back_as_the_validated_one() -> None:
    read = 0
    for resource in _resources():
        summary = summarize(resource)
        text = fhir_json.dumps(summary.to_json())  # as the store writes it
        fast = _stored_summary(text)
        slow = Summary.from_json(_SUMMARY_JSON.decode(text))
        assert fast == slow and _fields(fast) == _fields(slow) == _fields(summary), text
        read += 1
    assert read > 300


def test_an_int_written_value_becomes_a_decimal_as_when_validated() -> None:
    text = json.dumps({"resource_type": "Observation", "category": "Vital signs", "title": "Weight", "value": 72,
                       "low": 1.5}, separators=(",", ":"))
    summary = _stored_summary(text)
    assert summary.value == Decimal(72) and type(summary.value) is Decimal and summary.low == Decimal("1.5")
    assert summary == Summary.from_json(json.loads(text))


@pytest.mark.parametrize("doc, error", [
    ({"resource_type": "Observation", "category": "Nowhere", "title": "x"}, ValueError),
    ({"resource_type": "Observation", "category": ["Vital signs"], "title": "x"}, ValueError),
    ({"resource_type": "Observation", "category": "Vital signs", "title": "x", "comparator": "~"}, ValueError),
    ({"resource_type": "Observation", "category": "Vital signs", "title": "x", "flag": "H H"}, ValueError),
    ({"resource_type": "Observation", "category": "Vital signs", "title": "x", "flag_source": "guess"}, ValueError),
    ({"resource_type": "Observation", "category": "Vital signs", "title": "x", "colour": "red"}, TypeError),
    ({"category": "Vital signs", "title": "x"}, TypeError),
])
def test_what_validation_refuses_is_refused_the_same_way(doc: dict, error: type[Exception]) -> None:
    text = json.dumps(doc, separators=(",", ":"))
    with pytest.raises(error) as slow:
        Summary.from_json(json.loads(text))
    with pytest.raises(error) as fast:
        _stored_summary(text)
    assert str(fast.value) == str(slow.value)


@pytest.mark.parametrize("text", [' {"resource_type":"Patient","category":"Other","title":"x"}',
                                  '{"resource_type":"Patient","category":"Other","title":"x"} x', "[1]", ""])
def test_other_json_goes_through_the_full_decoder(text: str) -> None:
    if text.strip().startswith("{") and text.strip().endswith("}"):
        assert _stored_summary(text) == Summary.from_json(json.loads(text))
    else:
        with pytest.raises((ValueError, TypeError)):
            _stored_summary(text)


def test_a_page_row_is_the_stored_summary_its_constructor_builds() -> None:
    from wallet.records.store import StoredSummary, _stored_summaries

    text = '{"resource_type":"Observation","category":"Vital signs","title":"Weight","value":72.5,"unit":"kg"}'
    (row,) = _stored_summaries([("abc", text, 1.5e9, "owner", 42)])
    built = StoredSummary("abc", Summary.from_json(json.loads(text, parse_float=Decimal)), 1.5e9, "owner", 42)
    assert row == built and row.__dict__ == built.__dict__ and row.key == built.key
    assert repr(row) == repr(built) and hash(row) == hash(built)
