"""International Patient Summary (HL7 FHIR IPS IG, STU 1.1): a ``document`` Bundle built
from a wallet's records.

Shape (IPS IG "Bundle - IPS" and "Composition - IPS" profiles):

- ``Bundle.type = "document"``, an ``identifier`` and a ``timestamp`` (FHIR R4 bdl-9, bdl-10);
  every entry has a ``fullUrl`` (``urn:uuid:…``) and every reference inside the document is
  rewritten to one of them. A reference to something the document does not hold keeps only
  its ``display`` text, so nothing points outside the document.
- The first entry is the ``Composition`` (LOINC 60591-5 "Patient summary Document"), the
  second the ``Patient`` (its ``subject``).
- Required sections: problems (11450-4), allergies (48765-2), medications (10160-0). An empty
  one holds one explicit entry coded from the IPS absent/unknown code system
  (``no-problem-info``, ``no-allergy-info``, ``no-medication-info``): the wallet knows only what
  was imported, so it says "no information", never "no known …", which would be a clinical claim.
- Optional sections, only when the wallet holds such records: past illness (11348-0, resolved
  conditions), immunizations (11369-6), results (30954-2, the latest laboratory value per code),
  procedures (47519-4), vital signs (8716-3, the latest value per code).
- Narratives are generated from the summaries: plain text, HTML-escaped, inside
  ``<div xmlns="http://www.w3.org/1999/xhtml">``. The entries' own ``text`` narratives (imported,
  untrusted markup) are left out; the structured data carries the meaning.
"""

from __future__ import annotations

import copy
import html
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from ..errors import InvalidRecord
from .summary import summarize

__all__ = ["ABSENT_UNKNOWN", "IPS_DOCUMENT", "SECTIONS", "SectionSpec", "build_ips", "check_ips"]

LOINC = "http://loinc.org"
ABSENT_UNKNOWN = "http://hl7.org/fhir/uv/ips/CodeSystem/absent-unknown-uv-ips"
DATA_ABSENT = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
IPS_DOCUMENT = "60591-5"
XHTML = "http://www.w3.org/1999/xhtml"
_ID_NAMESPACE = uuid.UUID("6f1c9a52-4e0b-5bd1-9a57-2f1d3c8e7a10")


class SectionSpec:
    """One Composition section: LOINC code, title, and whether IPS requires it."""

    __slots__ = ("code", "required", "title")

    def __init__(self, code: str, title: str, required: bool) -> None:
        self.code, self.title, self.required = code, title, required


SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec("11450-4", "Active Problems", True),
    SectionSpec("48765-2", "Allergies and Intolerances", True),
    SectionSpec("10160-0", "Medication Summary", True),
    SectionSpec("11348-0", "History of Past Illness", False),
    SectionSpec("11369-6", "Immunizations", False),
    SectionSpec("30954-2", "Results", False),
    SectionSpec("47519-4", "History of Procedures", False),
    SectionSpec("8716-3", "Vital Signs", False),
)
_REQUIRED = tuple(s.code for s in SECTIONS if s.required)
_ABSENT_CODE = {"11450-4": ("no-problem-info", "No information about problems"),
                "48765-2": ("no-allergy-info", "No information about allergies"),
                "10160-0": ("no-medication-info", "No information about medications")}
_RESOLVED = frozenset({"resolved", "inactive", "remission"})
_CURRENT_MEDICATION = frozenset({"active", "on-hold", "intended", "unknown", "draft"})


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _full_url(res: dict[str, Any]) -> str:
    rid = res.get("id")
    if isinstance(rid, str) and _is_uuid(rid):
        return f"urn:uuid:{rid}"
    name = f"{res.get('resourceType')}/{rid}"
    return f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, name)}"


def _codes(concept: Any) -> set[str]:
    out: set[str] = set()
    if isinstance(concept, dict):
        for coding in concept.get("coding") or []:
            if isinstance(coding, dict) and coding.get("code"):
                out.add(f"{coding.get('system', '')}|{coding['code']}")
    return out


def _is_absent_unknown(res: dict[str, Any]) -> bool:
    concept = res.get("code") or res.get("medicationCodeableConcept")
    return any(c.startswith(ABSENT_UNKNOWN + "|") for c in _codes(concept))


def _status_code(concept: Any) -> str:
    codes = _codes(concept)
    return next(iter(codes)).split("|", 1)[1] if codes else ""


def _section_of(res: dict[str, Any]) -> str | None:
    rt = res.get("resourceType")
    if rt == "Condition":
        return "11348-0" if _status_code(res.get("clinicalStatus")) in _RESOLVED else "11450-4"
    if rt == "AllergyIntolerance":
        return "48765-2"
    if rt in ("MedicationStatement", "MedicationRequest"):
        return "10160-0" if str(res.get("status") or "unknown") in _CURRENT_MEDICATION else None
    if rt == "Immunization":
        return "11369-6"
    if rt == "Procedure":
        return "47519-4"
    if rt == "Observation":
        cats = {c.split("|", 1)[1] for cat in res.get("category") or [] for c in _codes(cat)}
        if "vital-signs" in cats:
            return "8716-3"
        if "laboratory" in cats:
            return "30954-2"
    return None


def _latest_per_code(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep the newest Observation of each code (results and vital signs show the latest)."""
    best: dict[str, tuple[str, dict[str, Any]]] = {}
    for res in resources:
        summary = summarize(res)
        key = summary.code or summary.title
        if key not in best or summary.date > best[key][0]:
            best[key] = (summary.date, res)
    return [res for _, res in sorted(best.values(), key=lambda pair: pair[0], reverse=True)]


def _choose_patient(patients: list[dict[str, Any]], resources: list[dict[str, Any]]) -> dict[str, Any]:
    if not patients:
        raise InvalidRecord("The wallet holds no Patient record; import one before making a patient summary.")
    if len(patients) == 1:
        return patients[0]
    counts = dict.fromkeys(range(len(patients)), 0)
    keys = [{f"Patient/{p.get('id')}", _full_url(p)} for p in patients]
    for res in resources:
        subject = res.get("subject") or res.get("patient")
        ref = subject.get("reference") if isinstance(subject, dict) else None
        for n, k in enumerate(keys):
            if ref in k:
                counts[n] += 1
    return patients[max(counts, key=lambda n: counts[n])]


def _referenced_medications(entries: list[dict[str, Any]], pool: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``Medication`` resources the medication entries name (IPS: an entry's medication may
    be a reference), so the drug's name travels with the document."""
    meds = {}
    for res in pool:
        if res.get("resourceType") == "Medication":
            meds[f"Medication/{res.get('id')}"] = meds[_full_url(res)] = res
    wanted: list[dict[str, Any]] = []
    for res in entries:
        ref = (res.get("medicationReference") or {}).get("reference")
        med = meds.get(ref) if isinstance(ref, str) else None
        if med is not None and all(med is not w for w in wanted):
            wanted.append(med)
    return wanted


def _rewrite_references(node: Any, urls: dict[str, str]) -> None:
    """Point every ``reference`` at a ``fullUrl`` of the document, or keep only its display."""
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            ref = cur.get("reference")
            if isinstance(ref, str):
                target = urls.get(ref)
                if target is not None:
                    cur["reference"] = target
                else:
                    del cur["reference"]
                    if not cur.get("display"):
                        kind = ref.split("/", 1)[0].split("?", 1)[0] if not ref.startswith("urn:") else ""
                        cur["display"] = f"{kind or 'Item'} not included in this summary"
            stack.extend(v for v in cur.values() if isinstance(v, (dict, list)))
        elif isinstance(cur, list):
            stack.extend(v for v in cur if isinstance(v, (dict, list)))


def _div(lines: Iterable[str]) -> dict[str, str]:
    items = "".join(f"<li>{html.escape(line, quote=True)}</li>" for line in lines)
    return {"status": "generated", "div": f'<div xmlns="{XHTML}"><ul>{items}</ul></div>'}


def _line(res: dict[str, Any]) -> str:
    s = summarize(res)
    parts = [s.title]
    if s.detail:
        parts.append(s.detail)
    if s.date:
        parts.append(s.date[:10])
    return " — ".join(parts)


def _absent_entry(section: str, patient_url: str) -> dict[str, Any]:
    code, display = _ABSENT_CODE[section]
    concept = {"coding": [{"system": ABSENT_UNKNOWN, "code": code, "display": display}], "text": display}
    rid = str(uuid.uuid5(_ID_NAMESPACE, f"{patient_url}|{code}"))  # the same statement each time
    subject = {"reference": patient_url}
    if section == "11450-4":
        return {"resourceType": "Condition", "id": rid, "code": concept, "subject": subject}
    if section == "48765-2":
        return {"resourceType": "AllergyIntolerance", "id": rid, "code": concept, "patient": subject}
    return {"resourceType": "MedicationStatement", "id": rid, "status": "unknown",
            "medicationCodeableConcept": concept, "subject": subject,
            "_effectiveDateTime": {"extension": [{"url": DATA_ABSENT, "valueCode": "unknown"}]}}


_EFFECTIVE = ("effectiveDateTime", "effectivePeriod", "effectiveInstant", "_effectiveDateTime",
              "_effectivePeriod", "_effectiveInstant")
_DATED = frozenset({"MedicationStatement", "Observation"})  # IPS: effective[x] 1..1
_SUBJECT_KEY = {"Condition": "subject", "MedicationStatement": "subject", "MedicationRequest": "subject",
                "Procedure": "subject", "Observation": "subject", "AllergyIntolerance": "patient",
                "Immunization": "patient"}  # IPS: the patient 1..1 on every clinical entry


def _absent() -> dict[str, Any]:
    return {"extension": [{"url": DATA_ABSENT, "valueCode": "unknown"}]}


def _fill_must_haves(res: dict[str, Any], patient_url: str) -> None:
    """What the IPS profiles require and an imported record may lack, filled without
    inventing anything (FHIR R4 §2.26 data-absent-reason "unknown"): a Patient's
    ``birthDate``, the ``effective[x]`` of MedicationStatements and Observations; a
    clinical entry whose patient is not named, or not in the document, is about the summary's
    patient (every record of a profile is that person's: the importer checks it)."""
    rt = res.get("resourceType")
    if rt == "Patient" and "birthDate" not in res and "_birthDate" not in res:
        res["_birthDate"] = _absent()
    if rt in _DATED and not any(k in res for k in _EFFECTIVE):
        res["_effectiveDateTime"] = _absent()
    key = _SUBJECT_KEY.get(str(rt))
    if key is not None and not (isinstance(res.get(key), dict) and res[key].get("reference")):
        res[key] = {"reference": patient_url}


def build_ips(resources: Iterable[dict[str, Any]], *, now: datetime,
              patient_id: str | None = None) -> dict[str, Any]:
    """Build an IPS ``document`` Bundle (a JSON dict) from FHIR resources.

    ``resources``: the wallet's records (not modified). ``now``: an aware datetime for
    ``Bundle.timestamp`` and ``Composition.date``. ``patient_id`` picks the subject when the
    records hold several Patients (default: the one most records refer to).
    Raises :class:`~wallet.errors.InvalidRecord` when there is no Patient.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    pool = [copy.deepcopy(r) for r in resources if isinstance(r, dict)]
    patients = [r for r in pool if r.get("resourceType") == "Patient"]
    if patient_id is not None:
        patients = [p for p in patients if p.get("id") == patient_id]
    patient = _choose_patient(patients, pool)
    patient_url = _full_url(patient)
    grouped: dict[str, list[dict[str, Any]]] = {s.code: [] for s in SECTIONS}
    for res in pool:
        section = _section_of(res)
        if section is not None:
            grouped[section].append(res)
    for code in ("30954-2", "8716-3"):
        grouped[code] = _latest_per_code(grouped[code])
    for code in grouped:
        real = [r for r in grouped[code] if not _is_absent_unknown(r)]
        grouped[code] = real or grouped[code][:1]
    for code in _REQUIRED:
        if not grouped[code]:
            grouped[code] = [_absent_entry(code, patient_url)]
    included = [patient] + [r for s in SECTIONS for r in grouped[s.code]]
    included += _referenced_medications(grouped["10160-0"], pool)
    urls: dict[str, str] = {}
    for res in included:
        url = _full_url(res)
        urls[url] = url
        urls[f"{res.get('resourceType')}/{res.get('id')}"] = url
    for res in included:
        res.pop("text", None)
        _rewrite_references(res, urls)
        _fill_must_haves(res, patient_url)
    sections = []
    for spec in SECTIONS:
        entries = grouped[spec.code]
        if not entries:
            continue
        sections.append({
            "title": spec.title,
            "code": {"coding": [{"system": LOINC, "code": spec.code, "display": spec.title}]},
            "text": _div(_line(r) for r in entries),
            "entry": [{"reference": _full_url(r)} for r in entries],
        })
    who = summarize(patient).title
    stamp = now.isoformat(timespec="seconds")
    composition = {
        "resourceType": "Composition",
        "id": str(uuid.uuid4()),
        "text": _div([f"Patient summary of {who}, made {stamp[:10]} from the patient's own health wallet."]),
        "status": "final",
        "type": {"coding": [{"system": LOINC, "code": IPS_DOCUMENT, "display": "Patient summary Document"}]},
        "subject": {"reference": patient_url, "display": who},
        "date": stamp,
        "author": [{"reference": patient_url, "display": who}],
        "title": f"International Patient Summary: {who}",
        "section": sections,
    }
    entries = [{"fullUrl": f"urn:uuid:{composition['id']}", "resource": composition}]
    seen: set[str] = set()
    for res in included:
        url = _full_url(res)
        if url not in seen:
            seen.add(url)
            entries.append({"fullUrl": url, "resource": res})
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{uuid.uuid4()}"},
        "type": "document",
        "timestamp": stamp,
        "entry": entries,
    }


def check_ips(bundle: dict[str, Any]) -> list[str]:
    """Check the IPS must-haves; return the LOINC codes of the sections present.

    Checks (IPS IG Bundle/Composition profiles, FHIR R4 bdl-7/9/10): a ``document`` Bundle
    with identifier and timestamp; every entry has a unique ``fullUrl``; the first entry is a
    Composition of type LOINC 60591-5 whose subject and author resolve in the Bundle and whose
    subject is a Patient; the problems, allergies and medications sections are present, each
    with at least one entry (IPS: 1..*, an absent/unknown statement when empty); every
    section has a title, a LOINC code, an XHTML narrative and entries that resolve; every
    MedicationStatement and Observation has ``effective[x]`` and the Patient a ``birthDate``
    (or their data-absent-reason); every clinical entry names its patient; every reference in
    the document resolves to an entry (by ``fullUrl``, or ``Type/id`` of an entry).
    Raises :class:`~wallet.errors.InvalidRecord` naming the first rule broken.
    """
    def fail(rule: str) -> InvalidRecord:
        return InvalidRecord(f"Not a valid patient summary: {rule}.")

    if bundle.get("resourceType") != "Bundle" or bundle.get("type") != "document":
        raise fail("the Bundle must be of type document")
    if not bundle.get("identifier") or not bundle.get("timestamp"):
        raise fail("a document Bundle needs an identifier and a timestamp")
    entries = bundle.get("entry") or []
    urls = [e.get("fullUrl") for e in entries]
    if not all(isinstance(u, str) and u.startswith("urn:uuid:") for u in urls) or len(set(urls)) != len(urls):
        raise fail("every entry needs its own urn:uuid fullUrl")
    by_url = {e["fullUrl"]: e["resource"] for e in entries}
    # A relative reference resolves to the entry of that type and id (FHIR R4 Bundle
    # "Resolving references in Bundles"; the HL7 IPS examples use them).
    by_url.update({f"{r.get('resourceType')}/{r.get('id')}": r for r in list(by_url.values()) if r.get("id")})
    comp = entries[0]["resource"] if entries else {}
    if comp.get("resourceType") != "Composition" or f"{LOINC}|{IPS_DOCUMENT}" not in _codes(comp.get("type")):
        raise fail("the first entry must be a Composition of type LOINC 60591-5")
    subject = by_url.get((comp.get("subject") or {}).get("reference", ""))
    if subject is None or subject.get("resourceType") != "Patient":
        raise fail("the Composition's subject must be a Patient in the Bundle")
    if not comp.get("author"):
        raise fail("the Composition needs an author")
    present: list[str] = []
    for section in comp.get("section") or []:
        codes = [c.split("|", 1)[1] for c in _codes(section.get("code")) if c.startswith(LOINC + "|")]
        if not codes:
            raise fail("every section needs a LOINC code")
        div = (section.get("text") or {}).get("div", "")
        if not div.startswith(f'<div xmlns="{XHTML}">'):
            raise fail(f"section {codes[0]} needs an XHTML narrative")
        refs = [(e or {}).get("reference") for e in section.get("entry") or []]
        if any(r not in by_url for r in refs) or (not refs and codes[0] in _REQUIRED):
            raise fail(f"section {codes[0]} needs entries that are in the Bundle")
        present.append(codes[0])
    for res in (e["resource"] for e in entries):
        rt = res.get("resourceType")
        if rt in _DATED and not any(k in res for k in _EFFECTIVE):
            raise fail(f"a {rt} needs effective[x] or a data-absent-reason for it")
        key = _SUBJECT_KEY.get(str(rt))
        if key is not None and not (res.get(key) or {}).get("reference"):
            raise fail(f"a {rt} needs its {key}")
    if "birthDate" not in subject and "_birthDate" not in subject:
        raise fail("the Patient needs a birthDate or a data-absent-reason for it")
    if any(not section.get("title") for section in comp.get("section") or []) or not comp.get("title"):
        raise fail("the Composition and every section need a title")
    missing = [c for c in _REQUIRED if c not in present]
    if missing:
        raise fail(f"required section {missing[0]} is missing")
    dangling: list[str] = []
    stack: list[Any] = [e["resource"] for e in entries]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            ref = cur.get("reference")
            if isinstance(ref, str) and not ref.startswith("#") and ref not in by_url:
                dangling.append(ref)
            stack.extend(v for v in cur.values() if isinstance(v, (dict, list)))
        elif isinstance(cur, list):
            stack.extend(cur)
    if dangling:
        raise fail(f"reference {dangling[0]} does not resolve inside the document")
    return present
