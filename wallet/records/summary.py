"""One-line summaries a patient understands, per resource type.

A summary is what lists, tables and charts show without opening the full resource:
its category, a title, a detail line, the clinically relevant date, and for
measurements the code, value, unit and reference range with an out-of-range flag.
Summaries are sealed in the store like the resources themselves.

Both are table-driven: :data:`_CATEGORY_BY_TYPE` names each FHIR resource type's
category (Observations go by their ``category`` codes, FHIR R4 §8.1 Observation
category value set), and :data:`_SUMMARIZERS` maps each resource type to a small
function reading that type's elements; a type in neither table gets the generic one.
To teach the wallet a new type, add a row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = ["CATEGORIES", "COMPARATORS", "Summary", "category_of", "summarize"]

CATEGORIES = (
    "Conditions", "Medications", "Allergies", "Lab results", "Vital signs",
    "Immunizations", "Procedures", "Encounters", "Documents", "Other",
)
COMPARATORS = ("", "<", "<=", ">=", ">", "ad")  # FHIR R4 QuantityComparator (required binding)


@dataclass(frozen=True)
class Summary:
    resource_type: str
    category: str
    title: str
    detail: str = ""
    date: str = ""  # ISO 8601 (date or dateTime) or ""
    code: str = ""  # "system|code" for measurements
    value: Decimal | None = None  # exactly as written in the record (FHIR decimal precision kept)
    unit: str = ""
    low: Decimal | None = None
    high: Decimal | None = None
    flag: str = ""  # "H" above range, "L" below range
    comparator: str = ""  # Quantity.comparator: "<", "<=", ">=", ">" or "ad"; part of the value
    full_url: str = ""  # the absolute fullUrl the record had in its source Bundle, if any

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"unknown category {self.category!r}")
        for name in ("value", "low", "high"):
            number = getattr(self, name)
            if number is not None and not isinstance(number, Decimal):
                object.__setattr__(self, name, _num(number))
        if self.comparator not in COMPARATORS:
            raise ValueError(f"unknown comparator {self.comparator!r}")

    @property
    def value_text(self) -> str:
        """The value as the record wrote it, with its comparator and unit: ``< 5 mg/dL``."""
        if self.value is None:
            return ""
        return " ".join(x for x in (self.comparator, f"{self.value:g}", self.unit) if x)

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None and v != ""}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Summary:
        return cls(**doc)


def _text(concept: Any) -> str:
    if not isinstance(concept, dict):
        return ""
    if concept.get("text"):
        return str(concept["text"])
    for coding in concept.get("coding") or []:
        if isinstance(coding, dict) and (coding.get("display") or coding.get("code")):
            return str(coding.get("display") or coding.get("code"))
    return ""


def _code(concept: Any) -> str:
    if isinstance(concept, dict):
        for coding in concept.get("coding") or []:
            if isinstance(coding, dict) and coding.get("code"):
                return f"{coding.get('system', '')}|{coding['code']}"
        if concept.get("text"):
            return f"|{concept['text']}"
    return ""


def _first(res: dict[str, Any], *keys: str) -> str:
    for key in keys:
        value = res.get(key)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, dict):
            start = value.get("start") or value.get("end")
            if isinstance(start, str):
                return start
    return ""


def _num(value: Any) -> Decimal | None:
    """A JSON number as an exact :class:`Decimal` (the written precision kept); else ``None``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return None
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    return number if number.is_finite() else None


def _flag(value: Decimal, comparator: str, low: Decimal | None, high: Decimal | None) -> str:
    """"H"/"L" only when the value, read with its comparator, is surely outside the range:
    ``< 5`` is low against a range from 10, but ``< 25`` against one up to 20 may be normal."""
    if comparator == "ad":
        return ""
    if comparator in ("", ">", ">=") and high is not None and (value >= high if comparator == ">" else value > high):
        return "H"
    if comparator in ("", "<", "<=") and low is not None and (value <= low if comparator == "<" else value < low):
        return "L"
    return ""


def _categories(res: dict[str, Any]) -> set[str]:
    out: set[str] = set()
    for cat in res.get("category") or []:
        for coding in (cat or {}).get("coding") or []:
            if isinstance(coding, dict) and coding.get("code"):
                out.add(str(coding["code"]))
    return out


Summarizer = Callable[[dict[str, Any], str], Summary]
"""Reads one resource (and the category already chosen for it) into its :class:`Summary`."""

_CATEGORY_BY_TYPE = {
    "Condition": "Conditions",
    "MedicationRequest": "Medications",
    "MedicationStatement": "Medications",
    "MedicationAdministration": "Medications",
    "MedicationDispense": "Medications",
    "AllergyIntolerance": "Allergies",
    "DiagnosticReport": "Lab results",
    "Immunization": "Immunizations",
    "Procedure": "Procedures",
    "Encounter": "Encounters",
    "DocumentReference": "Documents",
    "Composition": "Documents",
}
# Observation.category codes (http://terminology.hl7.org/CodeSystem/observation-category), first match wins.
_OBSERVATION_CATEGORIES = (("vital-signs", "Vital signs"), ("laboratory", "Lab results"))


def _observation_category(res: dict[str, Any]) -> str:
    cats = _categories(res)
    for code, category in _OBSERVATION_CATEGORIES:
        if code in cats:
            return category
    if not cats and ("valueQuantity" in res or "referenceRange" in res):
        return "Lab results"  # uncategorised measurements are most often labs
    return "Other"


def category_of(res: dict[str, Any]) -> str:
    """One of :data:`CATEGORIES` for a FHIR resource (``"Other"`` for types without one)."""
    rt = res.get("resourceType")
    if rt == "Observation":
        return _observation_category(res)
    return _CATEGORY_BY_TYPE.get(str(rt), "Other")


def _status(res: dict[str, Any]) -> str:
    return str(res.get("status") or "")


def _joined(*parts: str) -> str:
    return ", ".join(x for x in parts if x)


# --- Observation ------------------------------------------------------------------


def _reference_range(res: dict[str, Any]) -> tuple[Decimal | None, Decimal | None]:
    """``low`` and ``high`` of the first ``referenceRange`` that is an object."""
    for rr in res.get("referenceRange") or []:
        if isinstance(rr, dict):
            return _num((rr.get("low") or {}).get("value")), _num((rr.get("high") or {}).get("value"))
    return None, None


_FLAG_WORDS = {"H": " — high", "L": " — low", "": ""}


def _quantity_detail(value: Decimal, comparator: str, unit: str, low: Decimal | None, high: Decimal | None,
                     flag: str) -> str:
    """``5.4 mmol/L (range 3.5–5.1 mmol/L) — high``, ``< 5 mg/dL``."""
    detail = " ".join(x for x in (comparator, f"{value:g}", unit) if x)
    if low is not None or high is not None:
        rng = f"{'' if low is None else f'{low:g}'}–{'' if high is None else f'{high:g}'}"
        detail += f" (range {rng}{' ' + unit if unit else ''})"
    return detail + _FLAG_WORDS[flag]


def _components_detail(res: dict[str, Any]) -> str:
    """``Systolic: 120 mm[Hg]; Diastolic: 80 mm[Hg]`` from the components that hold a number."""
    parts = []
    for comp in res["component"]:
        cq = (comp or {}).get("valueQuantity") or {}
        number = _num(cq.get("value"))
        if number is not None:
            shown = " ".join(str(x) for x in (cq.get("comparator") or "", f"{number:g}", cq.get("unit") or "") if x)
            parts.append(f"{_text(comp.get('code'))}: {shown}")
    return "; ".join(parts)


# The detail of an Observation without a numeric valueQuantity: the first value[x] it has.
_OBSERVATION_VALUES: tuple[tuple[Callable[[dict[str, Any]], bool], Callable[[dict[str, Any]], str]], ...] = (
    (lambda res: isinstance(res.get("valueCodeableConcept"), dict), lambda res: _text(res["valueCodeableConcept"])),
    (lambda res: isinstance(res.get("valueString"), str), lambda res: str(res["valueString"])),
    (lambda res: bool(res.get("component")), _components_detail),
)


def _quantity(res: dict[str, Any]) -> tuple[Decimal | None, str, str]:
    """The number, comparator (one of :data:`COMPARATORS`) and unit of ``valueQuantity``
    (the unit's text, else its UCUM code)."""
    vq = res.get("valueQuantity")
    if not isinstance(vq, dict) or not vq:
        return None, "", ""
    comparator = str(vq.get("comparator") or "")
    return (_num(vq.get("value")), comparator if comparator in COMPARATORS else "",
            str(vq.get("unit") or vq.get("code") or ""))


def _observation(res: dict[str, Any], category: str) -> Summary:
    value, comparator, unit = _quantity(res)
    low, high = _reference_range(res)
    flag = "" if value is None else _flag(value, comparator, low, high)
    if value is not None:
        detail = _quantity_detail(value, comparator, unit, low, high, flag)
    else:
        detail = next((read(res) for applies, read in _OBSERVATION_VALUES if applies(res)), "")
    return Summary("Observation", category, _text(res.get("code")) or "Observation", detail,
                   _first(res, "effectiveDateTime", "effectivePeriod", "issued"),
                   _code(res.get("code")), value, unit, low, high, flag, comparator)


# --- medications ------------------------------------------------------------------


def _dose_and_timing(d: dict[str, Any]) -> str:
    """``500 mg, 2× per 1 d`` from structured dosage elements."""
    timing = ((d.get("timing") or {}).get("repeat") or {})
    dose = ((d.get("doseAndRate") or [{}])[0] or {}).get("doseQuantity") or {}
    bits = []
    if dose.get("value") is not None:
        bits.append(f"{dose['value']:g} {dose.get('unit', '')}".strip())
    if timing.get("frequency") and timing.get("period"):
        bits.append(f"{timing['frequency']}× per {timing['period']:g} {timing.get('periodUnit', '')}".strip())
    return ", ".join(bits)


def _dosage(res: dict[str, Any]) -> str:
    """The first dosage (``dosageInstruction`` or ``dosage``) that says something."""
    for d in res.get("dosageInstruction") or res.get("dosage") or []:
        if not isinstance(d, dict):
            continue
        if d.get("text"):
            return str(d["text"])
        said = _dose_and_timing(d)
        if said:
            return said
    return ""


def _contained_medication(res: dict[str, Any]) -> str:
    for contained in res.get("contained") or []:
        if isinstance(contained, dict) and contained.get("resourceType") == "Medication":
            return _text(contained.get("code"))
    return ""


def _medication_name(res: dict[str, Any]) -> str:
    """medication[x]: the concept, else the reference's display, else a contained Medication."""
    return (_text(res.get("medicationCodeableConcept"))
            or str((res.get("medicationReference") or {}).get("display") or "")
            or _contained_medication(res))


def _medication(res: dict[str, Any], category: str) -> Summary:
    return Summary(str(res.get("resourceType")), category, _medication_name(res) or "Medication",
                   _joined(_dosage(res), _status(res)),
                   _first(res, "authoredOn", "effectiveDateTime", "effectivePeriod", "dateAsserted"))


# --- the other clinical types -----------------------------------------------------


def _condition(res: dict[str, Any], category: str) -> Summary:
    onset = _first(res, "onsetDateTime", "onsetPeriod", "recordedDate")
    detail = _joined(f"since {onset[:10]}" if onset else "", _text(res.get("clinicalStatus")))
    return Summary("Condition", category, _text(res.get("code")) or "Condition", detail, onset,
                   _code(res.get("code")))


def _reactions(res: dict[str, Any]) -> list[str]:
    """``Hives (severe)`` for each manifestation of each reaction."""
    out = []
    for r in res.get("reaction") or []:
        reaction = r or {}
        severity = f" ({r['severity']})" if reaction.get("severity") else ""
        manifestations = (_text(m) for m in reaction.get("manifestation") or [])
        out += [t + severity for t in manifestations if t]
    return out


def _allergy(res: dict[str, Any], category: str) -> Summary:
    reactions = _reactions(res)
    detail = ("reaction: " + ", ".join(reactions)) if reactions else str(res.get("criticality") or "")
    return Summary("AllergyIntolerance", category, _text(res.get("code")) or "Allergy", detail,
                   _first(res, "onsetDateTime", "recordedDate"))


def _immunization(res: dict[str, Any], category: str) -> Summary:
    date = _first(res, "occurrenceDateTime", "occurrenceString", "recorded")
    status = _status(res)
    detail = f"given {date[:10]}" if status == "completed" and date else status
    return Summary("Immunization", category, _text(res.get("vaccineCode")) or "Immunization", detail, date)


def _procedure(res: dict[str, Any], category: str) -> Summary:
    return Summary("Procedure", category, _text(res.get("code")) or "Procedure", _status(res),
                   _first(res, "performedDateTime", "performedPeriod"))


def _encounter(res: dict[str, Any], category: str) -> Summary:
    types = [t for t in (_text(x) for x in res.get("type") or []) if t]
    klass = res.get("class")
    code = klass.get("code", "") if isinstance(klass, dict) else ""
    return Summary("Encounter", category, types[0] if types else "Encounter", _joined(code, _status(res)),
                   _first(res, "period"))


def _document_reference(res: dict[str, Any], category: str) -> Summary:
    title = str(res.get("description") or "") or _text(res.get("type")) or "Document"
    return Summary("DocumentReference", category, title, _text(res.get("type")) if res.get("description") else "",
                   _first(res, "date"))


def _diagnostic_report(res: dict[str, Any], category: str) -> Summary:
    return Summary("DiagnosticReport", category, _text(res.get("code")) or "Report",
                   str(res.get("conclusion") or res.get("status") or ""),
                   _first(res, "effectiveDateTime", "effectivePeriod", "issued"), _code(res.get("code")))


def _patient(res: dict[str, Any], category: str) -> Summary:
    names = res.get("name") or []
    name = ""
    if names and isinstance(names[0], dict):
        n = names[0]
        name = str(n.get("text") or " ".join([*map(str, n.get("given") or []), str(n.get("family") or "")]).strip())
    return Summary("Patient", category, name or "Patient", str(res.get("gender") or ""), _first(res, "birthDate"))


# --- the wallet's own trail -------------------------------------------------------


def _actor_name(actor: Any) -> Any:
    """The display of a Consent actor's reference, else its identifier's value."""
    ref = (actor or {}).get("reference") or {}
    return ref.get("display") or (ref.get("identifier") or {}).get("value", "")


def _consent(res: dict[str, Any], category: str) -> Summary:
    provision = res.get("provision") or {}
    actors = [_actor_name(a) for a in provision.get("actor") or []]
    period = provision.get("period") or {}
    detail = f"{res.get('status', '')}, until {str(period.get('end', ''))[:16]}".strip(", ")
    return Summary("Consent", category, "Access for " + (", ".join(a for a in actors if a) or "someone"), detail,
                   _first(res, "dateTime"))


def _audit_event(res: dict[str, Any], category: str) -> Summary:
    sub = (res.get("subtype") or [{}])[0] or {}
    return Summary("AuditEvent", category, str(sub.get("display") or _text(res.get("type")) or "Audit event"),
                   str(res.get("outcomeDesc") or ""), _first(res, "recorded"))


# --- any other type ---------------------------------------------------------------

_GENERIC_DATES = ("date", "created", "recorded", "authoredOn", "period", "billablePeriod", "started", "dateTime",
                  "issued")


def _generic(res: dict[str, Any], category: str) -> Summary:
    rt = str(res.get("resourceType"))
    title = _text(res.get("code")) or _text(res.get("type")) or str(res.get("title") or res.get("name") or "") or rt
    return Summary(rt, category, title, _status(res), _first(res, *_GENERIC_DATES))


_SUMMARIZERS: dict[str, Summarizer] = {
    "Observation": _observation,
    "Condition": _condition,
    "AllergyIntolerance": _allergy,
    "Immunization": _immunization,
    "Procedure": _procedure,
    "Encounter": _encounter,
    "DocumentReference": _document_reference,
    "DiagnosticReport": _diagnostic_report,
    "Consent": _consent,
    "AuditEvent": _audit_event,
    "Patient": _patient,
}
# Every Medication* type (Request, Statement, Administration, Dispense, and Medication itself).
_SUMMARIZERS_BY_PREFIX: tuple[tuple[str, Summarizer], ...] = (("Medication", _medication),)


def _summarizer(resource_type: str) -> Summarizer:
    if resource_type in _SUMMARIZERS:
        return _SUMMARIZERS[resource_type]
    return next((f for prefix, f in _SUMMARIZERS_BY_PREFIX if resource_type.startswith(prefix)), _generic)


def summarize(res: dict[str, Any]) -> Summary:
    """The :class:`Summary` of one FHIR resource (a dict as parsed from JSON).

    Never fails on an odd but well-typed resource: missing elements give the type's
    fallback title and empty detail/date."""
    category = category_of(res)
    return _summarizer(str(res.get("resourceType")))(res, category)
