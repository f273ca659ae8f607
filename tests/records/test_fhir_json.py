"""FHIR JSON numbers exactly as written: reading, writing, and the signed canonical form."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import rfc8785

from tests.conftest import FIXTURES
from wallet.records import fhir_json
from wallet.records.parse import parse_bytes

DECIMALS = FIXTURES / "realworld" / "decimal-precision" / "observation-decimals.json"


def test_decimals_keep_their_written_precision_through_parse_and_write() -> None:
    (item,) = parse_bytes(DECIMALS.read_bytes(), name=DECIMALS.name).items
    obs = item.resource
    assert obs["valueQuantity"]["value"] == Decimal("5.10") and str(obs["valueQuantity"]["value"]) == "5.10"
    assert str(obs["referenceRange"][0]["low"]["value"]) == "3.90"
    assert str(obs["referenceRange"][0]["high"]["value"]) == "6.10"
    assert str(obs["extension"][0]["valueDecimal"]) == "0.12345678901234567890123"
    text = fhir_json.dumps(obs)
    for written in ('"value":5.10', '"value":3.90', '"value":6.10', '"valueDecimal":0.12345678901234567890123'):
        assert written in text
    assert fhir_json.loads(text) == obs and fhir_json.dumps(fhir_json.loads(text)) == text


@pytest.mark.parametrize("written, kept", [
    ("5.10", "5.10"), ("100", "100"), ("-0.0", "-0.0"), ("1e2", "1E+2"), ("2.10e3", "2.10E+3"),
    ("0.0000001", "1E-7"), ("1E+999999", "1E+999999"),
    ("123456789012345678901234567890", "123456789012345678901234567890"),
])
def test_every_json_number_is_written_with_its_digits_and_exponent(written: str, kept: str) -> None:
    value = fhir_json.loads(f'{{"v":{written}}}')["v"]
    assert fhir_json.dumps({"v": value}) == f'{{"v":{kept}}}'
    assert fhir_json.canonical_bytes({"v": value}) == f'{{"v":{kept}}}'.encode()
    assert fhir_json.loads(fhir_json.dumps({"v": value}))["v"] == value


def test_canonical_form_is_rfc8785_where_numbers_agree() -> None:
    doc = {"b": [1, 2.5, {"z": None, "a": True}], "a": "é\n\u0001\"\\", "€": 1, "\U0001f600": 2, "\ufb01": 3,
           "resourceType": "Bundle", "n": -7}
    assert fhir_json.canonical_bytes(doc) == rfc8785.dumps(doc)
    # RFC 8785 cannot tell 5.10 from 5.1; the canonical form can
    assert rfc8785.dumps({"v": 5.10}) == rfc8785.dumps({"v": 5.1})
    assert fhir_json.canonical_bytes({"v": Decimal("5.10")}) != fhir_json.canonical_bytes({"v": Decimal("5.1")})


def test_canonical_form_of_a_deep_document_needs_no_recursion() -> None:
    doc: dict = {"v": Decimal("1.0")}
    for _ in range(5000):
        doc = {"x": [doc]}
    assert fhir_json.canonical_bytes(doc).count(b"[") == 5000


@pytest.mark.parametrize("value", [float("nan"), float("inf"), {1: "x"}, object()])
def test_values_json_cannot_carry_are_refused(value: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        fhir_json.canonical_bytes({"v": value})


def test_floats_from_code_are_written_as_their_shortest_text() -> None:
    assert fhir_json.number_text(5.1) == "5.1" and fhir_json.number_text(1e-07) == "1E-7"
    assert fhir_json.to_float_tree({"v": [Decimal("5.10")]}) == {"v": [5.1]}
    assert json.loads(fhir_json.dumps({"v": 5.1})) == {"v": 5.1}
