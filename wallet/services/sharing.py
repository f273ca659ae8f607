"""Sharing with a doctor: grant, list, revoke, open, and the access log.

Follows "The sharing protocol" (second version, docs/networks-and-signed-grants.md): the
chosen records become a ``collection`` Bundle, sealed with a fresh content key and pinned
to IPFS; the key is wrapped to the doctor's X25519 key published on chain. The patient
signs the grant (EIP-712) with a fresh per-grant key derived from the phrase
(``m/44'/60'/18519'/0/i``, the index kept in the grant's ``Consent``); the share token
carries the signed grant and a label sealed to the doctor. Whoever submits pays: by
default the doctor's wallet on first open, in the same transaction as its access log
(``grantBySigAndRecordAccess``); the patient at once with ``submit=True`` or on a
development chain. Revocation is signed by the per-grant key and submitted by any funded
account (a never-submitted grant's id is burned). Grants of the first contract (signed by
the wallet's main account) keep listing, opening and revoking. Each grant is kept
locally as a FHIR ``Consent``, each grant/revoke/open as an ``AuditEvent``.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .. import untrusted
from ..chain.backend import ChainBackend, Deployment, OpenReading, PreparedTx, Signer, TxResult
from ..chain.eip712 import (
    MAX_SIGNED_CHARS,
    Eip712Domain,
    SignedGrant,
    SignedRevoke,
    load_signed,
    recover_signed_grant,
    sign_grant,
    sign_revoke,
    signature_bytes,
    signed_grant_id,
)
from ..chain.grant_keys import GAP_LIMIT, GrantKeyScan, scan_grant_keys_batched
from ..chain.grants import AccessGrant, GrantStage, GrantStatus, from_chain_time, grant_id_hex, to_chain_time
from ..chain.networks import EMBEDDED, NetworkProfile
from ..chain.values import Address, GrantId
from ..errors import (
    ChainError,
    ChainUnavailable,
    DecryptionError,
    GrantNotActive,
    InsufficientFunds,
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
from ..records.consent import (
    GRANT_KEY_SYSTEM,
    GRANT_SYSTEM,
    TOKEN_SYSTEM,
    TX_SYSTEM,
    audit_event,
    consent_ids,
    grant_consent,
    revoke_consent,
)
from ..records.store import NewRecord
from ..records.subjects import people_in_file
from ..records.summary import category_of, summarize
from ..share import protocol
from ..share.label import ShareLabel, open_label, seal_label
from ..share.protocol import LOCAL_ONLY_TYPES, ShareContext
from ..share.received import ReceivedShares
from ..share.token import MAX_DELEGATES, MAX_PEERS, ShareToken, SignedGrantParts, parse_token
from ..vault import aead
from .audit_log import AuditEntry
from .background import Background
from .expiry import parse_expiry
from .exports import select_ids
from .pinning import (
    HeldBy,
    availability,
    dial_hints,
    no_share_holder,
    origins_of,
    pin_remotely,
    preferred_addresses,
    unpin_remotely,
)
from .wallet import UnlockedWallet

__all__ = [
    "LOCAL_ONLY_TYPES",
    "GrantReceipt",
    "GrantView",
    "OpenedShare",
    "RevocationPlan",
    "RevokeReceipt",
    "Sharing",
    "SubmitReceipt",
]

MIN_ID_PART = 8  # hex digits of a grant id's start or end that name it where a full id is taken
SHARE_PURPOSE = protocol.PURPOSE  # the sealed envelope's purpose, named where the protocol lives



@dataclass(frozen=True)
class GrantReceipt:
    """What ``grant`` did. ``tx`` is the submitting transaction, ``None`` while the signed
    grant waits for the doctor to submit it on first open (``on_chain`` False).
    ``grant_signer`` is the per-grant address the contract stores as the patient (the main
    address for a grant on a first-version contract); ``held_by`` names the remote holders
    of the ciphertext."""

    grant_id: str
    grantee: str
    cid: str
    tx: TxResult | None
    expires_at: datetime
    token: str
    records: int
    on_chain: bool = True
    grant_signer: str | None = None
    held_by: tuple[HeldBy, ...] = ()
    grant_key_index: int | None = None
    message: str | None = None  # the message as the doctor reads it
    message_truncated: bool = False  # the message was cut to fit the label (140 characters, the token's size)

    @property
    def availability(self) -> str:
        """Held by a pinning service, or only while this computer is online (one sentence)."""
        return availability(self.held_by)


@dataclass(frozen=True)
class RevokeReceipt:
    """What a revoke did: the transaction (``None`` when the grant was already revoked on
    chain and only the unpin was retried) and whether this computer stopped serving the
    data; ``warning`` says what is left to do when it did not."""

    grant_id: str
    tx: TxResult | None
    unpinned: bool
    warning: str | None = None
    remote_problems: tuple[str, ...] = ()  # one line per pinning service that could not drop its copy

    def __post_init__(self) -> None:
        if self.unpinned != (self.warning is None):
            raise ValueError("a receipt has a warning exactly when the data was not unpinned")


@dataclass(frozen=True)
class GrantView:
    """A grant as a list shows it, with its status at the chain's current time.

    ``on_chain`` is False for a signed grant nobody has submitted yet (it still opens from
    its token), ``None`` when it is on a chain this wallet is not connected to. ``label`` is
    what the patient's wallet sealed for the doctor (received grants whose token this wallet
    holds); ``counterpart_name`` is then the patient's name from it."""

    grant: AccessGrant
    status: GrantStatus
    counterpart: str  # the grantee (issued) or the patient (received)
    counterpart_name: str | None = None
    on_chain: bool | None = True
    label: ShareLabel | None = None
    chain_id: int | None = None
    network: str | None = None  # the profile for ``chain_id`` when the grant is on another chain

    @property
    def grant_id(self) -> str:
        return self.grant.id_hex

    @property
    def checked(self) -> bool:
        """Whether ``status`` was read from the grant's own chain (``on_chain`` not ``None``);
        a grant on another network is shown as unknown, never as active."""
        return self.on_chain is not None

    @property
    def status_text(self) -> str:
        """The status in a few words: ``unknown (on another network: NAME)`` for a grant on
        another chain, ``signed, not yet on chain`` for an active one nobody submitted."""
        if not self.checked:
            return f"unknown (on another network: {self.network or f'chain {self.chain_id}'})"
        if self.on_chain is False and self.status is GrantStatus.ACTIVE:
            return "signed, not yet on chain"
        return self.status.value


@dataclass(frozen=True)
class OpenedShare:
    grant: AccessGrant
    bundle: dict[str, Any] = field(repr=False)
    counts: dict[str, int] = field(default_factory=dict)
    patient_name: str | None = None
    access_tx: TxResult | None = None
    people: tuple[str, ...] = ()  # whose records the share holds; more than one only from an older wallet
    grant_tx: TxResult | None = None  # set when this open submitted the signed grant (with the access log)
    label: ShareLabel | None = None
    network: str | None = None  # the network profile the share was opened on ("custom": chain.rpc)

    @property
    def resources(self) -> list[dict[str, Any]]:
        """The shared FHIR resources, in the bundle's order."""
        return bundle_resources(self.bundle)


@dataclass(frozen=True)
class RevocationPlan:
    """What revoking a grant needs and costs, said plainly before it is done.

    ``gas`` × ``fee_per_gas`` = ``cost`` (wei) in ``currency``; ``payer`` is the account that
    would pay and ``can_pay`` whether it holds enough (a development chain funds it).
    ``burn``: the grant was never submitted, so revoking burns its id."""

    grant_id: str
    signed: bool
    burn: bool
    gas: int
    fee_per_gas: int
    currency: str
    payer: str
    payer_balance: int
    can_pay: bool
    development: bool

    @property
    def cost(self) -> int:
        """The most the revocation costs, in wei: ``gas`` (the transaction's gas limit) ×
        ``fee_per_gas``, the figure the payer's balance is checked against when it is sent;
        0 on a development chain (the node funds it)."""
        return 0 if self.development else self.gas * self.fee_per_gas

    def describe(self) -> str:
        """One or two sentences for the CLI and the GUI."""
        what = ("This grant was never submitted: revoking burns its id so it can never be opened."
                if self.burn else "Revoking sends one transaction.")
        if self.development:
            return f"{what} It costs nothing here (a development chain)."
        cost = f"up to {self.cost / 10**18:.6f} {self.currency} ({self.gas:,} gas at most)"
        if self.can_pay:
            return f"{what} It costs {cost}, paid by {self.payer}."
        how = (" Or run 'revoke ID --signed-out FILE' and have any funded wallet run 'health-wallet submit FILE'."
               if self.signed else "")
        return (f"{what} It costs {cost}; {self.payer} holds {self.payer_balance / 10**18:.6f} {self.currency}. "
                f"Send {self.currency} to it first.{how}")


@dataclass(frozen=True)
class SubmitReceipt:
    """A signed grant or revocation submitted by this wallet (which paid)."""

    kind: str  # "grant" or "revoke"
    grant_id: str
    tx: TxResult


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


@dataclass(frozen=True)
class _OwnGrant:
    """One of this wallet's grants: ``key_index`` of its per-grant key (``None``: the main
    account, a first-version grant); ``submitted`` False while only the token holds it."""

    gid: GrantId
    grant: AccessGrant
    key_index: int | None
    submitted: bool

    @property
    def id_hex(self) -> str:
        return grant_id_hex(self.gid)


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
        """Gas to submit a signed grant to ``grantee`` (what the doctor pays on first open)."""
        chain = self.chain
        account = self.wallet.keys.grant_account(0)
        signed = sign_grant(account, chain.domain, grantee, "b" + "a" * 58, bytes(aead.WRAPPED_KEY_SIZE),
                            chain.now() + timedelta(days=30))
        return chain.estimate_signed_grant_gas(self.me, signed)

    # --- per-grant keys -----------------------------------------------------------------

    def _consents(self) -> list[dict[str, Any]]:
        store = self.wallet.store
        return [store.get(row) for row in store.ids(types=["Consent"])]

    @staticmethod
    def _identifier(consent: dict[str, Any], system: str) -> str | None:
        for ident in consent.get("identifier") or []:
            if isinstance(ident, dict) and ident.get("system") == system and isinstance(ident.get("value"), str):
                return str(ident["value"])
        return None

    def _local_key_indices(self) -> dict[int, str]:
        """Grant key index → grant id, from the Consents this wallet keeps."""
        out: dict[int, str] = {}
        for consent in self._consents():
            index, gid = self._identifier(consent, GRANT_KEY_SYSTEM), self._identifier(consent, GRANT_SYSTEM)
            if index is not None and index.isdigit() and gid:
                out[int(index)] = gid
        return out

    def scan_grant_keys(self, *, start: int = 0) -> GrantKeyScan:
        """The per-grant key indices from ``start`` the chain has seen, by the gap rule
        (:mod:`wallet.chain.grant_keys`: stop after 20 unused addresses in a row, asking 20
        at a time); how a wallet restored from its phrase finds its grants again."""
        keys, chain = self.wallet.keys, self.chain
        return scan_grant_keys_batched(keys.grant_address, chain.patients_with_activity, gap=GAP_LIMIT, start=start)

    def _known_key_indices(self) -> list[int]:
        """Indices kept locally, and those the chain knows beyond them (all of them, for a
        wallet that keeps none: a restored one)."""
        local = set(self._local_key_indices())
        return sorted(local | set(self.scan_grant_keys(start=max(local) + 1 if local else 0).used))

    def _next_key_index(self) -> int:
        """After every index kept here and every one the chain knows beyond them (the same
        phrase may share from another computer), so no two grants share a patient address."""
        local = self._local_key_indices()
        start = max(local) + 1 if local else 0
        return max(start, self.scan_grant_keys(start=start).next_index)

    def _grant_addresses(self) -> dict[str, int]:
        keys = self.wallet.keys
        return {keys.grant_address(i): i for i in self._known_key_indices()}

    # --- patient side: grant -----------------------------------------------------------

    def share_label(self, resources: Iterable[dict[str, Any]], *, message: str | None = None) -> ShareLabel:
        """The label a share of ``resources`` carries: the patient's name, categories with counts, a message."""
        resources = list(resources)
        counts = Counter(category_of(r) for r in resources if r.get("resourceType") != "Patient")
        return ShareLabel(_patient_name(resources), tuple(counts.items()), message)

    def grant(self, grantee: str, *, record_ids: Iterable[str], expires_at: datetime, grantee_name: str | None = None,
              profile: str | None = None, message: str | None = None, submit: bool | None = None,
              delegates: Sequence[str] = (), progress: ProgressSink | None = None,
              cancel: CancelToken | None = None) -> GrantReceipt:
        """Share records of one person: ``record_ids`` must all be of ``profile`` (default:
        the owner's), and that profile's Patient goes along, no one else's.

        The grant is signed (EIP-712) with the next per-grant key. ``submit``: ``True`` submits
        it now (paid by this wallet: raises :class:`~wallet.errors.InsufficientFunds` when it
        cannot pay), ``False`` leaves it to the doctor's first open, ``None`` (default) submits
        only on a development chain. ``message`` goes into the label sealed to the doctor;
        ``delegates`` (multiaddrs of nodes that hold the ciphertext) go into the token.
        On a chain whose contract predates signed grants, the grant is made directly by the
        wallet's account as before. Raises :class:`ShareError`, :class:`ChainError`, :class:`IpfsError`."""
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
        try:
            domain: Eip712Domain | None = chain.domain
        except ChainUnavailable:
            domain = None  # a first-version contract: grants are made by the wallet's account
        index: int | None = None
        signer = None
        if domain is None:
            gid = GrantId.new(grantee)
        else:
            index = self._next_key_index()
            signer = self.wallet.keys.grant_account(index)
            gid = GrantId(signed_grant_id(grantee, signer.address))
            while chain.grant_stage(gid) is not GrantStage.UNUSED:  # a key used by a grant this wallet forgot
                index += 1
                signer = self.wallet.keys.grant_account(index)
                gid = GrantId(signed_grant_id(grantee, signer.address))
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
        if cancel is not None:
            cancel.check()
        # Every configured pinning service keeps a copy (none configured: at once, nothing);
        # the token names their nodes so the doctor can fetch while this computer is off.
        held_by = tuple(pin_remotely(self.wallet, cid, origins_of(self.wallet), None, cancel))
        delegates = tuple(dict.fromkeys([*delegates, *dial_hints(held_by)]))[:MAX_DELEGATES]
        wrapped = protocol.wrap_content_key(doctor_key, content_key, context)
        label = self.share_label(resources, message=message).fitted()  # what the doctor reads
        wanted = " ".join((message or "").split())
        sealed_label = seal_label(label, content_key, gid)
        del content_key, payload

        tx: TxResult | None = None
        signed: SignedGrant | None = None
        try:
            if cancel is not None:
                cancel.check()
            if domain is None or signer is None:
                report(progress, 3, 5, "Recording the grant on chain")
                tx = chain.grant(self.wallet.keys.account, gid, grantee, str(cid), wrapped, expires_at)
            else:
                report(progress, 3, 5, "Signing the grant")
                signed = sign_grant(signer, domain, grantee, str(cid), wrapped, expires_at)
                if submit or (submit is None and chain.is_development):
                    report(progress, 3, 5, "Submitting the grant on chain")
                    tx = self._submit_grant(signed, signer)
        except WalletError:
            with contextlib.suppress(IpfsError):
                ipfs.unpin(cid)  # no grant, so nothing should stay pinned for it
            if held_by:
                with contextlib.suppress(WalletError):
                    unpin_remotely(self.wallet, cid)
            raise

        report(progress, 4, 5, "Keeping the consent")
        token = ShareToken(
            chain.chain_id, context.contract, grant_id_hex(gid), self._peers(ipfs),
            SignedGrantParts(str(cid), wrapped, to_chain_time(expires_at), signature_bytes(signed))
            if signed is not None else None,
            sealed_label, tuple(delegates)).encode()
        patient = signer.address if signer is not None else self.me
        now = self.wallet.app.clock.now()
        self._remember(grant_consent(grant_id=grant_id_hex(gid), chain_id=chain.chain_id, patient=patient,
                                     grantee=grantee, grantee_name=grantee_name, starts=now, expires=expires_at,
                                     record_refs=[f"{r['resourceType']}/{r.get('id', '')}" for r in resources],
                                     cid=str(cid), grant_key_index=index, token=token))
        where = "on chain" if tx is not None else "signed; the doctor's wallet submits it on first open"
        self._audit("grant", detail=f"{len(resources)} records shared with {grantee_name or grantee} until "
                    f"{expires_at:%Y-%m-%d %H:%M} UTC ({where})", grant_id=grant_id_hex(gid),
                    tx=tx.tx_hash if tx else None)
        report(progress, 5, 5, "Shared")
        return GrantReceipt(grant_id_hex(gid), grantee, str(cid), tx, expires_at, token, len(resources),
                            on_chain=tx is not None, grant_signer=patient, held_by=held_by,
                            grant_key_index=index, message=label.message,
                            message_truncated=(label.message or "") != wanted)

    def _submit_grant(self, signed: SignedGrant, signer: Any) -> TxResult:
        """Submit this wallet's signed grant. On a development chain the per-grant key pays
        (funded by the node), so nothing on chain ties the grant to the wallet's address; on
        any other chain the wallet's funded account pays (its address is then the
        transaction's sender: say so where the user chooses it)."""
        chain = self.chain
        payer = signer if chain.is_development else self.wallet.keys.account
        try:
            return chain.submit_signed_grant(payer, signed)
        except InsufficientFunds as exc:
            raise InsufficientFunds(f"{exc.user_message.rstrip('.')}. Or share without submitting: the doctor's "
                                    "wallet records the grant when it first opens it, and pays.") from exc

    @staticmethod
    def _peers(ipfs: Any) -> tuple[str, ...]:
        try:
            addrs = ipfs.node_info().dial_addresses
        except IpfsError:
            return ()
        # Addresses a doctor on another computer can reach come first (TCP, routable, IPv4);
        # loopback, which serves two wallets on one laptop, only fills what room is left.
        return preferred_addresses(addrs, MAX_PEERS)

    def resolve_grant_id(self, text: str) -> str:
        """A full grant id (``0x`` + 64 hex digits) from itself or from a unique prefix or suffix
        of at least :data:`MIN_ID_PART` hex digits (``0x`` optional) of a grant this wallet keeps:
        one it issued (its ``Consent``) or a share it was handed. Raises :class:`InvalidGrantId`
        for text that is neither, :class:`ShareError` when no kept grant or several match."""
        with contextlib.suppress(InvalidGrantId):
            return grant_id_hex(GrantId.parse(text))
        part = text.strip().lower().removeprefix("0x")
        if len(part) < MIN_ID_PART or not all(c in "0123456789abcdef" for c in part):
            raise InvalidGrantId(f"{text.strip()[:80]!r} is not a grant id (0x followed by 64 hex digits, or at least "
                                 f"{MIN_ID_PART} hex digits of its start or end).")
        known = {self._identifier(c, GRANT_SYSTEM) for c in self._consents()}
        known |= {s.grant_id for s in self._received_book().all()}
        ids = sorted({"0x" + k.lower().removeprefix("0x") for k in known if k})
        found = [k for k in ids if k[2:].startswith(part) or k.endswith(part)]
        if len(found) == 1:
            return found[0]
        if not found:
            raise ShareError(f"No grant this wallet keeps starts or ends with {part}; give the full grant id.")
        raise ShareError(f"{len(found)} grants start or end with {part}; give more digits (the end of the id "
                         "tells them apart) or the full grant id.")

    def token_for(self, grant_id: str) -> str:
        """The token of one of this wallet's grants.

        The token kept in the grant's ``Consent`` is returned without starting the IPFS node;
        its peer addresses are refreshed only when this wallet's node is already running (the
        app). A grant made elsewhere (no Consent here) gets a first-version token with this
        node's addresses, which starts the node. Raises :class:`ShareError` for an unknown or
        ambiguous id."""
        gid = GrantId.parse(self.resolve_grant_id(grant_id))
        consent = self._consent_of(grant_id_hex(gid))
        kept = self._identifier(consent, TOKEN_SYSTEM) if consent is not None else None
        if kept is not None:
            token = parse_token(kept)
            running = self.wallet.running_ipfs()
            peers = self._peers(running) if running is not None else ()
            if not peers:
                return kept
            return ShareToken(token.chain_id, token.contract, token.grant_id, peers, token.signed, token.label,
                              token.delegates).encode()
        peers = self._peers(self.wallet.ipfs(wait=10))
        return ShareToken(self.chain.chain_id, self._contract(), grant_id_hex(gid), peers).encode()

    def grants(self) -> list[GrantView]:
        """Grants this wallet issued: on chain under its main address (first-version grants)
        or any of its per-grant addresses (found locally and by the restore scan), and signed
        grants nobody has submitted yet (from the Consents), newest last."""
        chain = self.chain
        now = chain.now()
        names = self._grantee_names()
        addresses = [self.me, *self._grant_addresses()]
        found = chain.grants_by_patients(addresses)
        views = [GrantView(g, g.status(now), g.grantee, names.get(g.grantee), chain_id=chain.chain_id)
                 for g in found]
        on_chain = {g.id_hex.lower() for g in found}
        for consent in self._consents():
            text = self._identifier(consent, TOKEN_SYSTEM)
            gid = self._identifier(consent, GRANT_SYSTEM)
            if text is None or gid is None or gid.lower() in on_chain:
                continue
            token = parse_token(text)
            if token.signed is None or token.chain_id != chain.chain_id:
                continue
            stage = chain.grant_stage(GrantId.parse(gid))
            if stage is GrantStage.GRANTED:
                continue  # submitted meanwhile; its events will list it
            grant = self._pending_grant(token, consent, revoked=stage is GrantStage.BURNED)
            views.append(GrantView(grant, grant.status(now), grant.grantee, names.get(grant.grantee),
                                   on_chain=False, chain_id=chain.chain_id))
        return views

    def _pending_grant(self, token: ShareToken, consent: dict[str, Any] | None, *, revoked: bool) -> AccessGrant:
        signed = token.signed
        assert signed is not None
        signer = "0x" + "00" * 8 + token.grant_id[-24:]  # replaced below when known
        if consent is not None:
            index = self._identifier(consent, GRANT_KEY_SYSTEM)
            if index is not None and index.isdigit():
                signer = self.wallet.keys.grant_address(int(index))
        return AccessGrant(GrantId.parse(token.grant_id), signer, GrantId.parse(token.grant_id).grantee,
                           from_chain_time(signed.expires_at), signed.cid, signed.wrapped_key, revoked=revoked)

    def _grantee_names(self) -> dict[str, str]:
        names: dict[str, str] = {}
        for consent in self._consents():
            for actor in (consent.get("provision") or {}).get("actor") or []:
                ref = actor.get("reference") or {}
                value = (ref.get("identifier") or {}).get("value", "")
                if ref.get("display") and value.count(":") == 2:
                    names[Address(value.split(":")[2])] = ref["display"]
        return names

    # --- patient side: revoke ----------------------------------------------------------

    def revoke(self, grant_id: str) -> TxResult:
        """Revoke on chain, unpin, mark the Consent inactive; the transaction.

        Callers that report the unpinning use :meth:`revoke_grant`.
        """
        own = self._own_grant(grant_id)
        if own.grant.revoked:
            raise GrantNotActive("This grant is already revoked.")
        receipt = self._revoke(own)
        assert receipt.tx is not None
        return receipt.tx

    def revoke_grant(self, grant_id: str) -> RevokeReceipt:
        """Revoke ``grant_id`` on chain and stop serving its data: a :class:`RevokeReceipt`.

        A signed grant is revoked by its per-grant key's ``Revoke`` signature (``revokeBySig``);
        one never submitted has its id burned, so its token can never be opened. The
        transaction is paid by the per-grant key on a development chain, else by the wallet's
        account; when that cannot pay, :class:`~wallet.errors.InsufficientFunds` says to use
        :meth:`sign_revocation` and have any funded wallet submit it. A first-version grant is
        revoked by the wallet's account (``revoke``).

        The on-chain revoke is what stops an honest doctor's client; unpinning only stops
        this computer from serving the (encrypted) blob. When the unpin fails, e.g. while
        another process (``health-wallet serve``, the open app) holds this wallet's IPFS
        node, the receipt says ``unpinned=False`` with a warning instead of claiming it.
        A grant already revoked on chain is not sent again: the unpin is retried, so
        running the same revoke again finishes the job.

        Raises :class:`ShareError` for a malformed id or another patient's grant,
        :class:`ChainError` when the chain refuses or cannot be reached.
        """
        return self._revoke(self._own_grant(grant_id))

    def _own_grant(self, grant_id: str) -> _OwnGrant:
        gid = GrantId.parse(self.resolve_grant_id(grant_id))
        chain = self.chain
        stage = chain.grant_stage(gid)
        consent = self._consent_of(grant_id_hex(gid))
        index_text = self._identifier(consent, GRANT_KEY_SYSTEM) if consent is not None else None
        index = int(index_text) if index_text is not None and index_text.isdigit() else None
        if stage is not GrantStage.GRANTED:
            text = self._identifier(consent, TOKEN_SYSTEM) if consent is not None else None
            token = parse_token(text) if text is not None else None
            if token is None or token.signed is None or index is None:
                if stage is GrantStage.BURNED:
                    raise GrantNotActive(f"Grant {grant_id_hex(gid)} was revoked before it was submitted.")
                raise GrantNotActive(f"There is no grant {grant_id_hex(gid)} on this chain, and this wallet did "
                                     "not sign one with that id.")
            grant = self._pending_grant(token, consent, revoked=stage is GrantStage.BURNED)
            return _OwnGrant(gid, grant, index, submitted=False)
        grant = chain.grant_info(gid)
        if grant.patient == self.me:
            return _OwnGrant(gid, grant, None, submitted=True)
        if index is None or self.wallet.keys.grant_address(index) != grant.patient:
            index = self._grant_addresses().get(grant.patient)
        if index is None:
            raise ShareError("Only the patient who made a grant can revoke it; this wallet did not make it.")
        return _OwnGrant(gid, grant, index, submitted=True)

    def sign_revocation(self, grant_id: str) -> SignedRevoke:
        """The grant's ``Revoke``, signed by its per-grant key, for anyone to submit
        (``health-wallet submit FILE`` from any funded wallet; :meth:`submit_signed`).
        Raises :class:`ShareError` for a grant made by the wallet's own account (revoke it directly)."""
        own = self._own_grant(grant_id)
        if own.key_index is None:
            raise ShareError("This grant was made by this wallet's own account on the first contract; it is revoked "
                             "directly with 'health-wallet revoke ID', not with a signed revocation.")
        if own.grant.revoked:
            raise GrantNotActive("This grant is already revoked.")
        return sign_revoke(self.wallet.keys.grant_account(own.key_index), self.chain.domain, own.gid)

    def revocation_plan(self, grant_id: str) -> RevocationPlan:
        """What revoking ``grant_id`` needs and costs on this chain, before doing it."""
        own = self._own_grant(grant_id)
        chain = self.chain
        if own.grant.revoked:
            raise GrantNotActive("This grant is already revoked.")
        development = chain.is_development
        if own.key_index is None:
            payer, gas = self.me, 30_000  # the first contract's revoke: about 29,000 gas
        else:
            account = self.wallet.keys.grant_account(own.key_index)
            payer = account.address if development else self.me
            gas = chain.estimate_signed_revoke_gas(payer, sign_revoke(account, chain.domain, own.gid))
        fee = chain.fee_per_gas()
        balance = chain.balance(payer)
        return RevocationPlan(own.id_hex, own.key_index is not None, not own.submitted, gas, fee, chain.currency,
                              payer, balance, development or balance >= gas * fee, development)

    def _revoke(self, own: _OwnGrant) -> RevokeReceipt:
        gid_hex, grant = own.id_hex, own.grant
        tx = None
        if not grant.revoked:
            chain = self.chain
            if own.key_index is None:
                tx = chain.revoke(self.wallet.keys.account, own.gid)
            else:
                account = self.wallet.keys.grant_account(own.key_index)
                signed = sign_revoke(account, chain.domain, own.gid)
                try:
                    tx = chain.submit_signed_revoke(account if chain.is_development else self.wallet.keys.account,
                                                    signed)
                except InsufficientFunds as exc:
                    raise InsufficientFunds(
                        f"{exc.user_message.rstrip('.')}. Or write the signed revocation with 'health-wallet revoke "
                        f"{gid_hex} --signed-out FILE' and have any funded wallet run 'health-wallet submit FILE'."
                    ) from exc
        unpinned, warning = self._unpin(Cid(grant.cid), gid_hex)
        try:
            remote = tuple(unpin_remotely(self.wallet, grant.cid))
        except WalletError as exc:
            remote = (exc.user_message,)
        if tx is not None:
            self._revoked_locally(gid_hex, grant.grantee, tx.tx_hash, burned=not own.submitted)
        return RevokeReceipt(gid_hex, tx, unpinned, warning, remote)

    def _revoked_locally(self, gid_hex: str, grantee: str, tx_hash: str, *, burned: bool) -> None:
        consent = self._consent_of(gid_hex)
        if consent is not None:  # None: granted from another computer, the chain is the record
            self._remember(revoke_consent(consent, at=self.wallet.app.clock.now()), replace=True)
        what = "never submitted; its id is burned" if burned else "revoked"
        self._audit("revoke", detail=f"Access of {grantee} {what}", grant_id=gid_hex, tx=tx_hash)

    def submit_signed(self, source: str | Path) -> SubmitReceipt:
        """Submit a signed grant or revocation (its JSON text, or a file of it, e.g. from
        ``revoke --signed-out``); this wallet pays. Raises :class:`ChainError` with one line
        when it is malformed, for another chain or contract, or refused (replayed, forged,
        expired, burned); :class:`~wallet.errors.InputRefused` for an unreadable file."""
        if isinstance(source, Path):
            source = untrusted.read_bytes(source, max_bytes=MAX_SIGNED_CHARS).decode("utf-8", errors="replace")
        signed = load_signed(source)
        chain = self.chain
        if isinstance(signed, SignedRevoke):
            tx = chain.submit_signed_revoke(self.wallet.keys.account, signed)
            gid_hex = grant_id_hex(signed.grant_id)
            if self._consent_of(gid_hex) is not None:
                self._revoked_locally(gid_hex, GrantId(signed.grant_id).grantee, tx.tx_hash, burned=False)
            return SubmitReceipt("revoke", gid_hex, tx)
        return SubmitReceipt("grant", grant_id_hex(signed.grant_id), chain.submit_signed_grant(
            self.wallet.keys.account, signed))

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

    def _received_book(self) -> ReceivedShares:
        return ReceivedShares(self.wallet.app.home, self.wallet.keys.symmetric_key("received-shares"))

    def _label_of(self, token: ShareToken) -> ShareLabel | None:
        """The label sealed to this wallet, or ``None`` when the token has none or it is not ours."""
        if token.label is None or token.signed is None:
            return None
        gid = GrantId.parse(token.grant_id)
        context = ShareContext(token.chain_id, token.contract, gid)
        try:
            key = protocol.unwrap_content_key(self.wallet.keys.encryption_private, token.signed.wrapped_key, context)
            return open_label(token.label, key, gid)
        except (DecryptionError, ShareError):
            return None

    def _verified(self, token: ShareToken) -> SignedGrant:
        """The token's signed grant with its signer recovered; ``ShareError`` if the signature does not hold."""
        parts = token.signed
        assert parts is not None
        try:
            return recover_signed_grant(Eip712Domain(token.chain_id, token.contract), GrantId.parse(token.grant_id),
                                        parts.cid, parts.wrapped_key, from_chain_time(parts.expires_at),
                                        parts.signature)
        except ChainError as exc:
            raise ShareError(exc.user_message) from exc

    def receive(self, token_text: str) -> GrantView:
        """Keep a share token handed to this wallet and show what it holds, without opening it:
        no fetch, no chain transaction, nothing logged. The label (the patient's name, what was
        shared, a message) is read with this wallet's key; the signed grant's signature is checked.

        Raises :class:`ShareError` for a malformed token, one addressed to another wallet, or a
        forged signature."""
        token = parse_token(token_text)
        gid = GrantId.parse(token.grant_id)
        if gid.grantee != self.me:
            raise ShareError("This share is addressed to another wallet; only its doctor can open it.")
        if token.signed is not None:
            self._verified(token)
        self._received_book().add(token_text, now=self.wallet.app.clock.now())
        views = [v for v in self.received() if v.grant_id.lower() == gid.hex_id.lower()]
        if views:
            return views[0]
        raise ShareError("This share's grant is neither on chain nor signed in the token; ask the patient for a new "
                         "token.")

    def received(self) -> list[GrantView]:
        """Grants addressed to this wallet: those on the connected chain, and those in tokens it
        was handed (:meth:`receive`, :meth:`open`) that are not on chain yet or are on another
        chain. Names and contents come from the tokens' labels."""
        chain = self.chain
        now = chain.now()
        tokens = {s.grant_id: s.token for s in self._received_book().all()}
        from .networks import Networks

        networks = Networks(self.wallet.app)
        views: list[GrantView] = []
        seen: set[str] = set()
        for g in chain.grants_for_grantee(self.me):
            token = tokens.get(g.id_hex.lower())
            label = self._label_of(token) if token is not None else None
            views.append(GrantView(g, g.status(now), g.patient, label.name if label else None, True, label,
                                   chain.chain_id))
            seen.add(g.id_hex.lower())
        for gid_hex, token in tokens.items():
            if gid_hex in seen or token.signed is None:
                continue
            try:
                signed = self._verified(token)
            except ShareError:
                continue
            label = self._label_of(token)
            on_chain: bool | None = None
            revoked = False
            status_now = self.wallet.app.clock.now() if token.chain_id != chain.chain_id else now
            if token.chain_id == chain.chain_id:
                stage = chain.grant_stage(GrantId.parse(gid_hex))
                if stage is GrantStage.GRANTED:
                    continue  # its events were not returned; it lists once they are
                on_chain, revoked = False, stage is GrantStage.BURNED
            grant = AccessGrant(GrantId(signed.grant_id), signed.signer, signed.grantee, signed.expires_at,
                                signed.cid, signed.wrapped_key, revoked=revoked)
            profiles = networks.matching(token.chain_id) if on_chain is None else []
            views.append(GrantView(grant, grant.status(status_now), grant.patient, label.name if label else None,
                                   on_chain, label, token.chain_id, profiles[0].name if profiles else None))
        return views

    def networks_for(self, token_text: str) -> list[NetworkProfile]:
        """The network profiles a share token's chain id matches (the GUI asks which to use when
        there are several; an empty list means none: see :meth:`open`)."""
        from .networks import Networks

        return Networks(self.wallet.app).matching(parse_token(token_text).chain_id)

    def _chain_for(self, chain_id: int, network: str | None) -> tuple[ChainBackend, str | None]:
        """The chain a share on ``chain_id`` is opened on: this wallet's when it is that chain
        (and no ``network`` is named), else the named profile, else the active or first profile
        with that chain id. The caller closes the embedded chain it gets for ``network`` "embedded";
        a profile's backend is kept by the app for the next open (``connect_network``)."""
        from ..chain.networks import builtin_networks, is_embedded_chain_id
        from .networks import Networks

        current = self.chain
        here = network is None or (network == EMBEDDED and is_embedded_chain_id(chain_id))
        if current.chain_id == chain_id and here:
            return current, None

        networks = Networks(self.wallet.app)
        if network == EMBEDDED:
            embedded = self.wallet.app.make_embedded_chain()
            if embedded.chain_id != chain_id:
                embedded.close()
                raise ShareError(f"This share is on chain {chain_id}; this computer's embedded chain is chain "
                                 f"{embedded.chain_id}.")
            return embedded, EMBEDDED
        profiles = networks.matching(chain_id)
        if network is not None:
            profiles = [p for p in profiles if p.name == network]
            if not profiles:
                raise ShareError(f"The network {network!r} is not a profile for chain {chain_id}.")
        if not profiles and is_embedded_chain_id(chain_id):
            raise ShareError(f"This share is on an embedded development chain (chain {chain_id}); switch with "
                             "'health-wallet network use embedded', or open it with '--network embedded'.")
        if not profiles:
            known = [p.title or p.name for p in builtin_networks() if p.chain_id == chain_id]
            name = f" ({known[0]})" if known else ""
            raise ShareError(
                f"This share is on chain {chain_id}{name}, and this wallet has no network profile for it; add one "
                f"with 'health-wallet network add NAME --chain-id {chain_id} --rpc URL', then open it again.")
        active = networks.active()
        profile = active if active in profiles else profiles[0]
        if profile.is_embedded:
            raise ShareError(f"This share is on chain {chain_id}; this wallet uses chain {current.chain_id}.")
        return self.wallet.app.connect_network(profile), profile.name

    def open(self, grant_or_token: str, *, network: str | None = None, progress: ProgressSink | None = None,
             cancel: CancelToken | None = None, timeout: float = 60.0) -> OpenedShare:
        """Check on chain, fetch, unwrap, decrypt, validate, then log the access on chain.

        A token of the second version names its chain: the wallet uses its own chain when it
        is that one, else the network profile ``network``, else the active or first profile
        with that chain id (:meth:`networks_for`), and says in one line how to add one when
        there is none. A signed grant not on chain yet is submitted with the access log in
        one transaction (``grantBySigAndRecordAccess``), paid by this wallet: the result's
        ``grant_tx``. ``cancel`` is honoured until the access is logged (nothing is logged
        or submitted for a cancelled open).
        """
        text = grant_or_token.strip()
        token: ShareToken | None = None
        if not text.startswith("hwshare:"):
            with contextlib.suppress(InvalidGrantId):
                text = self.resolve_grant_id(text)
                kept = self._received_book().find(GrantId.parse(text).hex_id)
                if kept is not None:
                    text = kept.text  # a share this wallet was handed: its token knows its chain and grant
        if text.startswith("hwshare:"):
            token = parse_token(text)
            if GrantId.parse(token.grant_id).grantee != self.me:
                raise ShareError("This share is addressed to another wallet; only its doctor can open it.")
            if token.signed is not None:  # the fetch needs the node: it boots while the chain is connected
                with contextlib.suppress(WalletError):  # a node that cannot start says so when the fetch asks
                    self.wallet.ipfs(wait=None)
            chain, network_used = self._chain_for(token.chain_id, network)
        else:
            try:
                GrantId.parse(text)
            except InvalidGrantId as exc:
                raise ShareError("Give a grant id (0x + 64 hex digits) or a share token (hwshare:…).") from exc
            chain, network_used = self.chain, None
        if network_used is None:
            from .networks import Networks

            opened_on = Networks(self.wallet.app).active_name()  # the wallet's own chain: its active profile
        try:
            return self._open(chain, text, token, network_used or opened_on, progress, cancel, timeout)
        except ChainUnavailable:
            if network_used not in (None, EMBEDDED):
                self.wallet.app.disconnect_network(network_used)  # the next open tries the profile's endpoints again
            raise
        finally:
            if network_used == EMBEDDED:
                chain.close()  # a profile's backend is kept by the app (connect_network)

    def _open(self, chain: ChainBackend, text: str, token: ShareToken | None, network_used: str | None,
              progress: ProgressSink | None, cancel: CancelToken | None, timeout: float) -> OpenedShare:
        """The steps of :meth:`open`. What does not depend on another step runs beside it:

        - a token's signed grant names the CID and the wrapped key, so the fetch and the
          decryption start at once and run while the chain is asked, in one JSON-RPC batch
          where the node takes batches (:meth:`ChainBackend.read_for_open`: the grant's
          storage, the chain's time, and the access-log transaction estimated and priced);
          the plaintext is not read until the grant check has passed (a refused open waits
          for no fetch); a submitted grant's events (the CID and wrapped key the chain
          holds, compared with the token's) are read beside the fetch;
        - the access-log transaction, estimated and priced meanwhile, is sent once the records
          have passed the input gate and FHIR validation (a share refused there logs no access),
          and its receipt is awaited: a transaction that reverts fails the open, and nothing is
          returned before it is mined.
        """
        peers: tuple[str, ...] = ()
        signed: SignedGrant | None = None
        if token is not None:
            known = {a.lower() for a in (chain.contract_address or "", *chain.earlier_contracts)}
            if token.contract.lower() not in known:
                raise ShareError(
                    f"This share is on chain {token.chain_id} (contract {token.contract}); this wallet uses chain "
                    f"{chain.chain_id} with the contract {chain.contract_address}. Set chain.rpc and chain.contract "
                    "to that chain.")
            gid, peers = GrantId.parse(token.grant_id), token.peers + token.delegates
            if token.signed is not None:
                signed = self._verified(token)
        else:
            gid = GrantId.parse(text)
        delegates = bool(token is not None and token.delegates)

        report(progress, 0, 5, "Checking the grant on chain")
        early: Background[tuple[bytes, bytes]] | None = None
        early_context: ShareContext | None = None
        if signed is not None and token is not None:  # the token's signed grant: fetch while the chain is asked
            speculative = early_context = ShareContext(chain.chain_id, token.contract, gid)
            early_grant = signed
            early = Background(lambda: self._fetch_share(early_grant.cid, early_grant.wrapped_key, speculative,
                                                         peers, delegates, timeout), name="share-fetch")
        account = self.wallet.keys.account
        reading = chain.read_for_open(account, gid, signed=signed)
        grant, events = self._checked_grant(chain, gid, signed, reading)
        keeping: Background[object] | None = None
        if token is not None:  # kept for the doctor's list (also when the fetch fails), written beside the rest
            now = self.wallet.app.clock.now()
            keeping = Background(lambda: self._received_book().add(text, now=now), name="keep-token")
        try:
            context = ShareContext(chain.chain_id, chain.contract_for(gid), gid)
            if cancel is not None:
                cancel.check()
            unsubmitted = signed if reading.stage is GrantStage.UNUSED else None
            if reading.prepared is not None:
                prepared, submits = reading.prepared, reading.submits
            else:  # the node refused the estimate: priced again, for the contract's error or a grant submitted since
                prepared, submits = self._prepare_access(chain, account, gid, unsubmitted)

            report(progress, 1, 5, "Fetching the encrypted bundle from IPFS")
            if events is not None:
                grant = events.result()  # the grant's events: the CID and wrapped key the chain holds
            if (early is not None and early_context == context and signed is not None
                    and (grant.cid, grant.wrapped_key) == (signed.cid, signed.wrapped_key)):
                content_key, plain = early.result()
            else:  # the chain's grant differs from the token's (or there is no signed grant): fetch what it names
                content_key, plain = self._fetch_share(grant.cid, grant.wrapped_key, context, peers, delegates, timeout)
            label = None
            if token is not None and token.label is not None:
                with contextlib.suppress(DecryptionError, ShareError):
                    label = open_label(token.label, content_key, gid)

            if cancel is not None:
                cancel.check()
            report(progress, 2, 5, "Validating the records")
            # The input gate first (size, depth, entries, digits, time): a crafted share must not
            # crash this wallet; then FHIR validation, and no unsafe narrative is passed on. A share
            # refused here has no access logged.
            opened = protocol.read_envelope(plain)
            if cancel is not None:
                cancel.check()  # the last point a cancel is honoured: the access is logged from here on
            report(progress, 3, 5, "Submitting the grant and logging the access on chain" if submits
                   else "Logging the access on chain")
            tx, grant_tx = self._send_access(chain, account, gid, prepared, submits)
            bundle, resources = opened.bundle, opened.resources
            report(progress, 4, 5, "Keeping a record of the access")
            if keeping is not None:
                keeping.result()
            self._audit("open", detail=f"{len(resources)} records shared by {grant.patient} opened",
                        grant_id=grant_id_hex(gid), tx=tx.tx_hash)
            report(progress, 5, 5, "Opened")
            counts = dict(sorted(Counter(r["resourceType"] for r in resources).items()))
            people = tuple(p.describe() for p in people_in_file(opened.parsed))
            return OpenedShare(grant, bundle, counts, _patient_name(resources), tx, people, grant_tx, label,
                               network_used)
        finally:
            if keeping is not None:
                keeping.wait()  # the token is kept whatever became of the open

    def _checked_grant(self, chain: ChainBackend, gid: GrantId, signed: SignedGrant | None,
                       reading: OpenReading) -> tuple[AccessGrant, Background[AccessGrant] | None]:
        """The grant (from chain, or from ``signed`` while it is not submitted), after checking
        it is this wallet's and active at the chain's time (``reading``: the contract's storage,
        the authority on grantee, expiry and revocation). Raises :class:`GrantNotActive` or
        :class:`ShareError`.

        A submitted grant whose storage is the token's signed grant (same signer, grantee and
        expiry) is checked on its storage; its events (the CID and wrapped key the chain holds)
        are read beside the fetch: the second value, which the caller awaits before it uses
        what it fetched."""
        stage = reading.stage
        stored = False  # the grant above is the signed one, as storage holds it: its events are read beside
        if stage is GrantStage.BURNED:
            raise GrantNotActive("The patient revoked this share before it was submitted; it can no longer be opened.")
        if stage is GrantStage.UNUSED:
            if signed is None:
                raise GrantNotActive(f"There is no grant {gid.hex_id} on this chain.")
            grant = AccessGrant(gid, signed.signer, signed.grantee, signed.expires_at, signed.cid, signed.wrapped_key)
        elif (signed is not None and reading.expires_at is not None
              and (reading.patient, reading.grantee, reading.expires_at) == (signed.signer, signed.grantee,
                                                                              signed.expires_at)):
            grant = AccessGrant(gid, signed.signer, signed.grantee, reading.expires_at, signed.cid, signed.wrapped_key,
                                revoked=reading.revoked)
            stored = True
        else:  # a grant id alone (or a grant the token does not describe): its events are needed first
            grant = chain.grant_info(gid, reading=reading)
        if grant.grantee != self.me:
            raise ShareError("This share is addressed to another wallet; only its doctor can open it.")
        status = grant.status(reading.now)
        if status is GrantStatus.REVOKED:
            raise GrantNotActive("The patient revoked this share; it can no longer be opened.")
        if status is GrantStatus.EXPIRED:
            raise GrantNotActive(f"This share expired on {grant.expires_at:%Y-%m-%d %H:%M} UTC.")
        if not stored:
            return grant, None
        return grant, Background(lambda: chain.grant_info(gid, reading=reading), name="grant-events")

    def _fetch_share(self, cid: str, wrapped_key: bytes, context: ShareContext, holders: Sequence[str],
                     delegates: bool, timeout: float) -> tuple[bytes, bytes]:
        """The content key unwrapped for ``context`` and the share's plaintext: the sealed
        bundle fetched (the token's holders dialled first) and opened."""
        content_key = protocol.unwrap_content_key(self.wallet.keys.encryption_private, wrapped_key, context)
        # Dial the token's holders first: when none answers, say so within seconds, not after the time-out.
        plain = fetch_sealed_from(self.wallet.ipfs(), Cid(cid), content_key, holders=holders,
                                  unreachable=no_share_holder(delegates), purpose=protocol.PURPOSE, aad=context.aad,
                                  timeout=timeout)
        return content_key, plain

    @staticmethod
    def _prepare_access(chain: ChainBackend, account: Signer, gid: GrantId,
                        signed: SignedGrant | None) -> tuple[PreparedTx, bool]:
        """The access-log transaction, estimated and priced (a refusal raises here, free of
        charge), and whether it submits the signed grant too. A grant someone submitted
        since its stage was read is logged with ``recordAccess`` alone."""
        if signed is None:
            return chain.prepare_access(account, gid), False
        try:
            return chain.prepare_access(account, gid, signed=signed), True
        except ChainError:
            if chain.grant_stage(gid) is not GrantStage.GRANTED:
                raise
            return chain.prepare_access(account, gid), False  # submitted meanwhile

    @staticmethod
    def _send_access(chain: ChainBackend, account: Signer, gid: GrantId, prepared: PreparedTx,
                     submits: bool) -> tuple[TxResult, TxResult | None]:
        """Send the access-log transaction and await its receipt: the transaction and, when
        it submitted the grant, the same transaction as ``grant_tx``."""
        try:
            tx = chain.send_prepared(account, prepared)
        except ChainError:
            if not submits or chain.grant_stage(gid) is not GrantStage.GRANTED:
                raise
            return chain.record_access(account, gid), None  # submitted by someone else meanwhile
        return tx, tx if submits else None

    # --- the log ------------------------------------------------------------------------

    def audit(self) -> list[AuditEntry]:
        """On-chain events where this wallet is a party, and the local AuditEvents, newest first."""
        events: list[AuditEntry] = []
        seen: set[tuple[str, int]] = set()
        for address in [self.me, *self._grant_addresses()]:  # the per-grant addresses are this wallet too
            for ev in self.chain.access_log(address):
                if (ev.tx_hash, ev.log_index) in seen:
                    continue
                seen.add((ev.tx_hash, ev.log_index))
                events.append(AuditEntry("chain", ev.kind.value, ev.at.isoformat(), grant_id=ev.id_hex,
                                         tx=ev.tx_hash, party=ev.party(address), patient=ev.patient,
                                         grantee=ev.grantee, block=ev.block))
        for row in self.wallet.store.summaries(types=["AuditEvent"]):
            ids = _audit_identifiers(self.wallet.store.get(row.id))
            events.append(AuditEntry("local", row.summary.title, row.summary.date, grant_id=ids.get(GRANT_SYSTEM),
                                     tx=ids.get(TX_SYSTEM), detail=row.summary.detail, id=row.id))
        events.sort(key=lambda e: e.at, reverse=True)
        return events
