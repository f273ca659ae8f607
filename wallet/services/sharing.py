"""Sharing with a doctor: grant, list, revoke, open, and the access log.

Follows "The sharing protocol": the chosen records become a ``collection`` Bundle,
sealed with a fresh content key and pinned to IPFS; the key is wrapped to the doctor's
X25519 key published on chain; one ``grant`` transaction records the expiry. The
doctor's wallet checks ``isActive`` on chain, fetches, unwraps, decrypts, validates,
and logs the access with ``recordAccess``. Each grant is kept locally as a FHIR
``Consent``, each grant/revoke/open as an ``AuditEvent``.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..chain.backend import ChainBackend, Deployment, TxResult
from ..chain.grants import AccessGrant, GrantStatus, grant_id_hex
from ..chain.values import Address, GrantId
from ..errors import (
    ChainError,
    GrantNotActive,
    InvalidGrantId,
    IpfsError,
    NodeInUse,
    RecordNotFound,
    ShareError,
    WalletError,
)
from ..events import CancelToken, ProgressSink, report
from ..ipfs.cid import Cid
from ..ipfs.holders import fetch_sealed_from
from ..ipfs.sealed import publish_sealed
from ..records.bundle import bundle_resources
from ..records.consent import GRANT_SYSTEM, TX_SYSTEM, audit_event, consent_ids, grant_consent, revoke_consent
from ..records.store import NewRecord
from ..records.subjects import people_in_file
from ..records.summary import summarize
from ..share import protocol
from ..share.protocol import LOCAL_ONLY_TYPES, ShareContext
from ..share.token import MAX_PEERS, ShareToken, parse_token
from ..vault import aead
from .expiry import parse_expiry
from .exports import select_ids
from .pinning import NO_SHARE_HOLDER
from .wallet import UnlockedWallet

__all__ = ["LOCAL_ONLY_TYPES", "GrantReceipt", "GrantView", "OpenedShare", "RevokeReceipt", "Sharing"]

SHARE_PURPOSE = protocol.PURPOSE  # the sealed envelope's purpose, named where the protocol lives



@dataclass(frozen=True)
class GrantReceipt:
    grant_id: str
    grantee: str
    cid: str
    tx: TxResult
    expires_at: datetime
    token: str
    records: int


@dataclass(frozen=True)
class RevokeReceipt:
    """What a revoke did: the transaction (``None`` when the grant was already revoked on
    chain and only the unpin was retried) and whether this computer stopped serving the
    data; ``warning`` says what is left to do when it did not."""

    grant_id: str
    tx: TxResult | None
    unpinned: bool
    warning: str | None = None

    def __post_init__(self) -> None:
        if self.unpinned != (self.warning is None):
            raise ValueError("a receipt has a warning exactly when the data was not unpinned")


@dataclass(frozen=True)
class GrantView:
    """A grant as a list shows it, with its status at the chain's current time."""

    grant: AccessGrant
    status: GrantStatus
    counterpart: str  # the grantee (issued) or the patient (received)
    counterpart_name: str | None = None

    @property
    def grant_id(self) -> str:
        return self.grant.id_hex


@dataclass(frozen=True)
class OpenedShare:
    grant: AccessGrant
    bundle: dict[str, Any] = field(repr=False)
    counts: dict[str, int] = field(default_factory=dict)
    patient_name: str | None = None
    access_tx: TxResult | None = None
    people: tuple[str, ...] = ()  # whose records the share holds; more than one only from an older wallet

    @property
    def resources(self) -> list[dict[str, Any]]:
        """The shared FHIR resources, in the bundle's order."""
        return bundle_resources(self.bundle)


def _audit_identifiers(event: dict[str, Any]) -> dict[str, str]:
    """The grant id and transaction an AuditEvent names, by identifier system."""
    out: dict[str, str] = {}
    for entity in event.get("entity") or []:
        ident = ((entity or {}).get("what") or {}).get("identifier") or {}
        if ident.get("system") and ident.get("value"):
            out[ident["system"]] = ident["value"]
    return out


def _patient_name(resources: Iterable[dict[str, Any]]) -> str | None:
    for res in resources:
        if res.get("resourceType") == "Patient":
            return summarize(res).title
    return None


class Sharing:
    """Sharing use cases for one unlocked wallet (patient or doctor side)."""

    def __init__(self, wallet: UnlockedWallet) -> None:
        self.wallet = wallet

    def __repr__(self) -> str:
        return f"Sharing({self.wallet.identity.address})"

    @property
    def chain(self) -> ChainBackend:
        return self.wallet.chain()

    @property
    def me(self) -> str:
        return self.wallet.identity.address

    def now(self) -> datetime:
        """The chain's current time (aware UTC): the clock grants expire by."""
        return self.chain.now()

    def expires_at(self, text: str) -> datetime:
        """When a grant made now ends: ``7d``/``12h``/``2w`` or a date, on the chain's clock
        (the one the contract enforces). Raises :class:`WalletError` for a past, too distant
        or unreadable expiry."""
        return parse_expiry(text, now=self.now())

    @property
    def development_chain(self) -> bool:
        """Whether the chain is a local development chain (its gas costs no real money)."""
        return bool(self.chain.is_development)

    def _contract(self) -> str:
        address = self.chain.contract_address
        if not address:
            raise ChainError("No grants contract is configured on this chain; run 'health-wallet deploy-contract' "
                             "or set chain.contract.")
        return address

    def _context(self, grant_id: bytes) -> ShareContext:
        self._contract()
        contract = self.chain.contract_for(grant_id)  # an earlier contract's grants keep their binding
        return ShareContext(self.chain.chain_id, contract, GrantId(grant_id))

    def _remember(self, resource: dict[str, Any], *, replace: bool = False) -> None:
        store = self.wallet.store
        record = NewRecord(store.record_id(resource), resource, summarize(resource))
        if replace:
            store.put(record)
        else:
            store.add_many([record])

    def _audit(self, action: str, *, detail: str, grant_id: str | None = None, tx: str | None = None) -> None:
        self._remember(audit_event(action, chain_id=self.chain.chain_id, actor=self.me,
                                   at=self.wallet.app.clock.now(), detail=detail, grant_id=grant_id, tx=tx))

    # --- keys and contract ---------------------------------------------------------

    def deploy_contract(self) -> Deployment:
        deployment = self.chain.deploy(self.wallet.keys.account)
        self.wallet.app.config.set("chain.contract", deployment.address)
        return deployment

    def register_key(self) -> TxResult | None:
        """Publish this wallet's encryption key; ``None`` when the chain already has it."""
        if self.chain.encryption_key_of(self.me) == self.wallet.identity.encryption_key:
            return None
        return self.chain.register_key(self.wallet.keys.account, self.wallet.identity.encryption_key)

    def key_registered(self, address: str | None = None) -> bool:
        """Whether ``address`` (default: this wallet) has published its encryption key.

        For this wallet it must be *its* key: a stale one from an older phrase does not count.
        """
        if address is None:
            return self.chain.encryption_key_of(self.me) == self.wallet.identity.encryption_key
        return self.chain.encryption_key_of(Address.parse(address)) is not None

    # --- patient side ---------------------------------------------------------------

    def choose_records(self, *, ids: Iterable[str] = (), types: Iterable[str] = (),
                       categories: Iterable[str] = (), profile: str | None = None) -> list[str]:
        """Record ids of one profile (default: the owner's) to share; never the wallet's own trail."""
        chosen = select_ids(self.wallet, ids=ids, types=types, categories=categories, profile=profile)
        store = self.wallet.store
        chosen = [i for i in chosen if protocol.is_shareable(store.get_summary(i).resource_type)]
        if not chosen:
            raise ShareError("Nothing to share: no records match; import or choose some first.")
        return chosen

    def estimate_grant_gas(self, grantee: str) -> int:
        gid = GrantId.new(Address.parse(grantee))
        return self.chain.estimate_grant_gas(self.me, gid, grantee, "b" + "a" * 58, bytes(aead.WRAPPED_KEY_SIZE),
                                             self.chain.now() + timedelta(days=30))

    def grant(self, grantee: str, *, record_ids: Iterable[str], expires_at: datetime, grantee_name: str | None = None,
              profile: str | None = None, progress: ProgressSink | None = None,
              cancel: CancelToken | None = None) -> GrantReceipt:
        """Share records of one person: ``record_ids`` must all be of ``profile`` (default:
        the owner's), and that profile's Patient goes along, no one else's."""
        grantee = Address.parse(grantee)
        if grantee == self.me:
            raise ShareError("That is this wallet's own address; grant to the doctor's address.")
        ids = list(record_ids)
        self.wallet.require_in_profile(ids, profile)
        # The doctor needs to know whose records these are: the Patient always goes along.
        ids = protocol.with_patients(ids, self.wallet.store.ids(types=["Patient"], newest_first=False,
                                                                profile=profile or self.wallet.profile))
        chain = self.chain
        report(progress, 0, 5, "Looking up the doctor's key on chain")
        doctor_key = chain.require_encryption_key(grantee)
        if expires_at <= chain.now():
            raise ShareError("The expiry is already past on the chain's clock; choose a later one.")
        gid = GrantId.new(grantee)
        context = self._context(gid)

        report(progress, 1, 5, "Encrypting the records")
        store = self.wallet.store
        resources = [store.get(i) for i in ids]
        payload = protocol.envelope(resources, now=self.wallet.app.clock.now(),
                                    source_urls=[store.get_summary(i).full_url for i in ids])
        content_key = protocol.new_content_key()
        if cancel is not None:
            cancel.check()

        report(progress, 2, 5, "Publishing the encrypted bundle to IPFS")
        ipfs = self.wallet.ipfs()
        cid = publish_sealed(ipfs, content_key, payload, purpose=protocol.PURPOSE, aad=context.aad,
                             scratch_dir=getattr(ipfs, "scratch_dir", None), cancel=cancel)
        wrapped = protocol.wrap_content_key(doctor_key, content_key, context)
        del content_key, payload

        report(progress, 3, 5, "Recording the grant on chain")
        try:
            if cancel is not None:
                cancel.check()
            tx = chain.grant(self.wallet.keys.account, gid, grantee, str(cid), wrapped, expires_at)
        except WalletError:
            with contextlib.suppress(IpfsError):
                ipfs.unpin(cid)  # no grant, so nothing should stay pinned for it
            raise

        report(progress, 4, 5, "Keeping the consent")
        now = self.wallet.app.clock.now()
        self._remember(grant_consent(grant_id=grant_id_hex(gid), chain_id=chain.chain_id, patient=self.me,
                                     grantee=grantee, grantee_name=grantee_name, starts=now, expires=expires_at,
                                     record_refs=[f"{r['resourceType']}/{r.get('id', '')}" for r in resources],
                                     cid=str(cid)))
        self._audit("grant", detail=f"{len(resources)} records shared with {grantee_name or grantee} until "
                    f"{expires_at:%Y-%m-%d %H:%M} UTC", grant_id=grant_id_hex(gid), tx=tx.tx_hash)
        token = ShareToken(chain.chain_id, self._contract(), grant_id_hex(gid), self._peers(ipfs)).encode()
        report(progress, 5, 5, "Shared")
        return GrantReceipt(grant_id_hex(gid), grantee, str(cid), tx, expires_at, token, len(resources))

    @staticmethod
    def _peers(ipfs: Any) -> tuple[str, ...]:
        try:
            addrs = ipfs.node_info().dial_addresses
        except IpfsError:
            return ()
        # Prefer addresses a doctor can reach; loopback works for two wallets on one laptop.
        return tuple(addrs[:MAX_PEERS])

    def token_for(self, grant_id: str) -> str:
        gid = GrantId.parse(grant_id)
        return ShareToken(self.chain.chain_id, self._contract(), grant_id_hex(gid),
                          self._peers(self.wallet.ipfs(wait=10))).encode()

    def grants(self) -> list[GrantView]:
        now = self.chain.now()
        names = self._grantee_names()
        return [GrantView(g, g.status(now), g.grantee, names.get(g.grantee))
                for g in self.chain.grants_by_patient(self.me)]

    def _grantee_names(self) -> dict[str, str]:
        names: dict[str, str] = {}
        for row in self.wallet.store.ids(types=["Consent"]):
            consent = self.wallet.store.get(row)
            for actor in (consent.get("provision") or {}).get("actor") or []:
                ref = actor.get("reference") or {}
                value = (ref.get("identifier") or {}).get("value", "")
                if ref.get("display") and value.count(":") == 2:
                    names[Address(value.split(":")[2])] = ref["display"]
        return names

    def revoke(self, grant_id: str) -> TxResult:
        """Revoke on chain, unpin, mark the Consent inactive; the transaction.

        Callers that report the unpinning use :meth:`revoke_grant`.
        """
        gid, grant = self._own_grant(grant_id)
        if grant.revoked:
            raise GrantNotActive("This grant is already revoked.")
        receipt = self._revoke(gid, grant)
        assert receipt.tx is not None
        return receipt.tx

    def revoke_grant(self, grant_id: str) -> RevokeReceipt:
        """Revoke ``grant_id`` on chain and stop serving its data: a :class:`RevokeReceipt`.

        The on-chain revoke is what stops an honest doctor's client; unpinning only stops
        this computer from serving the (encrypted) blob. When the unpin fails, e.g. while
        another process (``health-wallet serve``, the open app) holds this wallet's IPFS
        node, the receipt says ``unpinned=False`` with a warning instead of claiming it.
        A grant already revoked on chain is not sent again: the unpin is retried, so
        running the same revoke again finishes the job.

        Raises :class:`ShareError` for a malformed id or another patient's grant,
        :class:`ChainError` when the chain refuses or cannot be reached.
        """
        gid, grant = self._own_grant(grant_id)
        return self._revoke(gid, grant)

    def _own_grant(self, grant_id: str) -> tuple[bytes, AccessGrant]:
        gid = GrantId.parse(grant_id)
        grant = self.chain.grant_info(gid)
        if grant.patient != self.me:
            raise ShareError("Only the patient who made a grant can revoke it; this wallet did not make it.")
        return gid, grant

    def _revoke(self, gid: bytes, grant: AccessGrant) -> RevokeReceipt:
        gid_hex = grant_id_hex(gid)
        tx = None if grant.revoked else self.chain.revoke(self.wallet.keys.account, gid)
        unpinned, warning = self._unpin(Cid(grant.cid), gid_hex)
        if tx is not None:
            consent = self._consent_of(gid_hex)
            if consent is not None:  # None: granted from another computer, the chain is the record
                self._remember(revoke_consent(consent, at=self.wallet.app.clock.now()), replace=True)
            self._audit("revoke", detail=f"Access of {grant.grantee} revoked", grant_id=gid_hex, tx=tx.tx_hash)
        return RevokeReceipt(gid_hex, tx, unpinned, warning)

    def _unpin(self, cid: Cid, grant_id: str) -> tuple[bool, str | None]:
        again = f"run 'health-wallet revoke {grant_id}' again to unpin it. It stays encrypted; the revoke stands."
        try:
            self.wallet.ipfs(wait=30).unpin(cid)
        except NodeInUse:
            return False, ("The shared data is still pinned: another Health Wallet process (such as 'health-wallet "
                           f"serve' or the open app) is using this wallet's IPFS node; stop it and {again}")
        except IpfsError as exc:
            return False, f"The shared data may still be pinned ({exc.user_message}); {again}"
        return True, None

    def _consent_of(self, grant_id: str) -> dict[str, Any] | None:
        """The Consent kept for ``grant_id``: by its id, or by a legacy id whose identifier names it."""
        store = self.wallet.store
        for fid in consent_ids(grant_id):
            try:
                consent = store.get(store.record_id({"resourceType": "Consent", "id": fid}))
            except RecordNotFound:
                continue
            idents = consent.get("identifier") or []
            if any(isinstance(i, dict) and i.get("system") == GRANT_SYSTEM and str(i.get("value", "")).lower()
                   == grant_id.lower() for i in idents):
                return consent
        return None

    # --- doctor side ----------------------------------------------------------------

    def received(self) -> list[GrantView]:
        now = self.chain.now()
        return [GrantView(g, g.status(now), g.patient) for g in self.chain.grants_for_grantee(self.me)]

    def open(self, grant_or_token: str, *, progress: ProgressSink | None = None,
             cancel: CancelToken | None = None, timeout: float = 60.0) -> OpenedShare:
        """Check on chain, fetch, unwrap, decrypt, validate, then log the access on chain.

        ``cancel`` is honoured until the access is logged (nothing is logged for a cancelled open).
        """
        text = grant_or_token.strip()
        peers: tuple[str, ...] = ()
        if text.startswith("hwshare:"):
            token = parse_token(text)
            known = {a.lower() for a in (self.chain.contract_address or "", *self.chain.earlier_contracts)}
            if token.chain_id != self.chain.chain_id or token.contract.lower() not in known:
                raise ShareError(
                    f"This share is on chain {token.chain_id} (contract {token.contract}); this wallet uses chain "
                    f"{self.chain.chain_id}. Set chain.rpc and chain.contract to that chain.")
            gid, peers = GrantId.parse(token.grant_id), token.peers
        else:
            try:
                gid = GrantId.parse(text)
            except InvalidGrantId as exc:
                raise ShareError("Give a grant id (0x + 64 hex digits) or a share token (hwshare:1:…).") from exc

        report(progress, 0, 5, "Checking the grant on chain")
        grant = self.chain.grant_info(gid)
        if grant.grantee != self.me:
            raise ShareError("This share is addressed to another wallet; only its doctor can open it.")
        status = grant.status(self.chain.now())
        if status is GrantStatus.REVOKED:
            raise GrantNotActive("The patient revoked this share; it can no longer be opened.")
        if status is GrantStatus.EXPIRED:
            raise GrantNotActive(f"This share expired on {grant.expires_at:%Y-%m-%d %H:%M} UTC.")

        if cancel is not None:
            cancel.check()
        report(progress, 1, 5, "Fetching the encrypted bundle from IPFS")
        ipfs = self.wallet.ipfs()
        context = self._context(gid)
        content_key = protocol.unwrap_content_key(self.wallet.keys.encryption_private, grant.wrapped_key, context)
        report(progress, 2, 5, "Decrypting")
        # Dial the token's holders first: when none answers, say so within seconds, not after the time-out.
        plain = fetch_sealed_from(ipfs, Cid(grant.cid), content_key, holders=peers, unreachable=NO_SHARE_HOLDER,
                                  purpose=protocol.PURPOSE, aad=context.aad, timeout=timeout)

        if cancel is not None:
            cancel.check()
        report(progress, 3, 5, "Validating the records")
        # The input gate first (size, depth, entries, digits, time): a crafted share must not
        # crash this wallet; then FHIR validation, and no unsafe narrative is passed on.
        opened = protocol.read_envelope(plain)
        bundle, resources = opened.bundle, opened.resources

        if cancel is not None:
            cancel.check()
        report(progress, 4, 5, "Logging the access on chain")
        tx = self.chain.record_access(self.wallet.keys.account, gid)
        self._audit("open", detail=f"{len(resources)} records shared by {grant.patient} opened",
                    grant_id=grant_id_hex(gid), tx=tx.tx_hash)
        report(progress, 5, 5, "Opened")
        counts = dict(sorted(Counter(r["resourceType"] for r in resources).items()))
        people = tuple(p.describe() for p in people_in_file(opened.parsed))
        return OpenedShare(grant, bundle, counts, _patient_name(resources), tx, people)

    # --- the log ------------------------------------------------------------------------

    def audit(self) -> list[dict[str, Any]]:
        """On-chain events where this wallet is a party, and the local AuditEvents, newest first."""
        events: list[dict[str, Any]] = []
        for ev in self.chain.access_log(self.me):
            events.append({"source": "chain", "event": ev.kind.value, "grant_id": ev.id_hex, "at": ev.at.isoformat(),
                           "party": ev.party(self.me), "patient": ev.patient, "grantee": ev.grantee,
                           "tx": ev.tx_hash, "block": ev.block})
        for row in self.wallet.store.summaries(types=["AuditEvent"]):
            ids = _audit_identifiers(self.wallet.store.get(row.id))
            events.append({"source": "local", "event": row.summary.title, "at": row.summary.date,
                           "detail": row.summary.detail, "id": row.id, "grant_id": ids.get(GRANT_SYSTEM),
                           "tx": ids.get(TX_SYSTEM)})
        events.sort(key=lambda e: e["at"], reverse=True)
        return events
