"""Which of two versions of one resource is newer, and what an import does with them.

FHIR R4 (Resource.meta): ``meta.lastUpdated`` is the instant the version was made and
``meta.versionId`` names it (opaque text; servers commonly count 1, 2, 3). A newer
version becomes the record's current one; older ones are kept as its history; an
older version never replaces a newer one. Two versions are the same when their
content is the same byte for byte in the canonical form (so ``5.10`` and ``5.1`` differ).

Ordering, in turn: ``meta.lastUpdated`` instants when both have one; integer
``meta.versionId`` when both have one; else the source's order when it gives one
(a ``history`` Bundle lists newest first); else unknown (``None``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from . import fhir_json
from .instants import start_instant

__all__ = ["Candidate", "VersionPlan", "content_key", "history_order", "newer", "plan_versions", "version_label"]


def content_key(resource: dict[str, Any]) -> bytes:
    """The resource as sorted JSON with its numbers as written: equal means the same version."""
    try:
        return fhir_json.dumps(resource, sort_keys=True).encode("utf-8", "surrogatepass")
    except (TypeError, ValueError):
        return repr(resource).encode("utf-8", "surrogatepass")


def _meta(resource: dict[str, Any]) -> dict[str, Any]:
    meta = resource.get("meta")
    return meta if isinstance(meta, dict) else {}


def _updated(resource: dict[str, Any]) -> float | None:
    value = _meta(resource).get("lastUpdated")
    return start_instant(value) if isinstance(value, str) else None


def _version_number(resource: dict[str, Any]) -> int | None:
    value = _meta(resource).get("versionId")
    return int(value) if isinstance(value, str) and value.isdigit() and len(value) < 19 else None


def version_label(resource: dict[str, Any]) -> str:
    """``version 2 (2024-03-02T10:00:00Z)``, or what of it the resource says."""
    meta = _meta(resource)
    parts = [f"version {meta['versionId']}" if isinstance(meta.get("versionId"), str) else "",
             f"({meta['lastUpdated']})" if isinstance(meta.get("lastUpdated"), str) else ""]
    return " ".join(p for p in parts if p) or "a version without meta.versionId"


def newer(a: dict[str, Any], b: dict[str, Any]) -> bool | None:
    """Whether ``a`` is a newer version than ``b``; ``None`` when their meta cannot tell."""
    ua, ub = _updated(a), _updated(b)
    if ua is not None and ub is not None and ua != ub:
        return ua > ub
    va, vb = _version_number(a), _version_number(b)
    if va is not None and vb is not None and va != vb:
        return va > vb
    if ua is not None and ub is not None:
        return False  # the same instant: the same version as far as the source says
    return None


@dataclass(frozen=True)
class Candidate:
    """One incoming version: its resource and where it came from."""

    position: str
    resource: dict[str, Any]


@dataclass
class VersionPlan:
    """For one record id: the version that is current after the import, and the versions
    to add to its history. ``replaces`` says the stored current version moves to history;
    ``duplicates`` counts incoming versions the wallet already held or the source repeats;
    ``repeated`` those of them the wallet did not hold (the source gives them twice)."""

    current: dict[str, Any] | None = None
    replaces: bool = False
    history: list[dict[str, Any]] = field(default_factory=list)
    duplicates: int = 0
    repeated: int = 0
    unordered: list[str] = field(default_factory=list)  # positions whose order against the wallet's is unknown


def _sort_newest_first(items: Sequence[Candidate]) -> list[Candidate]:
    """Newest first; ties and unknowns keep the source's order (a history Bundle's is
    newest first; elsewhere the first one listed stays first)."""
    out: list[Candidate] = []
    for cand in items:  # insertion sort: n is the number of versions of one resource
        at = len(out)
        for i, placed in enumerate(out):
            if newer(cand.resource, placed.resource) is True:
                at = i
                break
        out.insert(at, cand)
    return out


def plan_versions(incoming: Sequence[Candidate], *, stored: dict[str, Any] | None,
                  stored_history: Sequence[dict[str, Any]] = ()) -> VersionPlan:
    """What to store for one record id given its incoming versions (in the source's order)
    and the stored current version and history."""
    known = {content_key(r) for r in stored_history}
    if stored is not None:
        known.add(content_key(stored))
    plan = VersionPlan()
    distinct: list[Candidate] = []
    seen: set[bytes] = set()
    for cand in incoming:
        key = content_key(cand.resource)
        if key in seen or key in known:
            plan.duplicates += 1
            plan.repeated += key not in known
            continue
        seen.add(key)
        distinct.append(cand)
    if not distinct:
        return plan
    ordered = _sort_newest_first(distinct)
    best = ordered[0]
    if stored is None:
        plan.current = best.resource
        plan.history = [c.resource for c in ordered[1:]]
        return plan
    verdict = newer(best.resource, stored)
    if verdict is True:
        plan.current, plan.replaces = best.resource, True
        plan.history = [c.resource for c in ordered[1:]]
    else:
        plan.history = [c.resource for c in ordered]
        if verdict is None:
            plan.unordered = [c.position for c in ordered]
    return plan


def history_order(versions: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Kept versions newest first: by ``meta.lastUpdated``, then integer ``meta.versionId``;
    versions that say neither follow, the most recently kept first."""
    def key(indexed: tuple[int, dict[str, Any]]) -> tuple[float, int, int]:
        n, resource = indexed
        updated = _updated(resource)
        number = _version_number(resource)
        return (updated if updated is not None else float("-inf"), number if number is not None else -1, n)

    return [r for _, r in sorted(enumerate(versions), key=key, reverse=True)]
