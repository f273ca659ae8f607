"""The :class:`~wallet.chain.backend.ChainBackend` over any web3 provider.

The same code drives the embedded chain and a JSON-RPC node. Transactions are built
and signed here with the wallet's local account (keys never leave the process), gas is
estimated first (so a contract rejection costs nothing and comes back as a clear
error), the wallet funds itself on development chains, and receipts are awaited with a
timeout. Nonces come from a small book per sender: a transaction that was not
confirmed in time is re-sent with a higher fee before the next one, so one stuck
transaction never blocks the ones after it.

:class:`Web3ChainBackend` is put together from its parts: the connection, its errors and
the grants contract (:mod:`.web3_connection`), sending transactions
(:mod:`.web3_transactions`) and reading the contract's events (:mod:`.grant_events`);
reading a node's raw answers is :mod:`.rpc_answers`. Here: the backend's set-up, opening
a grant, deployment, keys, grants and backups.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any, cast

from eth_abi import decode as abi_decode
from eth_typing import ABIEvent, HexStr
from eth_utils import event_abi_to_log_topic
from hexbytes import HexBytes
from web3 import Web3

from ..errors import (
    ChainError,
    ChainUnavailable,
    GrantNotActive,
    KeyNotRegistered,
    TransactionReverted,
)
from .backend import Deployment, OpenReading, PreparedTx, Signer, TxResult
from .canonical import FACTORY_ADDRESS, canonical_address, factory_calldata, factory_deployment
from .code_checks import CodeChecks
from .contract import load_artefact
from .eip712 import Eip712Domain, SignedGrant, SignedRevoke
from .grant_events import GrantEvents
from .grants import (
    AccessGrant,
    GrantStage,
    checksum,
    from_chain_time,
    grant_id_hex,
    grantee_of,
    to_chain_time,
)
from .rpc_answers import _as_int, _block_fields, _checksum_address, _topic_address
from .rpc_answers import _revert_bytes as _revert_bytes  # the tests read revert data with it
from .web3_connection import ZERO_ADDRESS
from .web3_transactions import GWEI, Faucet, Web3Transactions, _gas_limit, _NonceBook

__all__ = ["DEV_CHAIN_IDS", "Web3ChainBackend"]

logger = logging.getLogger(__name__)

DEV_CHAIN_IDS = frozenset({31337, 1337})  # anvil/hardhat, geth --dev
ENCRYPTION_KEY_SIZE = 32


class Web3ChainBackend(GrantEvents, Web3Transactions):
    """Grants, keys, access log and backup pointer on one EVM chain."""

    def __init__(
        self,
        w3: Web3,
        *,
        description: str,
        contract_address: str | None = None,
        receipt_timeout: float = 120.0,
        poll_interval: float = 1.0,
        development: bool | None = None,
        faucet: Faucet = None,
        time_source: Callable[[], int] | None = None,
        on_close: Callable[[], None] | None = None,
        earlier_contracts: tuple[str, ...] = (),
        currency: str = "ETH",
        endpoint: str | None = None,
        code_checks: CodeChecks | None = None,
    ) -> None:
        """``earlier_contracts``: grants contracts of version 1 on this chain whose grants
        keep listing, opening and revoking beside the current contract (new grants and keys
        go to the current one). ``code_checks`` remembers, by ``endpoint`` (the node's URL),
        the contracts whose code was found to be HealthGrants, so another backend on the
        same endpoint does not read it again (none: every backend reads it)."""
        self._w3 = w3
        self._currency = currency
        self._description = description
        self._receipt_timeout = receipt_timeout
        self._poll_interval = poll_interval
        self._time_source = time_source
        self._on_close = on_close
        self._lock = threading.RLock()
        self._nonces = _NonceBook()
        self._block_times: dict[int, int] = {}
        self._batches = True  # cleared when the node answers a batch with anything but a list of answers
        self._sync_sends = True  # cleared when the node does not offer eth_sendRawTransactionSync (EIP-7966)
        self._fetched_code: dict[str, bytes] = {}  # code read while connecting, by lower-case address
        self._canonical = canonical_address()
        with self._guard("Connecting to the chain"):
            self._chain_id = self._connect_reads(contract_address, earlier_contracts)
        self._development = self._chain_id in DEV_CHAIN_IDS if development is None else development
        if faucet is None and self._development:
            faucet = "node"
        self._faucet: Faucet = faucet if self._development else None
        artefact = load_artefact()
        self._abi = artefact.abi
        self._event_names = {
            "0x" + event_abi_to_log_topic(cast(ABIEvent, item)).hex(): item["name"]
            for item in self._abi if item["type"] == "event"
        }
        self._topic = {name: topic for topic, name in self._event_names.items()}
        self._contract: Any = None
        self._contract_version = 0
        self._deployed_block: int | None = None
        self._earlier: list[Any] = []
        self._deployed_blocks: dict[str, int] = {}
        self._endpoint = endpoint
        self._code_checks = code_checks if endpoint else None
        canonical_present = self._checked_version(self._canonical) is not None
        if not canonical_present:
            code = self._fetched_code[self._canonical.lower()] = self._code_at(self._canonical,
                                                                                "Looking up the grants contract")
            canonical_present = bool(code)
        if contract_address:
            self._use_contract(contract_address)
            if self._contract_version == 1 and canonical_present:
                self._use_contract(self._canonical)  # the earlier contract is read beside it
        elif canonical_present:
            self._use_contract(self._canonical)
        self._use_earlier(tuple(earlier_contracts))
        self._fetched_code = {}  # later looks (a deployment) read the chain again

    def __repr__(self) -> str:
        return f"Web3ChainBackend({self._description}, chain_id={self._chain_id}, contract={self.contract_address})"

    # --- properties ----------------------------------------------------------------

    @property
    def chain_id(self) -> int:
        return self._chain_id

    @property
    def contract_address(self) -> str | None:
        return None if self._contract is None else self._contract.address

    @property
    def is_development(self) -> bool:
        return self._development

    @property
    def canonical_address(self) -> str:
        """Where the grants contract lives on every chain (CREATE2 through the standard factory)."""
        return self._canonical

    @property
    def contract_version(self) -> int:
        """2 for today's contract (signed grants), 1 for the first one, 0 before a contract is in use."""
        return self._contract_version

    @property
    def domain(self) -> Eip712Domain:
        """The EIP-712 domain signed grants and revocations must name on this chain."""
        contract = self._require_contract()
        if self._contract_version < 2:
            raise ChainUnavailable(
                f"The grants contract at {contract.address} predates signed grants; use the contract at "
                f"{self._canonical} (deploy-contract, and clear chain.contract)."
            )
        return Eip712Domain(self._chain_id, contract.address)

    @property
    def web3(self) -> Web3:
        return self._w3

    @property
    def receipt_timeout(self) -> float:
        """Seconds to wait for a sent transaction to be mined."""
        return self._receipt_timeout

    @receipt_timeout.setter
    def receipt_timeout(self, seconds: float) -> None:
        if seconds <= 0:
            raise ValueError("the receipt timeout must be positive")
        self._receipt_timeout = float(seconds)

    def describe(self) -> str:
        return self._description

    def close(self) -> None:
        if self._on_close is not None:
            self._on_close()
            self._on_close = None

    # --- time and balance ----------------------------------------------------------

    def now(self) -> datetime:
        if self._time_source is not None:
            return from_chain_time(self._time_source())
        with self._guard("Reading the chain's time"):
            return from_chain_time(self._w3.eth.get_block("latest")["timestamp"])

    def balance(self, address: str) -> int:
        with self._guard("Reading a balance"):
            return int(self._w3.eth.get_balance(_checksum_address(address)))

    # --- opening a grant -----------------------------------------------------------

    def prepare_access(self, account: Signer, grant_id: bytes, *, signed: SignedGrant | None = None) -> PreparedTx:
        """See :meth:`ChainBackend.prepare_access`: the estimate runs the contract's checks
        (grantee, expiry, revocation, the signature) without spending gas."""
        if signed is not None:
            self._check_domain(signed.domain, "grant")
            contract = self._require_contract()
            data = contract.encode_abi("grantBySigAndRecordAccess", args=signed.contract_args())
            return self._prepare(account, data=data, to=contract.address,
                                 action="Submitting the grant and logging the access")
        grant_id_hex(grant_id)
        contract = self._contract_of(grant_id)
        data = contract.encode_abi("recordAccess", args=[bytes(grant_id)])
        return self._prepare(account, data=data, to=contract.address, action="Logging the access")

    def read_for_open(self, account: Signer, grant_id: bytes, *, signed: SignedGrant | None = None) -> OpenReading:
        """See :meth:`ChainBackend.read_for_open`. In one batch: ``grantOf``, the latest block
        (the chain's time and base fee), the priority fee, the sender's balance and its mined
        and pending counts, and the estimates of ``recordAccess`` and (with ``signed``)
        ``grantBySigAndRecordAccess``: one round trip instead of nine. The estimate the
        grant's stage does not need is dropped (it reverts: the id is unused, or granted)."""
        if not isinstance(account, Signer):
            raise TypeError("account must sign locally (an eth_account LocalAccount)")
        gid = grant_id_hex(grant_id)
        contract = self._require_contract()
        if self._earlier:  # which contract holds the id is asked first: one call at a time
            return self._read_for_open_singly(account, grant_id, signed)
        sender = checksum(account.address)
        variants = {"recordAccess": contract.encode_abi("recordAccess", args=[bytes(grant_id)])}
        if signed is not None and self._contract_version >= 2 and signed.domain == self.domain:
            variants["grantBySigAndRecordAccess"] = contract.encode_abi("grantBySigAndRecordAccess",
                                                                        args=signed.contract_args())
        reads: list[tuple[str, list[Any]]] = [
            ("eth_call", [{"to": contract.address, "data": contract.encode_abi("grantOf", args=[bytes(grant_id)])},
                          "latest"]),
            ("eth_getBlockByNumber", ["latest", False]),
            ("eth_maxPriorityFeePerGas", []),
            ("eth_getBalance", [sender, "latest"]),
            ("eth_getTransactionCount", [sender, "latest"]),
            ("eth_getTransactionCount", [sender, "pending"]),
            *(("eth_estimateGas", [{"from": sender, "to": contract.address, "data": data, "value": "0x0"}])
              for data in variants.values()),
        ]
        asks_deployed = self._deployed_block is None  # where the grant's events start, asked once per backend
        if asks_deployed:
            reads.append(("eth_call", [{"to": contract.address, "data": contract.encode_abi("deployedBlock")},
                                       "latest"]))
        with self._guard("Reading the grant on chain"):
            answers = self._batch(reads)
        if answers is None or any("result" not in a for a in answers[:2] + answers[3:6]):
            return self._read_for_open_singly(account, grant_id, signed)
        try:
            patient, grantee, expires, revoked = abi_decode(["address", "address", "uint64", "bool"],
                                                            bytes(HexBytes(answers[0]["result"])))
            block = _block_fields(answers[1]["result"])
            tip = _as_int(answers[2]["result"]) if "result" in answers[2] else GWEI
            balance, mined, pending = (_as_int(a["result"]) for a in answers[3:6])
            number = block["number"]
            if asks_deployed and "result" in answers[-1]:
                self._deployed_block = int(abi_decode(["uint256"], bytes(HexBytes(answers[-1]["result"])))[0])
        except (ValueError, TypeError, KeyError, AttributeError):
            logger.debug("grant %s: the batch's answers did not read; asking one at a time", gid, exc_info=True)
            return self._read_for_open_singly(account, grant_id, signed)
        now = from_chain_time(self._time_source() if self._time_source is not None else block["timestamp"])
        reading = self._reading(GrantStage.UNUSED if patient == ZERO_ADDRESS else (
            GrantStage.BURNED if revoked and expires == 0 else GrantStage.GRANTED), now, patient, grantee, expires,
            bool(revoked), signed, number)
        fn = ("grantBySigAndRecordAccess" if reading.submits else "recordAccess")
        estimate = dict(zip(variants, answers[6:], strict=False)).get(fn)
        if not self._openable(reading, signed) or estimate is None or "result" not in estimate:
            return reading
        action = "Submitting the grant and logging the access" if reading.submits else "Logging the access"
        tx: dict[str, Any] = {"from": sender, "data": variants[fn], "value": 0, "chainId": self._chain_id,
                              "to": contract.address}
        with self._guard(action, sending=True):
            gas = _gas_limit(_as_int(estimate["result"]))
            fees = self._fees(block, tip)
            self._ensure_funds(sender, gas * self._price(fees), action, balance)
        return replace(reading, prepared=PreparedTx(sender, {**tx, "gas": gas, **fees}, action, (mined, pending)))

    @staticmethod
    def _reading(stage: GrantStage, now: datetime, patient: str, grantee: str, expires: int, revoked: bool,
                 signed: SignedGrant | None, block: int | None = None) -> OpenReading:
        if stage is GrantStage.UNUSED:
            return OpenReading(stage, now, submits=signed is not None, block=block)
        return OpenReading(stage, now, checksum(patient), checksum(grantee), from_chain_time(expires), revoked,
                           block=block)

    @staticmethod
    def _openable(reading: OpenReading, signed: SignedGrant | None) -> bool:
        """Whether the grant can be opened at ``reading.now`` by its storage (or, unused, by
        ``signed``): only then is the access priced (and, on a development chain, funded)."""
        if reading.stage is GrantStage.UNUSED:
            return signed is not None and reading.now < signed.expires_at
        if reading.stage is GrantStage.BURNED or reading.revoked or reading.expires_at is None:
            return False
        return reading.now < reading.expires_at

    def _read_for_open_singly(self, account: Signer, grant_id: bytes, signed: SignedGrant | None) -> OpenReading:
        """:meth:`read_for_open` one call at a time (a node or provider without batches)."""
        patient, grantee, expires, revoked = self._call("grantOf", bytes(grant_id),
                                                        contract=self._contract_of(grant_id))
        stage = (GrantStage.UNUSED if patient == ZERO_ADDRESS
                 else GrantStage.BURNED if revoked and expires == 0 else GrantStage.GRANTED)
        reading = self._reading(stage, self.now(), patient, grantee, int(expires), bool(revoked), signed)
        if not self._openable(reading, signed):
            return reading
        try:
            prepared = self.prepare_access(account, grant_id, signed=signed if reading.submits else None)
        except ChainError:
            return reading  # the caller prices it again for the contract's error
        return replace(reading, prepared=prepared)

    # --- deployment ----------------------------------------------------------------

    def deploy(self, account: Signer) -> Deployment:
        """Deploy the grants contract at its canonical address (or use it if it is there).

        ``Deployment.tx`` is ``None`` when the contract was already deployed. On a
        development chain the CREATE2 factory is installed first when missing.
        """
        action = "Deploying the grants contract"
        with self._guard(action):
            present = bool(self._w3.eth.get_code(self._canonical))
        if present:
            self._use_contract(self._canonical)
            return Deployment(self._canonical, None)
        self._ensure_factory(action)
        result, _receipt = self._transact(account, data="0x" + factory_calldata().hex(), to=FACTORY_ADDRESS,
                                          action=action)
        self._use_contract(self._canonical)
        return Deployment(self._canonical, result)

    @property
    def currency(self) -> str:
        """The symbol gas is paid in on this chain (from the network profile; ETH by default)."""
        return self._currency

    def estimate_deploy_gas(self, sender: str) -> int:
        """Gas to deploy the grants contract at its standard address (0 when it is there already;
        the factory's installation on a development chain is not counted)."""
        with self._guard("Estimating the deployment's gas"):
            if self._w3.eth.get_code(self._canonical):
                return 0
            return int(self._w3.eth.estimate_gas({"from": checksum(sender), "to": FACTORY_ADDRESS,
                                                  "data": HexStr("0x" + factory_calldata().hex())}))

    def _ensure_factory(self, action: str) -> None:
        """Install the deterministic-deployment factory from its presigned transaction (development chains)."""
        with self._guard(action):
            if self._w3.eth.get_code(FACTORY_ADDRESS):
                return
        if not self._development:
            raise ChainUnavailable(
                f"{self._subject} has no deterministic-deployment factory at {FACTORY_ADDRESS}, so the grants "
                "contract cannot get its standard address there; use a network that has it, or set chain.contract."
            )
        factory = factory_deployment()
        with self._guard(action, sending=True):
            if self._w3.eth.get_balance(factory.signer) < factory.funding:
                self._fund(factory.signer, factory.funding)
            tx_hash = HexBytes(self._w3.eth.send_raw_transaction(factory.raw_transaction)).to_0x_hex()
            self._wait(tx_hash, factory.signer, action)
            if not self._w3.eth.get_code(FACTORY_ADDRESS):
                raise ChainUnavailable(f"{self._subject} did not accept the factory's deployment transaction.")

    def _deploy_from_node(self) -> None:
        """On a development node: the factory and the contract, paid by the node's own account."""
        action = "Deploying the grants contract on the development chain"
        self._ensure_factory(action)
        with self._guard(action, sending=True):
            accounts = self._w3.eth.accounts
            if not accounts:
                return
            tx_hash = self._w3.eth.send_transaction(
                {"from": accounts[0], "to": FACTORY_ADDRESS, "data": HexStr("0x" + factory_calldata().hex())})
            receipt = self._wait(HexBytes(tx_hash).to_0x_hex(), accounts[0], action)
            if int(receipt["status"]) != 1:
                raise TransactionReverted(f"{action} failed on chain.")
        self._use_contract(self._canonical)

    # --- keys ----------------------------------------------------------------------

    def register_key(self, account: Signer, encryption_key: bytes) -> TxResult:
        if len(encryption_key) != ENCRYPTION_KEY_SIZE:
            raise ValueError("an encryption key is 32 bytes")
        return self._transact_contract(account, "registerKey", [bytes(encryption_key)], "Publishing the encryption key")

    def encryption_key_of(self, address: str) -> bytes | None:
        """The key ``address`` published (on the current contract, else on an earlier one)."""
        for contract in [self._require_contract(), *self._earlier]:
            key = bytes(self._call("encryptionKeyOf", checksum(address), contract=contract))
            if any(key):
                return key
        return None

    def require_encryption_key(self, address: str) -> bytes:
        key = self.encryption_key_of(address)
        if key is None:
            raise KeyNotRegistered(
                f"{checksum(address)} has not published an encryption key on this chain; "
                "ask its owner to run register-key first."
            )
        return key

    # --- grants --------------------------------------------------------------------

    def _grant_args(self, grant_id: bytes, grantee: str, cid: str, wrapped_key: bytes,
                    expires_at: datetime) -> list[Any]:
        grantee = checksum(grantee)
        if grantee_of(grant_id) != grantee:
            raise ValueError("the grant id is not addressed to this grantee")
        if not cid:
            raise ValueError("a grant needs a CID")
        return [bytes(grant_id), grantee, cid, bytes(wrapped_key), to_chain_time(expires_at)]

    def estimate_grant_gas(self, account: Signer | str, grant_id: bytes, grantee: str, cid: str,
                           wrapped_key: bytes, expires_at: datetime) -> int:
        contract = self._require_contract()
        sender = checksum(account if isinstance(account, str) else account.address)
        data = contract.encode_abi("grant", args=self._grant_args(grant_id, grantee, cid, wrapped_key, expires_at))
        with self._guard("Estimating the grant's gas"):
            return int(self._w3.eth.estimate_gas({"from": sender, "to": contract.address, "data": data}))

    def grant(self, account: Signer, grant_id: bytes, grantee: str, cid: str, wrapped_key: bytes,
              expires_at: datetime) -> TxResult:
        args = self._grant_args(grant_id, grantee, cid, wrapped_key, expires_at)
        return self._transact_contract(account, "grant", args, "Granting access")

    # --- signed grants (EIP-712) ---------------------------------------------------

    def _check_domain(self, domain: Eip712Domain, what: str) -> None:
        mine = self.domain
        if domain.chain_id != mine.chain_id:
            raise TransactionReverted(
                f"This {what} was signed for chain {domain.chain_id}; this wallet is on chain {mine.chain_id}. "
                "Use a network profile for that chain."
            )
        if domain.verifying_contract != mine.verifying_contract:
            raise TransactionReverted(
                f"This {what} was signed for the contract at {domain.verifying_contract}, "
                f"not {mine.verifying_contract}."
            )

    def submit_signed_grant(self, account: Signer, signed: SignedGrant, *, record_access: bool = False) -> TxResult:
        """Submit a patient-signed grant with ``grantBySig``; ``account`` pays. With
        ``record_access`` the grantee (``account`` must be it) also logs its access in the
        same transaction (``grantBySigAndRecordAccess``)."""
        self._check_domain(signed.domain, "grant")
        fn = "grantBySigAndRecordAccess" if record_access else "grantBySig"
        action = "Submitting the grant and logging the access" if record_access else "Submitting the signed grant"
        return self._transact_contract(account, fn, signed.contract_args(), action)

    def submit_signed_revoke(self, account: Signer, signed: SignedRevoke) -> TxResult:
        """Submit a patient-signed revocation with ``revokeBySig``; ``account`` pays. An id
        that was never granted is burned."""
        self._check_domain(signed.domain, "revocation")
        return self._transact_contract(account, "revokeBySig", signed.contract_args(), "Submitting the revocation")

    def estimate_signed_grant_gas(self, sender: str, signed: SignedGrant, *, record_access: bool = False) -> int:
        """Gas ``sender`` would spend submitting ``signed`` (reverts come back as a ``ChainError``)."""
        contract = self._require_contract()
        self._check_domain(signed.domain, "grant")
        fn = "grantBySigAndRecordAccess" if record_access else "grantBySig"
        data = contract.encode_abi(fn, args=signed.contract_args())
        with self._guard("Estimating the grant's gas"):
            return int(self._w3.eth.estimate_gas({"from": checksum(sender), "to": contract.address, "data": data}))

    def revoke(self, account: Signer, grant_id: bytes) -> TxResult:
        grant_id_hex(grant_id)
        return self._transact_contract(account, "revoke", [bytes(grant_id)], "Revoking the grant",
                                       contract=self._contract_of(grant_id))

    def record_access(self, account: Signer, grant_id: bytes) -> TxResult:
        grant_id_hex(grant_id)
        return self._transact_contract(account, "recordAccess", [bytes(grant_id)], "Logging the access",
                                       contract=self._contract_of(grant_id))

    def is_active(self, grant_id: bytes) -> bool:
        grant_id_hex(grant_id)
        return bool(self._call("isActive", bytes(grant_id), contract=self._contract_of(grant_id)))

    def grant_info(self, grant_id: bytes, *, reading: OpenReading | None = None) -> AccessGrant:
        """See :meth:`ChainBackend.grant_info`; with ``reading`` (of this grant, granted) its
        storage is taken from there and its events are read up to the reading's block: one
        round trip (the log query)."""
        gid = grant_id_hex(grant_id)
        if reading is not None and reading.stage is GrantStage.GRANTED and reading.block is not None:
            assert reading.patient is not None and reading.expires_at is not None
            patient, expires, revoked = reading.patient, to_chain_time(reading.expires_at), reading.revoked
            end: int | None = reading.block
        else:
            patient, _grantee, expires, revoked = self._call(
                "grantOf", bytes(grant_id), contract=self._contract_of(grant_id))
            end = None
        if patient == ZERO_ADDRESS:
            raise GrantNotActive(f"There is no grant {gid} on this chain.")
        if revoked and expires == 0:
            raise GrantNotActive(f"Grant {gid} was revoked before it was submitted; it can never be opened.")
        grants = self._grants_from_logs(self._logs([self._grant_topics(), gid], end=end))
        if not grants:
            raise ChainUnavailable(
                f"{self._subject} did not return the events of grant {gid}; it may keep no old logs."
            )
        found = grants[0]
        # Storage is the authority on expiry and revocation.
        return AccessGrant(
            grant_id=found.grant_id, patient=patient, grantee=found.grantee, expires_at=from_chain_time(expires),
            cid=found.cid, wrapped_key=found.wrapped_key, revoked=bool(revoked), granted_at=found.granted_at,
            grant_tx=found.grant_tx, revoked_at=found.revoked_at if revoked else None, accesses=found.accesses,
            last_access_at=found.last_access_at,
        )

    def grant_stage(self, grant_id: bytes) -> GrantStage:
        """Whether ``grant_id`` was never used, is granted, or was burned before it was submitted
        (storage only: one call, no event scan)."""
        patient, _grantee, expires, revoked = self._call(
            "grantOf", bytes(grant_id), contract=self._contract_of(grant_id))
        if patient == ZERO_ADDRESS:
            return GrantStage.UNUSED
        return GrantStage.BURNED if revoked and expires == 0 else GrantStage.GRANTED

    def fee_per_gas(self) -> int:
        """Wei one unit of gas costs now at most (the fee a transaction would offer)."""
        with self._guard("Reading the chain's gas price"):
            return self._price(self._fees())

    def estimate_signed_revoke_gas(self, sender: str, signed: SignedRevoke) -> int:
        """The gas limit ``sender``'s transaction submitting ``signed`` would carry (the node's
        estimate with the margin :meth:`submit_signed_revoke` adds): times :meth:`fee_per_gas`,
        the most it costs, the figure the balance is checked against before sending. Reverts
        come back as a ``ChainError``."""
        contract = self._require_contract()
        self._check_domain(signed.domain, "revocation")
        data = contract.encode_abi("revokeBySig", args=signed.contract_args())
        with self._guard("Estimating the revocation's gas"):
            return _gas_limit(int(self._w3.eth.estimate_gas({"from": checksum(sender), "to": contract.address,
                                                              "data": data})))

    # --- backups -------------------------------------------------------------------

    def publish_backup(self, account: Signer, cid: str) -> TxResult:
        if not cid:
            raise ValueError("a backup pointer needs a CID")
        return self._transact_contract(account, "publishBackup", [cid], "Recording the backup on chain")

    def latest_backup(self, owner: str) -> str | None:
        logs = self._logs([self._topic["Backup"], _topic_address(owner)])
        if not logs:
            return None
        last = max(logs, key=lambda lg: (int(lg["blockNumber"]), int(lg["logIndex"])))
        return str(self._decode(last)[1]["cid"])
