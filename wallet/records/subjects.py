"""Whose records a file holds: each record is checked by the patient it belongs to.

A record belongs to the Patient its ``subject``, ``patient`` or ``beneficiary``
reference names (FHIR R4 compartment "Patient": the elements that link a resource to
its patient); a Patient resource belongs to itself. References resolve inside the file
by ``fullUrl`` (FHIR R4 Bundle, "Resolving references in Bundles") or by ``Patient/id``
(relative and absolute RESTful forms). Patients found in the file are grouped by
:func:`~wallet.records.identity.match_patients`, so two copies of one person (two health
cards, which carry no ids) are one person; a reference resolves in the Bundle its
record came from (``Located.scope``: a nested Bundle, one card of several); and a reference with no Patient resource
behind it (NDJSON exports) is a person of its own until a Patient says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import InvalidRecord
from .identity import PatientIdentity, PatientMatch, match_patients

if TYPE_CHECKING:  # the parser loads with an import, not with the store
    from .parse import ParsedFile

__all__ = ["PATIENT_LINKS", "FilePerson", "one_person", "patient_reference_key", "people_in_file"]

# Elements linking a resource to its patient (FHIR R4 CompartmentDefinition "patient").
PATIENT_LINKS = ("subject", "patient", "beneficiary")


@dataclass(frozen=True)
class FilePerson:
    """One person a file is about.

    ``identity``: from the file's Patient resource(s), ``None`` when records only refer
    to them; ``references``: the ``Patient/id`` keys naming them; ``positions``: where
    their records are (``entry[3]``, ``line 2``); ``matches``: how the file's copies of
    this person were found to be one (empty for a single Patient).
    """

    identity: PatientIdentity | None
    references: tuple[str, ...]
    positions: tuple[str, ...]
    patient: dict[str, Any] | None = None
    matches: tuple[PatientMatch, ...] = ()

    def describe(self) -> str:
        if self.identity is not None:
            return self.identity.display
        return f"the patient {self.references[0]} (the file has no Patient resource for them)"


def patient_reference_key(reference: str) -> str | None:
    """``Patient/123`` for "Patient/123", "https://x/fhir/Patient/123/_history/2"; else ``None``."""
    parts = [p for p in reference.split("?")[0].split("/") if p]
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    if len(parts) >= 2 and parts[-2] == "Patient":
        return f"Patient/{parts[-1]}"
    return None


def _links(resource: dict[str, Any]) -> list[str]:
    refs = []
    for key in PATIENT_LINKS:
        value = resource.get(key)
        for ref in value if isinstance(value, list) else [value]:
            if isinstance(ref, dict) and isinstance(ref.get("reference"), str):
                refs.append(ref["reference"])
    return refs


class _Groups:
    """Union-find over node keys."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        self.parent.setdefault(key, key)
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def join(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)


def people_in_file(parsed: ParsedFile) -> list[FilePerson]:
    """The distinct people whose records ``parsed`` holds, in file order.

    Records that belong to nobody in particular (a Practitioner, an Organization, a
    Medication) name no one and go with the rest of the file.
    """
    patients: dict[str, tuple[dict[str, Any], PatientIdentity]] = {}  # node -> Patient
    aliases: dict[tuple[str, str], str] = {}  # (scope, fullUrl or Patient/id) -> node
    for item in parsed.items:
        res = item.resource
        if res.get("resourceType") != "Patient":
            continue
        node = f"patient@{item.position}"
        patients[node] = (res, PatientIdentity.from_resource(res))
        if item.full_url:
            aliases.setdefault((item.scope, item.full_url), node)
            key = patient_reference_key(item.full_url)
            if key:
                aliases.setdefault((item.scope, key), node)
                aliases.setdefault(("", key), node)
        if res.get("id"):
            aliases.setdefault((item.scope, f"Patient/{res['id']}"), node)
            aliases.setdefault(("", f"Patient/{res['id']}"), node)

    def resolve(scope: str, ref: str) -> str | None:
        return aliases.get((scope, ref)) or aliases.get(("", ref))

    groups = _Groups()
    matches: dict[str, list[PatientMatch]] = {}
    nodes = list(patients)
    for i, a in enumerate(nodes):
        for b in nodes[:i]:
            if groups.find(a) == groups.find(b):
                continue
            found = match_patients(patients[a][1], patients[b][1])
            if found is not None:
                groups.join(a, b)
                matches.setdefault(a, []).append(found)

    positions: dict[str, list[str]] = {}
    references: dict[str, set[str]] = {}
    for item in parsed.items:
        res = item.resource
        if res.get("resourceType") == "Patient":
            owners = [f"patient@{item.position}"]
        else:
            owners = []
            for ref in _links(res):
                target = resolve(item.scope, ref)
                key = patient_reference_key(ref)
                if target is None and key is not None:
                    target = resolve(item.scope, key) or f"ref@{key}"
                if target is not None:
                    owners.append(target)
                    if key:
                        references.setdefault(groups.find(target), set()).add(key)
        for node in owners:
            positions.setdefault(groups.find(node), []).append(item.position)
    for node, (res, _ident) in patients.items():
        if res.get("id"):
            references.setdefault(groups.find(node), set()).add(f"Patient/{res['id']}")

    people = []
    for root, where in positions.items():
        members = [n for n in patients if groups.find(n) == root]
        first = patients[members[0]] if members else None
        joined = tuple(m for n in members for m in matches.get(n, []))
        refs = tuple(sorted(references.get(root, set())) or [root.removeprefix("ref@")])
        people.append(FilePerson(first[1] if first else None, refs, tuple(dict.fromkeys(where)),
                                 first[0] if first else None, joined))
    return people


def one_person(parsed: ParsedFile, *, name: str) -> list[FilePerson]:
    """:func:`people_in_file`, refusing a file of several people with
    :class:`InvalidRecord` naming (up to three of) them; ``name`` is the file's."""
    people = people_in_file(parsed)
    if len(people) > 1:
        shown = "; ".join(p.describe() for p in people[:3]) + ("; …" if len(people) > 3 else "")
        raise InvalidRecord(f"{name} holds records of {len(people)} different patients ({shown}); a wallet profile "
                            "keeps one person's records. Split the file and import each person's part into their "
                            "own profile (--profile NAME).")
    return people
