"""FHIR Bundles the wallet writes: a ``collection`` of chosen records."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

__all__ = ["bundle_resources", "collection_bundle"]


def collection_bundle(resources: Iterable[dict[str, Any]], *, now: datetime) -> dict[str, Any]:
    """A ``collection`` Bundle; entries keep their ids and get ``urn:uuid`` full URLs."""
    entries = []
    for res in resources:
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
