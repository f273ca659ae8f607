"""A record's facts as a patient reads them: labelled lines per resource type.

What the detail pane shows above the raw FHIR JSON: for a medication its name, dose, how
often, since when, prescriber and reason; for a lab result its value with comparator and
unit, the reference range in its own unit, the high/low flag and where it comes from, and
the date; for a condition its status and onset; for an immunization the vaccine, date and
dose number. References are shown by name (``names``: reference → name, from the
reference's own ``display`` or the wallet's record it points at), never as ``urn:uuid:…``.
Everything is plain text taken from the record: untrusted, and never markup.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .concepts import concept_title, fallback_title
from .instants import local_text
from .lab_values import quantity
from .summary import CONDITION_STATUS_WORDS, Summary, dosage_text, dose_number, dose_text, how_often

__all__ = ["Fact", "record_facts"]

Fact = tuple[str, str]  # (label, text)
_Reader = Callable[[Summary, dict[str, Any], Mapping[str, str]], list[Fact]]

_FLAG_SOURCES = {"lab": "as the lab reported it", "range": "outside the reference range"}


def _name(ref: Any, names: Mapping[str, str]) -> str:
    """A Reference by name: its ``display``, else the name the wallet knows, else ``""``."""
    if not isinstance(ref, dict):
        return ""
    display = ref.get("display")
    if isinstance(display, str) and display.strip():
        return display.strip()
    reference = ref.get("reference")
    return names.get(reference, "") if isinstance(reference, str) else ""


def _names(refs: Any, names: Mapping[str, str]) -> str:
    items = refs if isinstance(refs, list) else [refs]
    return ", ".join(n for n in (_name(r, names) for r in items) if n)


def _concepts(concepts: Any) -> str:
    items = concepts if isinstance(concepts, list) else [concepts]
    return ", ".join(t for t in (concept_title(c)[0] for c in items) if t)


def _date(res: dict[str, Any], *keys: str) -> str:
    """The first of ``keys`` that holds a date, dateTime or Period, as a person reads it
    (local time with its zone; a date as written)."""
    for key in keys:
        value = res.get(key)
        if isinstance(value, str) and value:
            return local_text(value)
        if isinstance(value, dict) and isinstance(value.get("start"), str):
            end = value.get("end")
            start = local_text(value["start"])
            return f"{start} to {local_text(end)}" if isinstance(end, str) else f"since {start}"
    return ""


def _reason(res: dict[str, Any], names: Mapping[str, str]) -> str:
    said = (_concepts(res.get("reasonCode") or []), _names(res.get("reasonReference") or [], names))
    return ", ".join(x for x in said if x)


def _observation(s: Summary, res: dict[str, Any], names: Mapping[str, str]) -> list[Fact]:
    out: list[Fact] = [("Result", s.value_text or s.detail)]
    if s.range_label:
        other = s.value is not None and s.range_unit and s.range_unit != s.unit
        out.append(("Reference range", s.range_label + (" (another unit: not compared with the result)" if other
                                                        else "")))
    if s.flag_words:
        out.append(("Flag", f"{s.flag_words} ({_FLAG_SOURCES[s.flag_source]})" if s.flag_source else s.flag_words))
    for comp in res.get("component") or []:
        if isinstance(comp, dict):
            q = quantity(comp.get("valueQuantity"))
            if q is not None and q.value is not None:
                out.append((concept_title(comp.get("code"))[0] or "Part",
                            " ".join(x for x in (q.comparator, f"{q.value:g}", q.unit) if x)))
    out.append(("Performed by", _names(res.get("performer") or [], names)))
    out.append(("Note", "; ".join(str(n.get("text")) for n in res.get("note") or []
                                  if isinstance(n, dict) and isinstance(n.get("text"), str))))
    return out


def _medication(s: Summary, res: dict[str, Any], names: Mapping[str, str]) -> list[Fact]:
    dosages = res.get("dosageInstruction") or res.get("dosage") or []
    first = next((d for d in (dosages if isinstance(dosages, list) else [dosages]) if isinstance(d, dict)), {})
    repeat = (first.get("timing") or {}).get("repeat") if isinstance(first.get("timing"), dict) else None
    often = how_often(repeat) if isinstance(repeat, dict) else ""
    if first.get("asNeededBoolean") is True:
        often = ", ".join(x for x in (often, "as needed") if x)
    text = first.get("text") if isinstance(first.get("text"), str) else ""
    return [
        ("Dose", dose_text(first)),
        ("How often", often),
        ("Instructions", str(text or "") or ("" if often or dose_text(first) else dosage_text(res))),
        ("Since", _date(res, "authoredOn", "effectiveDateTime", "effectivePeriod", "dateAsserted",
                        "whenHandedOver")),
        ("Prescriber", _name(res.get("requester"), names) or _name(res.get("informationSource"), names)
         or _names(res.get("performer") or [], names)),
        ("Reason", _reason(res, names)),
        ("Status", s.status),
    ]


def _condition(s: Summary, res: dict[str, Any], names: Mapping[str, str]) -> list[Fact]:
    return [
        ("Status", CONDITION_STATUS_WORDS.get(s.status, s.status)),
        ("Onset", _date(res, "onsetDateTime", "onsetPeriod", "onsetString")),
        ("Resolved", _date(res, "abatementDateTime", "abatementPeriod", "abatementString")),
        ("Recorded", _date(res, "recordedDate")),
        ("Severity", _concepts(res.get("severity"))),
        ("Confirmed", _concepts(res.get("verificationStatus"))),
        ("Noted by", _name(res.get("asserter"), names) or _name(res.get("recorder"), names)),
    ]


def _immunization(s: Summary, res: dict[str, Any], names: Mapping[str, str]) -> list[Fact]:
    dose = dose_number(res)
    series = next((a.get("seriesDosesPositiveInt") for a in res.get("protocolApplied") or []
                   if isinstance(a, dict) and isinstance(a.get("seriesDosesPositiveInt"), int)), None)
    return [
        ("Vaccine", s.title),
        ("Date given", _date(res, "occurrenceDateTime", "occurrenceString")),
        ("Dose number", f"{dose} of {series}" if dose and series else dose),
        ("Status", s.status),
        ("Lot number", str(res.get("lotNumber") or "")),
        ("Given by", ", ".join(n for n in (_name(p.get("actor"), names) for p in res.get("performer") or []
                                           if isinstance(p, dict)) if n)),
        ("Where", _name(res.get("location"), names)),
        ("Code", fallback_title(s.code) if s.code else ""),
    ]


def _allergy(s: Summary, res: dict[str, Any], names: Mapping[str, str]) -> list[Fact]:
    return [
        ("Reactions", s.detail if s.detail.startswith("reaction: ") else ""),
        ("How serious", str(res.get("criticality") or "")),
        ("Status", s.status),
        ("Since", _date(res, "onsetDateTime", "recordedDate")),
    ]


_READERS: dict[str, _Reader] = {
    "Observation": _observation,
    "Condition": _condition,
    "Immunization": _immunization,
    "AllergyIntolerance": _allergy,
    "MedicationRequest": _medication,
    "MedicationStatement": _medication,
    "MedicationAdministration": _medication,
    "MedicationDispense": _medication,
}


def record_facts(summary: Summary, resource: dict[str, Any], names: Mapping[str, str]) -> list[Fact]:
    """Labelled lines for one record, in reading order; lines with nothing to say are left out.
    ``summary`` is the record's (already named) summary; ``resource`` its FHIR JSON."""
    reader = _READERS.get(summary.resource_type)
    facts = reader(summary, resource, names) if reader is not None else [
        ("Details", summary.detail), ("Status", summary.status)]
    if summary.resource_type not in ("Immunization",) and summary.code:
        facts.append(("Code", fallback_title(summary.code)))
    for key, label in (("subject", "For"), ("patient", "For"), ("encounter", "Visit")):
        if label == "For" and any(f[0] == "For" for f in facts):
            continue
        facts.append((label, _name(resource.get(key), names)))
    return [(label, text) for label, text in facts if text]
