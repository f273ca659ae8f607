"""FHIR Bundles the wallet writes: a ``collection`` of chosen records.

Every reference that resolved where the records came from resolves in the Bundle too
(FHIR R4 Bundle, "Resolving references in Bundles"; :mod:`wallet.records.references`):
an entry keeps the absolute fullUrl it had in its source Bundle (``urn:uuid:…`` or a
RESTful URL), so the source's references resolve unchanged; a reference that would not
resolve in the new Bundle (a relative ``Patient/p1`` from an NDJSON file, whose entry now
has a ``urn:uuid`` fullUrl, or a target whose fullUrl changed) is rewritten to the
target's fullUrl, in a copy: the stored record is not changed.
"""

from __future__ import annotations

import copy
import logging
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from .narrative import remove_unsafe_narratives
from .references import is_absolute, references, resolve, type_and_id

__all__ = ["bundle_resources", "collection_bundle"]

log = logging.getLogger(__name__)


def _entry_urls(resources: Sequence[dict[str, Any]], sources: Sequence[str]) -> list[str]:
    """Each entry's fullUrl: its source's absolute one when no other entry claims it, else
    ``urn:uuid:<id>`` for a uuid id, else a new ``urn:uuid``."""
    claims: dict[str, int] = {}
    for url in sources:
        if url:
            claims[url] = claims.get(url, 0) + 1
    out = []
    for res, url in zip(resources, sources, strict=True):
        if url and is_absolute(url) and claims[url] == 1:
            out.append(url)
            continue
        rid = res.get("id")
        out.append(f"urn:uuid:{rid}" if isinstance(rid, str) and _is_uuid(rid) else f"urn:uuid:{uuid.uuid4()}")
    return out


def _source_target(ref: str, source_url: str, by_url: dict[str, int], by_type_id: dict[str, int]) -> int | None:
    """Which chosen record ``ref`` pointed at where it came from (``None``: none of them)."""
    found = resolve(ref, from_url=source_url or None, full_urls=by_url)
    if found is not None or ref.startswith("#"):
        return found
    if not is_absolute(ref):  # a relative reference: the wallet holds one record per Type/id
        key = type_and_id(ref)
        return by_type_id.get(key) if key else None
    return None


def _linked(resources: Sequence[dict[str, Any]], sources: Sequence[str], urls: Sequence[str]) -> list[dict[str, Any]]:
    by_source = {url: n for n, url in enumerate(sources) if url}
    by_type_id = {f"{r.get('resourceType')}/{r['id']}": n for n, r in enumerate(resources)
                  if isinstance(r.get("id"), str)}
    by_url = {url: n for n, url in enumerate(urls)}
    out = []
    for n, res in enumerate(resources):
        copied: dict[str, Any] | None = None
        pairs: list[tuple[tuple[dict[str, Any], str], tuple[dict[str, Any], str]]] = []
        for node, ref in list(references(res)):
            target = _source_target(ref, sources[n], by_source, by_type_id)
            if target is None or resolve(ref, from_url=urls[n], full_urls=by_url) == target:
                continue
            if copied is None:  # rewrite in a copy, found again by position
                copied = copy.deepcopy(res)
                pairs = list(zip(references(res), references(copied), strict=True))
            for (orig, _), (dup, _) in pairs:
                if orig is node:
                    dup["reference"] = urls[target]
        out.append(copied if copied is not None else res)
    return out


def collection_bundle(resources: Iterable[dict[str, Any]], *, now: datetime,
                      source_urls: Sequence[str] | None = None, link: bool = True) -> dict[str, Any]:
    """A ``collection`` Bundle; entries keep their ids and their source fullUrls.

    ``source_urls``: each resource's fullUrl in the Bundle it was imported from (``""``
    when none). ``link``: rewrite references that would not resolve (see the module docs);
    off for the wallet's own backup, which gives back the records exactly.

    Every Bundle that leaves the wallet (share, export, backup) is built here, so every
    narrative is checked again on the way out and an unsafe one is removed from the
    resource (in place; see :mod:`wallet.records.narrative`), whenever it was stored.
    """
    resources = list(resources)
    for res in resources:
        for warning in remove_unsafe_narratives(res):
            log.warning("%s", warning.split(":", 1)[0] + ": an unsafe narrative was left out")
    sources = list(source_urls) if source_urls is not None else [""] * len(resources)
    if len(sources) != len(resources):
        raise ValueError("one source fullUrl per resource")
    urls = _entry_urls(resources, sources)
    linked = _linked(resources, sources, urls) if link else resources
    entries = [{"fullUrl": url, "resource": res} for url, res in zip(urls, linked, strict=True)]
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "collection",
        "timestamp": now.isoformat(timespec="seconds"),
        "entry": entries,
    }


def bundle_resources(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle.get("entry", []) if isinstance(e, dict) and isinstance(e.get("resource"), dict)]


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
