"""One-line summaries a patient understands, per resource type.

A summary is what lists, tables and charts show without opening the full resource:
its category, a title, a detail line, the clinically relevant date, and for
measurements the code, value, unit and reference range with an out-of-range flag.
Summaries are sealed in the store like the resources themselves.
"""

from __future__ import annotations

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


def category_of(res: dict[str, Any]) -> str:
    rt = res.get("resourceType")
    if rt == "Observation":
        cats = _categories(res)
        if "vital-signs" in cats:
            return "Vital signs"
        if "laboratory" in cats:
            return "Lab results"
        if not cats and ("valueQuantity" in res or "referenceRange" in res):
            return "Lab results"  # uncategorised measurements are most often labs
        return "Other"
    return {
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
    }.get(str(rt), "Other")


def _observation(res: dict[str, Any], category: str) -> Summary:
    title = _text(res.get("code")) or "Observation"
    vq = res.get("valueQuantity") if isinstance(res.get("valueQuantity"), dict) else None
    value = _num(vq.get("value")) if vq else None
    unit = str(vq.get("unit") or vq.get("code") or "") if vq else ""
    comparator = str(vq.get("comparator") or "") if vq else ""
    if comparator not in COMPARATORS:
        comparator = ""
    low = high = None
    for rr in res.get("referenceRange") or []:
        if isinstance(rr, dict):
            low = _num((rr.get("low") or {}).get("value"))
            high = _num((rr.get("high") or {}).get("value"))
            break
    flag = _flag(value, comparator, low, high) if value is not None else ""
    if value is not None:
        detail = " ".join(x for x in (comparator, f"{value:g}", unit) if x)
        if low is not None or high is not None:
            rng = f"{'' if low is None else f'{low:g}'}–{'' if high is None else f'{high:g}'}"
            detail += f" (range {rng}{' ' + unit if unit else ''})"
        if flag:
            detail += " — high" if flag == "H" else " — low"
    elif isinstance(res.get("valueCodeableConcept"), dict):
        detail = _text(res["valueCodeableConcept"])
    elif isinstance(res.get("valueString"), str):
        detail = res["valueString"]
    elif res.get("component"):
        parts = []
        for comp in res["component"]:
            cq = (comp or {}).get("valueQuantity") or {}
            number = _num(cq.get("value"))
            if number is not None:
                shown = " ".join(str(x) for x in (cq.get("comparator") or "", f"{number:g}", cq.get("unit") or "") if x)
                parts.append(f"{_text(comp.get('code'))}: {shown}")
        detail = "; ".join(parts)
    else:
        detail = ""
    return Summary("Observation", category, title, detail, _first(res, "effectiveDateTime", "effectivePeriod", "issued"),
                   _code(res.get("code")), value, unit, low, high, flag, comparator)


def _dosage(res: dict[str, Any]) -> str:
    for d in res.get("dosageInstruction") or res.get("dosage") or []:
        if isinstance(d, dict) and d.get("text"):
            return str(d["text"])
        if isinstance(d, dict):
            timing = ((d.get("timing") or {}).get("repeat") or {})
            dose = ((d.get("doseAndRate") or [{}])[0] or {}).get("doseQuantity") or {}
            bits = []
            if dose.get("value") is not None:
                bits.append(f"{dose['value']:g} {dose.get('unit', '')}".strip())
            if timing.get("frequency") and timing.get("period"):
                bits.append(f"{timing['frequency']}× per {timing['period']:g} {timing.get('periodUnit', '')}".strip())
            if bits:
                return ", ".join(bits)
    return ""


def summarize(res: dict[str, Any]) -> Summary:
    rt = str(res.get("resourceType"))
    category = category_of(res)
    if rt == "Observation":
        return _observation(res, category)
    if rt == "Condition":
        status = _text(res.get("clinicalStatus"))
        onset = _first(res, "onsetDateTime", "onsetPeriod", "recordedDate")
        detail = ", ".join(x for x in (f"since {onset[:10]}" if onset else "", status) if x)
        return Summary(rt, category, _text(res.get("code")) or "Condition", detail, onset, _code(res.get("code")))
    if rt.startswith("Medication"):
        med = _text(res.get("medicationCodeableConcept"))
        if not med:
            ref = res.get("medicationReference") or {}
            med = str(ref.get("display") or "")
        if not med:
            for contained in res.get("contained") or []:
                if isinstance(contained, dict) and contained.get("resourceType") == "Medication":
                    med = _text(contained.get("code"))
                    break
        detail = ", ".join(x for x in (_dosage(res), str(res.get("status") or "")) if x)
        return Summary(rt, category, med or "Medication", detail,
                       _first(res, "authoredOn", "effectiveDateTime", "effectivePeriod", "dateAsserted"))
    if rt == "AllergyIntolerance":
        reactions = []
        for r in res.get("reaction") or []:
            for m in (r or {}).get("manifestation") or []:
                t = _text(m)
                if t:
                    reactions.append(t + (f" ({r['severity']})" if r.get("severity") else ""))
        detail = ("reaction: " + ", ".join(reactions)) if reactions else str(res.get("criticality") or "")
        return Summary(rt, category, _text(res.get("code")) or "Allergy", detail,
                       _first(res, "onsetDateTime", "recordedDate"))
    if rt == "Immunization":
        date = _first(res, "occurrenceDateTime", "occurrenceString", "recorded")
        status = str(res.get("status") or "")
        detail = f"given {date[:10]}" if status == "completed" and date else status
        return Summary(rt, category, _text(res.get("vaccineCode")) or "Immunization", detail, date)
    if rt == "Procedure":
        return Summary(rt, category, _text(res.get("code")) or "Procedure", str(res.get("status") or ""),
                       _first(res, "performedDateTime", "performedPeriod"))
    if rt == "Encounter":
        types = [t for t in (_text(x) for x in res.get("type") or []) if t]
        cls = (res.get("class") or {}).get("code", "") if isinstance(res.get("class"), dict) else ""
        title = types[0] if types else "Encounter"
        return Summary(rt, category, title, ", ".join(x for x in (cls, str(res.get("status") or "")) if x),
                       _first(res, "period"))
    if rt == "DocumentReference":
        title = str(res.get("description") or "") or _text(res.get("type")) or "Document"
        return Summary(rt, category, title, _text(res.get("type")) if res.get("description") else "",
                       _first(res, "date"))
    if rt == "DiagnosticReport":
        return Summary(rt, category, _text(res.get("code")) or "Report", str(res.get("conclusion") or res.get("status") or ""),
                       _first(res, "effectiveDateTime", "effectivePeriod", "issued"), _code(res.get("code")))
    if rt == "Consent":
        provision = res.get("provision") or {}
        actors = [((a or {}).get("reference") or {}).get("display") or
                  (((a or {}).get("reference") or {}).get("identifier") or {}).get("value", "")
                  for a in provision.get("actor") or []]
        period = provision.get("period") or {}
        detail = f"{res.get('status', '')}, until {str(period.get('end', ''))[:16]}".strip(", ")
        return Summary(rt, category, "Access for " + (", ".join(a for a in actors if a) or "someone"), detail,
                       _first(res, "dateTime"))
    if rt == "AuditEvent":
        sub = (res.get("subtype") or [{}])[0] or {}
        return Summary(rt, category, str(sub.get("display") or _text(res.get("type")) or "Audit event"),
                       str(res.get("outcomeDesc") or ""), _first(res, "recorded"))
    if rt == "Patient":
        names = res.get("name") or []
        name = ""
        if names and isinstance(names[0], dict):
            n = names[0]
            name = str(n.get("text") or " ".join([*map(str, n.get("given") or []), str(n.get("family") or "")]).strip())
        return Summary(rt, category, name or "Patient", str(res.get("gender") or ""), _first(res, "birthDate"))
    title = _text(res.get("code")) or _text(res.get("type")) or str(res.get("title") or res.get("name") or "") or rt
    if not isinstance(title, str):
        title = rt
    date = _first(res, "date", "created", "recorded", "authoredOn", "period", "billablePeriod", "started",
                  "dateTime", "issued")
    return Summary(rt, category, title, str(res.get("status") or ""), date)
