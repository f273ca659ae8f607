"""Import FHIR files into the store: parse, validate everything, then write in one
transaction. One bad resource rejects the whole file and leaves the store unchanged.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..events import CancelToken, ProgressSink, report
from .parse import ParsedFile, read_file
from .store import NewRecord, RecordStore
from .summary import summarize
from .validate import validate_file

__all__ = ["ImportResult", "document_entries", "import_file", "import_parsed"]


@dataclass(frozen=True)
class ImportResult:
    name: str
    imported: dict[str, int] = field(default_factory=dict)
    skipped_duplicates: int = 0
    warnings: tuple[str, ...] = ()
    cards: tuple[tuple[str, str], ...] = ()  # (issuer, "valid" | "expired" | "unverified") per card

    @property
    def total(self) -> int:
        return sum(self.imported.values())


def import_parsed(store: RecordStore, parsed: ParsedFile, *, name: str, cards: tuple[bytes, ...] = (),
                  card_statuses: tuple[tuple[str, str], ...] = (), single_patient: bool = True, progress: ProgressSink | None = None, cancel: CancelToken | None = None) -> ImportResult:
    total = len(parsed.items)
    report(progress, 0, total, f"Checking {name}")
    warnings = validate_file(parsed, name=name, single_patient=single_patient)
    parsed = document_entries(parsed)
    if cancel is not None:
        cancel.check()
    records: list[NewRecord] = []
    seen: set[str] = set()
    in_file_dupes = 0
    for n, item in enumerate(parsed.items, start=1):
        rid = store.record_id(item.resource)
        if rid in seen:
            in_file_dupes += 1
            continue
        seen.add(rid)
        records.append(NewRecord(rid, item.resource, summarize(item.resource)))
        if n % 100 == 0:
            if cancel is not None:
                cancel.check()
            report(progress, n, total, f"Reading {name}")
    existing = store.existing_ids(seen)
    fresh = [r for r in records if r.id not in existing]
    added, dupes = store.add_many(fresh, cards=cards, progress=progress, total=total, cancel=cancel)
    report(progress, total, total, f"Imported {name}")
    counts = Counter(r.summary.resource_type for r in fresh)
    return ImportResult(name, dict(sorted(counts.items())), len(existing) + dupes + in_file_dupes,
                        tuple(warnings), card_statuses)


def document_entries(parsed: ParsedFile) -> ParsedFile:
    """A ``document`` Bundle (an IPS, a discharge summary) imports as its entries: the
    Composition (FHIR R4 Bundle.type "document": its first entry) is the document's table of
    contents, with narrative made for that document, not a record of its own."""
    if parsed.kind != "bundle" or parsed.bundle_type != "document" or not parsed.items:
        return parsed
    first = parsed.items[0]
    if first.resource.get("resourceType") != "Composition":
        return parsed
    return ParsedFile(parsed.kind, parsed.items[1:], parsed.bundle_type)


def import_file(store: RecordStore, path: Path, *, progress: ProgressSink | None = None,
                cancel: CancelToken | None = None) -> ImportResult:
    path = Path(path)
    return import_parsed(store, read_file(path), name=path.name, progress=progress, cancel=cancel)
