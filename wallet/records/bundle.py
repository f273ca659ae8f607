"""FHIR Bundles the wallet writes: a ``collection`` of chosen records."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from .narrative import remove_unsafe_narratives

__all__ = ["bundle_resources", "collection_bundle"]

log = logging.getLogger(__name__)


def collection_bundle(resources: Iterable[dict[str, Any]], *, now: datetime) -> dict[str, Any]:
    """A ``collection`` Bundle; entries keep their ids and get ``urn:uuid`` full URLs.

    Every Bundle that leaves the wallet (share, export, backup) is built here, so every
    narrative is checked again on the way out and an unsafe one is removed from the
    resource (in place; see :mod:`wallet.records.narrative`), whenever it was stored.
    """
    entries = []
    for res in resources:
        for warning in remove_unsafe_narratives(res):
            log.warning("%s", warning.split(":", 1)[0] + ": an unsafe narrative was left out")
        rid = res.get("id")
        full_url = f"urn:uuid:{rid}" if isinstance(rid, str) and _is_uuid(rid) else f"urn:uuid:{uuid.uuid4()}"
        entries.append({"fullUrl": full_url, "resource": res})
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
