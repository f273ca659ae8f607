"""Plain names for coded things: concepts, code systems, people's names.

FHIR R4 §2.24 (Datatypes): a ``CodeableConcept`` carries ``text`` ("as entered or chosen
by the user") and ``coding``s, each a ``system`` and ``code`` with an optional
``display``. A record's title is, in order: the concept's ``text``; a coding's
``display``; the display another coding of the same code carries elsewhere in the record
(``displays``); a vaccine name from the CDC's CVX table (:mod:`.cvx`); else the code
with its system's plain name (``CVX 207``, ``LOINC 2345-7``), never a bare code. The
same code's display from another record in the wallet is put in at reading time
(:func:`code_key` and :func:`fallback_title` say which titles are only a code).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .cvx import CVX_SYSTEM, cvx_vaccine

__all__ = ["SYSTEM_NAMES", "code_key", "concept_title", "fallback_title", "human_name", "record_displays",
           "system_name", "type_words"]

# Code systems a patient's records use (FHIR R4 terminology, "External code systems").
SYSTEM_NAMES: dict[str, str] = {
    "http://loinc.org": "LOINC",
    "http://snomed.info/sct": "SNOMED CT",
    "http://www.nlm.nih.gov/research/umls/rxnorm": "RxNorm",
    CVX_SYSTEM: "CVX",
    "http://hl7.org/fhir/sid/icd-10-cm": "ICD-10-CM",
    "http://hl7.org/fhir/sid/icd-10": "ICD-10",
    "http://hl7.org/fhir/sid/icd-9-cm": "ICD-9-CM",
    "http://hl7.org/fhir/sid/ndc": "NDC",
    "http://www.whocc.no/atc": "ATC",
    "http://www.ama-assn.org/go/cpt": "CPT",
    "http://unitsofmeasure.org": "UCUM",
    "http://hl7.org/fhir/sid/mvx": "MVX",
    "urn:oid:2.16.840.1.113883.6.1": "LOINC",
    "urn:oid:2.16.840.1.113883.6.96": "SNOMED CT",
    "urn:oid:2.16.840.1.113883.6.88": "RxNorm",
    "urn:oid:2.16.840.1.113883.12.292": "CVX",
}

_CONTAINERS = (dict, list)
_MAX_WALK = 5000  # dicts visited when collecting a record's displays (records are depth-checked on import)


def system_name(system: str) -> str:
    """The plain name of a code system (``LOINC``); an HL7 terminology system by its last
    path part (``v3-ActCode``); else ``""``."""
    if system in SYSTEM_NAMES:
        return SYSTEM_NAMES[system]
    if system.startswith("http://terminology.hl7.org/CodeSystem/"):
        return system.rsplit("/", 1)[-1]
    return ""


def code_key(system: str, code: str) -> str:
    """``system|code``: how summaries and the wallet's display index name a code."""
    return f"{system}|{code}"


def fallback_title(key: str) -> str:
    """The title of a code nobody named: ``CVX 207`` for ``http://hl7.org/fhir/sid/cvx|207``;
    a code of an unknown system keeps the system's address (``http://example.org codeX``)."""
    system, _, code = key.partition("|")
    name = system_name(system) or system
    return f"{name} {code}".strip()


def _codings(concept: Any) -> Iterator[dict[str, Any]]:
    if isinstance(concept, dict):
        for coding in concept.get("coding") or []:
            if isinstance(coding, dict) and isinstance(coding.get("code"), str) and coding["code"]:
                yield coding


def record_displays(resource: Any) -> dict[str, str]:
    """Every ``system|code`` → ``display`` a record carries anywhere (codings in any element,
    contained resources included); the first display of a code wins."""
    out: dict[str, str] = {}
    stack = [resource]
    seen = 0
    while stack and seen < _MAX_WALK:
        node = stack.pop()
        seen += 1
        if isinstance(node, dict):
            if "display" in node:  # most objects have none: their code is not looked at
                code, display = node.get("code"), node["display"]
                if isinstance(code, str) and isinstance(display, str) and code and display.strip():
                    out.setdefault(code_key(str(node.get("system") or ""), code), display.strip())
            for value in node.values():  # a loop, not extend(generator): this runs for every record imported
                if isinstance(value, _CONTAINERS):
                    stack.append(value)
        elif isinstance(node, list):
            for value in node:
                if isinstance(value, _CONTAINERS):
                    stack.append(value)
    return out


def concept_title(concept: Any, displays: Mapping[str, str] | None = None) -> tuple[str, str]:
    """``(title, code)`` of a CodeableConcept: the title by the rules above (``""`` when the
    concept has neither text nor a code) and the ``system|code`` of its first coding."""
    if not isinstance(concept, dict):
        return "", ""
    codings = list(_codings(concept))
    key = code_key(str(codings[0].get("system") or ""), codings[0]["code"]) if codings else ""
    text = concept.get("text")
    if isinstance(text, str) and text.strip():
        return text.strip(), key
    for coding in codings:
        display = coding.get("display")
        if isinstance(display, str) and display.strip():
            return display.strip(), key
    for coding in codings:
        found = (displays or {}).get(code_key(str(coding.get("system") or ""), coding["code"]))
        if found:
            return found, key
    for coding in codings:
        if coding.get("system") == CVX_SYSTEM:
            vaccine = cvx_vaccine(coding["code"])
            if vaccine is not None:
                return vaccine.name, key
    return (fallback_title(key), key) if key else ("", "")


def human_name(names: Any, *, titles: bool = True) -> str:
    """A person's name as written: the ``official`` (else ``usual``, else first) HumanName's
    ``text``, else prefix, given names, family and suffix joined (FHIR R4 HumanName);
    ``titles=False`` leaves prefix and suffix out (a patient's own name: "Jane Doe")."""
    if not isinstance(names, list):
        return ""
    candidates = [n for n in names if isinstance(n, dict)]
    for use in ("official", "usual"):
        chosen = [n for n in candidates if n.get("use") == use]
        if chosen:
            candidates = chosen
            break
    if not candidates:
        return ""
    n = candidates[0]
    if isinstance(n.get("text"), str) and n["text"].strip():
        return str(n["text"]).strip()

    def words(key: str) -> list[str]:
        value = n.get(key)
        items = value if isinstance(value, list) else [value]
        return [str(x).strip() for x in items if isinstance(x, str) and x.strip()]

    if not titles:
        return " ".join([*words("given"), *words("family")])
    return " ".join([*words("prefix"), *words("given"), *words("family"), *words("suffix")])


def type_words(resource_type: str) -> str:
    """A FHIR type name in words: ``ImagingStudy`` → ``Imaging study``."""
    out: list[str] = []
    for ch in resource_type:
        if ch.isupper() and out:
            out.append(" ")
            out.append(ch.lower())
        else:
            out.append(ch)
    return "".join(out)
