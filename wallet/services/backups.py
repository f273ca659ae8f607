"""Backups on IPFS: the whole record, sealed with a key only the recovery phrase gives.

A backup is a FHIR ``collection`` Bundle of every record (the wallet's Consents and
AuditEvents included) and every imported SMART Health Card, carried as a ``Binary``
(``application/smart-health-card``) so it comes back byte for byte. It is sealed with
HKDF(seed, "backup"), pinned, and its CID is recorded on chain (``Backup`` event), so
a wallet restored from the phrase on a new laptop finds and opens its latest backup.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from ..errors import ChainError, InvalidRecord, IpfsError, WalletError
from ..events import CancelToken, ProgressSink, report
from ..ipfs.backend import PinInfo
from ..ipfs.cid import Cid
from ..ipfs.sealed import fetch_sealed, publish_sealed
from ..records import fhir_json
from ..records.bundle import collection_bundle
from ..records.consent import audit_event
from ..records.importer import ImportResult, import_parsed
from ..records.parse import ParsedFile, loads_strict, parse_bytes
from ..records.profiles import OWNER, Profile
from ..records.store import NewRecord
from ..records.summary import summarize
from ..untrusted import DEFAULT_LIMITS
from .wallet import UnlockedWallet

__all__ = ["CARD_CONTENT_TYPE", "BackupReceipt", "Backups"]

BACKUP_PURPOSE = "backup"
CARD_CONTENT_TYPE = "application/smart-health-card"
PROFILES_CONTENT_TYPE = "application/x-health-wallet-profiles+json"  # whose each record is


@dataclass(frozen=True)
class BackupReceipt:
    cid: str
    records: int
    cards: int
    tx: str | None  # the on-chain pointer, when the chain was reachable
    warning: str | None = None


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
                record_on_chain: bool = True) -> BackupReceipt:
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
        tx_hash, warning = None, None
        if record_on_chain:
            report(progress, 2, 4, "Recording the backup on chain")
            try:
                tx_hash = self.wallet.chain().publish_backup(self.wallet.keys.account, str(cid)).tx_hash
            except ChainError as exc:
                warning = (f"The backup is on IPFS but could not be recorded on chain ({exc.user_message}); "
                           f"keep its CID {cid} to restore it.")
        report(progress, 3, 4, "Keeping a note of it")
        event = audit_event("backup", chain_id=None, actor=self.wallet.identity.address,
                            at=self.wallet.app.clock.now(), tx=tx_hash,
                            detail=f"Backup of {len(resources)} records and {len(cards)} cards: ipfs://{cid}")
        store.add_many([NewRecord(store.record_id(event), event, summarize(event))])
        report(progress, 4, 4, "Backed up")
        return BackupReceipt(str(cid), len(resources), len(cards), tx_hash, warning)

    def latest_cid(self) -> str | None:
        return self.wallet.chain().latest_backup(self.wallet.identity.address)

    def restore(self, cid: str | None = None, *, peers: tuple[str, ...] = (), timeout: float = 120.0,
                progress: ProgressSink | None = None, cancel: CancelToken | None = None) -> tuple[str, ImportResult]:
        """Fetch, open and import a backup, all or nothing; the latest on chain when ``cid`` is None."""
        if cid is None:
            report(progress, 0, 4, "Looking up the latest backup on chain")
            cid = self.latest_cid()
            if cid is None:
                raise WalletError("No backup of this wallet is recorded on chain; give the backup's CID.")
        parsed_cid = Cid.parse(cid)
        ipfs = self.wallet.ipfs()
        for peer in peers:
            try:
                ipfs.connect(peer, timeout=15)
            except IpfsError:
                continue
        report(progress, 1, 4, "Fetching the backup from IPFS")
        plain = fetch_sealed(ipfs, parsed_cid, self._key(), purpose=BACKUP_PURPOSE, aad=self._aad(), timeout=timeout)
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
    return tuple(p for p in profiles if p.patient is not None or p.references), names
