"""Import FHIR files into the store: parse, validate everything, then write in one
transaction. One bad resource rejects the whole file and leaves the store unchanged.

Whose file it is is decided as soon as the data allows: a file read whole has its
resources up to its last Patient validated first, then its person is checked against the
profile's (another person's file is refused without validating the rest), then the rest
is validated.

NDJSON files (FHIR Bulk Data exports, a watch's years of readings) stream
(:func:`import_ndjson`): each line is parsed, checked and validated as it is read, and
every :data:`BATCH` resources are planned and written inside the one transaction the
whole file is imported in; the file-level checks (one person, the profile's person) run
after the last line, before the commit. When the profile's person is known, another
person's file stops earlier: at its first Patient (once valid), or, in a file that holds
no Patient, at its first record naming a ``Patient/id``. Memory holds one batch, whatever the file's size,
and a bad line anywhere still leaves the store unchanged.

A large NDJSON file (:data:`PARALLEL_BYTES` or more) on a machine with two CPUs is
validated in a second process while this one reads, summarises and writes it, and
validates chunks itself when that process is behind (:mod:`wallet.records.line_validator`):
the same checks on every line, the commit only after every line passed them, the same
message naming the first bad line.
"""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .. import untrusted
from ..errors import InputRefused, InvalidRecord, PatientMismatch
from ..events import CancelToken, ProgressSink, report
from . import cyclic_gc
from .content_identity import drop_meta_repeats
from .identity import PatientMatch
from .import_plan import ImportPlan, plan_import
from .line_validator import LineValidator, acquire, checked
from .narrative import remove_unsafe_narratives
from .parse import MAX_FILE_BYTES, Located, ParsedFile, is_ndjson, read_file, stream_ndjson
from .profiles import OWNER, Placement, Profile, place_file
from .store import RecordStore, StreamBatch
from .subjects import PATIENT_LINKS, one_person, patient_reference_key
from .validate import in_file, validate_file, validate_resource

__all__ = ["BATCH", "NOBODYS_RECORDS", "ImportResult", "document_entries", "import_file", "import_ndjson",
           "import_ndjson_lines", "import_parsed", "import_path", "names_nobody"]

BATCH = 2000
"""Resources planned and written together by :func:`import_ndjson` (the most it holds)."""

PARALLEL_BYTES = 4 * 1024 * 1024
"""NDJSON files this large or larger are validated in a second process (when there are two
CPUs); below it, starting that process would cost more than it saves."""


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
    repeated_in_file: int = 0  # of ``skipped_duplicates``, those the file itself repeats (two cards of one person)
    notes: tuple[str, ...] = ()  # what the import found that is no fault ("… are one person by name+birthDate")

    @property
    def already_held(self) -> int:
        """Skipped records the wallet already held (``skipped_duplicates`` less the file's repeats)."""
        return self.skipped_duplicates - self.repeated_in_file

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
    ``cards``: the SMART Health Card files ``parsed`` was read from, kept; their records
    without ids that repeat a held one but for ``meta`` are skipped
    (:mod:`~wallet.records.content_identity`) when the cards are a person's import
    (``check_person``); a wallet's backup restores every record it holds.
    """
    if item_profiles is not None and len(item_profiles) != len(parsed.items):
        raise InvalidRecord(f"{name}: its list of profiles does not match its records.")
    total = len(parsed.items)
    report(progress, 0, total, f"Checking {name}")
    # An unsafe narrative is removed with a warning, the record kept (records/narrative.py);
    # whose file it is is decided after the entries up to the last Patient are checked, so
    # another person's file is refused before the bulk of it is (see _placed_first)
    first = _last_patient(parsed) + 1 if check_person else len(parsed.items)
    warnings = _narratives_removed(parsed.items[:first], name)
    placement: Placement | None = None
    notes: list[str] = []
    if check_person:
        placement = _placed_first(store, parsed, name=name, profile=profile, same_person=same_person)
        notes = [f"{placement.person}: the file's Patient resources are one person by {m.describe()}"
                 for m in placement.joined]
    warnings += _narratives_removed(parsed.items[first:], name)
    warnings += [*parsed.warnings, *validate_file(parsed, name=name, single_patient=single_patient)]
    parsed = document_entries(parsed)
    if cancel is not None:
        cancel.check()
    plan = plan_import(store, parsed, profile=profile, item_profiles=item_profiles, progress=progress,
                       cancel=cancel, name=name)
    if cards and check_person:  # a person's cards carry no resource ids: a dose two cards repeat
        drop_meta_repeats(store, plan)  # (meta aside) is one record; a backup restores as it was
    warnings.extend(plan.warnings)
    if placement is not None:
        warnings += names_nobody(placement, plan.imported)
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
                        updated=len(plan.newer), history_kept=len(plan.history), deleted=len(plan.deleted),
                        repeated_in_file=plan.repeated, notes=tuple(notes))


NOBODYS_RECORDS = frozenset({"Practitioner", "PractitionerRole", "Organization", "Location", "Medication",
                             "Substance", "HealthcareService", "Endpoint"})
"""Resource types that belong to nobody in particular: a file of only these names no person."""


def names_nobody(placement: Placement, types: Iterable[str | None]) -> list[str]:
    """The warning for a file that does not say whose records it holds (no Patient resource,
    and no record refers to one: a person's import then adds them to the chosen profile),
    when it holds records that are a person's and the profile is someone's; else none.
    Shown after the file's name."""
    if placement.person is not None or not placement.profile.names_someone or all(t in NOBODYS_RECORDS for t in types):
        return []  # the file names its person, or the profile nobody yet, or the records are nobody's
    return ["The file does not say whose records these are: it holds no Patient and none of its records refers to "
            f"one. They were added to the profile '{placement.profile.name}' ({placement.profile.describe()}); "
            "if they are someone else's, delete them."]


def _last_patient(parsed: ParsedFile) -> int:
    """The position of the file's last Patient resource among its items; -1 when it has none."""
    return max((n for n, item in enumerate(parsed.items) if item.resource.get("resourceType") == "Patient"),
               default=-1)


def _narratives_removed(items: Iterable[Located], name: str) -> list[str]:
    """Remove the unsafe narratives of ``items`` (in place); the warnings saying so."""
    return [w for item in items
            for w in remove_unsafe_narratives(item.resource, where="" if item.position == name else item.position)]


def _placed_first(store: RecordStore, parsed: ParsedFile, *, name: str, profile: str,
                  same_person: bool) -> Placement:
    """Where ``parsed`` goes (:func:`~wallet.records.profiles.place_file`), decided before
    most of it is checked: its resources up to its last Patient (their unsafe narratives
    already removed) are validated first, in file order (a Patient is read as a person
    only once it is valid FHIR, and the first fault before it is the one named, as when
    everything is validated first). The file's
    person is then known (every reference is in the parsed file), so another person's file
    is refused with :class:`~wallet.errors.PatientMismatch`, and a file of several people
    with :class:`InvalidRecord`, without validating the rest."""
    for item in parsed.items[:_last_patient(parsed) + 1]:
        try:
            validate_resource(item)
        except InvalidRecord as exc:
            raise in_file(name, exc) from exc
    return place_file(document_entries(parsed), name=name, profile=profile, profiles=store.profiles(),
                      same_person=same_person)


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
    """Import the file at ``path`` into the owner's profile (:func:`import_path`)."""
    return import_path(store, path, progress=progress, cancel=cancel)


def import_path(store: RecordStore, path: Path, *, profile: str = OWNER, check_person: bool = False,
                same_person: bool = False, progress: ProgressSink | None = None,
                cancel: CancelToken | None = None) -> ImportResult:
    """Import the FHIR file at ``path``, all or nothing: NDJSON streams (:func:`import_ndjson`),
    any other file is read whole (:func:`import_parsed`). Raises :class:`InvalidRecord`."""
    path = Path(path)
    if is_ndjson(path):
        return import_ndjson(store, path, profile=profile, check_person=check_person, same_person=same_person,
                             progress=progress, cancel=cancel)
    return import_parsed(store, read_file(path), name=path.name, profile=profile, check_person=check_person,
                         same_person=same_person, progress=progress, cancel=cancel)


def import_ndjson(store: RecordStore, path: Path, *, profile: str = OWNER, check_person: bool = False,
                  same_person: bool = False, progress: ProgressSink | None = None,
                  cancel: CancelToken | None = None, batch: int = BATCH, parallel: bool | None = None) -> ImportResult:
    """Stream the NDJSON file at ``path`` into ``profile`` in one transaction (see the module
    docs); the checks and results of :func:`import_parsed`. The file is read through
    :func:`wallet.untrusted.read_lines` (at most :data:`MAX_FILE_BYTES`). ``parallel``:
    validate in a second process (``None``: when the file is :data:`PARALLEL_BYTES` or
    larger); either way, where a second process cannot run, in this one."""
    path = Path(path)
    if parallel is None:
        try:
            parallel = path.stat().st_size >= PARALLEL_BYTES
        except OSError:
            parallel = False  # read_lines says why
    try:
        lines = untrusted.read_lines(path, max_bytes=MAX_FILE_BYTES)
        return import_ndjson_lines(store, lines, name=path.name, profile=profile, check_person=check_person,
                                   same_person=same_person, progress=progress, cancel=cancel, batch=batch,
                                   expected=_line_count(path) if progress is not None else 0, parallel=parallel,
                                   holds_no_patient=lambda: _holds_no_patient(path))
    except InputRefused as exc:
        raise InvalidRecord(exc.user_message) from exc


_LETTER_ESCAPE = re.compile(rb"\\u00[4-7][0-9A-Fa-f]")  # an ASCII letter written as \u00XX


def _holds_no_patient(path: Path) -> bool:
    """Whether the NDJSON file at ``path`` surely holds no Patient resource: no line spells
    ``"Patient"`` or writes a letter as an escape (``\\u0050``), as the ``resourceType``
    of a Patient (on its own line or in a Bundle's entry) must. ``False`` when in doubt or
    unreadable (the import then says why)."""
    try:
        return not any(b'"Patient"' in line or (b"\\u00" in line and _LETTER_ESCAPE.search(line))
                       for line in untrusted.read_lines(path, max_bytes=MAX_FILE_BYTES))
    except InputRefused:
        return False


def _line_count(path: Path) -> int:
    """About how many resources the file holds (its lines), for progress only."""
    count = 0
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                count += chunk.count(b"\n")
    except OSError:
        return 0
    return count


class _People:
    """What the file-level person checks need, in bounded memory: every Patient, and one
    stand-in record for each distinct set of patient links (``subject``, ``patient``,
    ``beneficiary``) the other records make."""

    def __init__(self) -> None:
        self.items: list[Located] = []
        self.seen: set[tuple[tuple[str, str], ...]] = set()

    def add(self, item: Located) -> None:
        res = item.resource
        if res.get("resourceType") == "Patient":
            self.items.append(item)
            return
        found: list[tuple[str, str]] = []  # a loop, not a generator: this runs for every line of a file
        for link in PATIENT_LINKS:
            value = res.get(link)
            for ref in value if isinstance(value, list) else (value,):
                if isinstance(ref, dict) and isinstance(ref.get("reference"), str):
                    found.append((link, ref["reference"]))
        refs = tuple(found)
        if refs not in self.seen:
            self.seen.add(refs)
            stand_in: dict[str, Any] = {"resourceType": res.get("resourceType")}
            for link, ref in refs:
                stand_in.setdefault(link, []).append({"reference": ref})
            self.items.append(replace(item, resource=stand_in, source=None))

    def parsed(self) -> ParsedFile:
        return ParsedFile("ndjson", tuple(self.items))


def _refuse_another_person(store: RecordStore, first: Located, *, name: str, profile: str) -> None:
    """Raise :class:`~wallet.errors.PatientMismatch` when ``first`` (valid) is not of the
    person of ``profile``: the first Patient of an NDJSON file when the profile has a
    Patient resource, or the first record naming a ``Patient/id`` of a file holding no
    Patient. The check made after the last line judges a file's person by its first Patient
    too, or, with none, by the ``Patient/id`` its records name
    (:func:`~wallet.records.subjects.people_in_file`), so a file of one person gets the same
    answer here, before the rest of the file is read."""
    place_file(ParsedFile("ndjson", (first,)), name=name, profile=profile, profiles=store.profiles())


def _names_a_patient(resource: dict[str, Any]) -> bool:
    """Whether ``resource`` links to a patient by ``Patient/id`` (``subject``, ``patient``, ``beneficiary``)."""
    for link in PATIENT_LINKS:
        value = resource.get(link)
        for ref in value if isinstance(value, list) else (value,):
            if isinstance(ref, dict) and isinstance(ref.get("reference"), str) \
                    and patient_reference_key(ref["reference"]) is not None:
                return True
    return False


def import_ndjson_lines(store: RecordStore, lines: Iterable[bytes], *, name: str, profile: str = OWNER,
                        check_person: bool = False, same_person: bool = False,
                        progress: ProgressSink | None = None, cancel: CancelToken | None = None,
                        batch: int = BATCH, expected: int = 0, parallel: bool = False,
                        holds_no_patient: Callable[[], bool] | None = None) -> ImportResult:
    """:func:`import_ndjson` over ``lines`` (the file's lines as bytes, read lazily);
    ``expected``: about how many resources, for progress (0: unknown); ``parallel``:
    validate in a second process when one can run (:mod:`wallet.records.line_validator`);
    ``holds_no_patient``: whether the lines surely hold no Patient resource, asked when the
    file's first record naming a ``Patient/id`` is not the profile's person's (``True``:
    the file is refused there, as it would be after its last line). Python's cyclic collector
    is paused meanwhile (:mod:`wallet.records.cyclic_gc`)."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    with cyclic_gc.paused(), acquire() if parallel else contextlib.nullcontext() as validator:
        return _import_lines(store, lines, name=name, profile=profile, check_person=check_person,
                             same_person=same_person, progress=progress, cancel=cancel, batch=batch,
                             expected=expected, validator=validator, holds_no_patient=holds_no_patient)


def _import_lines(store: RecordStore, lines: Iterable[bytes], *, name: str, profile: str, check_person: bool,
                  same_person: bool, progress: ProgressSink | None, cancel: CancelToken | None, batch: int,
                  expected: int, validator: LineValidator | None,
                  holds_no_patient: Callable[[], bool] | None) -> ImportResult:
    people = _People()
    warnings: list[str] = []
    notes: list[str] = []
    imported: Counter[str] = Counter()
    counts = Counter[str]()
    placement: list[Placement] = []

    def planned(items: list[Located]) -> StreamBatch:
        plan: ImportPlan = plan_import(store, ParsedFile("ndjson", tuple(items)), profile=profile, name=name)
        warnings.extend(plan.warnings)
        imported.update(plan.imported)
        counts.update(duplicates=plan.duplicates, newer=len(plan.newer), history=len(plan.history),
                      deleted=len(plan.deleted))
        return StreamBatch(tuple(plan.fresh), tuple(plan.newer), tuple(plan.history), tuple(plan.deleted))

    def checked_items() -> Iterator[Located]:
        """Each resource through the input gate, narratives checked, validated here or by ``validator``
        (then the lines come once they passed the gate and validation there)."""
        if validator is not None:
            for item, removed in validator.checked_items(lines, name=name):
                warnings.extend(removed)
                yield item
            return
        for item in stream_ndjson(lines, name=name):
            item, removed = checked(item)
            warnings.extend(removed)
            try:
                validate_resource(item)
            except InvalidRecord as exc:
                raise in_file(name, exc) from exc
            yield item

    # the profile's person, when known by a Patient resource: the file's first Patient (once
    # valid) decides whether the file is theirs, so another person's file stops there; in a
    # file holding no Patient, the first record naming a Patient/id decides
    target = next((p for p in store.profiles() if p.name == profile), None) \
        if check_person and not same_person else None
    first_patient = target is not None and target.patient is not None
    first_reference = target is not None and target.names_someone \
        and holds_no_patient is not None

    def batches() -> Iterator[StreamBatch]:
        nonlocal first_patient, first_reference
        pending: list[Located] = []
        for read, item in enumerate(checked_items(), start=1):
            people.add(item)
            if first_patient and item.resource.get("resourceType") == "Patient":
                first_patient = first_reference = False
                _refuse_another_person(store, item, name=name, profile=profile)
            elif first_reference and _names_a_patient(item.resource):
                first_reference = False
                try:
                    _refuse_another_person(store, item, name=name, profile=profile)
                except PatientMismatch:
                    if holds_no_patient is not None and holds_no_patient():
                        raise  # else a Patient further on may make the file the profile's person's
            pending.append(item)
            if len(pending) >= batch:
                if cancel is not None:
                    cancel.check()
                yield planned(pending)
                pending = []
                report(progress, min(read, expected) if expected else read, expected or read,
                       f"Checked and saved {read:,} records of {name}")
        if pending:
            yield planned(pending)

    def finish() -> list[Profile]:
        file = people.parsed()
        one_person(file, name=name)
        if not check_person:
            return []
        found = place_file(file, name=name, profile=profile, profiles=store.profiles(), same_person=same_person)
        placement.append(found)
        notes.extend(f"{found.person}: the file's Patient resources are one person by {m.describe()}"
                     for m in found.joined)
        warnings.extend(names_nobody(found, imported))
        return [found.profile]

    report(progress, 0, expected, f"Reading {name}")
    try:
        _added, dupes = store.add_stream(batches(), finish=finish, cancel=cancel)
    except BaseException:
        if validator is not None:
            validator.abandon()
        raise
    where = placement[0] if placement else None
    result = ImportResult(name, dict(sorted(imported.items())), counts["duplicates"] + dupes, tuple(warnings), (),
                          profile, where.person if where is not None else None,
                          where.matched_by if where is not None else None,
                          where.created if where is not None else False,
                          updated=counts["newer"], history_kept=counts["history"], deleted=counts["deleted"],
                          notes=tuple(notes))
    report(progress, result.total, result.total, f"Imported {name}")
    return result
