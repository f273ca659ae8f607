"""Fast JSON canonicalisation: RFC 8785 (JCS) and the wallet's exact-decimals form.

Both forms write JSON with no whitespace, object members sorted by the UTF-16 code
units of their names (RFC 8785 §3.2.3), strings escaped as RFC 8785 §3.2.2.2 says
(only ``"``, ``\\`` and U+0000..U+001F are escaped, the control characters with the
two-character forms ``\\b \\t \\n \\f \\r`` where one exists and ``\\u00xx`` otherwise,
every other character written as itself) and UTF-8 output (§3.2.4). They differ in
numbers:

- :func:`jcs_bytes` is RFC 8785: a number is an IEEE 754 double written as
  ECMAScript's ``Number.prototype.toString`` does (§3.2.2.3), integers must lie in
  ±(2^53 − 1) (I-JSON, RFC 7493 §2.2). Byte-for-byte equal to the ``rfc8785``
  package, with the same refusals.
- :func:`exact_decimals_bytes` is ``rfc8785-exact-decimals``
  (:data:`wallet.records.fhir_json.CANONICAL_FORM`): integers as their digits at any
  size, :class:`~decimal.Decimal` as its to-scientific-string (``5.10`` stays
  ``5.10``), a float as the decimal of its shortest repr. Byte-for-byte equal to
  :func:`reference_exact_decimals_bytes`, the plain implementation it replaces.

Speed: a C encoder does the writing, sorting and escaping: the standard library's for
the exact-decimals form (its member sort is the faster; a ``Decimal`` goes through a
marked string, :func:`_sorted_text`), ``simplejson``'s (already used to write FHIR JSON)
for RFC 8785. Both escape strings exactly as JCS requires with ``ensure_ascii=False``
and sort members by code point. Python only walks the tree once to check what the
encoders cannot be told: names that are not strings, types JSON has no form for,
floats (formatted here), and nesting deeper than :data:`FAST_DEPTH`. Code-point order
equals UTF-16 order unless a name holds a character beyond U+FFFF; the UTF-8 output is
searched for the lead bytes of one (``memchr`` speed) and such documents take the plain
path.
"""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import simplejson  # type: ignore[import-untyped]  # no stubs published with it

__all__ = ["FAST_DEPTH", "MAX_SAFE_INTEGER", "ecmascript_number", "exact_decimals_bytes", "jcs_bytes",
           "number_text", "reference_exact_decimals_bytes"]

MAX_SAFE_INTEGER = 2**53 - 1
"""Largest integer RFC 8785 accepts (I-JSON, RFC 7493 §2.2: exactly representable as a double)."""

FAST_DEPTH = 256
"""Deepest nesting the fast path walks (recursively); deeper documents take the iterative plain path."""

_ENCODER = simplejson.JSONEncoder(
    ensure_ascii=False, allow_nan=False, separators=(",", ":"), sort_keys=True, use_decimal=True,
    check_circular=False,  # the survey (or the copy) has bounded the depth: no cycles reach it
)
_UNSORTED_ENCODER = simplejson.JSONEncoder(
    ensure_ascii=False, allow_nan=False, separators=(",", ":"), sort_keys=False, use_decimal=True,
    check_circular=False,  # the survey (or the copy) has bounded the depth: no cycles reach it
)
_ASTRAL_LEADS = (b"\xf0", b"\xf1", b"\xf2", b"\xf3", b"\xf4")  # UTF-8 lead bytes of U+10000..U+10FFFF
_LEAVES = frozenset({str, int, bool, type(None), Decimal})
_PLAIN, _FLOATS, _OTHER = 0, 1, 2


def _survey(node: Any, depth: int) -> int:
    """``_PLAIN`` when ``node`` holds only what the encoder writes exactly, ``_FLOATS`` when it
    also holds floats, ``_OTHER`` for anything the plain path must decide."""
    if depth > FAST_DEPTH:
        return _OTHER
    found = _PLAIN
    kind = type(node)
    if kind is dict:
        for key in node:
            if type(key) is not str:
                return _OTHER
        values: Any = node.values()
    elif kind is list or kind is tuple:
        values = node
    elif kind in _LEAVES:
        return _PLAIN
    elif kind is float:
        return _FLOATS
    else:
        return _OTHER
    for value in values:
        vkind = type(value)
        if vkind in _LEAVES:
            continue
        if vkind is float:
            found = _FLOATS
            continue
        inner = _survey(value, depth + 1) if (vkind is dict or vkind is list or vkind is tuple) else _OTHER
        if inner == _OTHER:
            return _OTHER
        if inner == _FLOATS:
            found = _FLOATS
    return found


def _utf8(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("a string holds a lone surrogate, which UTF-8 cannot carry") from exc


# --- rfc8785-exact-decimals ---------------------------------------------------------


def exact_decimals_bytes(value: Any) -> bytes:
    """The ``rfc8785-exact-decimals`` form of ``value`` (UTF-8 bytes).

    ``value``: dicts with string keys, lists/tuples, str, int, bool, None, Decimal, float.
    Raises ``ValueError`` for what it cannot represent (non-finite numbers, lone
    surrogates, keys that are not strings) and ``TypeError`` for other types.
    """
    found = _survey(value, 0)
    if found == _OTHER:
        return reference_exact_decimals_bytes(value)
    if found == _FLOATS:
        value = _floats_as_decimals(value)
    data = _utf8(_sorted_text(value))
    if _has_astral(data):  # a name might sort differently in UTF-16
        return reference_exact_decimals_bytes(value)
    return data


def _sorted_text(value: Any) -> str:
    """``value`` (surveyed: only the types the encoders write exactly) as compact JSON text
    with members sorted by code point and every ``Decimal`` as its ``str``.

    Written by the standard library's C encoder, which sorts members faster than
    ``simplejson``'s but cannot write a ``Decimal`` as a number: each one is handed back
    as the string ``<prefix><decimal><suffix>`` (two random 128-bit tokens drawn for this
    call), and the quotes around those are cut out afterwards. Both tokens must occur
    exactly as often as decimals were written, else a string of ``value`` holds one of them
    and ``simplejson`` writes the text instead; either way the text is the same.
    """
    prefix, suffix = secrets.token_hex(16), secrets.token_hex(16)
    written = 0

    def decimal_text(node: Any) -> str:
        nonlocal written
        if type(node) is not Decimal:  # unreachable after the survey; kept so nothing is guessed
            raise TypeError(f"{type(node).__name__} has no JSON form")
        if not node.is_finite():
            raise ValueError(f"{node} is not a JSON number")
        written += 1
        return prefix + str(node) + suffix  # number_text of a finite Decimal

    encoder = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"), sort_keys=True,
                               check_circular=False, default=decimal_text)
    text: str = encoder.encode(value)
    if not written:
        return text
    if text.count(prefix) != written or text.count(suffix) != written:
        unmarked: str = _ENCODER.encode(value)
        return unmarked
    return text.replace('"' + prefix, "").replace(suffix + '"', "")


def _has_astral(data: bytes) -> bool:
    """Whether UTF-8 ``data`` holds a character beyond U+FFFF (lead bytes F0..F4; memchr speed)."""
    return any(lead in data for lead in _ASTRAL_LEADS)


def _floats_as_decimals(node: Any) -> Any:
    kind = type(node)
    if kind is float:
        if not math.isfinite(node):
            raise ValueError(f"{node} is not a JSON number")
        return Decimal(repr(node))
    if kind is dict:
        return {k: _floats_as_decimals(v) for k, v in node.items()}
    if kind is list or kind is tuple:
        return [_floats_as_decimals(v) for v in node]
    return node


def number_text(value: int | float | Decimal) -> str:
    """A JSON number's exact text: digits for integers, to-scientific-string for decimals.

    Floats (from code, never from parsed FHIR) are written as their shortest repr,
    read as a decimal: ``5.1`` → ``5.1``, ``1e-07`` → ``1E-7``.
    """
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        value = Decimal(repr(value))
    if not value.is_finite():
        raise ValueError(f"{value} is not a JSON number")
    return str(value)


def _utf16_key(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


class _Literal:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def reference_exact_decimals_bytes(value: Any) -> bytes:
    """The same bytes as :func:`exact_decimals_bytes`, written one node at a time.

    Iterative (no recursion limit on deep documents); sorts names by UTF-16 code units
    explicitly. Kept as the path for unusual documents and as the cross-check in tests.
    """
    return _plain_bytes(value, number_text)


def _plain_bytes(value: Any, number_text: Callable[[Any], str]) -> bytes:
    out: list[str] = []
    stack: list[Any] = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, _Literal):
            out.append(node.text)
        elif isinstance(node, dict):
            if not all(isinstance(k, str) for k in node):
                raise ValueError("object keys must be strings")
            items = sorted(node.items(), key=lambda kv: _utf16_key(kv[0]))
            parts: list[Any] = [_Literal("{")]
            for i, (k, v) in enumerate(items):
                parts += [_Literal(("," if i else "") + json.dumps(k, ensure_ascii=False) + ":"), v]
            parts.append(_Literal("}"))
            stack.extend(reversed(parts))
        elif isinstance(node, (list, tuple)):
            parts = [_Literal("[")]
            for i, v in enumerate(node):
                if i:
                    parts.append(_Literal(","))
                parts.append(v)
            parts.append(_Literal("]"))
            stack.extend(reversed(parts))
        elif node is None or isinstance(node, (bool, str)):
            out.append(json.dumps(node, ensure_ascii=False))
        elif isinstance(node, (int, float, Decimal)):
            out.append(number_text(node))
        else:
            raise TypeError(f"{type(node).__name__} has no JSON form")
    return _utf8("".join(out))


# --- RFC 8785 -----------------------------------------------------------------------


def ecmascript_number(value: float) -> str:
    """``value`` as ECMAScript ``Number.prototype.toString`` writes it (ECMA-262
    §7.1.12.1 / §6.1.6.1.20), as RFC 8785 §3.2.2.3 requires: the shortest digits that
    read back to the same double, plain notation for 1e-7 < |x| < 1e21, ``-0`` as ``0``.

    Raises ``ValueError`` for NaN and infinities (not JSON).
    """
    if not math.isfinite(value):
        raise ValueError(f"{value} is not representable in RFC 8785")
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    mantissa, _, exp_text = repr(abs(value)).partition("e")  # shortest round-trip digits
    whole, _, fraction = mantissa.partition(".")
    all_digits = whole + fraction
    stripped = all_digits.lstrip("0")
    # value = 0.DIGITS × 10^point (ECMA-262's n)
    point = len(whole) + (int(exp_text) if exp_text else 0) - (len(all_digits) - len(stripped))
    digits = stripped.rstrip("0")
    k = len(digits)
    if k <= point <= 21:
        return sign + digits + "0" * (point - k)
    if 0 < point <= 21:
        return sign + digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return sign + "0." + "0" * -point + digits
    e = point - 1
    exponent = ("+" if e > 0 else "-") + str(abs(e))
    return sign + (digits if k == 1 else digits[0] + "." + digits[1:]) + "e" + exponent


def _jcs_tree(node: Any, depth: int) -> Any:
    """A copy ready for the unsorted encoder: members sorted by UTF-16 code units,
    floats as their ECMAScript text, integers checked against the I-JSON range."""
    kind = type(node)
    if node is None or kind is bool or kind is str:
        return node
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        if not -MAX_SAFE_INTEGER <= node <= MAX_SAFE_INTEGER:
            raise ValueError(f"{node} exceeds the safe integer range of JSON numbers")
        return int(node)
    if isinstance(node, str):
        return str.__str__(node)
    if isinstance(node, float):
        return simplejson.RawJSON(ecmascript_number(float(node)))
    if isinstance(node, (list, tuple)):
        return [_jcs_tree(v, depth + 1) for v in node]
    if isinstance(node, dict):
        if not all(isinstance(k, str) for k in node):
            raise ValueError("object keys must be strings")
        items = sorted(node.items(), key=lambda kv: _utf16_key(kv[0]))
        return {str.__str__(k): _jcs_tree(v, depth + 1) for k, v in items}
    raise TypeError(f"{type(node).__name__} has no RFC 8785 form")


def jcs_bytes(value: Any) -> bytes:
    """RFC 8785 canonical JSON of ``value`` (UTF-8 bytes), equal to ``rfc8785.dumps``.

    ``value``: dicts with string keys, lists/tuples, str, int, float, bool, None.
    Raises ``ValueError`` for integers beyond ±(2^53 − 1), NaN/infinite floats, lone
    surrogates, keys that are not strings; ``TypeError`` for any other type
    (``Decimal`` included: RFC 8785 numbers are doubles).
    """
    try:
        text: str = _UNSORTED_ENCODER.encode(_jcs_tree(value, 0))
    except RecursionError:  # deeper than Python's stack: the iterative writer
        return _plain_bytes(value, _jcs_number)
    return _utf8(text)


def _jcs_number(value: int | float | Decimal) -> str:
    if isinstance(value, Decimal):
        raise TypeError("Decimal has no RFC 8785 form (its numbers are doubles)")
    if isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise ValueError(f"{value} exceeds the safe integer range of JSON numbers")
        return str(int(value))
    return ecmascript_number(float(value))
