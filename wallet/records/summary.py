"""One-line summaries a patient understands, per resource type.

A summary is what lists, tables and charts show without opening the full resource:
its category, a title in plain words, a detail line, the clinically relevant date, the
clinical status, and for measurements the code, value (with its comparator), unit,
reference range (with its own unit) and the high/low flag. Summaries are sealed in the
store like the resources themselves.

Both are table-driven: :data:`_CATEGORY_BY_TYPE` names each FHIR resource type's
category (Observations go by their ``category`` codes, FHIR R4 §8.1 Observation
category value set), and :data:`_SUMMARIZERS` maps each resource type to a small
function reading that type's elements; a type in neither table gets the generic one.
To teach the wallet a new type, add a row. Titles follow :mod:`.concepts` (never a bare
code); flags and ranges follow :mod:`.lab_values` (the lab's interpretation wins).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .concepts import concept_title, human_name, record_displays, type_words
from .lab_values import ABNORMAL_FLAGS, FLAG_WORDS, computed_flag, lab_interpretation, number, pick_range, quantity

__all__ = ["ACTIVITY", "CATEGORIES", "CLINICAL_CATEGORIES", "COMPARATORS", "CONDITION_STATUS_WORDS", "INSURANCE",
           "Summary", "category_of", "summarize"]

INSURANCE = "Insurance and billing"
ACTIVITY = "Sharing and activity"  # the wallet's own Consents and AuditEvents: never a health record
CATEGORIES = (
    "Conditions", "Medications", "Allergies", "Lab results", "Vital signs",
    "Immunizations", "Procedures", "Encounters", "Care plans", "Documents", "People and places",
    INSURANCE, "Other", ACTIVITY,
)
# What the record views list and count; insurance and billing is listed on its own, out of the
# timeline and the overview (see wallet.services.reading).
CLINICAL_CATEGORIES = tuple(c for c in CATEGORIES if c not in (INSURANCE, ACTIVITY))
COMPARATORS = ("", "<", "<=", ">=", ">", "ad")  # FHIR R4 QuantityComparator (required binding)


@dataclass(frozen=True)
class Summary:
    resource_type: str
    category: str
    title: str
    detail: str = ""
    date: str = ""  # ISO 8601 (date or dateTime) or ""
    code: str = ""  # "system|code" of the coded title (measurements, conditions, vaccines, drugs)
    value: Decimal | None = None  # exactly as written in the record (FHIR decimal precision kept)
    unit: str = ""
    low: Decimal | None = None
    high: Decimal | None = None
    flag: str = ""  # v3 ObservationInterpretation code: the lab's, else "H"/"L" computed from the range
    comparator: str = ""  # Quantity.comparator: "<", "<=", ">=", ">" or "ad"; part of the value
    full_url: str = ""  # the absolute fullUrl the record had in its source Bundle, if any
    flag_source: str = ""  # "lab" (Observation.interpretation) or "range" (computed from referenceRange)
    flag_text: str = ""  # the lab's words for an interpretation without a known code
    range_unit: str = ""  # the reference range's own unit (may differ from the value's: then not compared)
    range_text: str = ""  # referenceRange.text ("<200", "negative")
    status: str = ""  # the clinical status code (Condition/Allergy clinicalStatus, Medication* status)
    about: str = ""  # the reference this record names its subject by (medicationReference), to name it later
    code_display: str = ""  # the display the record gives ``code`` (a measurement's name, without the record's text)

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"unknown category {self.category!r}")
        for name in ("value", "low", "high"):
            n = getattr(self, name)
            if n is not None and not isinstance(n, Decimal):
                object.__setattr__(self, name, number(n))
        if self.comparator not in COMPARATORS:
            raise ValueError(f"unknown comparator {self.comparator!r}")
        if len(self.flag) > 16 or any(ch.isspace() for ch in self.flag):
            raise ValueError(f"not an interpretation code: {self.flag!r}")
        if self.flag_source not in ("", "lab", "range"):
            raise ValueError(f"unknown flag source {self.flag_source!r}")

    @property
    def value_text(self) -> str:
        """The value as the record wrote it, with its comparator and unit: ``< 5 mg/dL``."""
        if self.value is None:
            return ""
        return " ".join(x for x in (self.comparator, f"{self.value:g}", self.unit) if x)

    @property
    def range_label(self) -> str:
        """The reference range with its own unit (``70–110 mg/dL``), or its text; ``""`` if none."""
        return self.range_with(lambda n: f"{n:g}", lambda u: u)

    def range_with(self, number: Callable[[Decimal], str], unit: Callable[[str], str]) -> str:
        """The reference range (``70–110 mg/dL``, ``≥ 3.5 g/dL``, ``≤ 5 …``) with its bounds
        written by ``number`` and its own unit (else the value's) by ``unit``; its text when
        it has no bounds; ``""`` if none. :attr:`range_label` writes them as the record did."""
        if self.low is not None and self.high is not None:
            span = f"{number(self.low)}–{number(self.high)}"
        elif self.low is not None:
            span = f"≥ {number(self.low)}"
        elif self.high is not None:
            span = f"≤ {number(self.high)}"
        else:
            return self.range_text
        return f"{span} {unit(self.range_unit or self.unit)}".strip()

    @property
    def flag_words(self) -> str:
        """``High``, ``Critically high``, ``Normal``… (``""`` without a flag)."""
        return self.flag_text or FLAG_WORDS.get(self.flag, self.flag)

    @property
    def abnormal(self) -> bool:
        """Whether the flag says out of range or abnormal (``N`` and ``""`` do not)."""
        return self.flag in ABNORMAL_FLAGS

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None and v != ""}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Summary:
        return cls(**doc)


Displays = Mapping[str, str]
Summarizer = Callable[[dict[str, Any], str, Displays], Summary]
"""Reads one resource (the category chosen for it, and every code display the resource
carries) into its :class:`Summary`."""

_CATEGORY_BY_TYPE = {
    "Condition": "Conditions",
    "MedicationRequest": "Medications",
    "MedicationStatement": "Medications",
    "MedicationAdministration": "Medications",
    "MedicationDispense": "Medications",
    "Medication": "Medications",
    "AllergyIntolerance": "Allergies",
    "DiagnosticReport": "Lab results",  # or "Documents" for a clinical note (see _report_category)
    "Immunization": "Immunizations",
    "ImmunizationRecommendation": "Immunizations",
    "Procedure": "Procedures",
    "ImagingStudy": "Procedures",
    "Encounter": "Encounters",
    "DocumentReference": "Documents",
    "Composition": "Documents",
    "CarePlan": "Care plans",
    "CareTeam": "Care plans",
    "Goal": "Care plans",
    "ServiceRequest": "Care plans",
    "Practitioner": "People and places",
    "PractitionerRole": "People and places",
    "RelatedPerson": "People and places",
    "Organization": "People and places",
    "Location": "People and places",
    "Claim": INSURANCE,
    "ClaimResponse": INSURANCE,
    "ExplanationOfBenefit": INSURANCE,
    "Coverage": INSURANCE,
    "Consent": ACTIVITY,
    "AuditEvent": ACTIVITY,
}
# Observation.category codes (http://terminology.hl7.org/CodeSystem/observation-category, FHIR R4 §8.1
# Observation), first match wins. An exam finding with a value (an HIV viral load, a PCR) reads like a test
# result; imaging and procedure results go with the procedures; answers and history stay in "Other".
# "vital-sign" is how some generators (Synthea) misspell "vital-signs".
_OBSERVATION_CATEGORIES = (
    ("vital-signs", "Vital signs"), ("vital-sign", "Vital signs"), ("laboratory", "Lab results"),
    ("exam", "Lab results"), ("imaging", "Procedures"), ("procedure", "Procedures"), ("activity", "Vital signs"),
    ("survey", "Other"), ("social-history", "Other"), ("therapy", "Other"),
)
_LOINC = "http://loinc.org"


def _report_category(res: dict[str, Any]) -> str:
    """A DiagnosticReport is a lab result unless it is a clinical note: US Core files notes under a
    LOINC category (a note type such as 34117-2 "History and physical note", or a LOINC Part such as
    LP29708-2 Cardiology), where lab reports use v2-0074 (``LAB``); a report that only carries a
    ``presentedForm`` (the note's text) and no ``result`` is a note too."""
    for cat in res.get("category") or []:
        for coding in (cat if isinstance(cat, dict) else {}).get("coding") or []:
            if isinstance(coding, dict) and coding.get("system") == _LOINC:
                return "Documents"
    if res.get("presentedForm") and not res.get("result"):
        return "Documents"
    return "Lab results"


def _categories(res: dict[str, Any]) -> set[str]:
    out: set[str] = set()
    for cat in res.get("category") or []:
        for coding in (cat if isinstance(cat, dict) else {}).get("coding") or []:
            if isinstance(coding, dict) and coding.get("code"):
                out.add(str(coding["code"]))
    return out


def _observation_category(res: dict[str, Any]) -> str:
    cats = _categories(res)
    for code, category in _OBSERVATION_CATEGORIES:
        if code in cats:
            return category
    if not cats and _LOINC_VITAL_SIGNS.intersection(_loinc_codes(res)):
        return "Vital signs"  # the codes of the FHIR R4 vital signs profiles, even without the category
    if not cats and ("valueQuantity" in res or "referenceRange" in res):
        return "Lab results"  # uncategorised measurements are most often labs
    return "Other"


# LOINC codes of the FHIR R4 vital signs profiles (observation-vitalsigns, §"Vital Signs"):
# panel, respiratory rate, heart rate, oxygen saturation, body temperature, body height,
# head circumference, body weight, BMI, blood pressure panel, systolic and diastolic.
_LOINC_VITAL_SIGNS = frozenset({
    "85353-1", "9279-1", "8867-4", "2708-6", "59408-5", "8310-5", "8302-2", "9843-4", "29463-7", "39156-5",
    "85354-9", "8480-6", "8462-4"})


def _loinc_codes(res: dict[str, Any]) -> set[str]:
    code = res.get("code")
    codings = code.get("coding") if isinstance(code, dict) else None
    return {str(c.get("code")) for c in codings or [] if isinstance(c, dict) and c.get("system") == _LOINC}


def category_of(res: dict[str, Any]) -> str:
    """One of :data:`CATEGORIES` for a FHIR resource (``"Other"`` for types without one)."""
    rt = res.get("resourceType")
    if rt == "Observation":
        return _observation_category(res)
    if rt == "DiagnosticReport":
        return _report_category(res)
    return _CATEGORY_BY_TYPE.get(str(rt), "Other")


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


def _code_of(concept: Any) -> str:
    """The ``status`` code of a CodeableConcept (``active``), or ``""``."""
    if isinstance(concept, dict):
        for coding in concept.get("coding") or []:
            if isinstance(coding, dict) and isinstance(coding.get("code"), str):
                return str(coding["code"])
        if isinstance(concept.get("text"), str):
            return str(concept["text"])
    return ""


def _status(res: dict[str, Any]) -> str:
    value = res.get("status")
    return value if isinstance(value, str) else ""


def _joined(*parts: str) -> str:
    return ", ".join(x for x in parts if x)


def _reference(value: Any) -> str:
    return str(value.get("reference") or "") if isinstance(value, dict) else ""


# --- Observation ------------------------------------------------------------------


_SYSTOLIC, _DIASTOLIC = "http://loinc.org|8480-6", "http://loinc.org|8462-4"  # LOINC blood pressure parts


def _blood_pressure(res: dict[str, Any]) -> str:
    """``152/92 mm[Hg]`` when the components are a systolic and a diastolic pressure in one unit."""
    found: dict[str, Any] = {}
    for comp in res["component"]:
        if isinstance(comp, dict):
            key = concept_title(comp.get("code"))[1]
            if key in (_SYSTOLIC, _DIASTOLIC):
                found[key] = quantity(comp.get("valueQuantity"))
    sys_q, dia_q = found.get(_SYSTOLIC), found.get(_DIASTOLIC)
    if sys_q is None or dia_q is None or sys_q.value is None or dia_q.value is None or sys_q.unit != dia_q.unit:
        return ""
    return f"{sys_q.comparator}{sys_q.value:g}/{dia_q.comparator}{dia_q.value:g} {sys_q.unit}".strip()


def _components_detail(res: dict[str, Any], displays: Displays) -> str:
    """``152/92 mm[Hg]`` for a blood pressure, else ``Part: 120 unit; Other part…`` from the
    components holding a number."""
    pressure = _blood_pressure(res)
    if pressure:
        return pressure
    parts = []
    for comp in res["component"]:
        if not isinstance(comp, dict):
            continue
        q = quantity(comp.get("valueQuantity"))
        if q is not None and q.value is not None:
            shown = " ".join(x for x in (q.comparator, f"{q.value:g}", q.unit) if x)
            parts.append(f"{concept_title(comp.get('code'), displays)[0]}: {shown}")
    return "; ".join(parts)


def _other_value(res: dict[str, Any], displays: Displays) -> str:
    """The detail of an Observation without a numeric valueQuantity: the first value[x] it has."""
    if isinstance(res.get("valueCodeableConcept"), dict):
        return concept_title(res["valueCodeableConcept"], displays)[0]
    for key in ("valueString", "valueDateTime", "valueTime"):
        if isinstance(res.get(key), str):
            return str(res[key])
    if isinstance(res.get("valueBoolean"), bool):
        return "yes" if res["valueBoolean"] else "no"
    if res.get("component"):
        return _components_detail(res, displays)
    return ""


def _observation(res: dict[str, Any], category: str, displays: Displays,
                 patient: dict[str, Any] | None = None) -> Summary:
    title, code = concept_title(res.get("code"), displays)
    date = _first(res, "effectiveDateTime", "effectivePeriod", "effectiveInstant", "issued")
    q = quantity(res.get("valueQuantity"))
    value = q.value if q is not None else None
    rng = pick_range(res, q, patient=patient, when=date)
    flag, flag_text = lab_interpretation(res)
    source = "lab" if flag or flag_text else ""
    if not source and value is not None and rng is not None and rng.applies:
        flag = computed_flag(value, q.comparator if q else "", rng.low, rng.high)
        source = "range" if flag else ""
    s = Summary("Observation", category, title or "Observation", "", date, code, value,
                q.unit if q is not None and value is not None else "",
                rng.low if rng else None, rng.high if rng else None, flag,
                q.comparator if q is not None and value is not None else "",
                flag_source=source, flag_text=flag_text if flag_text != FLAG_WORDS.get(flag) else "",
                range_unit=rng.unit if rng else "", range_text=rng.text if rng else "", status=_status(res),
                code_display=displays.get(code, "") if code else "")
    if value is None:
        detail = _other_value(res, displays)
        if s.flag_words:
            detail = _joined(detail, s.flag_words.lower())
        return _with_detail(s, detail)
    detail = s.value_text + (f" (range {s.range_label})" if s.range_label else "")
    return _with_detail(s, detail + (f" — {s.flag_words.lower()}" if s.flag_words else ""))


def _with_detail(s: Summary, detail: str) -> Summary:
    object.__setattr__(s, "detail", detail)  # built here, before anyone holds it
    return s


# --- medications ------------------------------------------------------------------

_PERIOD_UNITS = {"s": ("second", "seconds"), "min": ("minute", "minutes"), "h": ("hour", "hours"),
                 "d": ("day", "days"), "wk": ("week", "weeks"), "mo": ("month", "months"), "a": ("year", "years")}


def how_often(repeat: dict[str, Any]) -> str:
    """Timing.repeat in words (FHIR R4 §2.24 Timing): ``twice a day``, ``every 8 hours``."""
    freq, period = number(repeat.get("frequency")), number(repeat.get("period"))
    unit = _PERIOD_UNITS.get(str(repeat.get("periodUnit") or ""))
    if freq is None or period is None or unit is None or freq <= 0 or period <= 0:
        return ""
    times = {1: "once", 2: "twice"}.get(int(freq), f"{freq:g} times") if freq == int(freq) else f"{freq:g} times"
    if period == 1:
        return f"{times} a {unit[0]}" if unit[0] != "hour" else f"{times} an hour"
    if freq == 1:
        return f"every {period:g} {unit[1]}"
    return f"{times} every {period:g} {unit[1]}"


def dose_text(d: dict[str, Any]) -> str:
    """``500 mg`` (the first doseAndRate's doseQuantity), ``""`` when none."""
    dar = (d.get("doseAndRate") or [{}])[0]
    q = quantity(dar.get("doseQuantity") if isinstance(dar, dict) else None)
    if q is None or q.value is None:
        return ""
    return f"{q.value:g} {q.unit}".strip() if q.unit else f"dose {q.value:g}"


def _dose_and_timing(d: dict[str, Any]) -> str:
    repeat = (d.get("timing") or {}).get("repeat") if isinstance(d.get("timing"), dict) else None
    often = how_often(repeat) if isinstance(repeat, dict) else ""
    needed = "as needed" if d.get("asNeededBoolean") is True else ""
    return _joined(dose_text(d), often, needed)


def dosage_text(res: dict[str, Any]) -> str:
    """The first dosage (``dosageInstruction`` or ``dosage``) that says something: its text,
    else its dose and how often."""
    dosages = res.get("dosageInstruction") or res.get("dosage") or []
    for d in dosages if isinstance(dosages, list) else [dosages]:
        if not isinstance(d, dict):
            continue
        if isinstance(d.get("text"), str) and d["text"].strip():
            return str(d["text"]).strip()
        said = _dose_and_timing(d)
        if said:
            return said
    return ""


def _contained(res: dict[str, Any], reference: str) -> dict[str, Any] | None:
    for contained in res.get("contained") or []:
        if isinstance(contained, dict) and contained.get("resourceType") == "Medication" and (
                not reference.startswith("#") or f"#{contained.get('id')}" == reference):
            return contained
    return None


def _medication_name(res: dict[str, Any], displays: Displays) -> tuple[str, str]:
    """medication[x]: the concept, else the reference's display, else a contained Medication."""
    title, code = concept_title(res.get("medicationCodeableConcept"), displays)
    if title:
        return title, code
    ref = res.get("medicationReference")
    if isinstance(ref, dict) and isinstance(ref.get("display"), str) and ref["display"].strip():
        return str(ref["display"]).strip(), ""
    contained = _contained(res, _reference(ref))
    if contained is not None:
        return concept_title(contained.get("code"), displays)
    return "", ""


def _medication(res: dict[str, Any], category: str, displays: Displays) -> Summary:
    rt = str(res.get("resourceType"))
    if rt == "Medication" and isinstance(res.get("code"), dict):
        title, code = concept_title(res.get("code"), displays)
        form = concept_title(res.get("form"), displays)[0]
        return Summary(rt, category, title or "Medication", form, "", code, status=_status(res))
    title, code = _medication_name(res, displays)
    about = "" if title else _reference(res.get("medicationReference"))
    return Summary(rt, category, title or "Medication", _joined(dosage_text(res), _status(res)),
                   _first(res, "authoredOn", "effectiveDateTime", "effectivePeriod", "dateAsserted",
                          "whenHandedOver", "whenPrepared"), code, status=_status(res), about=about)


# --- the other clinical types -----------------------------------------------------


# Condition.clinicalStatus (FHIR R4 condition-clinical) in the words every screen uses
CONDITION_STATUS_WORDS = {"active": "current", "recurrence": "current (came back)", "relapse": "current (relapse)",
                          "inactive": "past", "remission": "past (in remission)", "resolved": "past (resolved)"}


def _condition(res: dict[str, Any], category: str, displays: Displays) -> Summary:
    title, code = concept_title(res.get("code"), displays)
    onset = _first(res, "onsetDateTime", "onsetPeriod", "onsetString", "recordedDate")
    status = _code_of(res.get("clinicalStatus"))
    abated = _first(res, "abatementDateTime", "abatementPeriod")
    detail = _joined(CONDITION_STATUS_WORDS.get(status, status), f"since {onset[:10]}" if onset else "",
                     f"until {abated[:10]}" if abated else "")
    return Summary("Condition", category, title or "Condition", detail, onset, code, status=status)


def _reactions(res: dict[str, Any], displays: Displays) -> list[str]:
    """``Hives (severe)`` for each manifestation of each reaction."""
    out = []
    for r in res.get("reaction") or []:
        reaction = r if isinstance(r, dict) else {}
        severity = f" ({reaction['severity']})" if isinstance(reaction.get("severity"), str) else ""
        manifestations = (concept_title(m, displays)[0] for m in reaction.get("manifestation") or [])
        out += [t + severity for t in manifestations if t]
    return out


def _allergy(res: dict[str, Any], category: str, displays: Displays) -> Summary:
    title, code = concept_title(res.get("code"), displays)
    reactions = _reactions(res, displays)
    criticality = res.get("criticality") if isinstance(res.get("criticality"), str) else ""
    detail = ("reaction: " + ", ".join(reactions)) if reactions else str(criticality or "")
    return Summary("AllergyIntolerance", category, title or "Allergy", detail,
                   _first(res, "onsetDateTime", "recordedDate"), code, status=_code_of(res.get("clinicalStatus")))


def dose_number(res: dict[str, Any]) -> str:
    """Immunization.protocolApplied[0].doseNumber[x] (``2``), else ``""``."""
    for applied in res.get("protocolApplied") or []:
        if isinstance(applied, dict):
            n = applied.get("doseNumberPositiveInt", applied.get("doseNumberString"))
            if isinstance(n, (int, str)) and not isinstance(n, bool) and str(n):
                return str(n)
    return ""


def _immunization(res: dict[str, Any], category: str, displays: Displays) -> Summary:
    title, code = concept_title(res.get("vaccineCode"), displays)
    date = _first(res, "occurrenceDateTime", "occurrenceString", "recorded")
    status = _status(res)
    dose = dose_number(res)
    given = f"given {date[:10]}" if status == "completed" and date else status
    return Summary("Immunization", category, title or "Immunization",
                   _joined(given, f"dose {dose}" if dose else ""), date, code, status=status)


def _procedure(res: dict[str, Any], category: str, displays: Displays) -> Summary:
    title, code = concept_title(res.get("code"), displays)
    return Summary("Procedure", category, title or "Procedure", _status(res),
                   _first(res, "performedDateTime", "performedPeriod"), code, status=_status(res))


# v3 ActEncounterCode (Encounter.class) in words
_ENCOUNTER_CLASSES = {"AMB": "outpatient visit", "EMER": "emergency", "IMP": "hospital stay", "ACUTE": "hospital stay",
                      "NONAC": "hospital stay", "HH": "home visit", "VR": "video or phone visit",
                      "FLD": "visit away from a clinic", "OBSENC": "observation stay", "PRENC": "pre-admission",
                      "SS": "short stay"}


def _encounter(res: dict[str, Any], category: str, displays: Displays) -> Summary:
    types = [t for t in (concept_title(x, displays) for x in res.get("type") or []) if t[0]]
    klass = res.get("class")
    klass_code = str(klass.get("code") or "") if isinstance(klass, dict) else ""
    kind = _ENCOUNTER_CLASSES.get(klass_code, klass_code)
    title, code = types[0] if types else (kind.capitalize() if kind else "Visit", "")
    return Summary("Encounter", category, title, _joined(kind, _status(res)), _first(res, "period"), code,
                   status=_status(res))


def _document_reference(res: dict[str, Any], category: str, displays: Displays) -> Summary:
    kind = concept_title(res.get("type"), displays)[0]
    description = res.get("description") if isinstance(res.get("description"), str) else ""
    return Summary("DocumentReference", category, str(description or "") or kind or "Document",
                   kind if description else "", _first(res, "date"), status=_status(res))


def _diagnostic_report(res: dict[str, Any], category: str, displays: Displays) -> Summary:
    title, code = concept_title(res.get("code"), displays)
    conclusion = res.get("conclusion") if isinstance(res.get("conclusion"), str) else ""
    # the conclusion is the report's result; its status ("final") is not, so it is never the detail
    return Summary("DiagnosticReport", category, title or "Report", str(conclusion or ""),
                   _first(res, "effectiveDateTime", "effectivePeriod", "issued"), code, status=_status(res))


def _person(res: dict[str, Any], category: str, displays: Displays) -> Summary:
    """Patient, Practitioner, RelatedPerson, Person: the name as a person writes it."""
    rt = str(res.get("resourceType"))
    name = human_name(res.get("name"), titles=rt != "Patient")
    relation = ", ".join(t for t in (concept_title(r, displays)[0] for r in res.get("relationship") or []) if t)
    gender = res.get("gender") if isinstance(res.get("gender"), str) else ""
    detail = relation if rt == "RelatedPerson" else str(gender or "") if rt == "Patient" else ""
    qualifications = [concept_title(q.get("code"), displays)[0] for q in res.get("qualification") or []
                      if isinstance(q, dict)]
    if rt == "Practitioner":
        detail = ", ".join(q for q in qualifications if q)
    return Summary(rt, category, name or type_words(rt), detail, _first(res, "birthDate"))


def _named(res: dict[str, Any], category: str, displays: Displays) -> Summary:
    """Organization, Location, CareTeam, HealthcareService: their ``name``."""
    rt = str(res.get("resourceType"))
    name = res.get("name") if isinstance(res.get("name"), str) else ""
    kind = next((t for t in (concept_title(x, displays)[0] for x in res.get("type") or []) if t), "")
    return Summary(rt, category, str(name or "") or kind or type_words(rt), kind if name else "", "",
                   status=_status(res))


def _goal(res: dict[str, Any], category: str, displays: Displays) -> Summary:
    title, code = concept_title(res.get("description"), displays)
    target = next((t for t in res.get("target") or [] if isinstance(t, dict)), {})
    due = target.get("dueDate") if isinstance(target.get("dueDate"), str) else ""
    status = res.get("lifecycleStatus") if isinstance(res.get("lifecycleStatus"), str) else ""
    return Summary("Goal", category, title or "Goal", _joined(str(status or ""), f"by {due}" if due else ""),
                   _first(res, "startDate", "statusDate"), code, status=str(status or ""))


def _care_plan(res: dict[str, Any], category: str, displays: Displays) -> Summary:
    title = res.get("title") if isinstance(res.get("title"), str) else ""
    kinds = [t for t in (concept_title(c, displays)[0] for c in res.get("category") or []) if t]
    return Summary(str(res.get("resourceType")), category, str(title or "") or (kinds[-1] if kinds else "Care plan"),
                   _status(res), _first(res, "period", "created"), status=_status(res))


def _family_history(res: dict[str, Any], category: str, displays: Displays) -> Summary:
    relation = concept_title(res.get("relationship"), displays)[0] or str(res.get("name") or "")
    conditions = [concept_title(c.get("code"), displays)[0] for c in res.get("condition") or [] if isinstance(c, dict)]
    what = ", ".join(c for c in conditions if c)
    title = f"{relation[:1].upper()}{relation[1:]}: {what}" if relation and what else what or relation
    return Summary("FamilyMemberHistory", category, title or "Family history", _status(res), _first(res, "date"))


def _coverage(res: dict[str, Any], category: str, displays: Displays) -> Summary:
    """The plan (``class`` of type ``plan``, its name else value), and who pays."""
    plans: list[str] = []
    others: list[str] = []
    for c in res.get("class") or []:
        if not isinstance(c, dict):
            continue
        label = str(c.get("name") or c.get("value") or "")
        (plans if _code_of(c.get("type")) == "plan" else others).append(label)
    payors = [str(p.get("display")) for p in res.get("payor") or [] if isinstance(p, dict) and p.get("display")]
    plan = next((p for p in plans + others if p), "")
    kind = concept_title(res.get("type"), displays)[0]
    title = plan or kind or "Coverage"
    return Summary("Coverage", category, title, _joined(", ".join(payors), _status(res)), _first(res, "period"),
                   status=_status(res))


def _money(value: Any) -> str:
    if isinstance(value, dict):
        amount = number(value.get("value"))
        if amount is not None:
            return f"{amount:,.2f} {value.get('currency') or ''}".strip()
    return ""


def _claim(res: dict[str, Any], category: str, displays: Displays) -> Summary:
    """Claim, ExplanationOfBenefit: what it was for (the first item's service) and the total."""
    rt = str(res.get("resourceType"))
    items = [concept_title(i.get("productOrService"), displays)[0]
             for i in res.get("item") or [] if isinstance(i, dict)]
    service = next((i for i in items if i), "")
    what = "Claim" if rt == "Claim" else "Explanation of benefit" if rt == "ExplanationOfBenefit" else type_words(rt)
    total = res.get("total")
    amount = _money(total) if isinstance(total, dict) else next(
        (_money(t.get("amount")) for t in total or [] if isinstance(t, dict)), "") if isinstance(total, list) else ""
    return Summary(rt, category, f"{what}: {service}" if service else what, _joined(amount, _status(res)),
                   _first(res, "billablePeriod", "created"), status=_status(res))


# --- the wallet's own trail -------------------------------------------------------


def _actor_name(actor: Any) -> str:
    """The display of a Consent actor's reference, else its identifier's value: for an
    account (CAIP-10 ``eip155:<chain>:<address>``, or ``ethereum:<address>``) the address
    alone, as the address book and the sharing pages show it."""
    ref = (actor if isinstance(actor, dict) else {}).get("reference") or {}
    if not isinstance(ref, dict):
        return ""
    if ref.get("display"):
        return str(ref["display"])
    value = str((ref.get("identifier") or {}).get("value", ""))
    scheme, _, rest = value.partition(":")
    if scheme == "eip155" and rest.count(":") == 1:
        return rest.split(":")[1]
    return rest if scheme == "ethereum" and rest else value


def _consent(res: dict[str, Any], category: str, displays: Displays) -> Summary:
    provision = res.get("provision") or {}
    actors = [_actor_name(a) for a in provision.get("actor") or []]
    period = provision.get("period") or {}
    detail = f"{res.get('status', '')}, until {str(period.get('end', ''))[:16]}".strip(", ")
    return Summary("Consent", category, "Access for " + (", ".join(a for a in actors if a) or "someone"), detail,
                   _first(res, "dateTime"), status=_status(res))


def _audit_event(res: dict[str, Any], category: str, displays: Displays) -> Summary:
    sub = (res.get("subtype") or [{}])[0] or {}
    return Summary("AuditEvent", category,
                   str(sub.get("display") or concept_title(res.get("type"), displays)[0] or "Audit event"),
                   str(res.get("outcomeDesc") or ""), _first(res, "recorded"))


# --- any other type ---------------------------------------------------------------

_GENERIC_DATES = ("date", "created", "recorded", "authoredOn", "period", "billablePeriod", "started", "dateTime",
                  "issued", "occurrenceDateTime", "effectiveDateTime")


def _generic(res: dict[str, Any], category: str, displays: Displays) -> Summary:
    rt = str(res.get("resourceType"))
    title, code = concept_title(res.get("code"), displays)
    if not title:
        title, code = concept_title(res.get("type"), displays)
    if not title and isinstance(res.get("procedureCode"), list) and res["procedureCode"]:
        title, code = concept_title(res["procedureCode"][0], displays)  # ImagingStudy
    if not title:
        for key in ("title", "name", "description"):
            if isinstance(res.get(key), str) and res[key].strip():
                title = str(res[key]).strip()
                break
    return Summary(rt, category, title or type_words(rt), _status(res), _first(res, *_GENERIC_DATES), code,
                   status=_status(res))


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
    "Patient": _person,
    "Practitioner": _person,
    "RelatedPerson": _person,
    "Person": _person,
    "Organization": _named,
    "Location": _named,
    "CareTeam": _named,
    "HealthcareService": _named,
    "Goal": _goal,
    "CarePlan": _care_plan,
    "FamilyMemberHistory": _family_history,
    "Coverage": _coverage,
    "Claim": _claim,
    "ExplanationOfBenefit": _claim,
}
# Every Medication* type (Request, Statement, Administration, Dispense, and Medication itself).
_SUMMARIZERS_BY_PREFIX: tuple[tuple[str, Summarizer], ...] = (("Medication", _medication),)


def _summarizer(resource_type: str) -> Summarizer:
    if resource_type in _SUMMARIZERS:
        return _SUMMARIZERS[resource_type]
    return next((f for prefix, f in _SUMMARIZERS_BY_PREFIX if resource_type.startswith(prefix)), _generic)


def summarize(res: dict[str, Any], *, patient: dict[str, Any] | None = None) -> Summary:
    """The :class:`Summary` of one FHIR resource (a dict as parsed from JSON).

    ``patient``: the FHIR Patient the record is about, when known; a reference range
    restricted by ``age`` or ``appliesTo`` (sex) is used for a computed flag only when the
    patient shows it applies (:mod:`.lab_values`).

    Never fails on an odd but well-typed resource: missing elements give the type's
    fallback title and empty detail/date."""
    category = category_of(res)
    if res.get("resourceType") == "Observation":
        return _observation(res, category, record_displays(res), patient)
    return _summarizer(str(res.get("resourceType")))(res, category, record_displays(res))
