"""The :class:`~wallet.chain.backend.ChainBackend` over any web3 provider.

The same code drives the embedded chain and a JSON-RPC node. Transactions are built
and signed here with the wallet's local account (keys never leave the process), gas is
estimated first (so a contract rejection costs nothing and comes back as a clear
error), the wallet funds itself on development chains, and receipts are awaited with a
timeout. Nonces come from a small book per sender: a transaction that was not
confirmed in time is re-sent with a higher fee before the next one, so one stuck
transaction never blocks the ones after it.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal, cast

import requests
from eth_abi import decode as abi_decode
from eth_typing import ABIEvent, ChecksumAddress, HexStr
from eth_utils import event_abi_to_log_topic, to_checksum_address
from hexbytes import HexBytes
from web3 import HTTPProvider, Web3
from web3.exceptions import (
    ContractLogicError,
    ProviderConnectionError,
    TimeExhausted,
    TransactionNotFound,
    Web3RPCError,
)
from web3.providers.base import JSONBaseProvider
from web3.types import FilterParams, RPCEndpoint, TxParams, Wei

from ..errors import (
    ChainError,
    ChainUnavailable,
    ContractMismatch,
    GrantNotActive,
    InsufficientFunds,
    KeyNotRegistered,
    TransactionPending,
    TransactionReverted,
)
from .backend import Deployment, OpenReading, PreparedTx, Signer, TxResult
from .canonical import FACTORY_ADDRESS, canonical_address, factory_calldata, factory_deployment, identify_runtime
from .code_checks import CodeChecks
from .contract import error_from_revert, load_artefact
from .eip712 import Eip712Domain, SignedGrant, SignedRevoke
from .grants import (
    AccessEvent,
    AccessGrant,
    EventKind,
    GrantStage,
    checksum,
    from_chain_time,
    grant_id_hex,
    grantee_of,
    to_chain_time,
)

__all__ = ["DEV_CHAIN_IDS", "Web3ChainBackend"]

logger = logging.getLogger(__name__)

GWEI = 10**9
ETHER = 10**18
DEV_CHAIN_IDS = frozenset({31337, 1337})  # anvil/hardhat, geth --dev
DEV_FUND_WEI = ETHER
GAS_MARGIN_NUM, GAS_MARGIN_DEN = 6, 5  # gas limit = estimate × 1.2
ZERO_ADDRESS = "0x" + "00" * 20
ENCRYPTION_KEY_SIZE = 32
SEND_ATTEMPTS = 8  # a nonce taken by another process meanwhile: look again
EIP7966_TIMEOUT = 4  # eth_sendRawTransactionSync: taken, not mined within the node's wait
SEND_REFUSALS = ("nonce", "insufficient funds", "underpriced", "already known", "already imported",
                 "known transaction")
SYNC_SEND_WAIT = 10.0  # seconds a synchronous send waits for the node's answer before polling instead

Faucet = Signer | Literal["node"] | None


def _gas_limit(estimate: int) -> int:
    """The gas limit a transaction carries: the node's estimate with a margin (× 1.2 + 1000)."""
    return estimate * GAS_MARGIN_NUM // GAS_MARGIN_DEN + 1000


def _eth(wei: int, currency: str = "ETH") -> str:
    return f"{wei / ETHER:.6f} {currency}"


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def _connection_problem(exc: BaseException) -> str:
    if isinstance(exc, (requests.exceptions.Timeout, TimeoutError)):
        return "no answer in time"
    if isinstance(exc, requests.exceptions.HTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code}"
    if isinstance(exc, (requests.exceptions.ConnectionError, ConnectionError)):
        return "no connection"
    return _short(exc)


def _rpc_message(exc: Web3RPCError) -> str:
    response = getattr(exc, "rpc_response", None) or {}
    error = response.get("error") if isinstance(response, dict) else None
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    return _short(exc)


def _revert_bytes(data: Any) -> bytes:
    if isinstance(data, (bytes, bytearray)):
        return bytes(data)
    if isinstance(data, str):
        text = data.split(" ")[-1]
        try:
            return bytes(HexBytes(text))
        except ValueError:
            return b""
    if isinstance(data, dict):
        return _revert_bytes(data.get("data"))
    return b""


def _checksum_address(address: str) -> ChecksumAddress:
    """``address`` in checksum form, typed for web3; ``ValueError`` for anything but a 0x address."""
    return to_checksum_address(checksum(address))


def _topic_address(address: str) -> str:
    return "0x" + "00" * 12 + checksum(address)[2:].lower()


def _as_int(value: Any) -> int:
    if isinstance(value, str):
        return int(value, 16) if value.startswith("0x") else int(value)
    return int(value)


def _rpc_error(error: Any) -> Web3RPCError:
    """A JSON-RPC error answer as web3 raises it."""
    error = error if isinstance(error, dict) else {"message": str(error)}
    return Web3RPCError(str(error.get("message")), rpc_response=cast(Any, {"error": error}))


def _receipt_fields(receipt: Any) -> dict[str, Any] | None:
    """A mined transaction's receipt as a node's JSON answer gives it: the fields read here;
    ``None`` for no receipt (not mined yet)."""
    if not isinstance(receipt, dict) or receipt.get("blockNumber") is None:
        return None
    return {"status": _as_int(receipt["status"]), "gasUsed": _as_int(receipt["gasUsed"]),
            "blockNumber": _as_int(receipt["blockNumber"]), "transactionHash": HexBytes(receipt["transactionHash"])}


def _block_fields(block: Any) -> dict[str, int]:
    """A block as a node's JSON answer gives it: the fields read here, as integers."""
    return {k: _as_int(v) for k, v in block.items() if k in ("number", "timestamp", "baseFeePerGas") and v is not None}


@dataclass
class _InFlight:
    nonce: int
    tx: dict[str, Any]
    tx_hash: str
    stuck: bool = False


@dataclass
class _NonceBook:
    """Per sender: transactions sent by this process and not yet seen mined."""

    inflight: dict[str, dict[int, _InFlight]] = field(default_factory=dict)

    def settle(self, sender: str, mined_count: int) -> dict[int, _InFlight]:
        mine = self.inflight.setdefault(sender, {})
        for nonce in [n for n in mine if n < mined_count]:
            del mine[nonce]
        return mine

    def forget(self, sender: str) -> None:
        self.inflight.pop(sender, None)


class Web3ChainBackend:
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

    # --- errors --------------------------------------------------------------------

    @contextmanager
    def _guard(self, action: str, *, sending: bool = False) -> Iterator[None]:
        try:
            yield
        except ChainError:
            raise
        except ContractLogicError as exc:
            raise error_from_revert(_revert_bytes(exc.data), action=action) from exc
        except (requests.exceptions.RequestException, ProviderConnectionError, ConnectionError, TimeoutError) as exc:
            raise ChainUnavailable(
                f"{self._subject} is not reachable ({_connection_problem(exc)}); "
                "start the node or check the chain settings."
            ) from exc
        except Web3RPCError as exc:
            message = _rpc_message(exc)
            if "insufficient funds" in message.lower():
                raise InsufficientFunds(
                    f"{action} needs more {self._currency} for gas than the account holds ({message}).") from exc
            cls = TransactionReverted if sending else ChainUnavailable
            raise cls(f"{action} was refused by {self._description}: {message}.") from exc

    @property
    def _subject(self) -> str:
        return self._description[:1].upper() + self._description[1:]

    # --- batches -------------------------------------------------------------------

    def _batch(self, calls: list[tuple[str, list[Any]]]) -> list[dict[str, Any]] | None:
        """``calls`` as one JSON-RPC batch (JSON-RPC 2.0, section 6): one round trip. Each
        call's answer as the node gave it (``{"result": …}`` or ``{"error": …}``), in the
        calls' order; ``None`` when the provider or the node takes no batch (the embedded
        chain, a node that answers a batch with one error object or an HTTP error), which
        is remembered, so the caller asks one call at a time from then on. A connection
        failure raises as a single call's would."""
        provider = self._w3.provider
        if not self._batches or not isinstance(provider, JSONBaseProvider):
            return None
        try:
            answers = provider.make_batch_request([(RPCEndpoint(method), params) for method, params in calls])
        except (NotImplementedError, requests.exceptions.HTTPError, ValueError):
            self._batches = False
            return None
        if (not isinstance(answers, list) or len(answers) != len(calls)
                or not all(isinstance(a, dict) and ("result" in a or "error" in a) for a in answers)):
            self._batches = False
            return None
        return [dict(a) for a in answers]

    def _connect_reads(self, contract_address: str | None, earlier: tuple[str, ...]) -> int:
        """The node's chain id; where the node takes batches, the code at the standard
        address and at the configured contracts rides along (one round trip), kept for the
        code checks of this connection."""
        addresses = [self._canonical]
        for address in (contract_address, *earlier):
            if not address:
                continue
            try:
                addresses.append(_checksum_address(address))
            except ValueError:
                continue  # _use_contract says what is wrong with it
        answers = self._batch([("eth_chainId", []), *(("eth_getCode", [a, "latest"]) for a in addresses)])
        if answers is None or "result" not in answers[0]:
            return int(self._w3.eth.chain_id)
        for address, answer in zip(addresses, answers[1:], strict=True):
            if isinstance(answer.get("result"), str):
                self._fetched_code[address.lower()] = bytes(HexBytes(answer["result"]))
        return _as_int(answers[0]["result"])

    def _code_at(self, address: str, action: str) -> bytes:
        """The runtime code at ``address``: read while connecting, else now."""
        code = self._fetched_code.get(address.lower())
        if code is not None:
            return code
        with self._guard(action):
            return bytes(self._w3.eth.get_code(_checksum_address(address)))

    # --- contract ------------------------------------------------------------------

    def _checked_version(self, address: str) -> int | None:
        """The HealthGrants version this process already found at ``address`` on this endpoint."""
        if self._code_checks is None or self._endpoint is None:
            return None
        return self._code_checks.version(self._endpoint, self._chain_id, address)

    def _identified(self, address: str, code: bytes) -> int | None:
        """The HealthGrants version of ``code`` (read at ``address``), remembered when it is one."""
        version = identify_runtime(bytes(code))
        if version is not None and self._code_checks is not None and self._endpoint is not None:
            self._code_checks.remember(self._endpoint, self._chain_id, address, version)
        return version

    def _use_contract(self, address: str) -> None:
        try:
            address = checksummed = _checksum_address(address)
        except ValueError:
            raise ChainUnavailable(
                f"The grants contract address {address!r} is not an address; check chain.contract.") from None
        version = self._checked_version(checksummed)
        if version is None:
            code = self._code_at(checksummed, "Looking up the grants contract")
            if not code:
                raise ChainUnavailable(
                    f"There is no grants contract at {address} on {self._description} (chain {self._chain_id}); "
                    "deploy one with deploy-contract or correct chain.contract."
                )
            version = self._identified(checksummed, bytes(code))
        if version is None:
            raise ContractMismatch(
                f"The contract at {address} on {self._description} (chain {self._chain_id}) is not the Health "
                f"Wallet grants contract (its code differs); the wallet will not use it. Check chain.contract, "
                f"or clear it to use {self._canonical}."
            )
        previous = self._contract
        if previous is not None and self._contract_version == 1 and version == 2 and previous.address != address:
            self._earlier.append(previous)  # its grants keep listing, opening and revoking
        self._contract = self._w3.eth.contract(address=checksummed, abi=self._abi)
        self._contract_version = version
        self._deployed_block = None

    def _use_earlier(self, addresses: tuple[str, ...]) -> None:
        for address in addresses:
            checksummed = _checksum_address(address)
            if self._contract is not None and checksummed == self._contract.address:
                continue
            version = self._checked_version(checksummed)
            if version is None:
                code = self._code_at(checksummed, "Looking up an earlier grants contract")
                version = self._identified(checksummed, code)
            if version != 1:
                raise ContractMismatch(
                    f"The contract at {checksummed} is not an earlier Health Wallet grants contract.")
            self._earlier.append(self._w3.eth.contract(address=checksummed, abi=self._abi))

    @property
    def earlier_contracts(self) -> tuple[str, ...]:
        """Version-1 contracts whose grants this backend still reads and revokes."""
        return tuple(c.address for c in self._earlier)

    def contract_for(self, grant_id: bytes) -> str:
        """The address of the contract holding ``grant_id`` (the current one for a new id)."""
        grant_id_hex(grant_id)
        return str(self._contract_of(grant_id).address)

    def _contract_of(self, grant_id: bytes) -> Any:
        """The contract holding ``grant_id``: the current one, or an earlier one that has it."""
        contract = self._require_contract()
        if not self._earlier:
            return contract
        for candidate in [contract, *self._earlier]:
            with self._guard("Reading the grants contract"):
                patient = candidate.functions.grantOf(bytes(grant_id)).call(block_identifier="latest")[0]
            if patient != ZERO_ADDRESS:
                return candidate
        return contract

    def _require_contract(self) -> Any:
        if self._contract is None and self._development and self._faucet == "node":
            self._deploy_from_node()  # a development chain: the wallet deploys it by itself
        if self._contract is None:
            raise ChainUnavailable(
                f"The grants contract is not on {self._description} (chain {self._chain_id}) yet; its address on "
                f"every chain is {self._canonical}. Deploy it with deploy-contract, or set chain.contract."
            )
        return self._contract

    def _call(self, fn: str, *args: Any, contract: Any = None) -> Any:
        contract = contract or self._require_contract()
        with self._guard("Reading the grants contract"):
            return getattr(contract.functions, fn)(*args).call(block_identifier="latest")

    def _deployment_block(self) -> int:
        if self._deployed_block is None:
            blocks = [int(self._call("deployedBlock"))]
            blocks += [int(self._call("deployedBlock", contract=c)) for c in self._earlier]
            self._deployed_block = min(blocks)
        return self._deployed_block

    # --- time and balance ----------------------------------------------------------

    def now(self) -> datetime:
        if self._time_source is not None:
            return from_chain_time(self._time_source())
        with self._guard("Reading the chain's time"):
            return from_chain_time(self._w3.eth.get_block("latest")["timestamp"])

    def balance(self, address: str) -> int:
        with self._guard("Reading a balance"):
            return int(self._w3.eth.get_balance(_checksum_address(address)))

    # --- transactions --------------------------------------------------------------

    def _fees(self, block: Any = None, tip: int | None = None) -> dict[str, int]:
        """The fee fields of a transaction sent now; ``block`` (the latest) and ``tip`` (the
        node's priority fee) when they were read already."""
        block = self._w3.eth.get_block("latest") if block is None else block
        base = block.get("baseFeePerGas")
        if base is None:
            return {"gasPrice": int(self._w3.eth.gas_price)}
        if tip is None:
            try:
                tip = int(self._w3.eth.max_priority_fee)
            except (Web3RPCError, ValueError):
                tip = GWEI
        return {"type": 2, "maxFeePerGas": 2 * int(base) + tip, "maxPriorityFeePerGas": tip}

    @staticmethod
    def _price(fees: dict[str, int]) -> int:
        return fees.get("maxFeePerGas", fees.get("gasPrice", 0))

    def _ensure_funds(self, sender: str, need: int, action: str, have: int | None = None) -> None:
        """Raise :class:`InsufficientFunds` (or fund the sender on a development chain) when
        its balance (``have``, read now when not given) is below ``need`` wei."""
        if have is None:
            have = int(self._w3.eth.get_balance(to_checksum_address(sender)))
        if have >= need:
            return
        if self._faucet is None:
            raise InsufficientFunds(
                f"{action} needs up to {_eth(need, self._currency)} for gas; {sender} holds "
                f"{_eth(have, self._currency)}. Send {self._currency} to this address and try again."
            )
        self._fund(sender, max(DEV_FUND_WEI, 2 * need))

    def _fund(self, address: str, amount: int) -> None:
        action = "Funding the wallet on the development chain"
        if self._faucet == "node":
            accounts = self._w3.eth.accounts
            if not accounts:
                raise InsufficientFunds(
                    f"{self._subject} has no development account to pay gas from; send ETH to {address}."
                )
            sent = self._w3.eth.send_transaction({"from": accounts[0], "to": address, "value": Wei(amount)})
            self._wait(HexBytes(sent).to_0x_hex(), accounts[0], action)
            return
        faucet = self._faucet
        assert faucet is not None and not isinstance(faucet, str)
        fees = self._fees()
        tx = {"from": faucet.address, "to": address, "value": amount, "gas": 21000, "chainId": self._chain_id, **fees}
        tx_hash, _first = self._sign_and_send(faucet, tx, action)
        self._wait(tx_hash, faucet.address, action)

    def _rebroadcast(self, account: Signer, entry: _InFlight, fees: dict[str, int]) -> None:
        """Re-send a stuck transaction with the same nonce and at least 12.5% more fee."""
        tx = dict(entry.tx)
        for key in ("maxFeePerGas", "maxPriorityFeePerGas", "gasPrice"):
            if key in tx:
                tx[key] = max(tx[key] * 9 // 8 + 1, fees.get(key, 0))
        signed = account.sign_transaction(dict(tx, nonce=entry.nonce))
        try:
            self._w3.eth.send_raw_transaction(signed.raw_transaction)
        except Web3RPCError as exc:
            text = _rpc_message(exc).lower()
            if "nonce too low" in text or "already known" in text or "already imported" in text:
                return  # it was mined meanwhile, or the node has it already
            raise
        entry.tx, entry.tx_hash, entry.stuck = tx, HexBytes(signed.hash).to_0x_hex(), False

    def _nonce_counts(self, sender: str) -> tuple[int, int]:
        """The sender's mined and pending transaction counts."""
        checksummed = _checksum_address(sender)
        return (int(self._w3.eth.get_transaction_count(checksummed, "latest")),
                int(self._w3.eth.get_transaction_count(checksummed, "pending")))

    def _send_raw(self, raw: bytes, tx_hash: str, look: bool) -> Any:
        """Send a signed transaction. With ``look`` its receipt is asked in the same round
        trip where the node allows: ``eth_sendRawTransactionSync`` (EIP-7966: the node answers
        once the transaction is mined, or says it is still pending), else a batch of the send
        and a receipt request (a node that mines at once may have it). The receipt when it
        came back, else ``None`` (it is polled as usual). An error answer to the send raises
        as the single call would."""
        if look:
            sent = self._send_sync(raw)
            if sent is not None:
                return sent[0]
        answers = self._batch([("eth_sendRawTransaction", [HexBytes(raw).to_0x_hex()]),
                               ("eth_getTransactionReceipt", [tx_hash])]) if look else None
        if answers is None:
            self._w3.eth.send_raw_transaction(raw)
            return None
        answer, receipt = answers
        if "error" in answer:
            raise _rpc_error(answer["error"])
        return _receipt_fields(receipt.get("result"))

    def _send_sync(self, raw: bytes) -> tuple[Any] | None:
        """``eth_sendRawTransactionSync`` (EIP-7966): ``(receipt,)``, ``(None,)`` when the node
        took it but it was not mined within the wait, ``None`` when the node does not offer
        the method (remembered; the transaction is then sent the usual way: the same signed
        bytes, so a send the node did take is answered "already known").

        The node's own wait can be longer than a request may take (anvil waits 30 s), so the
        request waits at most :data:`SYNC_SEND_WAIT` seconds (or the receipt timeout): a
        request the node received and did not answer in that time is a transaction still
        pending, whose receipt is then polled."""
        provider = self._w3.provider
        sessions = getattr(provider, "_request_session_manager", None)
        if not self._sync_sends or not isinstance(provider, HTTPProvider) or sessions is None:
            return None
        wait = min(self._receipt_timeout, SYNC_SEND_WAIT)
        request = provider.encode_rpc_request(RPCEndpoint("eth_sendRawTransactionSync"), [HexBytes(raw).to_0x_hex()])
        try:
            answer = provider.decode_rpc_response(sessions.make_post_request(
                provider.endpoint_uri, request, **{**dict(provider.get_request_kwargs()), "timeout": wait}))
        except requests.exceptions.ReadTimeout:
            return (None,)  # received, not answered yet: not mined within the wait
        except (requests.exceptions.HTTPError, ValueError):
            self._sync_sends = False
            return None
        error = answer.get("error") if isinstance(answer, dict) else None
        if error is None and isinstance(answer, dict) and isinstance(answer.get("result"), dict):
            return (_receipt_fields(answer["result"]),)
        code = error.get("code") if isinstance(error, dict) else None
        message = str(error.get("message", "") if isinstance(error, dict) else error).lower()
        if code == EIP7966_TIMEOUT or "timeout" in message or "timed out" in message:
            return (None,)
        if any(word in message for word in SEND_REFUSALS):
            raise _rpc_error(error)
        self._sync_sends = False  # not offered here (or an answer this wallet does not read)
        return None

    def _sign_and_send(self, account: Signer, tx: dict[str, Any], action: str,
                       counts: tuple[int, int] | None = None, *, look: bool = False) -> tuple[str, Any]:
        """Sign with the next nonce and send: its hash, and with ``look`` its receipt when the
        node had it at once (see :meth:`_send_raw`; else ``None``). ``counts`` (mined, pending),
        read a moment ago, spare the first attempt reading them (a nonce taken meanwhile is
        retried as usual)."""
        sender = _checksum_address(account.address)
        with self._lock:
            for attempt in range(SEND_ATTEMPTS):
                mined, pending = counts if counts is not None and attempt == 0 else self._nonce_counts(sender)
                mine = self._nonces.settle(sender, mined)
                for entry in sorted(mine.values(), key=lambda e: e.nonce):
                    if entry.stuck:
                        self._rebroadcast(
                            account, entry, {k: v for k, v in tx.items() if "Fee" in k or k == "gasPrice"})
                nonce = max([pending, mined] + [n + 1 for n in mine])
                signed = account.sign_transaction(dict(tx, nonce=nonce))
                tx_hash = HexBytes(signed.hash).to_0x_hex()
                receipt = None
                try:
                    receipt = self._send_raw(signed.raw_transaction, tx_hash, look)
                except Web3RPCError as exc:
                    text = _rpc_message(exc).lower()
                    if "already known" in text or "already imported" in text or "known transaction" in text:
                        pass
                    elif attempt < SEND_ATTEMPTS - 1 and (
                            "nonce" in text or "replacement transaction underpriced" in text):
                        self._nonces.forget(sender)  # another process used this nonce: look again,
                        time.sleep(random.uniform(0, 0.05 * (attempt + 1)))  # after a jitter so we stop colliding
                        continue
                    elif "insufficient funds" in text:
                        raise InsufficientFunds(
                            f"{action} needs more {self._currency} for gas than {sender} holds.") from exc
                    else:
                        raise
                mine[nonce] = _InFlight(nonce, {k: v for k, v in tx.items() if k != "nonce"}, tx_hash)
                return tx_hash, receipt
        raise TransactionReverted(f"{action} could not get a transaction number (nonce) from {self._description}.")

    def _wait(self, tx_hash: str, sender: str, action: str) -> Any:
        deadline = time.monotonic() + self._receipt_timeout
        delay = 0.002  # a development node mines at once: look again within milliseconds, then back off
        while True:
            try:
                receipt = self._w3.eth.get_transaction_receipt(HexStr(tx_hash))
                if receipt is not None:
                    break
            except (TransactionNotFound, TimeExhausted):
                pass
            if time.monotonic() >= deadline:
                with self._lock:
                    for entry in self._nonces.inflight.get(checksum(sender), {}).values():
                        if entry.tx_hash == tx_hash:
                            entry.stuck = True
                raise TransactionPending(
                    f"{action}: transaction {tx_hash} was sent but not confirmed within "
                    f"{self._receipt_timeout:g} s; it may still confirm, and the next transaction re-sends it "
                    "with a higher fee.",
                    tx_hash=tx_hash,
                )
            time.sleep(delay)
            delay = min(delay * 2, self._poll_interval)
        return receipt

    def _transact(self, account: Signer, *, data: str, to: str | None, action: str) -> tuple[TxResult, Any]:
        return self._send(account, self._prepare(account, data=data, to=to, action=action))

    def _prepare(self, account: Signer, *, data: str, to: str | None, action: str) -> PreparedTx:
        """Estimate (a revert comes back as the contract's error), price, and check the funds."""
        if not isinstance(account, Signer):
            raise TypeError("account must sign locally (an eth_account LocalAccount)")
        sender = checksum(account.address)
        with self._guard(action, sending=True):
            tx: dict[str, Any] = {"from": sender, "data": data, "value": 0, "chainId": self._chain_id}
            if to is not None:
                tx["to"] = to
            read = self._pricing_reads(tx, sender)
            if read is None:  # no batches here: one call each
                gas = _gas_limit(int(self._w3.eth.estimate_gas(cast(TxParams, tx))))
                fees = self._fees()
                self._ensure_funds(sender, gas * self._price(fees), action)
                counts = self._nonce_counts(sender)
            else:
                estimate, block, tip, balance, counts = read
                gas = _gas_limit(estimate)
                fees = self._fees(block, tip)
                self._ensure_funds(sender, gas * self._price(fees), action, balance)
        return PreparedTx(sender, {**tx, "gas": gas, **fees}, action, counts)

    def _pricing_reads(self, tx: dict[str, Any], sender: str) -> tuple[int, Any, int, int, tuple[int, int]] | None:
        """What pricing ``tx`` needs, in one JSON-RPC batch (one round trip instead of six): the
        gas estimate, the latest block, the priority fee, the sender's balance, its mined and
        pending counts. ``None`` when the node or provider takes no batch, or refused a part
        (the caller then asks one by one, with each call's fallbacks and errors: a revert in
        the estimate raises there as it always did)."""
        checksummed = _checksum_address(sender)
        call = {"from": checksummed, "data": tx["data"], "value": hex(int(tx.get("value", 0)))}
        if tx.get("to") is not None:
            call["to"] = tx["to"]
        answers = self._batch([("eth_estimateGas", [call]), ("eth_getBlockByNumber", ["latest", False]),
                               ("eth_maxPriorityFeePerGas", []), ("eth_getBalance", [checksummed, "latest"]),
                               ("eth_getTransactionCount", [checksummed, "latest"]),
                               ("eth_getTransactionCount", [checksummed, "pending"])])
        if answers is None or any("result" not in a for i, a in enumerate(answers) if i != 2):
            return None
        try:
            estimate, balance, mined, pending = (_as_int(answers[i]["result"]) for i in (0, 3, 4, 5))
            block = _block_fields(answers[1]["result"])
            tip = _as_int(answers[2]["result"]) if "result" in answers[2] else GWEI
        except (ValueError, TypeError, KeyError, AttributeError):
            return None
        return estimate, block, tip, balance, (mined, pending)

    def _send(self, account: Signer, prepared: PreparedTx) -> tuple[TxResult, Any]:
        if not isinstance(account, Signer):
            raise TypeError("account must sign locally (an eth_account LocalAccount)")
        if checksum(account.address) != prepared.sender:
            raise ValueError("the transaction was prepared for another account")
        action = prepared.action
        with self._guard(action, sending=True):
            tx_hash, receipt = self._sign_and_send(account, dict(prepared.fields), action, prepared.nonce_counts,
                                                   look=True)
            if receipt is None:
                receipt = self._wait(tx_hash, prepared.sender, action)
            if int(receipt["status"]) != 1:
                unpriced = {k: v for k, v in prepared.fields.items()
                            if k in ("from", "to", "data", "value", "chainId")}
                raise self._failure(unpriced, receipt, action)
        return TxResult(tx_hash, int(receipt["gasUsed"]), int(receipt["blockNumber"])), receipt

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

    def send_prepared(self, account: Signer, prepared: PreparedTx) -> TxResult:
        """See :meth:`ChainBackend.send_prepared`."""
        result, _receipt = self._send(account, prepared)
        return result

    def _failure(self, tx: dict[str, Any], receipt: Any, action: str) -> ChainError:
        """Why a mined transaction failed: replay it as a call just before its block."""
        tx_hash = HexBytes(receipt["transactionHash"]).to_0x_hex()
        try:
            call = cast(TxParams, {k: v for k, v in tx.items() if k != "chainId"})
            self._w3.eth.call(call, max(0, int(receipt["blockNumber"]) - 1))
        except ContractLogicError as exc:
            return error_from_revert(_revert_bytes(exc.data), action=action)
        except Exception:  # the reason is a courtesy; the failure stands
            logger.debug("replaying failed transaction %s did not give a reason", tx_hash, exc_info=True)
        return TransactionReverted(f"{action} failed on chain (transaction {tx_hash}, out of gas or rejected).")

    def _transact_contract(self, account: Signer, fn: str, args: list[Any], action: str, *,
                           contract: Any = None) -> TxResult:
        contract = contract or self._require_contract()
        data = contract.encode_abi(fn, args=args)
        result, _receipt = self._transact(account, data=data, to=contract.address, action=action)
        return result

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

    def patients_with_activity(self, patients: list[str]) -> set[str]:
        """Which of ``patients`` appear as a grant's patient in any event (one log query)."""
        if not patients:
            return set()
        topics = [_topic_address(p) for p in patients]
        found: set[str] = set()
        for _log, _name, args in self._decoded(self._logs([[self._topic["Granted"], self._topic["Revoked"]], None,
                                                           topics])):
            found.add(checksum(args["patient"]))
        return found

    def grants_by_patients(self, patients: list[str]) -> list[AccessGrant]:
        """Grants whose patient is any of ``patients`` (one log query), in chain order."""
        if not patients:
            return []
        return self._grants_from_logs(self._logs([self._grant_topics(), None,
                                                  [_topic_address(p) for p in patients]]))

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

    def has_patient_activity(self, patient: str) -> bool:
        """Whether ``patient`` appears as a grant's patient in any event (granted, revoked or burned)."""
        return bool(self._logs([[self._topic["Granted"], self._topic["Revoked"]], None, _topic_address(patient)]))

    def grants_by_patient(self, patient: str) -> list[AccessGrant]:
        return self._grants_from_logs(self._logs([self._grant_topics(), None, _topic_address(patient)]))

    def grants_for_grantee(self, grantee: str) -> list[AccessGrant]:
        return self._grants_from_logs(self._logs([self._grant_topics(), None, None, _topic_address(grantee)]))

    def access_log(self, address: str) -> list[AccessEvent]:
        topic = _topic_address(address)
        logs = self._logs([self._grant_topics(), None, topic]) + self._logs([self._grant_topics(), None, None, topic])
        seen: set[tuple[str, int]] = set()
        events = []
        for log, name, args in self._decoded(logs):
            key = (HexBytes(log["transactionHash"]).to_0x_hex(), int(log["logIndex"]))
            if key in seen:
                continue  # a wallet granting to itself matches both queries
            seen.add(key)
            events.append(AccessEvent(
                kind=EventKind(name.lower()), grant_id=bytes(args["id"]), patient=args["patient"],
                grantee=args["grantee"], at=from_chain_time(self._log_time(log)), block=int(log["blockNumber"]),
                tx_hash=key[0], log_index=key[1],
                expires_at=from_chain_time(args["expiresAt"]) if name == "Granted" else None,
            ))
        return events

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

    # --- events --------------------------------------------------------------------

    def _grant_topics(self) -> list[str]:
        return [self._topic["Granted"], self._topic["Revoked"], self._topic["Accessed"]]

    def _logs(self, topics: list[Any], *, end: int | None = None) -> list[Any]:
        """The contracts' logs matching ``topics`` up to block ``end`` (default: the latest)."""
        contract = self._require_contract()
        start = self._deployment_block()
        addresses: str | list[str] = contract.address
        if self._earlier:
            addresses = [contract.address, *(c.address for c in self._earlier)]
        with self._guard("Reading the chain's events"):
            if end is None:
                end = int(self._w3.eth.block_number)
            return self._logs_between(addresses, topics, start, end)

    def _logs_between(self, address: str | list[str], topics: list[Any], start: int, end: int) -> list[Any]:
        if end < start:
            return []
        try:
            query = cast(FilterParams, {"address": address, "topics": topics, "fromBlock": start, "toBlock": end})
            return list(self._w3.eth.get_logs(query))
        except Web3RPCError as exc:
            text = _rpc_message(exc).lower()
            limited = any(word in text for word in ("range", "limit", "too many", "exceed", "max"))
            if not limited or end == start:
                raise
            middle = (start + end) // 2  # the node caps log queries: ask for halves
            return (self._logs_between(address, topics, start, middle)
                    + self._logs_between(address, topics, middle + 1, end))

    def _decoded(self, logs: list[Any]) -> Iterator[tuple[Any, str, dict[str, Any]]]:
        """Logs in chain order with their decoded arguments; undecodable ones are skipped.

        Anyone can send a grant to any address, so a malformed event must not stop a
        wallet from listing the rest.
        """
        for log in sorted(logs, key=lambda lg: (int(lg["blockNumber"]), int(lg["logIndex"]))):
            try:
                name, args = self._decode(log)
            except Exception:  # a junk event is not the wallet's failure
                logger.debug("skipping an undecodable event log", exc_info=True)
                continue
            yield log, name, args

    def _decode(self, log: Any) -> tuple[str, dict[str, Any]]:
        topic0 = HexBytes(log["topics"][0]).to_0x_hex()
        name = self._event_names[topic0]
        event = getattr(self._require_contract().events, name)()
        return name, dict(event.process_log(log)["args"])

    def _log_time(self, log: Any) -> int:
        stamp = log.get("blockTimestamp") if hasattr(log, "get") else None
        if stamp is not None:
            return _as_int(stamp)
        number = int(log["blockNumber"])
        if number not in self._block_times:
            with self._guard("Reading the chain's blocks"):
                self._block_times[number] = int(self._w3.eth.get_block(number)["timestamp"])
        return self._block_times[number]

    def _grants_from_logs(self, logs: list[Any]) -> list[AccessGrant]:
        granted: dict[bytes, dict[str, Any]] = {}
        revoked: dict[bytes, int] = {}
        accesses: dict[bytes, list[int]] = {}
        for log, name, args in self._decoded(logs):
            gid = bytes(args["id"])
            if name == "Granted":
                granted[gid] = {**args, "_time": self._log_time(log),
                                "_tx": HexBytes(log["transactionHash"]).to_0x_hex()}
            elif name == "Revoked":
                revoked[gid] = self._log_time(log)
            elif name == "Accessed":
                accesses.setdefault(gid, []).append(self._log_time(log))
        out = []
        for gid, args in granted.items():
            times = accesses.get(gid, [])
            try:
                out.append(self._grant_from_event(gid, args, revoked, times))
            except ValueError:
                continue  # not a grant this wallet can use (e.g. a malformed CID)
        return out

    @staticmethod
    def _grant_from_event(gid: bytes, args: dict[str, Any], revoked: dict[bytes, int], times: list[int]) -> AccessGrant:
        return AccessGrant(
            grant_id=gid, patient=args["patient"], grantee=args["grantee"],
            expires_at=from_chain_time(args["expiresAt"]), cid=str(args["cid"]),
            wrapped_key=bytes(args["wrappedKey"]), revoked=gid in revoked,
            granted_at=from_chain_time(args["_time"]), grant_tx=args["_tx"],
            revoked_at=from_chain_time(revoked[gid]) if gid in revoked else None,
            accesses=len(times), last_access_at=from_chain_time(max(times)) if times else None,
        )
