"""The fast canonical forms: RFC 8785 equal to the ``rfc8785`` package, exact decimals equal
to the plain writer, on the RFC's published vectors, every fixture and random JSON."""

from __future__ import annotations

import json
import struct
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import FIXTURES
from wallet.records import fhir_json, jcs

VECTORS = json.loads((Path(__file__).parent / "data" / "rfc8785_vectors.json").read_text(encoding="utf-8"))


def _reference_jcs(value: Any) -> bytes | None:
    try:
        return rfc8785.dumps(value)
    except (ValueError, TypeError):
        return None


def _fast_jcs(value: Any) -> bytes | None:
    try:
        return jcs.jcs_bytes(value)
    except (ValueError, TypeError):
        return None


def _reference_exact(value: Any) -> bytes | None:
    try:
        return jcs.reference_exact_decimals_bytes(value)
    except (ValueError, TypeError):
        return None


def _fast_exact(value: Any) -> bytes | None:
    try:
        return jcs.exact_decimals_bytes(value)
    except (ValueError, TypeError):
        return None


# --- RFC 8785's own examples ---------------------------------------------------------


@pytest.mark.parametrize("example", VECTORS["examples"], ids=lambda e: e["section"].split(" ")[0])
def test_rfc8785_examples_canonicalise_to_the_published_bytes(example: dict[str, str]) -> None:
    expected = (bytes.fromhex(example["output_hex"]) if "output_hex" in example
                else example["output"].encode("utf-8"))
    value = json.loads(example["input"])
    assert jcs.jcs_bytes(value) == expected
    assert rfc8785.dumps(value) == expected  # the vectors were transcribed right


@pytest.mark.parametrize("sample", VECTORS["numbers"]["samples"], ids=lambda s: s[0])
def test_rfc8785_number_samples_serialise_as_published(sample: list[str]) -> None:
    ieee_hex, text, _ = sample
    value = struct.unpack(">d", bytes.fromhex(ieee_hex))[0]
    if not text:
        with pytest.raises(ValueError):
            jcs.ecmascript_number(value)
        with pytest.raises(ValueError):
            jcs.jcs_bytes([value])
        return
    assert jcs.ecmascript_number(value) == text
    assert jcs.jcs_bytes([value]) == f"[{text}]".encode()
    assert rfc8785.dumps([value]) == f"[{text}]".encode()


# --- every fixture -------------------------------------------------------------------


def _fixture_documents() -> list[Path]:
    found = []
    for path in sorted(FIXTURES.rglob("*")):
        if not path.is_file() or path.stat().st_size > 20_000_000:
            continue
        try:
            json.loads(path.read_bytes())
        except (ValueError, RecursionError):
            continue
        found.append(path)
    return found


FIXTURE_DOCUMENTS = _fixture_documents()


def test_the_fixture_set_is_not_empty() -> None:
    assert len(FIXTURE_DOCUMENTS) > 50


@pytest.mark.parametrize("path", FIXTURE_DOCUMENTS, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_every_fixture_canonicalises_as_the_references_do(path: Path) -> None:
    raw = path.read_bytes()
    as_doubles = json.loads(raw)
    assert _fast_jcs(as_doubles) == _reference_jcs(as_doubles)
    exact = json.loads(raw, parse_float=Decimal)
    fast = _fast_exact(exact)
    assert fast == _reference_exact(exact)
    if fast is not None:  # NaN in a fixture is refused by both
        assert fhir_json.canonical_bytes(exact) == fast
    assert _fast_exact(as_doubles) == _reference_exact(as_doubles)


# --- the exact-decimals form ---------------------------------------------------------


def test_exact_decimals_keep_precision_and_sort_names_by_utf16() -> None:
    value = {"\ufb33": 1, "\U0001f600": Decimal("5.10"), "b": [Decimal("1E+2"), 12345678901234567890123, 1e-07],
             "a": {"z": None, "y": True, "x": "\u2028\x7f\x1f"}}
    expected = ('{"a":{"x":"\u2028\x7f\\u001f","y":true,"z":null},"b":[1E+2,12345678901234567890123,1E-7],'
                '"\U0001f600":5.10,"\ufb33":1}').encode()
    assert jcs.exact_decimals_bytes(value) == expected == jcs.reference_exact_decimals_bytes(value)


def test_exact_decimals_refuse_what_json_cannot_carry() -> None:
    for bad in ({1: "x"}, [float("nan")], [Decimal("NaN")], [Decimal("-Infinity")], ["\ud800"]):
        with pytest.raises(ValueError):
            jcs.exact_decimals_bytes(bad)
    with pytest.raises(TypeError):
        jcs.exact_decimals_bytes([object()])


def test_documents_deeper_than_the_fast_walk_take_the_plain_path() -> None:
    deep: Any = [Decimal("1.50")]
    for i in range(jcs.FAST_DEPTH + 50):
        deep = {"k": deep, "n": i}
    assert jcs.exact_decimals_bytes(deep) == jcs.reference_exact_decimals_bytes(deep)


def test_rfc8785_refuses_decimals_and_unsafe_integers_as_the_package_does() -> None:
    for bad in ([Decimal("1.5")], [2**53], [-(2**53)], {1: 2}, ["\udfff"], [float("inf")]):
        assert _reference_jcs(bad) is None
        assert _fast_jcs(bad) is None
    assert jcs.jcs_bytes([2**53 - 1, -(2**53 - 1), True]) == rfc8785.dumps([2**53 - 1, -(2**53 - 1), True])


# --- random JSON -----------------------------------------------------------------------

_keys = st.text(max_size=6)
_scalars = st.one_of(
    st.none(), st.booleans(), st.text(), st.integers(min_value=-(2**60), max_value=2**60),
    st.floats(allow_nan=True, allow_infinity=True),
)
_json = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=5),
                                                      st.dictionaries(_keys, inner, max_size=5)), max_leaves=30)
_decimals = st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(lambda d: abs(d.adjusted()) < 400)
_exact_scalars = st.one_of(st.none(), st.booleans(), st.text(), st.integers(), _decimals,
                           st.floats(allow_nan=False, allow_infinity=False))
_exact_json = st.recursive(_exact_scalars, lambda inner: st.one_of(st.lists(inner, max_size=5),
                                                                  st.dictionaries(_keys, inner, max_size=5)),
                           max_leaves=30)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_json)
def test_random_json_canonicalises_as_the_rfc8785_package_does(value: Any) -> None:
    assert _fast_jcs(value) == _reference_jcs(value)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_exact_json)
def test_random_json_with_decimals_canonicalises_as_the_plain_writer_does(value: Any) -> None:
    assert _fast_exact(value) == _reference_exact(value)


def test_a_string_that_holds_the_decimal_markers_is_written_as_a_string(monkeypatch: pytest.MonkeyPatch) -> None:
    """Decimals pass the standard encoder as marked strings; data that happens to hold a
    marker (here made known in advance) is written by the other encoder, with the same bytes."""
    prefix, suffix = "0" * 31 + "a", "0" * 31 + "b"
    tokens = iter([prefix, suffix] * 4)
    monkeypatch.setattr(jcs.secrets, "token_hex", lambda _n: next(tokens))
    for value in ({"note": f"{prefix}1{suffix}", "value": Decimal("5.10")},
                  {f"x{suffix}": [Decimal("1E+2")], "y": "plain"},
                  [f"{prefix}", Decimal("0.000001"), {"z": f'"{suffix}"'}],
                  {"only": [Decimal("-0.0"), 1, True, None]}):
        assert jcs.exact_decimals_bytes(value) == jcs.reference_exact_decimals_bytes(value)
