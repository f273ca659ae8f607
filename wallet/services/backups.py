"""Backups on IPFS: the whole record, sealed with a key only the recovery phrase gives.

A backup is a FHIR ``collection`` Bundle of every record (the wallet's Consents and
AuditEvents included) and every imported SMART Health Card, carried as a ``Binary``
(``application/smart-health-card``) so it comes back byte for byte. It is sealed with
HKDF(seed, "backup"), pinned, handed to every configured pinning service
(:mod:`wallet.services.pinning`), and recorded on chain (``Backup`` event) as a pointer
naming its CID and where it is held (:mod:`wallet.share.backup_pointer`), so a wallet
restored from the phrase alone on a new laptop finds its latest backup, dials its
holders and opens it. Once a new backup is held by a service, the one it supersedes is
unpinned at the services.
"""

from __future__ import annotations

import base64
import contextlib
from dataclasses import dataclass
from typing import Any

from ..errors import ChainError, InvalidRecord, IpfsError, WalletError
from ..events import CancelToken, Progress, ProgressSink, report
from ..ipfs.backend import IpfsBackend, PinInfo
from ..ipfs.cid import Cid
from ..ipfs.holders import fetch_sealed_from
from ..ipfs.sealed import publish_sealed
from ..records import fhir_json
from ..records.bundle import collection_bundle
from ..records.consent import audit_event
from ..records.importer import ImportResult, import_parsed
from ..records.parse import ParsedFile, loads_strict, parse_bytes
from ..records.profiles import OWNER, Profile
from ..records.store import NewRecord
from ..records.summary import summarize
from ..share.backup_pointer import BackupHolder, BackupPointer, parse_pointer
from ..untrusted import DEFAULT_LIMITS
from .pinning import (
    DEFAULT_PIN_WAIT,
    HeldBy,
    availability,
    dial_hints,
    pin_remotely,
    preferred_addresses,
    unpin_remotely,
)
from .reading import TRAIL_TYPES
from .wallet import UnlockedWallet

__all__ = ["CARD_CONTENT_TYPE", "NO_BACKUP_HOLDER", "BackupPointer", "BackupReceipt", "Backups", "restored_counts",
           "restored_words", "where_held"]

NO_BACKUP_HOLDER = ("No holder of the backup is reachable: the computer that made it is offline and the backup is "
                    "not held by a pinning service.")


def restored_counts(result: ImportResult) -> tuple[int, int]:
    """``(health records, sharing-history entries)`` a restore brought back: the wallet's
    own trail (:data:`TRAIL_TYPES`, its grants' Consents and logged accesses) is counted
    apart, as ``status`` and the backup receipt leave it out of the records."""
    trail = sum(n for rtype, n in result.imported.items() if rtype in TRAIL_TYPES)
    return result.total - trail, trail


def restored_words(result: ImportResult) -> str:
    """``75 records`` or ``75 records and this wallet's sharing history (2 entries)``."""
    records, trail = restored_counts(result)
    text = f"{records:,} record{'' if records == 1 else 's'}"
    return text + (f" and this wallet's sharing history ({trail:,} {'entry' if trail == 1 else 'entries'})"
                   if trail else "")


def no_backup_holder(pointer: BackupPointer | None) -> str:
    """The one line when nobody holding the backup answers (names the services it is held by)."""
    if pointer is None or not pointer.holders:
        return NO_BACKUP_HOLDER
    names = " and ".join(h.name for h in pointer.holders)
    return (f"No holder of the backup is reachable: {names} does not answer and the computer that made it is "
            "offline; try again later.")

BACKUP_PURPOSE = "backup"
CARD_CONTENT_TYPE = "application/smart-health-card"
PROFILES_CONTENT_TYPE = "application/x-health-wallet-profiles+json"  # whose each record is


@dataclass(frozen=True)
class BackupReceipt:
    cid: str
    records: int  # the patient's records backed up (the wallet's own Consents and AuditEvents go along uncounted)
    cards: int
    tx: str | None  # the on-chain pointer, when the chain was reachable
    warning: str | None = None
    held_by: tuple[HeldBy, ...] = ()  # one per configured pinning service

    @property
    def availability(self) -> str:
        """Held remotely, or only while this computer is online (one sentence)."""
        return availability(self.held_by)


def where_held(pointer: BackupPointer | None) -> str:
    """Where a backup is held, for the restore page: "at Filebase", "only on your old computer"."""
    if pointer is None:
        return "nowhere yet: no backup is recorded on chain"
    if pointer.holders:
        return "at " + " and ".join(h.name for h in pointer.holders)
    return "only on your old computer"


class Backups:
    def __init__(self, wallet: UnlockedWallet) -> None:
        self.wallet = wallet

    def __repr__(self) -> str:
        return f"Backups({self.wallet.identity.address})"

    def _key(self) -> bytes:
        return self.wallet.keys.symmetric_key("backup")

    def _aad(self) -> bytes:
        return self.wallet.identity.address.encode()

    def publish(self, *, progress: ProgressSink | None = None, cancel: CancelToken | None = None,
                record_on_chain: bool = True, pin_wait: float = DEFAULT_PIN_WAIT) -> BackupReceipt:
        """Seal every record, pin it here and at every pinning service (waiting at most
        ``pin_wait`` seconds for one to say pinned), record the pointer on chain."""
        store = self.wallet.store
        ids = store.ids(newest_first=False)
        report(progress, 0, 4, "Collecting the records")
        resources = [store.get(i) for i in ids]
        cards = store.cards()
        binaries = [{"resourceType": "Binary", "contentType": CARD_CONTENT_TYPE,
                     "data": base64.b64encode(card).decode()} for card in cards]
        people = {"profiles": [{"name": p.name, "is_owner": p.is_owner, **p.to_json()} for p in store.profiles()],
                  "records": [store.profile_of(i) for i in ids]}
        binaries.append({"resourceType": "Binary", "contentType": PROFILES_CONTENT_TYPE,
                         "data": base64.b64encode(fhir_json.dumps(people).encode()).decode()})
        bundle = collection_bundle([*resources, *binaries], now=self.wallet.app.clock.now(), link=False,
                                   source_urls=[*(store.get_summary(i).full_url for i in ids), *([""] * len(binaries))])
        payload = fhir_json.dumps(bundle).encode()
        report(progress, 1, 4, "Encrypting and publishing to IPFS")
        ipfs = self.wallet.ipfs()
        cid = publish_sealed(ipfs, self._key(), payload, purpose=BACKUP_PURPOSE, aad=self._aad(),
                             scratch_dir=getattr(ipfs, "scratch_dir", None), cancel=cancel)
        del payload
        origins = _origins(ipfs)
        held_by = tuple(pin_remotely(self.wallet, cid, origins, _sub_progress(progress, "Keeping a copy at "),
                                     cancel, timeout=pin_wait))  # no pin name: it would tell the service what this is
        tx_hash, warning = None, None
        if record_on_chain:
            report(progress, 2, 4, "Recording the backup on chain")
            previous = self._latest_quietly()
            holders = tuple(BackupHolder(h.service, dial_hints([h], per_holder=2)) for h in held_by
                            if h.status in ("queued", "pinning", "pinned"))[:4]
            pointer = BackupPointer(cid, holders, preferred_addresses(origins, 2))
            try:
                tx_hash = self.wallet.chain().publish_backup(self.wallet.keys.account, pointer.encode()).tx_hash
            except ChainError as exc:
                warning = (f"The backup is on IPFS but could not be recorded on chain ({exc.user_message}); "
                           f"keep its CID {cid} to restore it.")
            else:
                if previous is not None and previous.cid != cid and any(h.pinned for h in held_by):
                    with contextlib.suppress(WalletError):  # superseded; a problem there changes nothing here
                        unpin_remotely(self.wallet, previous.cid)
        report(progress, 3, 4, "Keeping a note of it")
        # the backup holds the trail too, but the patient's records are what it counts (as 'records' lists)
        records = sum(1 for r in resources if r.get("resourceType") not in TRAIL_TYPES)
        event = audit_event("backup", chain_id=None, actor=self.wallet.identity.address,
                            at=self.wallet.app.clock.now(), tx=tx_hash,
                            detail=f"Backup of {records} records and {len(cards)} cards: ipfs://{cid}")
        store.add_many([NewRecord(store.record_id(event), event, summarize(event))])
        report(progress, 4, 4, "Backed up")
        return BackupReceipt(str(cid), records, len(cards), tx_hash, warning, held_by)

    def latest(self) -> BackupPointer | None:
        """The latest backup recorded on chain: its CID and where it is held (``None``: none).

        Raises :class:`ChainError` when the chain cannot be read and
        :class:`~wallet.errors.ShareError` when the pointer there is malformed.
        """
        text = self.wallet.chain().latest_backup(self.wallet.identity.address)
        return None if text is None else parse_pointer(text)

    def latest_cid(self) -> str | None:
        pointer = self.latest()
        return None if pointer is None else str(pointer.cid)

    def _latest_quietly(self) -> BackupPointer | None:
        try:
            return self.latest()
        except WalletError:
            return None

    def restore(self, cid: str | None = None, *, peers: tuple[str, ...] = (), timeout: float = 120.0,
                progress: ProgressSink | None = None, cancel: CancelToken | None = None,
                pointer: BackupPointer | None = None) -> tuple[str, ImportResult]:
        """Fetch, open and import a backup, all or nothing.

        Without ``cid``: the latest on chain (or ``pointer``, when the caller looked it up
        with :meth:`latest`), fetched from the holders it names. When holders are named
        and none is reachable, raises :class:`~wallet.errors.IpfsNotFound`
        (:data:`NO_BACKUP_HOLDER`) within seconds.
        """
        if cid is None:
            if pointer is None:
                report(progress, 0, 4, "Looking up the latest backup on chain")
                pointer = self.latest()
            if pointer is None:
                raise WalletError("No backup of this wallet is recorded on chain; give the backup's CID.")
            parsed_cid = pointer.cid
        else:
            parsed_cid = Cid.parse(cid)
            pointer = None
        ipfs = self.wallet.ipfs()
        holders = (*peers, *(pointer.addresses if pointer is not None else ()))
        report(progress, 1, 4, "Fetching the backup from IPFS")
        plain = fetch_sealed_from(ipfs, parsed_cid, self._key(), holders=holders, unreachable=no_backup_holder(pointer),
                                  purpose=BACKUP_PURPOSE, aad=self._aad(), timeout=timeout)
        report(progress, 2, 4, "Checking the records")
        parsed = parse_bytes(plain, name="the backup", limits=DEFAULT_LIMITS)  # its Bundle wraps kept records
        del plain
        records, cards, people = _split_cards(parsed)
        report(progress, 3, 4, "Importing")
        profiles, item_profiles = _profiles_of(people, len(records.items))
        result = import_parsed(self.wallet.store, records, name="the backup", cards=cards, single_patient=False,
                               restored_profiles=profiles, item_profiles=item_profiles, cancel=cancel)
        report(progress, 4, 4, "Restored")
        return str(parsed_cid), result

    def pins(self) -> tuple[PinInfo, ...]:
        return self.wallet.ipfs().pins()

    def unpin(self, cid: str) -> None:
        self.wallet.ipfs().unpin(Cid.parse(cid))


def _origins(ipfs: IpfsBackend) -> tuple[str, ...]:
    """This node's dial addresses, TCP first (what a pinning service fetches from)."""
    try:
        addrs = ipfs.node_info().dial_addresses
    except IpfsError:
        return ()
    return tuple(sorted(addrs, key=lambda a: "/quic" in a))


def _sub_progress(progress: ProgressSink | None, prefix: str) -> ProgressSink | None:
    """Each pinning service's step as one step of the backup's progress."""
    if progress is None:
        return None

    def sink(step: Progress) -> None:
        report(progress, 1, 4, prefix + step.message)

    return sink


def _split_cards(parsed: ParsedFile) -> tuple[ParsedFile, tuple[bytes, ...], Any]:
    """The records, the health cards and the profiles document (``None`` in a backup made
    before profiles) of a backup."""
    cards: list[bytes] = []
    people: Any = None
    items = []
    for item in parsed.items:
        res: dict[str, Any] = item.resource
        kind = res.get("contentType") if res.get("resourceType") == "Binary" else None
        if kind in (CARD_CONTENT_TYPE, PROFILES_CONTENT_TYPE):
            try:
                data = base64.b64decode(res["data"], validate=True)
                if kind == CARD_CONTENT_TYPE:
                    cards.append(data)
                else:
                    people = loads_strict(data, where="the backup's list of people", limits=DEFAULT_LIMITS)
            except (KeyError, ValueError) as exc:
                raise InvalidRecord(f"the backup {item.position}: a health card or the list of people is damaged.") \
                    from exc
        else:
            items.append(item)
    return ParsedFile(parsed.kind, tuple(items), parsed.bundle_type), tuple(cards), people


def _profiles_of(people: Any, count: int) -> tuple[tuple[Profile, ...], tuple[str, ...] | None]:
    """The profiles a backup names and the profile of each of its ``count`` records;
    nothing for a backup from before profiles (its records are the owner's)."""
    if people is None:
        return (), None
    try:
        profiles = tuple(Profile.from_json(str(p["name"]), bool(p["is_owner"]), p) for p in people["profiles"])
        names = tuple(str(n) for n in people["records"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidRecord("the backup's list of people is damaged.") from exc
    known = {p.name for p in profiles} | {OWNER}
    if len(names) != count or not set(names) <= known:
        raise InvalidRecord("the backup's list of people does not match its records.")
    return tuple(p for p in profiles if p.names_someone), names
