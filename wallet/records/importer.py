"""Import FHIR files into the store: parse, validate everything, then write in one
transaction. One bad resource rejects the whole file and leaves the store unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import InvalidRecord
from ..events import CancelToken, ProgressSink, report
from .identity import PatientMatch
from .import_plan import plan_import
from .narrative import remove_unsafe_narratives
from .parse import ParsedFile, read_file
from .profiles import OWNER, Placement, Profile, place_file
from .store import RecordStore
from .validate import validate_file

__all__ = ["ImportResult", "document_entries", "import_file", "import_parsed"]


@dataclass(frozen=True)
class ImportResult:
    name: str
    imported: dict[str, int] = field(default_factory=dict)
    skipped_duplicates: int = 0
    warnings: tuple[str, ...] = ()
    cards: tuple[tuple[str, str], ...] = ()  # (issuer, "valid" | "expired" | "unverified") per card
    profile: str = OWNER
    person: str | None = None  # whose records these are, as shown ("Jane Doe (born 1990-01-02)")
    matched_by: PatientMatch | None = None  # how the person was found to be the profile's
    new_profile: bool = False  # this import created the profile (the owner, on a first import)
    updated: int = 0  # records whose newer version became current (counted in ``imported`` too)
    history_kept: int = 0  # earlier versions kept as history
    deleted: int = 0  # records marked deleted by a history Bundle's DELETE entries

    @property
    def total(self) -> int:
        return sum(self.imported.values())


def import_parsed(store: RecordStore, parsed: ParsedFile, *, name: str, cards: tuple[bytes, ...] = (),
                  card_statuses: tuple[tuple[str, str], ...] = (), single_patient: bool = True,
                  profile: str = OWNER, check_person: bool = False, same_person: bool = False,
                  restored_profiles: tuple[Profile, ...] = (), item_profiles: tuple[str, ...] | None = None,
                  progress: ProgressSink | None = None, cancel: CancelToken | None = None) -> ImportResult:
    """Validate and store ``parsed`` in ``profile``, all or nothing.

    ``check_person``: the file must be the profile's person (or create the profile);
    see :func:`~wallet.records.profiles.place_file` for the rules and errors.
    A wallet's own backup instead names each item's profile (``item_profiles``, one per
    item) and brings its profiles along (``restored_profiles``), saved in the same transaction.
    """
    if item_profiles is not None and len(item_profiles) != len(parsed.items):
        raise InvalidRecord(f"{name}: its list of profiles does not match its records.")
    total = len(parsed.items)
    report(progress, 0, total, f"Checking {name}")
    # An unsafe narrative is removed with a warning, the record kept (records/narrative.py).
    warnings = [w for item in parsed.items
                for w in remove_unsafe_narratives(item.resource, where="" if item.position == name else item.position)]
    warnings += [*parsed.warnings, *validate_file(parsed, name=name, single_patient=single_patient)]
    parsed = document_entries(parsed)
    placement: Placement | None = None
    if check_person:
        placement = place_file(parsed, name=name, profile=profile, profiles=store.profiles(),
                               same_person=same_person)
        warnings[:0] = [f"{placement.person}: the file's Patient resources are one person by {m.describe()}"
                        for m in placement.joined]
    if cancel is not None:
        cancel.check()
    plan = plan_import(store, parsed, profile=profile, item_profiles=item_profiles, progress=progress,
                       cancel=cancel, name=name)
    warnings.extend(plan.warnings)
    _added, dupes = store.add_many(plan.fresh, cards=cards, progress=progress, total=total, cancel=cancel,
                                  profile=placement.profile if placement is not None else None,
                                  more_profiles=restored_profiles,
                                  newer=plan.newer, history=plan.history, deleted=plan.deleted)
    report(progress, total, total, f"Imported {name}")
    return ImportResult(name, plan.imported, plan.duplicates + dupes,
                        tuple(warnings), card_statuses, profile,
                        placement.person if placement is not None else None,
                        placement.matched_by if placement is not None else None,
                        placement.created if placement is not None else False,
                        updated=len(plan.newer), history_kept=len(plan.history), deleted=len(plan.deleted))


def document_entries(parsed: ParsedFile) -> ParsedFile:
    """A ``document`` Bundle (an IPS, a discharge summary) imports as its entries: the
    Composition (FHIR R4 Bundle.type "document": its first entry) is the document's table of
    contents, with narrative made for that document, not a record of its own."""
    if parsed.kind != "bundle" or parsed.bundle_type != "document" or not parsed.items:
        return parsed
    first = parsed.items[0]
    if first.resource.get("resourceType") != "Composition":
        return parsed
    return replace(parsed, items=parsed.items[1:])


def import_file(store: RecordStore, path: Path, *, progress: ProgressSink | None = None,
                cancel: CancelToken | None = None) -> ImportResult:
    path = Path(path)
    return import_parsed(store, read_file(path), name=path.name, progress=progress, cancel=cancel)
