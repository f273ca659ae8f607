"""What an import writes: new records, newer versions, earlier versions kept, deletions.

The rules of :mod:`wallet.records.versions` applied to a parsed file against the store:
each resource's versions (a ``history`` Bundle repeats a resource, newest first) are
matched with the stored record of the same id; the newest becomes current, the others
are kept as its history, nothing is lost. A ``history`` Bundle's DELETE entry marks the
record deleted (hidden from lists, kept, shown with ``--history``) unless a version newer
than the deletion is current.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..events import CancelToken, ProgressSink, report
from .instants import start_instant
from .parse import Located, ParsedFile
from .store import NewRecord, RecordStore
from .summary import summarize
from .versions import Candidate, plan_versions, version_label

__all__ = ["ImportPlan", "plan_import", "source_full_url"]

_ABSOLUTE = ("urn:uuid:", "urn:oid:", "http://", "https://")


def source_full_url(item: Located) -> str:
    """The entry's fullUrl when it is absolute (a reference can resolve to it in any
    Bundle); ``resource:0`` (health cards) and relative ones are local to their file."""
    url = item.full_url or ""
    return url if url.startswith(_ABSOLUTE) else ""


@dataclass
class ImportPlan:
    fresh: list[NewRecord] = field(default_factory=list)
    newer: list[NewRecord] = field(default_factory=list)
    history: list[NewRecord] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    duplicates: int = 0  # incoming versions not written: already held, or repeated in the source
    repeated: int = 0  # of ``duplicates``, those the source repeats and the wallet did not hold
    warnings: list[str] = field(default_factory=list)

    @property
    def imported(self) -> dict[str, int]:
        counts = Counter(r.summary.resource_type for r in (*self.fresh, *self.newer))
        return dict(sorted(counts.items()))


def _last_updated(resource: dict[str, Any]) -> float | None:
    meta = resource.get("meta")
    value = meta.get("lastUpdated") if isinstance(meta, dict) else None
    return start_instant(value) if isinstance(value, str) else None


def plan_import(store: RecordStore, parsed: ParsedFile, *, profile: str,
                item_profiles: Sequence[str] | None = None, progress: ProgressSink | None = None,
                cancel: CancelToken | None = None, name: str = "") -> ImportPlan:
    """The writes for ``parsed`` in ``profile`` (nothing is written here).

    ``item_profiles``: one profile name per parsed item (a wallet's own backup names each
    record's profile); deletions apply in ``profile``."""
    plan = ImportPlan()
    where: dict[str, str] = {}
    total = len(parsed.items)
    groups: dict[str, list[tuple[Candidate, str]]] = {}
    for n, item in enumerate(parsed.items, start=1):
        item_profile = item_profiles[n - 1] if item_profiles is not None else profile
        rid = store.record_id(item.resource, item_profile)
        where[rid] = item_profile
        groups.setdefault(rid, []).append((Candidate(item.position, item.resource), source_full_url(item)))
        if n % 100 == 0:
            if cancel is not None:
                cancel.check()
            report(progress, n, total, f"Reading {name}")
    stored = store.current(groups)
    urls: dict[int, str] = {}

    # whom the file is about: its Patient, else the profile's (for age- and sex-specific ranges)
    patient = next((i.resource for i in parsed.items if i.resource.get("resourceType") == "Patient"), None)
    if patient is None:
        patient = next((p.patient for p in store.profiles() if p.name == profile), None)

    # the JSON text each resource was read from (an NDJSON line), stored as it is
    texts = {id(item.resource): item.source for item in parsed.items if item.source is not None}

    def new_record(rid: str, resource: dict[str, Any]) -> NewRecord:
        summary = summarize(resource, patient=patient)
        if urls.get(id(resource)):
            summary = replace(summary, full_url=urls[id(resource)])
        return NewRecord(rid, resource, summary, where.get(rid, profile), texts.get(id(resource)))

    current_after: dict[str, dict[str, Any]] = {}
    for rid, entries in groups.items():
        for cand, url in entries:
            urls[id(cand.resource)] = url
        held = stored.get(rid)
        if held is None and len(entries) == 1:
            plan.fresh.append(new_record(rid, entries[0][0].resource))
            current_after[rid] = entries[0][0].resource
            continue
        kept = [r for r, _ in store.versions(rid)] if held is not None else []
        vp = plan_versions([c for c, _ in entries], stored=held[0] if held else None, stored_history=kept)
        plan.duplicates += vp.duplicates
        plan.repeated += vp.repeated
        if vp.current is not None:
            (plan.newer if vp.replaces else plan.fresh).append(new_record(rid, vp.current))
        current_after[rid] = vp.current if vp.current is not None else held[0] if held else {}
        plan.history.extend(new_record(rid, r) for r in vp.history)
        for pos in vp.unordered:
            plan.warnings.append(
                f"{pos}: {held[0]['resourceType'] if held else 'the resource'} "
                f"{(held[0] if held else {}).get('id', '')} differs from the one in the wallet and neither says "
                "which version is newer (meta.versionId, meta.lastUpdated); the wallet's stays current, this one "
                "is kept as an earlier version")
    for deletion in parsed.deletions:
        rtype, _, fid = deletion.reference.partition("/")
        rid = store.record_id({"resourceType": rtype, "id": fid}, profile)
        if rid not in current_after and rid not in stored:
            stored.update(store.current([rid]))
        current = current_after.get(rid) or (stored[rid][0] if rid in stored else None)
        if current is None:
            plan.warnings.append(f"{deletion.position}: {deletion.reference} was deleted at the source; "
                                 "the wallet does not hold it")
            continue
        when = start_instant(deletion.when) if deletion.when else None
        updated = _last_updated(current)
        if when is not None and updated is not None and updated > when:
            plan.warnings.append(f"{deletion.position}: {deletion.reference} was deleted at the source before its "
                                 f"{version_label(current)}, which stays current")
            continue
        plan.deleted.append(rid)
    return plan
