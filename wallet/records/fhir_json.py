"""FHIR JSON numbers kept exactly as written: reading, writing and the signed form.

FHIR R4 (datatypes, ``decimal``): "the precision of the decimal value has significance
(e.g. 0.010 is regarded as different to 0.01), and the original precision should be
preserved". Python's ``float`` keeps neither (``5.10`` becomes ``5.1``, a 25-digit
value is rounded), so the wallet reads every JSON number with a fraction or an
exponent as :class:`decimal.Decimal` (``parse_float=Decimal``), and integers as
``int`` (exact at any size Python accepts).

Writing (:func:`dumps`): a ``Decimal`` is written as its General Decimal Arithmetic
*to-scientific-string* (``str(Decimal)``), which keeps its digits and exponent, so
the value and its precision survive: ``5.10`` → ``5.10``, ``0.12345678901234567890123``
→ itself, ``1e2`` → ``1E+2`` (one significant digit, as written), ``0.0000001`` → ``1E-7``.
Integers are written as their digits.

Signing (:func:`canonical_bytes`): RFC 8785 (JCS) would write ``5.10`` as ``5.1``
(it serializes numbers as IEEE doubles), so a signature over JCS cannot tell ``5.10``
from ``5.1`` and refuses integers above 2^53. The wallet's canonical form is RFC 8785
in everything but numbers (object members sorted by their UTF-16 code units, no
whitespace, JCS string escaping, UTF-8) and writes each number as :func:`dumps` does:
integers as digits, decimals as their to-scientific-string. It is named by
:data:`CANONICAL_FORM`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import simplejson  # type: ignore[import-untyped]  # no stubs published with it

from .jcs import exact_decimals_bytes, number_text

__all__ = ["CANONICAL_FORM", "canonical_bytes", "dumps", "loads", "number_text", "to_float_tree"]

CANONICAL_FORM = "rfc8785-exact-decimals"


def loads(text: str | bytes, *, object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None,
          parse_constant: Callable[[str], Any] | None = None) -> Any:
    """``json.loads`` with decimals as :class:`~decimal.Decimal` (no other leniency added).

    Use it for the wallet's own sealed JSON; untrusted input goes through
    :func:`wallet.records.parse.loads_strict`, which adds the limits and checks.
    """
    return json.loads(text, parse_float=Decimal, object_pairs_hook=object_pairs_hook,
                      parse_constant=parse_constant)


def dumps(value: Any, *, indent: int | None = None, ensure_ascii: bool = False, sort_keys: bool = False) -> str:
    """JSON text of ``value``; ``Decimal`` written exactly (see the module docs).

    Raises ``ValueError`` for NaN or infinite floats (not JSON) and ``TypeError`` for
    values JSON has no form for.
    """
    if indent is None and not ensure_ascii and not sort_keys:  # the store's and the exports' form
        compact: str = _COMPACT.encode(value)
        return compact
    separators = (",", ": ") if indent is not None else (",", ":")
    text: str = simplejson.dumps(value, use_decimal=True, ensure_ascii=ensure_ascii, allow_nan=False,
                                 indent=indent, separators=separators, sort_keys=sort_keys)
    return text


# built once: simplejson.dumps builds an encoder per call when given options
_COMPACT = simplejson.JSONEncoder(use_decimal=True, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def canonical_bytes(value: Any) -> bytes:
    """The canonical form named :data:`CANONICAL_FORM` (UTF-8 bytes), written by
    :func:`wallet.records.jcs.exact_decimals_bytes` (fast; equal to the plain
    one-node-at-a-time writer it replaced, which stays as
    :func:`wallet.records.jcs.reference_exact_decimals_bytes`).

    Raises ``ValueError`` for a value it cannot represent (non-finite numbers, lone
    surrogates in strings, keys that are not strings) and ``TypeError`` for other types.
    """
    return exact_decimals_bytes(value)


def to_float_tree(value: Any) -> Any:
    """A copy with every ``Decimal`` as ``float``: the numbers as earlier releases read them
    (used to check RFC 8785 signatures those releases made)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: to_float_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_float_tree(v) for v in value]
    return value
