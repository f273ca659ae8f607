"""The input gate's fast paths clear only what the token walk would clear, in linear time."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wallet import untrusted
from wallet.errors import InputNotJson, InputRefused, InputTooDeep
from wallet.untrusted import Limits

_pieces = st.sampled_from(['[', ']', '{', '}', ',', '"', '\\"', '\\\\', 'a', '1', '-2.5e3', ':', ' ', '"[{"'])


@settings(max_examples=500, deadline=None)
@given(st.lists(_pieces, max_size=60).map("".join), st.integers(min_value=1, max_value=8))
def test_bracket_depth_is_never_below_what_the_walk_checks(text: str, depth: int) -> None:
    limits = Limits(max_depth=depth)
    if untrusted._bracket_depth(text) <= depth:
        try:
            untrusted.scan(text, what="x", limits=limits)
        except InputTooDeep:
            pytest.fail(f"cleared by the fast path but too deep for the walk: {text!r}")


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.one_of(_pieces, st.sampled_from(["\\", "\x01", "\u00e9", "\ud800", "\n", '""'])),
                max_size=60).map("".join))
def test_bracket_depth_equals_the_regular_expression_walk(text: str) -> None:
    """The skeleton measure and the one-pass walk agree on any text, well-formed or not,
    from the text or from its UTF-8 bytes (a byte order mark in front changes nothing)."""
    want = untrusted._bracket_depth_walk(text)
    assert untrusted._bracket_depth(text) == want
    encoded = text.encode("utf-8", "surrogatepass")
    assert untrusted._bracket_depth(text, b"\xef\xbb\xbf" + encoded) == want


def test_bracket_depth_of_escapes_inside_and_outside_strings() -> None:
    assert untrusted._bracket_depth('["a\\"b[[" , [[]]]') == 3  # an escaped quote keeps its string open
    assert untrusted._bracket_depth('["a\\\\", [[[]]]]') == 4  # an escaped backslash does not
    assert untrusted._bracket_depth('"a" \\" " [[[[') == 4  # a backslash outside a string: measured by the walk
    assert untrusted._bracket_depth('[[["[[[') == 3  # a string left open runs to the end


@settings(max_examples=300, deadline=None)
@given(st.lists(_pieces, max_size=60).map("".join))
def test_loads_refuses_and_accepts_as_the_walk_then_parser_do(text: str) -> None:
    limits = Limits(max_depth=3, max_items=4, max_number_chars=4, max_exponent=99)

    def outcome(fn):
        try:
            return ("ok", fn())
        except InputRefused as exc:
            return (type(exc).__name__, None)

    def walk_then_parse():
        untrusted.scan(text, what="x", limits=limits)
        return untrusted.loads(text, what="x", limits=Limits())  # the walk has passed: the default limits

    got = outcome(lambda: untrusted.loads(text, what="x", limits=limits))
    want = outcome(walk_then_parse)
    assert got[0] == want[0] and got[1] == want[1]


def test_many_brackets_before_a_string_left_open_are_measured_in_linear_time() -> None:
    text = "[" * 100 + '"a' + '\\"' * 200_000  # a quadratic scanner would take minutes here
    assert untrusted._bracket_depth(text) == 100
    with pytest.raises(InputTooDeep):
        untrusted.loads(text, what="x")
    with pytest.raises(InputNotJson, match="Unterminated string"):
        untrusted.loads("[" * 30 + '"a' + '\\"' * 200_000, what="x")
