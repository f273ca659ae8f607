"""What a printed patient summary says, read from an IPS ``document`` Bundle.

The printout and the emergency card show the same selection as the International Patient
Summary (:mod:`wallet.records.ips`): active problems, allergies, current medications,
immunizations, the latest result of each test, vital signs, past illnesses and procedures.
Every line is built from the record summaries (:func:`wallet.records.summary.summarize`):
display names and plain words, never codes or JSON. Text from records is untrusted: control
characters are dropped and each field is cut to :data:`MAX_FIELD` characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidRecord
from .ips import ABSENT_UNKNOWN, IPS_DOCUMENT, LOINC
from .summary import Summary, summarize

__all__ = ["ALLERGIES", "MAX_FIELD", "MEDICATIONS", "PROBLEMS", "PrintableSummary", "SummaryItem", "SummarySection",
           "plain", "printable_summary"]

MAX_FIELD = 300
PROBLEMS, ALLERGIES, MEDICATIONS = "11450-4", "48765-2", "10160-0"
PAST_ILLNESS, IMMUNIZATIONS, RESULTS, PROCEDURES, VITAL_SIGNS = "11348-0", "11369-6", "30954-2", "47519-4", "8716-3"
# Print order (most important for a clinician first) and the heading a patient understands.
_HEADINGS = ((ALLERGIES, "Allergies and intolerances"), (MEDICATIONS, "Medications"),
             (PROBLEMS, "Current problems"), (IMMUNIZATIONS, "Immunizations"), (RESULTS, "Recent test results"),
             (VITAL_SIGNS, "Vital signs"), (PAST_ILLNESS, "Past illnesses"), (PROCEDURES, "Procedures"))
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]+")


def plain(text: object, limit: int = MAX_FIELD) -> str:
    """Untrusted text made printable: control and direction characters become spaces,
    runs of spaces one, at most ``limit`` characters (cut with "…")."""
    out = " ".join(_CONTROL.sub(" ", str(text)).split())
    return out if len(out) <= limit else out[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class SummaryItem:
    """One printed line. ``value``/``range``/``flag`` only for measurements (flag in words:
    "High", "Low", …); ``date`` is ``YYYY-MM-DD`` or empty."""

    title: str
    detail: str = ""
    date: str = ""
    value: str = ""
    range: str = ""
    flag: str = ""

    def __post_init__(self) -> None:
        if not self.title:
            raise ValueError("a summary line needs a title")
        if self.date and not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", self.date):
            raise ValueError("a summary line's date is YYYY, YYYY-MM or YYYY-MM-DD")


@dataclass(frozen=True)
class SummarySection:
    """One section: its IPS LOINC code, a heading, its lines. ``absent`` holds the document's
    own words ("No information about allergies") when it says it knows nothing."""

    code: str
    heading: str
    items: tuple[SummaryItem, ...] = ()
    absent: str = ""

    @property
    def measured(self) -> bool:
        """Whether the lines are measurements (shown as a table with ranges and flags)."""
        return self.code in (RESULTS, VITAL_SIGNS)


@dataclass(frozen=True)
class PrintableSummary:
    """A person and the sections of their summary, in print order."""

    name: str
    birth_date: str
    gender: str
    made_on: str  # YYYY-MM-DD, the document's date
    sections: tuple[SummarySection, ...]

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a summary names its patient")

    def __repr__(self) -> str:  # names and findings are health data
        return f"PrintableSummary({len(self.sections)} sections)"

    def section(self, code: str) -> SummarySection:
        """The section of that LOINC code (an empty one when the document has none)."""
        found = next((s for s in self.sections if s.code == code), None)
        return found or SummarySection(code, dict(_HEADINGS).get(code, code))


_ANNOTATION = re.compile(r"\{([^{}]*)\}")  # UCUM annotations: "{score}" reads as "score"


def _unit_words(text: str) -> str:
    return _ANNOTATION.sub(r"\1", text)


def _medication_title(res: dict[str, Any], by_url: dict[str, dict[str, Any]], summary: Summary) -> str:
    """A medication entry names its drug through a Medication in the document when it has no
    name of its own (IPS: ``medicationReference``)."""
    ref = (res.get("medicationReference") or {}).get("reference")
    med = by_url.get(ref) if isinstance(ref, str) else None
    if med is not None and not res.get("medicationCodeableConcept"):
        title = summarize(med).title
        if title and title != "Medication":
            return title
    return summary.title


def _item(res: dict[str, Any], measured: bool, by_url: dict[str, dict[str, Any]],
          patient: dict[str, Any]) -> SummaryItem:
    s = summarize(res, patient=patient or None)  # the patient picks age- and sex-specific ranges
    title = _medication_title(res, by_url, s) if s.category == "Medications" else s.title
    date = s.date[:10] if re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", s.date[:10]) else ""
    if measured and s.value is not None:
        return SummaryItem(plain(title), "", date, plain(_unit_words(s.value_text), 80),
                           plain(_unit_words(s.range_label), 80), plain(s.flag_words, 40))
    if measured:
        return SummaryItem(plain(title), "", date, plain(_unit_words(s.detail)))
    detail = s.detail
    if s.category == "Conditions":  # "since <date>" repeats the date column
        detail = ", ".join(p for p in detail.split(", ") if not p.startswith("since "))
    return SummaryItem(plain(title), plain(detail), date)


def _is_absent(res: dict[str, Any]) -> bool:
    concept = res.get("code") or res.get("medicationCodeableConcept") or {}
    return any(isinstance(c, dict) and c.get("system") == ABSENT_UNKNOWN for c in concept.get("coding") or [])


def printable_summary(bundle: dict[str, Any]) -> PrintableSummary:
    """The printable view of an IPS document (as built by :func:`wallet.records.ips.build_ips`
    and checked by :func:`~wallet.records.ips.check_ips`). Measurements are newest first.

    Raises :class:`~wallet.errors.InvalidRecord` when the Bundle is not an IPS document.
    """
    entries = bundle.get("entry") or []
    comp = entries[0].get("resource", {}) if entries else {}
    codes = {c.get("code") for c in (comp.get("type") or {}).get("coding") or [] if c.get("system") == LOINC}
    if comp.get("resourceType") != "Composition" or IPS_DOCUMENT not in codes:
        raise InvalidRecord("Not a patient summary: the document does not start with an IPS Composition.")
    by_url = {e.get("fullUrl"): e.get("resource") or {} for e in entries}
    patient = by_url.get((comp.get("subject") or {}).get("reference"), {})
    who = summarize(patient) if patient else None
    found: dict[str, SummarySection] = {}
    headings = dict(_HEADINGS)
    for section in comp.get("section") or []:
        code = next((c.get("code") for c in (section.get("code") or {}).get("coding") or []
                     if c.get("system") == LOINC), None)
        if code not in headings:
            continue
        resources = [by_url[e["reference"]] for e in section.get("entry") or []
                     if isinstance(e, dict) and e.get("reference") in by_url]
        absent = [r for r in resources if _is_absent(r)]
        real = [r for r in resources if not _is_absent(r)]
        measured = code in (RESULTS, VITAL_SIGNS)
        items = [_item(r, measured, by_url, patient) for r in real]
        if measured:
            items.sort(key=lambda i: i.date, reverse=True)
        found[code] = SummarySection(code, headings[code], tuple(items),
                                     plain(summarize(absent[0]).title) if absent and not real else "")
    return PrintableSummary(
        name=plain(who.title if who else "", 120) or "Unnamed patient",
        birth_date=who.date[:10] if who else "",
        gender=plain(who.detail if who else "", 40),
        made_on=str(comp.get("date") or "")[:10],
        sections=tuple(found[code] for code, _ in _HEADINGS if code in found),
    )
