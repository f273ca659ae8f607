"""Signed exports to a folder (a USB stick) and offline verification."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC
from pathlib import Path
from typing import Any

from ..errors import DecryptionError, RecordError, ShareError
from ..events import CancelToken, ProgressSink
from ..records.consent import audit_event
from ..records.store import NewRecord
from ..records.summary import summarize
from ..share.export import ExportResult, write_export
from ..share.issuers import IssuerStore
from ..share.verify import export_is_encrypted, verify_card_file, verify_export
from .context import WalletContext
from .wallet import UnlockedWallet

__all__ = ["export_records", "select_ids", "verify_path"]

CARD_SUFFIX = ".smart-health-card"


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
    seen: set[str] = set()
    return [i for i in chosen if not (i in seen or seen.add(i))]


def export_records(wallet: UnlockedWallet, dest: Path, *, ids: Iterable[str] = (), types: Iterable[str] = (),
                   categories: Iterable[str] = (), passphrase: str | None = None, profile: str | None = None,
                   progress: ProgressSink | None = None, cancel: CancelToken | None = None) -> ExportResult:
    """A signed export of one profile's records (default: the owner's): one person per export.

    Health cards go along when everything is exported and the card is this person's."""
    chosen = select_ids(wallet, ids=ids, types=types, categories=categories, profile=profile)
    chosen = [i for i in chosen if wallet.store.get_summary(i).resource_type not in ("AuditEvent", "Consent")]
    if not chosen:
        raise RecordError("There are no records to export; import some first.")
    resources = [wallet.store.get(i) for i in chosen]
    source_urls = [wallet.store.get_summary(i).full_url for i in chosen]
    everything = not (list(ids) or list(types) or list(categories))
    cards = [data for data, _cards in wallet.card_files(profile=profile)] if everything else []
    result = write_export(Path(dest), resources=resources, source_urls=source_urls, cards=cards, keys=wallet.keys,
                          clock=wallet.app.clock,
                          passphrase=passphrase, progress=progress, cancel=cancel)
    event = audit_event("export", chain_id=None, actor=wallet.identity.address, at=wallet.app.clock.now(),
                        detail=f"{len(resources)} records exported to {result.path.name} (manifest sha256 {result.sha256})")
    wallet.store.add_many([NewRecord(wallet.store.record_id(event), event, summarize(event))])
    return result


def verify_path(path: Path, *, app: WalletContext | None = None,
                passphrase: Callable[[], str] | None = None) -> dict[str, Any]:
    """Verify an export folder or a ``.smart-health-card`` file, offline.

    Returns ``{"valid": True, "signer", "resources", ...}``; on any failure
    ``{"valid": False, "reason": ...}``. ``passphrase`` is asked only for encrypted exports.
    """
    path = Path(path)
    try:
        if path.is_file() and path.suffix.lower() == CARD_SUFFIX:
            from datetime import datetime

            home = app.home if app is not None else None
            extra = app.extra_trusted_issuers if app is not None else ()
            now = app.clock.now() if app is not None else datetime.now(UTC)
            cards = verify_card_file(path, issuers=IssuerStore.load(home, extra_trusted=extra), now=now)
            counts: Counter[str] = Counter()
            for card in cards:
                counts.update(e["resource"]["resourceType"] for e in card.fhir_bundle.get("entry", [])
                              if isinstance(e, dict) and isinstance(e.get("resource"), dict))
            return {
                "valid": all(c.verified and not c.revoked for c in cards),
                "kind": "smart-health-card",
                "signer": cards[0].issuer,
                "issuer_name": cards[0].issuer_name,
                "status": [c.status for c in cards],
                "reason": None if all(c.verified for c in cards) else "the issuer is not in the trusted list",
                "resources": dict(sorted(counts.items())),
            }
        secret = None
        if path.is_dir() and export_is_encrypted(path):
            if passphrase is None:
                return {"valid": False, "reason": "This export is encrypted; a passphrase is needed."}
            secret = passphrase()
        verified = verify_export(path, passphrase=secret)
    except (ShareError, DecryptionError) as exc:
        return {"valid": False, "reason": exc.user_message}
    return {
        "valid": True,
        "kind": "export",
        "signer": verified.signer,
        "signed_at": verified.signed_at.isoformat() if verified.signed_at else None,
        "resources": dict(verified.resources_by_type),
        "files": list(verified.files),
        "cards": len(verified.cards),
        "encrypted": verified.encrypted,
        "sha256": verified.manifest_sha256,
        "signature_form": verified.signature_form,
        "reason": None,
    }
