"""Profiles: one person each. The owner is the first person imported; other people (a
child whose records a parent keeps) live in named profiles of their own.

:func:`place_file` decides where a file's records go, by the patient each record
belongs to (:mod:`wallet.records.subjects`) and FHIR identity matching
(:mod:`wallet.records.identity`): into the chosen profile when the file is that
person's, into a new profile when the name is new, and otherwise nowhere: a
:class:`~wallet.errors.PatientMismatch` naming both people.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..errors import PatientMismatch, RecordError
from .identity import BY_REFERENCE, BY_USER, PatientIdentity, PatientMatch, match_patients
from .subjects import FilePerson, one_person

if TYPE_CHECKING:  # the parser loads with an import, not with the store
    from .parse import ParsedFile

__all__ = ["OWNER", "Placement", "Profile", "check_profile_name", "place_file"]

OWNER = "owner"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,39}$")


def check_profile_name(name: str) -> str:
    """A profile name: 1-40 letters, digits, spaces, ``.``, ``_`` or ``-``, starting with a
    letter or digit. Raises :class:`RecordError` otherwise."""
    name = name.strip()
    if not _NAME.match(name):
        raise RecordError(f"{name!r} is not a profile name: use 1-40 letters, digits, spaces, '.', '_' or '-'.")
    return name


@dataclass(frozen=True)
class Profile:
    """One person in the wallet.

    ``patient``: their FHIR Patient resource (``None`` while their records only refer to
    them); ``references``: the ``Patient/id`` keys their records use.
    """

    name: str
    is_owner: bool = False
    patient: dict[str, Any] | None = field(default=None, repr=False)
    references: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_profile_name(self.name)
        if self.patient is not None and self.patient.get("resourceType") != "Patient":
            raise ValueError("a profile's patient must be a Patient resource")

    @property
    def identity(self) -> PatientIdentity | None:
        return PatientIdentity.from_resource(self.patient) if self.patient is not None else None

    @property
    def names_someone(self) -> bool:
        """Whether the profile knows its person: by a Patient resource, or by a reference to one."""
        return self.patient is not None or bool(self.references)

    def describe(self) -> str:
        ident = self.identity
        if ident is not None:
            return ident.display
        if self.references:
            return f"the patient {self.references[0]}"
        return "nobody yet"

    def person_words(self) -> str:
        """Who the profile is, for a list of people: the patient's name and birth date, else
        ``an unnamed patient, id p1`` (never a bare ``Patient/p1``), else ``nobody yet``."""
        if self.identity is None and self.references:
            return f"an unnamed patient, id {self.references[0].removeprefix('Patient/')}"
        return self.describe()

    def to_json(self) -> dict[str, Any]:
        """What is sealed in the store's ``profiles.patient``."""
        return {"patient": self.patient, "references": list(self.references)}

    @classmethod
    def from_json(cls, name: str, is_owner: bool, doc: dict[str, Any]) -> Profile:
        return cls(name, is_owner, doc.get("patient"), tuple(doc.get("references") or ()))

    def with_person(self, person: FilePerson) -> Profile:
        refs = tuple(sorted({*self.references, *person.references}))
        return replace(self, patient=self.patient or person.patient, references=refs)


@dataclass(frozen=True)
class Placement:
    """Where a file goes: ``profile`` as it will be saved (new or updated), whether it is
    ``created`` by this import, and ``matched_by`` (how the file's person was found to be
    the profile's, ``None`` for a new profile or a file that names nobody)."""

    profile: Profile
    created: bool = False
    matched_by: PatientMatch | None = None
    person: str | None = None  # the file's person as shown
    joined: tuple[PatientMatch, ...] = ()  # how the file's copies of the person were found to be one


def _match(profile: Profile, person: FilePerson) -> PatientMatch | None:
    mine, theirs = profile.identity, person.identity
    if mine is not None and theirs is not None:
        return match_patients(mine, theirs)
    shared = sorted(set(profile.references) & set(person.references))
    if shared:
        return PatientMatch(BY_REFERENCE, shared[0])
    return None


def _refuse_a_second_profile(person: FilePerson, *, name: str, profile: str, profiles: list[Profile]) -> None:
    """Raise :class:`RecordError` when the new profile ``profile`` would be a second profile
    of a person one already holds (matched by identifier or by name and birth date, not by a
    shared reference alone, which example files reuse across people): one profile per person."""
    for other in profiles:
        found = _match(other, person)
        if found is not None and found.rule != BY_REFERENCE:
            raise RecordError(
                f"{name} is for {person.describe()}, who already has the profile '{other.name}' "
                f"({found.describe()}); import it with --profile '{other.name}'"
                f"{' (or without --profile)' if other.is_owner else ''}. A profile is one person.")


def place_file(parsed: ParsedFile, *, name: str, profile: str, profiles: list[Profile],
               same_person: bool = False) -> Placement:
    """Decide where ``parsed`` goes; raise rather than mix two people.

    ``profile``: the chosen profile's name (the owner's unless the user chose one);
    ``profiles``: the wallet's profiles; ``same_person``: the user confirmed that the
    file's person is the profile's (rule ``BY_USER``).
    Raises :class:`InvalidRecord` for a file of several people and
    :class:`PatientMismatch` for a file of someone else.
    """
    people = one_person(parsed, name=name)
    by_name = {p.name: p for p in profiles}
    target = by_name.get(profile)
    if not people:
        return Placement(target or Profile(profile, is_owner=profile == OWNER), created=target is None)
    (person,) = people
    if target is None:
        _refuse_a_second_profile(person, name=name, profile=profile, profiles=profiles)
        return Placement(Profile(profile, is_owner=profile == OWNER).with_person(person), created=True,
                         person=person.describe(), joined=person.matches)
    if not target.names_someone:  # the profile's first person
        return Placement(target.with_person(person), created=True, person=person.describe(), joined=person.matches)
    found = _match(target, person)
    if found is None and same_person:
        found = PatientMatch(BY_USER)
    if found is None:
        other = next((p.name for p in profiles if p.name != profile and _match(p, person) is not None), None)
        where = (f"It belongs in the profile '{other}': import it with --profile '{other}'" if other
                 else "Import it into another profile with --profile NAME")
        raise PatientMismatch(
            f"{name} is for {person.describe()}; this wallet's profile '{profile}' is {target.describe()}. "
            f"{where}, or add --same-person if both are one person.",
            file_person=person.describe(), profile=profile, profile_person=target.describe(), suggested=other)
    return Placement(target.with_person(person), matched_by=found, person=person.describe(), joined=person.matches)
