"""Signed exports to a folder (a USB stick); verifying one is :mod:`.verification`."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..errors import RecordError
from ..events import CancelToken, ProgressSink
from ..records.consent import audit_event
from ..records.store import NewRecord
from ..records.summary import summarize
from ..share.export import ExportResult, write_export
from ..share.protocol import with_patients
from .wallet import UnlockedWallet

__all__ = ["export_records", "select_ids"]


def select_ids(wallet: UnlockedWallet, *, ids: Iterable[str] = (), types: Iterable[str] = (),
               categories: Iterable[str] = (), profile: str | None = None) -> list[str]:
    """Record ids of one profile (default: the owner's) chosen by id, resource type or
    category; all of its records when none is given. An id of another profile is refused."""
    ids, types, categories = list(ids), list(types), list(categories)
    name = wallet.profile if profile is None else profile
    if ids:
        missing = [i for i in ids if not wallet.store.existing_ids([i])]
        if missing:
            raise RecordError(f"No record {missing[0]}; list them with 'health-wallet records'.")
        wallet.require_in_profile(ids, name)
        return ids
    chosen: list[str] = []
    if types:
        chosen += wallet.store.ids(types=types, newest_first=False, profile=name)
    for cat in categories:
        chosen += wallet.store.ids(category=cat, newest_first=False, profile=name)
    if not types and not categories:
        chosen = wallet.store.ids(newest_first=False, profile=name)
    return list(dict.fromkeys(chosen))  # each id once, first occurrence kept


def export_records(wallet: UnlockedWallet, dest: Path, *, ids: Iterable[str] = (), types: Iterable[str] = (),
                   categories: Iterable[str] = (), passphrase: str | None = None, profile: str | None = None,
                   progress: ProgressSink | None = None, cancel: CancelToken | None = None) -> ExportResult:
    """A signed export of one profile's records (default: the owner's): one person per export.
    A selection (``ids``, ``types`` or ``categories``) takes the profile's Patient along, so
    the records' references to their person resolve inside the export, as in a share.

    Health cards go along when everything is exported and the card is this person's."""
    chosen = select_ids(wallet, ids=ids, types=types, categories=categories, profile=profile)
    chosen = [i for i in chosen if wallet.store.get_summary(i).resource_type not in ("AuditEvent", "Consent")]
    if not chosen:
        raise RecordError("There are no records to export; import some first.")
    everything = not (list(ids) or list(types) or list(categories))
    if not everything:  # whose records these are goes along, as with a share: references resolve in the bundle
        chosen = with_patients(chosen, wallet.store.ids(types=["Patient"], newest_first=False,
                                                        profile=wallet.profile if profile is None else profile))
    resources = [wallet.store.get(i) for i in chosen]
    source_urls = [wallet.store.get_summary(i).full_url for i in chosen]
    cards = [data for data, _cards in wallet.card_files(profile=profile)] if everything else []
    result = write_export(Path(dest), resources=resources, source_urls=source_urls, cards=cards, keys=wallet.keys,
                          clock=wallet.app.clock,
                          passphrase=passphrase, progress=progress, cancel=cancel)
    event = audit_event("export", chain_id=None, actor=wallet.identity.address, at=wallet.app.clock.now(),
                        detail=f"{len(resources)} records exported to {result.path.name} "
                               f"(manifest sha256 {result.sha256})")
    wallet.store.add_many([NewRecord(wallet.store.record_id(event), event, summarize(event))])
    return result
