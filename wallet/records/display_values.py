"""How a measurement's number and unit are shown to a person in lists, the overview and charts.

Display only: a :class:`~wallet.records.summary.Summary` keeps its value exactly as written
(a :class:`~decimal.Decimal`) and its unit as the record gives it, so search, comparisons,
flags, chart data, exports and shares are unchanged; ``show`` and the detail pane keep the
value as written.

Rules:

* A number written with more than 3 digits after the decimal point (``86.66329952150107``,
  typical of generated data) is shown rounded to 2 decimals with ``ROUND_HALF_UP``
  (``86.66``); one written with up to 3 decimals is shown exactly as written (``5.10``
  stays ``5.10``: FHIR R4 §2.1.28.0.1 decimal precision is significant).
* A unit that is a UCUM code (https://ucum.org/ucum, the code system
  ``http://unitsofmeasure.org``) is shown as people write it: ``mm[Hg]`` → ``mmHg``,
  ``Cel`` → ``°C``, ``{score}`` → ``score``, ``10*3/uL`` → ``10³/µL``. A unit text the
  record gives in words is not a UCUM code and is shown unchanged.

Search goes the other way (:func:`ucum_forms`): a unit typed as it is shown (``mmHg``,
``°C``, ``kg/m²``) is found in records that write its UCUM code, from this same table.
"""

from __future__ import annotations

import itertools
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .summary import Summary

WRITTEN_DECIMALS = 3  # up to this many digits after the point: shown as written
SHOWN_DECIMALS = Decimal("0.01")  # more than that: rounded to 2 decimals

# UCUM atoms (and the few whole codes) with the spelling people use
_UCUM_WORDS = {
    "Cel": "°C",
    "[degF]": "°F",
    "mm[Hg]": "mmHg",
    "[lb_av]": "lb",
    "[in_i]": "in",
    "[ft_i]": "ft",
    "[oz_av]": "oz",
    "m2": "m²",
    "10*3": "10³",
    "10*6": "10⁶",
    "10*9": "10⁹",
    "10*12": "10¹²",
    "ug": "µg",
    "uL": "µL",
    "umol": "µmol",
    "uU": "µU",
    "u[IU]": "µ[IU]",
    "[IU]": "IU",
    "[iU]": "IU",
}
# shown atom (case-folded, as search compares words) -> the UCUM atoms shown as it
_SHOWN_ATOMS: dict[str, tuple[str, ...]] = {}
for _code, _shown in _UCUM_WORDS.items():
    _SHOWN_ATOMS[_shown.casefold()] = (*_SHOWN_ATOMS.get(_shown.casefold(), ()), _code)
MAX_UCUM_FORMS = 8  # a typed unit stands for at most this many UCUM codes
_ANNOTATION = re.compile(r"\{([^{}]*)\}")
_ATOM_SPLIT = re.compile(r"([/.])")  # UCUM: "/" divides, "." multiplies


def shown_number(value: Decimal) -> str:
    """``86.66329952150107`` → ``86.66`` (``ROUND_HALF_UP``); ``5.10`` → ``5.10`` (as written)."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -WRITTEN_DECIMALS:
        rounded = value.quantize(SHOWN_DECIMALS, rounding=ROUND_HALF_UP)
        return f"{rounded.copy_abs() if rounded.is_zero() else rounded:f}"  # never "-0.00"
    return f"{value:g}"


def shown_unit(unit: str) -> str:
    """A UCUM unit code as people write it: ``mm[Hg]`` → ``mmHg``, ``kg/m2`` → ``kg/m²``,
    ``{beats}/min`` → ``beats/min``, ``10*3/uL`` → ``10³/µL``; other text unchanged."""
    if unit.startswith("{") and unit.endswith("}") and unit.count("{") == 1:
        return unit[1:-1]  # an annotation alone ({score}): its text
    if not unit or any(ch.isspace() for ch in unit):
        return unit  # words, not a UCUM code
    whole = _UCUM_WORDS.get(unit)
    if whole is not None:
        return whole
    pieces = _ATOM_SPLIT.split(_ANNOTATION.sub(lambda m: "\0" + str(m.group(1)) + "\0", unit))
    shown = "".join(p if p in "/." else _UCUM_WORDS.get(p, p) for p in pieces)
    return shown.replace("\0", "")


def ucum_forms(word: str) -> tuple[str, ...]:
    """The UCUM codes that :func:`shown_unit` shows as ``word`` (compared case-folded, as
    search compares words), other than ``word`` itself: ``mmHg`` → ``("mm[Hg]",)``, ``°C`` →
    ``("Cel",)``, ``kg/m²`` → ``("kg/m2",)``, ``10³/µL`` → ``("10*3/uL",)``, ``IU/L`` →
    ``("[IU]/L", "[iU]/L")``; ``()`` for a word that is no shown unit (``pressure``, ``mg/dL``).

    Derived from the table :func:`shown_unit` reads, atom by atom between ``/`` and ``.``
    (UCUM §2.2 division and multiplication), and each code checked by showing it again, so
    search and display cannot disagree. At most :data:`MAX_UCUM_FORMS` codes."""
    folded = word.casefold()
    # each atom typed as shown stands for its codes; anything else stays as typed
    options = [_SHOWN_ATOMS.get(piece.casefold(), (piece,)) if piece not in "/." else (piece,)
               for piece in _ATOM_SPLIT.split(word)]
    forms: list[str] = []
    for combo in itertools.islice(itertools.product(*options), 8 * MAX_UCUM_FORMS):
        code = "".join(combo)
        if code.casefold() != folded and code not in forms and shown_unit(code).casefold() == folded:
            forms.append(code)
            if len(forms) == MAX_UCUM_FORMS:
                break
    return tuple(forms)


def shown_quantity(value: Decimal, unit: str = "", comparator: str = "") -> str:
    """``< 5 mg/dL``, ``86.66 mg/dL``, ``37.2 °C``: the display of one quantity."""
    return " ".join(x for x in (comparator, shown_number(value), shown_unit(unit)) if x)


def shown_value(s: Summary) -> str:
    """The display of a summary's value with comparator and unit (``""`` without a value);
    :attr:`Summary.value_text` is the same value as written."""
    if s.value is None:
        return ""
    return shown_quantity(s.value, s.unit, s.comparator)


def shown_range(s: Summary) -> str:
    """The display of :attr:`Summary.range_label`: ``70–110 mg/dL``, ``≥ 3.5 g/dL``, its text."""
    return s.range_with(shown_number, shown_unit)


# a number followed by a unit in a stored detail ("125.81790266281557/84.13886204995498 mm[Hg]",
# "Systolic: 120 mm[Hg]")
_NUMBER = re.compile(r"(?<![\w.])(-?\d+\.\d{4,})(?![\w.])")
_NUMBER_UNIT = re.compile(r"(\d) (\S+)")


def shown_text(text: str) -> str:
    """A measurement's detail text as shown: long decimals rounded, the UCUM unit after each
    number shown as people write it. For details stored as text (blood pressure, components)."""
    rounded = _NUMBER.sub(lambda m: shown_number(Decimal(m.group(1))), text)
    return _NUMBER_UNIT.sub(lambda m: f"{m.group(1)} {_unit_in_text(m.group(2))}", rounded)


def _unit_in_text(word: str) -> str:
    end = len(word.rstrip(";,)"))
    return shown_unit(word[:end]) + word[end:]


def shown_detail(s: Summary) -> str:
    """The detail of a summary as shown in lists: for a measurement with a value, rebuilt from
    :func:`shown_value`, :func:`shown_range` and the flag; for other measurements the stored
    detail through :func:`shown_text`; other records' detail unchanged."""
    if s.resource_type != "Observation":
        return s.detail
    if s.value is None:
        return shown_text(s.detail)
    range_label = shown_range(s)
    detail = shown_value(s) + (f" (range {range_label})" if range_label else "")
    return detail + (f" — {s.flag_words.lower()}" if s.flag_words else "")
