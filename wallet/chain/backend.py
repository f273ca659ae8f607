"""What the services layer asks of a chain: the :class:`ChainBackend` protocol.

Two implementations share one code path (:class:`~wallet.chain.web3_backend.Web3ChainBackend`):
the embedded chain (:func:`~wallet.chain.embedded.open_embedded_chain`) and any EVM
JSON-RPC endpoint (:func:`~wallet.chain.rpc.connect_rpc`). Transactions are signed in
this process by the wallet's own account; every failure is a
:class:`~wallet.errors.ChainError` with a message for the user.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from .eip712 import Eip712Domain, SignedGrant, SignedRevoke
from .grants import AccessEvent, AccessGrant, GrantStage

__all__ = ["ChainBackend", "Deployment", "OpenReading", "PreparedTx", "Signer", "TxResult"]


@runtime_checkable
class Signer(Protocol):
    """An account that signs locally (``eth_account``'s ``LocalAccount``)."""

    @property
    def address(self) -> str: ...

    def sign_transaction(self, transaction_dict: dict[str, Any]) -> Any: ...


@dataclass(frozen=True)
class TxResult:
    """A confirmed transaction."""

    tx_hash: str
    gas_used: int
    block: int

    def __post_init__(self) -> None:
        if not (self.tx_hash.startswith("0x") and len(self.tx_hash) == 66):
            raise ValueError("tx_hash must be a 0x-prefixed 32-byte hex string")
        if self.gas_used < 0 or self.block < 0:
            raise ValueError("gas_used and block must be non-negative")


@dataclass(frozen=True)
class Deployment:
    """The grants contract's address; ``tx`` is ``None`` when it was there already."""

    address: str
    tx: TxResult | None


@dataclass(frozen=True)
class PreparedTx:
    """A contract transaction checked and priced, not yet signed or sent: the node's gas
    estimate said it succeeds now (a refusal costs nothing), the fee was read and the
    sender's balance covers ``gas`` × the fee. ``fields`` are the transaction's fields but
    the nonce, taken when it is sent (from ``nonce_counts`` when they are still right: a
    nonce another sender took meanwhile is looked up again); ``action`` names it in errors."""

    sender: str
    fields: dict[str, Any] = field(repr=False)
    action: str
    nonce_counts: tuple[int, int] | None = None  # the sender's (mined, pending) counts when it was priced

    @property
    def gas(self) -> int:
        """The gas limit it carries (the estimate with the backend's margin)."""
        return int(self.fields["gas"])


@dataclass(frozen=True)
class OpenReading:
    """What an open reads of the chain before it logs the access, read together.

    ``stage`` and the storage of the grant (``grantOf``: ``patient``, ``grantee``,
    ``expires_at``, ``revoked``; ``None``/``False`` for an id never used) at the chain's
    time ``now`` (the latest block's, what the contract compares expiries with); and the
    access-log transaction for that stage, estimated and priced (:class:`PreparedTx`):
    ``grantBySigAndRecordAccess`` of the signed grant while it is unused (``submits``),
    else ``recordAccess``. ``prepared`` is ``None`` when the grant cannot be opened at
    ``now`` (burned, revoked, expired) or the node's estimate refused the transaction:
    the caller says why, or prices it again to get the contract's error."""

    stage: GrantStage
    now: datetime
    patient: str | None = None
    grantee: str | None = None
    expires_at: datetime | None = None
    revoked: bool = False
    prepared: PreparedTx | None = field(default=None, repr=False)
    submits: bool = False
    block: int | None = None  # the latest block when it was read, where the node said (a batch)


class ChainBackend(Protocol):
    """The chain as the wallet uses it. Every method may raise a ``ChainError``."""

    @property
    def chain_id(self) -> int: ...

    @property
    def contract_address(self) -> str | None:
        """The grants contract, or ``None`` before one is configured or deployed."""
        ...

    @property
    def is_development(self) -> bool:
        """A local development chain, where the wallet funds itself for gas."""
        ...

    def describe(self) -> str:
        """A short description for status output ("embedded chain in DIR", the RPC URL)."""
        ...

    def now(self) -> datetime:
        """The chain's time: what the contract compares expiries with."""
        ...

    def balance(self, address: str) -> int:
        """Wei held by ``address``."""
        ...

    def deploy(self, account: Signer) -> Deployment:
        """Deploy the grants contract and use it from now on."""
        ...

    def register_key(self, account: Signer, encryption_key: bytes) -> TxResult: ...

    def encryption_key_of(self, address: str) -> bytes | None: ...

    def require_encryption_key(self, address: str) -> bytes:
        """The published key; ``KeyNotRegistered`` (saying what to do) if there is none."""
        ...

    def estimate_grant_gas(self, account: Signer | str, grant_id: bytes, grantee: str, cid: str,
                           wrapped_key: bytes, expires_at: datetime) -> int: ...

    def grant(self, account: Signer, grant_id: bytes, grantee: str, cid: str, wrapped_key: bytes,
              expires_at: datetime) -> TxResult: ...

    def revoke(self, account: Signer, grant_id: bytes) -> TxResult: ...

    @property
    def currency(self) -> str:
        """The symbol gas is paid in (ETH, xDAI, POL…)."""
        ...

    def estimate_deploy_gas(self, sender: str) -> int:
        """Gas to deploy the grants contract at its standard address; 0 when it is there."""
        ...

    @property
    def earlier_contracts(self) -> tuple[str, ...]:
        """First-version grants contracts whose grants are still read and revoked beside the current one."""
        ...

    def contract_for(self, grant_id: bytes) -> str:
        """The address of the contract that holds ``grant_id`` (the current one for an id not granted yet)."""
        ...

    @property
    def canonical_address(self) -> str:
        """The grants contract's address on every chain (CREATE2, see :mod:`wallet.chain.canonical`)."""
        ...

    @property
    def domain(self) -> Eip712Domain:
        """The EIP-712 domain of signed grants on this chain and contract."""
        ...

    def submit_signed_grant(self, account: Signer, signed: SignedGrant, *, record_access: bool = False) -> TxResult:
        """``grantBySig`` (or, with ``record_access``, ``grantBySigAndRecordAccess``), paid by ``account``."""
        ...

    def submit_signed_revoke(self, account: Signer, signed: SignedRevoke) -> TxResult:
        """``revokeBySig`` paid by ``account``; burns an id that was never granted."""
        ...

    def estimate_signed_grant_gas(self, sender: str, signed: SignedGrant, *, record_access: bool = False) -> int: ...

    def is_active(self, grant_id: bytes) -> bool: ...

    def grant_info(self, grant_id: bytes, *, reading: OpenReading | None = None) -> AccessGrant:
        """The grant with its CID, wrapped key and accesses; ``GrantNotActive`` if unknown.
        ``reading``: this grant's :meth:`read_for_open`, whose storage and block it reuses."""
        ...

    def grants_by_patient(self, patient: str) -> list[AccessGrant]: ...

    def grants_by_patients(self, patients: list[str]) -> list[AccessGrant]:
        """Grants whose patient is any of ``patients`` (the per-grant addresses of one wallet)."""
        ...

    def grant_stage(self, grant_id: bytes) -> GrantStage:
        """Unused, granted, or burned before it was submitted."""
        ...

    def patients_with_activity(self, patients: list[str]) -> set[str]:
        """Which of ``patients`` issued, revoked or burned a grant (the restore scan asks this)."""
        ...

    def fee_per_gas(self) -> int:
        """Wei per unit of gas a transaction would offer now."""
        ...

    def estimate_signed_revoke_gas(self, sender: str, signed: SignedRevoke) -> int: ...

    def has_patient_activity(self, patient: str) -> bool:
        """Whether ``patient`` issued, revoked or burned any grant (the restore scan asks this)."""
        ...

    def grants_for_grantee(self, grantee: str) -> list[AccessGrant]: ...

    def record_access(self, account: Signer, grant_id: bytes) -> TxResult: ...

    def prepare_access(self, account: Signer, grant_id: bytes, *, signed: SignedGrant | None = None) -> PreparedTx:
        """The access-log transaction of an open, checked and priced but not sent:
        ``recordAccess(grant_id)``, or with ``signed`` ``grantBySigAndRecordAccess`` (the
        grant submitted with the access). A revert (not the grantee, revoked, expired,
        burned) raises the ``ChainError`` the transaction would, and costs nothing."""
        ...

    def read_for_open(self, account: Signer, grant_id: bytes, *, signed: SignedGrant | None = None) -> OpenReading:
        """The grant's stage and storage, the chain's time and the access-log transaction
        priced for ``account`` (see :class:`OpenReading`), in one JSON-RPC batch where the
        node takes batches, else one call at a time. ``signed``: the token's signed grant,
        submitted with the access while the id is unused."""
        ...

    def send_prepared(self, account: Signer, prepared: PreparedTx) -> TxResult:
        """Sign ``prepared`` with the next nonce, send it and wait for its receipt;
        ``TransactionReverted`` (or the contract's error) when it failed on chain."""
        ...

    def access_log(self, address: str) -> list[AccessEvent]:
        """Granted, revoked and accessed events where ``address`` is either party, oldest first."""
        ...

    def publish_backup(self, account: Signer, cid: str) -> TxResult: ...

    def latest_backup(self, owner: str) -> str | None: ...

    def close(self) -> None: ...
