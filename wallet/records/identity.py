"""Who a Patient resource is, and whether two of them are the same person.

Matching follows FHIR identity (R4 Patient, "Patient matching" notes in the Patient
resource page and ``$match``): identifiers are the strongest evidence, so when both
sides carry an identifier of the same ``system`` the values decide; otherwise the
person's name (family and first given name) and ``birthDate`` must both agree. A
shared identifier whose holders have different birth dates or no name in common is a
conflict (a recycled or mistyped number), never a match: nobody is merged by accident.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

__all__ = ["BY_IDENTIFIER", "BY_NAME_BIRTHDATE", "BY_REFERENCE", "BY_USER", "PatientIdentity", "PatientMatch",
           "match_patients"]

BY_IDENTIFIER = "identifier"
BY_NAME_BIRTHDATE = "name+birthDate"
BY_REFERENCE = "reference"
BY_USER = "confirmed by the user"


def _norm(text: Any) -> str:
    """Case, accents and spacing do not tell people apart ("Mejía" = "mejia")."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


@dataclass(frozen=True)
class PatientIdentity:
    """The identifying parts of a FHIR Patient.

    ``names``: (family, first given) pairs, normalised, one per ``Patient.name``;
    ``identifiers``: (system, value) pairs of ``Patient.identifier`` with both parts;
    ``display``: the person as a sentence shows them, "Jane Doe (born 1990-01-02)".
    """

    display: str
    names: frozenset[tuple[str, str]] = frozenset()
    birth_date: str | None = None
    identifiers: frozenset[tuple[str, str]] = frozenset()
    resource_id: str | None = None

    def __post_init__(self) -> None:
        if not self.display:
            raise ValueError("a patient identity needs a display text")

    @classmethod
    def from_resource(cls, resource: dict[str, Any]) -> PatientIdentity:
        """Read a Patient resource (already validated as FHIR R4)."""
        names: set[tuple[str, str]] = set()
        shown = ""
        for name in resource.get("name") or []:
            if not isinstance(name, dict):
                continue
            given = [str(g) for g in name.get("given") or [] if g]
            family = str(name.get("family") or "")
            if not shown:
                shown = str(name.get("text") or " ".join([*given, family]).strip())
            if family or given:
                names.add((_norm(family), _norm(given[0]) if given else ""))
            elif name.get("text"):
                words = _norm(name["text"]).split()
                names.add((words[-1], words[0]) if len(words) > 1 else (words[0], ""))
        idents = frozenset(
            (str(i["system"]), str(i["value"])) for i in resource.get("identifier") or []
            if isinstance(i, dict) and i.get("system") and i.get("value"))
        birth = resource.get("birthDate")
        birth = str(birth) if birth else None
        rid = resource.get("id")
        label = shown or (f"a patient with id {rid}" if rid else "an unnamed patient")
        display = f"{label} (born {birth})" if birth else f"{label} (birth date not given)"
        return cls(display, frozenset(names), birth, idents, str(rid) if rid else None)

    def to_json(self) -> dict[str, Any]:
        return {"display": self.display, "names": sorted(map(list, self.names)), "birth_date": self.birth_date,
                "identifiers": sorted(map(list, self.identifiers)), "id": self.resource_id}


@dataclass(frozen=True)
class PatientMatch:
    """Two Patients are one person; ``rule`` says why (``BY_IDENTIFIER``, ``BY_NAME_BIRTHDATE``,
    ``BY_REFERENCE`` or ``BY_USER``) and ``detail`` what matched, e.g. ``"urn:oid:1.2|12345"``."""

    rule: str
    detail: str = ""

    def __post_init__(self) -> None:
        if self.rule not in (BY_IDENTIFIER, BY_NAME_BIRTHDATE, BY_REFERENCE, BY_USER):
            raise ValueError(f"unknown matching rule {self.rule!r}")

    def describe(self) -> str:
        return f"{self.rule} {self.detail}".strip()


def _demographics_agree(a: PatientIdentity, b: PatientIdentity) -> bool:
    """Nothing contradicts: same birth date where both have one, a family name in common
    where both have names."""
    if a.birth_date and b.birth_date and a.birth_date != b.birth_date:
        return False
    if a.names and b.names:
        return bool({f for f, _ in a.names if f} & {f for f, _ in b.names if f})
    return True


def match_patients(a: PatientIdentity, b: PatientIdentity) -> PatientMatch | None:
    """The rule under which ``a`` and ``b`` are one person, or ``None`` (different people).

    1. Both carry identifiers of a common ``system``: a shared (system, value) matches,
       unless birth date or family name contradict it; different values are different people.
    2. Otherwise: an equal (family, first given) name and an equal ``birthDate``, both present.
    """
    common_systems = {s for s, _ in a.identifiers} & {s for s, _ in b.identifiers}
    if common_systems:
        shared = sorted(a.identifiers & b.identifiers)
        if shared and _demographics_agree(a, b):
            system, value = shared[0]
            return PatientMatch(BY_IDENTIFIER, f"{system}|{value}")
        return None
    if not (a.birth_date and b.birth_date and a.birth_date == b.birth_date):
        return None
    common = sorted(n for n in a.names & b.names if n[0] and n[1])
    if common:
        return PatientMatch(BY_NAME_BIRTHDATE, f"{common[0][1]} {common[0][0]}, {a.birth_date}")
    return None
