"""When two records without a FHIR id are one record: the same content, ``meta`` aside.

A record without ``id`` is stored under an id made from its whole content, ``meta``
included (:func:`~wallet.records.store.record_id_for`). SMART Health Cards carry no
resource ids (a card is minimised to fit a QR code; its entries refer to each other as
``resource:N``), and two cards of one person repeat a dose word for word except
``meta.security``: a card of the ``#immunization`` scope may write none, one of more
scopes the identity assurance level (``https://smarthealth.cards/ial``). Their doses would
get two ids, and the person would see the dose twice.

``meta`` is data about the record kept by the systems it passed through, not the record
(FHIR R4 Resource.meta; its changes need not make a new version), so the content identity
of a record leaves it out. It only *detects* a repeat: no id is made from it, so
every record already stored keeps its id, and a home written by any earlier release needs
no migration. An id-less record of a person's card import (not a backup's restore, which
puts back every record it holds) whose content identity equals that of a
record already held in the same profile (or of one earlier in the same import) is a
duplicate: not written, counted as skipped, as an exact repeat is. The record first held
stays as it was written; the card files themselves, with their signatures, are all kept
in the store (``cards``), so nothing of either source is lost.

Finding the held twin costs one full-text query (:mod:`.search_text` leaves ``meta`` out of
the index, so both have the same words) and the comparison of its few matches.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from . import fhir_json
from .search_text import search_text

if TYPE_CHECKING:
    from .import_plan import ImportPlan
    from .store import NewRecord, RecordStore

__all__ = ["MAX_QUERY_WORDS", "content_identity", "drop_meta_repeats"]

MAX_QUERY_WORDS = 24  # words of a record asked of the search index to find its held twin


def content_identity(resource: dict[str, Any]) -> bytes:
    """The canonical JSON of ``resource`` without ``meta`` (sorted keys, no white space,
    numbers as :func:`~wallet.records.store.record_id_for` reads them): equal for two
    resources that differ only in ``meta``."""
    content = fhir_json.to_float_tree({k: v for k, v in resource.items() if k != "meta"})
    return json.dumps(content, sort_keys=True, separators=(",", ":")).encode()


def drop_meta_repeats(store: RecordStore, plan: ImportPlan) -> int:
    """Remove from ``plan.fresh`` each record without a FHIR id whose content identity equals
    a held record's (same profile and type) or an earlier fresh one's; count them in
    ``plan.duplicates`` (those the import repeats and the store did not hold also in
    ``plan.repeated``, as :mod:`.import_plan` counts exact repeats). Returns
    how many were removed. Reads the store; writes nothing."""
    kept: list[NewRecord] = []
    held_before: dict[tuple[str, str, bytes], bool] = {}  # identity -> whether the store held it
    dropped = 0
    for rec in plan.fresh:
        resource = rec.resource
        if resource.get("id"):
            kept.append(rec)
            continue
        key = (rec.profile, str(resource.get("resourceType")), content_identity(resource))
        if key not in held_before:
            held_before[key] = _held(store, rec, key[2])
            if not held_before[key]:
                kept.append(rec)
                continue
        elif not held_before[key]:
            plan.repeated += 1  # the import repeats it; the wallet did not hold it
        plan.duplicates += 1
        dropped += 1
    plan.fresh[:] = kept
    return dropped


def _held(store: RecordStore, rec: NewRecord, identity: bytes) -> bool:
    """Whether ``rec``'s profile holds a current record of its type with ``identity``."""
    words = list(dict.fromkeys(w for w in search_text({}, rec.resource).split() if any(c.isalnum() for c in w)))
    rtype = str(rec.resource.get("resourceType"))
    found = store.ids(types=[rtype], profile=rec.profile, text=" ".join(words[:MAX_QUERY_WORDS]))
    return any(content_identity(held) == identity for _rid, held in store.resources(found))
