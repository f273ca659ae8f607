"""A measurement's reference range and high/low flag, read the way the lab meant them.

FHIR R4 Observation (§8.1): ``interpretation`` is the lab's own reading of the result
(codes from v3 ObservationInterpretation: H, HH, L, LL, N, A…); when it is there, it is
the flag. Only when the lab gave none does the wallet compute one, and only from a
``referenceRange`` that applies to this result:

- its ``low``/``high`` are in the value's unit (UCUM ``code`` when both carry one, else
  the ``unit`` text): values in different units are never compared;
- its ``type`` is absent or ``normal`` (a treatment or therapeutic range is not "normal");
- its ``age`` and ``appliesTo`` are absent, or the patient is known and they hold for them;
- a value with a ``comparator`` (``< 5``) is flagged only when the comparison is decisive:
  ``< 5`` is low against a range from 10, ``< 25`` against one up to 20 says nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["ABNORMAL_FLAGS", "CRITICAL_FLAGS", "FLAG_WORDS", "Quantity", "ReferenceRange", "computed_flag",
           "lab_interpretation", "pick_range", "quantity"]

# v3 ObservationInterpretation (http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation)
FLAG_WORDS: dict[str, str] = {
    "H": "High", "HH": "Critically high", "HU": "Significantly high", "HX": "Above high threshold",
    "L": "Low", "LL": "Critically low", "LU": "Significantly low", "LX": "Below low threshold",
    "A": "Abnormal", "AA": "Critically abnormal", "N": "Normal", "<": "Below the measurable range",
    ">": "Above the measurable range", "POS": "Positive", "NEG": "Negative", "DET": "Detected",
    "ND": "Not detected", "IND": "Indeterminate", "E": "Equivocal", "EX": "Outside threshold",
    "R": "Resistant", "S": "Susceptible", "I": "Intermediate", "RR": "Reactive", "NR": "Non-reactive",
    "WR": "Weakly reactive", "U": "Significant change up", "D": "Significant change down", "B": "Better",
    "W": "Worse", "IE": "Insufficient evidence",
}
ABNORMAL_FLAGS = frozenset({"H", "HH", "HU", "HX", "L", "LL", "LU", "LX", "A", "AA", "<", ">", "EX"})
CRITICAL_FLAGS = frozenset({"HH", "LL", "AA"})
_INTERPRETATION_SYSTEMS = ("http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                           "http://hl7.org/fhir/v2/0078", "http://terminology.hl7.org/CodeSystem/v2-0078", "")
_UCUM = "http://unitsofmeasure.org"


def number(value: Any) -> Decimal | None:
    """A JSON number as an exact :class:`Decimal` (written precision kept), else ``None``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return None
    try:
        n = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        return None
    return n if n.is_finite() else None


@dataclass(frozen=True)
class Quantity:
    """A FHIR Quantity: ``value`` exactly as written, ``comparator``, ``unit`` (the text shown)
    and ``unit_key`` (UCUM code when coded in UCUM, else the unit text) for comparing units."""

    value: Decimal | None
    comparator: str = ""
    unit: str = ""
    unit_key: str = ""


def quantity(q: Any) -> Quantity | None:
    if not isinstance(q, dict) or not q:
        return None
    unit = str(q.get("unit") or q.get("code") or "")
    code = q.get("code")
    key = str(code) if isinstance(code, str) and code and q.get("system") in (_UCUM, None) else unit
    comparator = str(q.get("comparator") or "")
    return Quantity(number(q.get("value")), comparator if comparator in ("<", "<=", ">=", ">", "ad") else "",
                    unit, key)


@dataclass(frozen=True)
class ReferenceRange:
    low: Decimal | None
    high: Decimal | None
    unit: str  # the range's own unit, as written ("" when it gives none)
    text: str = ""  # referenceRange.text ("<200", "negative")
    applies: bool = False  # whether it may be compared with this result (the rules above)


def _range_unit(rr: dict[str, Any]) -> tuple[str, str]:
    for end in ("low", "high"):
        q = quantity(rr.get(end))
        if q is not None and (q.unit or q.unit_key):
            return q.unit, q.unit_key
    return "", ""


def _age_years(birth: str, when: str) -> float | None:
    try:
        born = date.fromisoformat(birth[:10])
        at = date.fromisoformat(when[:10])
    except ValueError:
        return None
    return (at - born).days / 365.25


def _holds_for(rr: dict[str, Any], patient: dict[str, Any] | None, when: str) -> bool:
    """Whether ``age`` and ``appliesTo`` (when given) hold for ``patient`` at ``when``."""
    if rr.get("appliesTo"):
        gender = str((patient or {}).get("gender") or "")
        words = {str(c.get("code") or "").lower() for a in rr["appliesTo"] if isinstance(a, dict)
                 for c in a.get("coding") or [] if isinstance(c, dict)}
        words |= {str(a.get("text") or "").lower() for a in rr["appliesTo"] if isinstance(a, dict)}
        snomed = {"male": "248153007", "female": "248152002"}
        if not gender or not (gender in words or snomed.get(gender, "-") in words):
            return False
    age = rr.get("age")
    if isinstance(age, dict) and age:
        birth = str((patient or {}).get("birthDate") or "")
        years = _age_years(birth, when) if birth and when else None
        if years is None:
            return False
        low, high = quantity(age.get("low")), quantity(age.get("high"))
        if low is not None and low.value is not None and years < low.value:
            return False
        if high is not None and high.value is not None and years > high.value:
            return False
    return True


def pick_range(res: dict[str, Any], value: Quantity | None, *, patient: dict[str, Any] | None = None,
               when: str = "") -> ReferenceRange | None:
    """The reference range to show: the first that applies to ``value`` (see the module
    rules), else the first one written (shown with its own unit, ``applies`` false)."""
    first: ReferenceRange | None = None
    for rr in res.get("referenceRange") or []:
        if not isinstance(rr, dict):
            continue
        low, high = quantity(rr.get("low")), quantity(rr.get("high"))
        unit, key = _range_unit(rr)
        kind = {str(c.get("code") or "") for c in ((rr.get("type") or {}).get("coding") or [])
                if isinstance(c, dict)} if isinstance(rr.get("type"), dict) else set()
        applies = (value is not None and value.value is not None
                   and (low is not None or high is not None)
                   and (not key or key == value.unit_key)
                   and (not kind or "normal" in kind)
                   and _holds_for(rr, patient, when))
        found = ReferenceRange(low.value if low else None, high.value if high else None, unit or
                               (value.unit if value is not None and not key else ""),
                               str(rr.get("text") or ""), applies)
        if applies:
            return found
        if first is None:
            first = found
    return first


def computed_flag(value: Decimal, comparator: str, low: Decimal | None, high: Decimal | None) -> str:
    """``H``/``L`` only when the value, read with its comparator, is surely outside the range."""
    if comparator == "ad":
        return ""
    if comparator in ("", ">", ">=") and high is not None and (value >= high if comparator == ">" else value > high):
        return "H"
    if comparator in ("", "<", "<=") and low is not None and (value <= low if comparator == "<" else value < low):
        return "L"
    return ""


def lab_interpretation(res: dict[str, Any]) -> tuple[str, str]:
    """``(code, words)`` of the lab's interpretation: a v3 ObservationInterpretation code
    (``HH``, ``Critically high``), or ``("", text)`` for a concept given only as text;
    ``("", "")`` when the lab gave none."""
    for concept in res.get("interpretation") or []:
        if not isinstance(concept, dict):
            continue
        for coding in concept.get("coding") or []:
            if (isinstance(coding, dict) and isinstance(coding.get("code"), str) and coding["code"].strip()
                    and str(coding.get("system") or "") in _INTERPRETATION_SYSTEMS):
                code = coding["code"].strip()
                words = FLAG_WORDS.get(code.upper()) or str(coding.get("display") or concept.get("text") or code)
                return (code.upper() if code.upper() in FLAG_WORDS else "".join(code.split())[:16]), words
        text = concept.get("text") or next((c.get("display") for c in concept.get("coding") or []
                                            if isinstance(c, dict) and c.get("display")), None)
        if isinstance(text, str) and text.strip():
            return "", text.strip()
    return "", ""
