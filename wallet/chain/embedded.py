"""The embedded chain: an in-process EVM (py-evm) whose blocks persist in a shared folder.

It needs nothing running: the wallet signs transactions as for any node, and this
module executes them, one block per transaction, at the time an injected
:class:`~wallet.clock.Clock` gives (so tests can move time). Blocks go to an
append-only journal (:mod:`wallet.chain.journal`), so grants survive a restart and
several wallets on one machine (a patient's and a doctor's, one after another or at
the same time) share one chain. A state snapshot next to the journal makes opening
fast; without it the journal is replayed.

The chain answers the JSON-RPC methods the wallet uses through :class:`EmbeddedProvider`,
so one backend (:class:`~wallet.chain.web3_backend.Web3ChainBackend`) serves both this
chain and a real node. Contract calls see the clock's time (never earlier than the
latest block), so an expiry is checked against "now", not against the last block.

Each chain has a development account (a fixed, public key, worthless outside this
chain) that pays wallets' gas. Block 1 installs the standard CREATE2 factory from its
published presigned transaction (the development account funds its one-time signer)
and deploys the grants contract through it, so the contract has the address it has on
every other chain (:mod:`wallet.chain.canonical`). A chain created before that has
its first contract (version 1, deployed by the development account's first
transaction); opening it adds the factory and today's contract in a new block, and the
backend reads the first contract's grants beside the new one's, so they keep listing,
opening and revoking while new grants use today's contract.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any, cast

import rlp
from eth.abc import SignedTransactionAPI
from eth.chains.base import MiningChain
from eth.constants import BLANK_ROOT_HASH, POST_MERGE_DIFFICULTY, POST_MERGE_MIX_HASH, POST_MERGE_NONCE, ZERO_ADDRESS
from eth.db.atomic import AtomicDB
from eth.db.backends.memory import MemoryDB
from eth.estimators.gas import binary_gas_search_exact
from eth.exceptions import HeaderNotFound, Revert, VMError
from eth.typing import AccountState, HeaderParams
from eth.vm.forks import PragueVM
from eth.vm.spoof import SpoofTransaction
from eth_account import Account
from eth_typing import Address, BlockNumber, Hash32
from eth_utils import ValidationError, keccak, to_canonical_address, to_checksum_address
from web3 import Web3
from web3.providers import BaseProvider

from ..clock import Clock
from ..errors import ChainDamaged, ChainUnavailable
from .canonical import FACTORY_ADDRESS, canonical_address, factory_calldata, factory_deployment
from .journal import (
    BlockRecord,
    Journal,
    JournalDamaged,
    JournalHeader,
    JournalOutdated,
    JournalTampered,
    LockTimeout,
    LogRecord,
    read_snapshot,
    read_snapshot_block,
    write_snapshot,
)
from .networks import EMBEDDED_CHAIN_ID_BASE as CHAIN_ID_BASE
from .web3_backend import Web3ChainBackend

__all__ = ["DEV_ACCOUNT_KEY", "EmbeddedChain", "EmbeddedProvider", "open_embedded_chain"]

DEV_ACCOUNT_KEY = keccak(b"health-wallet/embedded-chain/development-account/v1")
GAS_LIMIT = 30_000_000
DEV_BALANCE = 10**27  # a billion ETH of this chain only
PRIORITY_FEE = 10**9
SNAPSHOT_EVERY = 16  # blocks between snapshots while running; close() always leaves one


FORKS = {"prague": PragueVM}
_LATEST = {None, "latest", "pending", "safe", "finalized"}


def _engine() -> str:
    return f"py-evm {metadata.version('py-evm')}"


def _hex(data: bytes) -> str:
    return "0x" + bytes(data).hex()


def _qty(value: int) -> str:
    return hex(int(value))


def _unhex(text: Any) -> bytes:
    if not isinstance(text, str) or not text.startswith("0x"):
        raise _RpcError(-32602, f"expected 0x-prefixed hex, got {text!r}")
    try:
        return bytes.fromhex(text[2:])
    except ValueError:
        raise _RpcError(-32602, f"invalid hex {text!r}") from None


def _int(value: Any) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.startswith("0x"):
        try:
            return int(value, 16)
        except ValueError:
            pass
    raise _RpcError(-32602, f"expected a 0x-prefixed quantity, got {value!r}")


def _address(text: Any) -> Address:
    try:
        return to_canonical_address(text)
    except (TypeError, ValueError):
        raise _RpcError(-32602, f"invalid address {text!r}") from None


def _topic(value: int | bytes) -> bytes:
    return value if isinstance(value, bytes) else int(value).to_bytes(32, "big")


def _create_address(sender: bytes, nonce: int) -> bytes:
    """Where a contract deployed by ``sender`` with ``nonce`` lives."""
    return keccak(rlp.encode([sender, nonce]))[12:]


def _mix_hash(parent_hash: bytes) -> bytes:
    """Deterministic 'randomness' so every process replays identical blocks."""
    return keccak(b"health-wallet/embedded-chain/prevrandao" + parent_hash)


class _RpcError(Exception):
    def __init__(self, code: int, message: str, data: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.data = code, message, data


def _chain_class(header: JournalHeader) -> type[MiningChain]:
    vm = FORKS.get(header.fork)
    if vm is None:
        raise ChainUnavailable(f"The embedded chain uses the '{header.fork}' rules, which this version cannot run.")
    return type("EmbeddedMiningChain", (MiningChain,), {
        "chain_id": header.chain_id,
        "vm_configuration": ((0, vm),),
        "gas_estimator": staticmethod(binary_gas_search_exact),
    })


class EmbeddedChain:
    """One embedded chain, open in this process; thread-safe."""

    def __init__(self, folder: Path, *, clock: Clock, lock_timeout: float = 30.0) -> None:
        self.folder = Path(folder)
        self._clock = clock
        self._lock_timeout = lock_timeout
        self._lock = threading.RLock()
        self.dev_account = Account.from_key(DEV_ACCOUNT_KEY)
        self.legacy_contract_address = to_checksum_address(
            _create_address(to_canonical_address(self.dev_account.address), 0))
        self.contract_address = canonical_address()
        self.earlier_contracts: tuple[str, ...] = ()
        self.open_seconds = 0.0
        self.replayed_blocks = 0
        self._open()

    def __repr__(self) -> str:
        return f"EmbeddedChain({self.folder})"

    @property
    def _live(self) -> MiningChain:
        """The open py-evm chain; :class:`ChainUnavailable` while none is open."""
        if self._chain is None:
            raise ChainUnavailable(f"The embedded chain in {self.folder} is not open.")
        return self._chain

    @property
    def _live_memory(self) -> MemoryDB:
        """The open chain's in-memory database; :class:`ChainUnavailable` while none is open."""
        if self._memory is None:
            raise ChainUnavailable(f"The embedded chain in {self.folder} is not open.")
        return self._memory

    # --- opening -------------------------------------------------------------------

    def _open(self) -> None:
        started = time.perf_counter()
        with self._lock:
            self._journal = Journal(self.folder)
            self._chain: MiningChain | None = None
            self._memory: MemoryDB | None = None
            self._txs: dict[bytes, tuple[int, int]] = {}
            # block, log index, log, tx hash, block hash, ts
            self._logs: list[tuple[int, int, LogRecord, bytes, bytes, int]] = []
            self._snapshot_block = 0
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ChainUnavailable(f"The embedded chain's folder {self.folder} cannot be created: {exc}.") from exc
            if self._journal.needs_upgrade():
                self._upgrade_journal()
            records = self._read()
            if self._journal.header is None:
                with self._writing():
                    records += self._read()
                    if self._journal.header is None:
                        self._journal.create(JournalHeader(
                            chain_id=CHAIN_ID_BASE + secrets.randbelow(2**32),
                            genesis_timestamp=self._clock.timestamp(), gas_limit=GAS_LIMIT, fork="prague",
                        ))
                        records += self._read()
            assert self._journal.header is not None
            self.chain_id = self._journal.header.chain_id
            self._start(records)
            self._check_head()
            self._ensure_contract()
        self.open_seconds = time.perf_counter() - started

    def _read(self) -> list[BlockRecord]:
        try:
            return self._journal.read_new()
        except JournalTampered as exc:
            raise self._altered(exc) from exc
        except JournalDamaged as exc:
            raise ChainDamaged(f"The embedded chain in {self.folder} is damaged ({exc}).") from exc
        except JournalOutdated as exc:  # another process wrote an older version meanwhile
            raise ChainDamaged(f"The embedded chain in {self.folder} was rewritten by an older version "
                               f"({exc}); open it again.") from exc
        except OSError as exc:
            raise ChainUnavailable(f"The embedded chain in {self.folder} cannot be read: {exc}.") from exc

    def _altered(self, exc: JournalTampered) -> ChainDamaged:
        return ChainDamaged(f"The embedded chain in {self.folder} was altered: {exc}. Nothing was read from it; "
                            "restore the folder from a backup or move it away.")

    def _check_head(self) -> None:
        try:
            self._journal.check_head()
        except JournalTampered as exc:
            raise self._altered(exc) from exc

    def _upgrade_journal(self) -> None:
        """Rewrite an older journal at the current version, once, under the writer lock."""
        with self._writing():
            try:
                self._journal.upgrade()
            except JournalTampered as exc:
                raise self._altered(exc) from exc
            except JournalDamaged as exc:
                raise ChainDamaged(f"The embedded chain in {self.folder} is damaged ({exc}).") from exc
            except OSError as exc:
                raise ChainUnavailable(f"The embedded chain in {self.folder} cannot be upgraded: {exc}.") from exc

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """This thread and this process alone append to the journal inside."""
        with self._lock:
            journal = self._journal
            try:
                journal.lock(self._lock_timeout)
            except LockTimeout as exc:
                raise ChainUnavailable(f"The embedded chain in {self.folder} stayed busy in another process "
                                       f"for {self._lock_timeout:g} s; try again.") from exc
            except OSError as exc:
                raise ChainUnavailable(f"The embedded chain in {self.folder} cannot be locked: {exc}.") from exc
            try:
                yield
            finally:
                journal.unlock()

    def _start(self, records: list[BlockRecord]) -> None:
        header = self._journal.header
        assert header is not None
        chain_class = _chain_class(header)
        start = 0
        snap = read_snapshot(self._journal.snapshot_path)
        if snap is not None:
            meta, db = snap
            block = meta.get("block", 0)
            n = block if isinstance(block, int) else 0  # written as a JSON integer by _maybe_snapshot
            if (meta.get("engine") == _engine() and meta.get("chain_id") == header.chain_id
                    and 0 < n <= len(records) and meta.get("hash") == _hex(records[n - 1].block_hash)):
                self._memory = MemoryDB(db)
                self._chain = chain_class(AtomicDB(self._memory))
                if self._chain.get_canonical_head().hash == records[n - 1].block_hash:
                    start = self._snapshot_block = n
                else:
                    self._chain = None
        if self._chain is None:
            self._memory = MemoryDB()
            genesis: dict[str, HeaderParams] = {
                "coinbase": ZERO_ADDRESS, "difficulty": POST_MERGE_DIFFICULTY, "extra_data": b"",
                "gas_limit": header.gas_limit, "mix_hash": POST_MERGE_MIX_HASH, "nonce": POST_MERGE_NONCE,
                "receipt_root": BLANK_ROOT_HASH, "timestamp": header.genesis_timestamp,
                "transaction_root": BLANK_ROOT_HASH,
            }
            state: AccountState = {to_canonical_address(self.dev_account.address):
                                   {"balance": DEV_BALANCE, "nonce": 0, "code": b"", "storage": {}}}
            # from_genesis builds an instance of the class it is called on
            self._chain = cast(MiningChain, chain_class.from_genesis(AtomicDB(self._memory), genesis, state))
        for record in records[:start]:
            self._index(record)
        for record in records[start:]:
            self._replay(record)
        self.replayed_blocks = len(records) - start

    def _has_contract(self) -> bool:
        if self._code(self.legacy_contract_address):
            self.earlier_contracts = (self.legacy_contract_address,)  # a chain made before signed grants
        return bool(self._code(self.contract_address))

    def _ensure_contract(self) -> None:
        if self._has_contract():
            return
        with self._writing():
            self._sync_locked()
            if self._has_contract():
                return
            state = self._live.get_vm().state
            dev = self.dev_account
            nonce = state.get_nonce(to_canonical_address(dev.address))
            base = int(self._live.header.base_fee_per_gas or 0)
            fees = {"chainId": self.chain_id, "type": 2, "maxFeePerGas": 2 * base + PRIORITY_FEE,
                    "maxPriorityFeePerGas": PRIORITY_FEE, "value": 0}
            raws: list[bytes] = []
            if not self._code(FACTORY_ADDRESS):
                factory = factory_deployment()
                if state.get_balance(to_canonical_address(factory.signer)) < factory.funding:
                    fund = {**fees, "to": factory.signer, "value": factory.funding, "gas": 21_000, "nonce": nonce}
                    raws.append(bytes(dev.sign_transaction(fund).raw_transaction))
                    nonce += 1
                raws.append(factory.raw_transaction)
            deploy = {**fees, "to": FACTORY_ADDRESS, "data": factory_calldata(), "gas": 3_000_000, "nonce": nonce}
            raws.append(bytes(dev.sign_transaction(deploy).raw_transaction))
            self._submit_locked(*raws)
        if not self._code(self.contract_address):
            raise ChainUnavailable(f"The grants contract could not be deployed on the embedded chain in {self.folder}.")

    def _code(self, address: str) -> bytes:
        return self._live.get_vm(self._live.get_canonical_head()).state.get_code(to_canonical_address(address))

    # --- blocks --------------------------------------------------------------------

    def _index(self, record: BlockRecord) -> None:
        hashes = [keccak(raw) for raw in record.txs]
        for i, tx_hash in enumerate(hashes):
            self._txs[tx_hash] = (record.number, i)
        for log_index, log in enumerate(record.logs):
            self._logs.append(
                (record.number, log_index, log, hashes[log.tx_index], record.block_hash, record.timestamp))

    def _execute(self, txs: list[Any], timestamp: int) -> tuple[Any, list[LogRecord]]:
        chain = self._live
        chain.header = chain.header.copy(timestamp=timestamp)
        logs: list[LogRecord] = []
        for i, tx in enumerate(txs):
            _block, receipt, _computation = chain.apply_transaction(tx)
            logs += [LogRecord(i, log.address, tuple(_topic(t) for t in log.topics), log.data) for log in receipt.logs]
        block = chain.mine_block(mix_hash=_mix_hash(chain.header.parent_hash))
        return block, logs

    def _replay(self, record: BlockRecord) -> None:
        head = self._live.get_canonical_head()
        if record.number != head.block_number + 1:
            raise ChainUnavailable(f"The embedded chain in {self.folder} is damaged (block {record.number} "
                                   f"follows {head.block_number}).")
        try:
            txs = [self._live.get_vm().get_transaction_builder().decode(raw) for raw in record.txs]
            block, _logs = self._execute(txs, record.timestamp)
        except (ValidationError, VMError, rlp.DecodingError, ValueError) as exc:
            raise ChainUnavailable(
                f"The embedded chain in {self.folder} cannot replay block {record.number}: {exc}.") from exc
        if block.hash != record.block_hash:
            raise ChainUnavailable(f"The embedded chain in {self.folder} replays block {record.number} differently; "
                                   "it was written by an incompatible version.")
        self._index(record)

    def _sync(self) -> None:
        if self._journal.has_news():
            with self._lock:
                self._sync_locked()

    def _sync_locked(self) -> None:
        records = self._read()
        for record in records:
            self._replay(record)
        self._check_head()
        if records:
            self._maybe_snapshot(SNAPSHOT_EVERY)

    def _submit_locked(self, *raws: bytes) -> bytes:
        """Execute signed transactions as one new block and journal it (the lock is held);
        the last transaction's hash."""
        chain = self._live
        try:
            txs = [chain.get_vm().get_transaction_builder().decode(raw) for raw in raws]
        except (rlp.DecodingError, ValidationError, ValueError, TypeError) as exc:
            raise _RpcError(-32602, f"invalid raw transaction: {exc}") from exc
        parent = chain.get_canonical_head()
        timestamp = max(self._clock.timestamp(), parent.timestamp + 1)
        pending_header = chain.header
        try:
            block, logs = self._execute(txs, timestamp)
        except ValidationError as exc:
            chain.header = pending_header
            raise _RpcError(-32000, _validation_message(str(exc))) from exc
        record = BlockRecord(block.number, timestamp, tuple(raws), block.hash, tuple(logs))
        try:
            self._journal.append(record)
        except OSError as exc:
            self._open()  # drop the block that could not be written: rebuild from the journal
            raise ChainUnavailable(f"The embedded chain in {self.folder} cannot be written: {exc}.") from exc
        self._index(record)
        self._maybe_snapshot(SNAPSHOT_EVERY)
        return bytes(txs[-1].hash)

    # --- snapshot ------------------------------------------------------------------

    def _maybe_snapshot(self, every: int) -> None:
        head = self._live.get_canonical_head()
        if head.block_number - self._snapshot_block < every:
            return
        existing = read_snapshot_block(self._journal.snapshot_path)
        if existing >= head.block_number:
            self._snapshot_block = existing
            return
        meta = {"block": head.block_number, "hash": _hex(head.hash), "chain_id": self.chain_id, "engine": _engine()}
        try:
            write_snapshot(self._journal.snapshot_path, meta, list(self._live_memory.kv_store.items()))
            self._snapshot_block = head.block_number
        except OSError:
            pass  # a cache: the journal still has everything

    def close(self) -> None:
        """Leave a snapshot so the next open replays nothing."""
        with self._lock:
            if self._chain is not None:
                self._maybe_snapshot(1)

    # --- time ----------------------------------------------------------------------

    def now_timestamp(self) -> int:
        """The time contract calls see: the clock's, never before the latest block."""
        self._sync()
        with self._lock:
            return max(self._clock.timestamp(), self._live.get_canonical_head().timestamp)

    # --- JSON-RPC ------------------------------------------------------------------

    def request(self, method: str, params: list[Any]) -> Any:
        handler: Callable[..., Any] | None = getattr(self, "_rpc_" + method, None)
        if handler is None:
            raise _RpcError(-32601, f"the embedded chain does not offer {method}")
        self._sync()
        with self._lock:
            try:
                return handler(*params)
            except TypeError as exc:
                raise _RpcError(-32602, f"invalid parameters for {method}: {exc}") from exc

    def _header(self, tag: Any) -> Any:
        chain = self._live
        if tag in _LATEST:
            return chain.get_canonical_head()
        if tag == "earliest":
            return chain.get_canonical_block_header_by_number(BlockNumber(0))
        if isinstance(tag, dict):
            tag = tag.get("blockNumber") or tag.get("blockHash")
            if isinstance(tag, str) and len(tag) == 66:
                return chain.get_block_header_by_hash(Hash32(_unhex(tag)))
        try:
            return chain.get_canonical_block_header_by_number(BlockNumber(_int(tag)))
        except HeaderNotFound:
            raise _RpcError(-32000, f"block {tag} not found") from None

    def _call_header(self, tag: Any) -> Any:
        header = self._header(tag)
        if tag in _LATEST:
            header = header.copy(timestamp=max(self._clock.timestamp(), header.timestamp))
        return header.copy(base_fee_per_gas=0)

    def _spoof(self, vm: Any, tx: dict[str, Any], gas_cap: int) -> SpoofTransaction:
        sender = _address(tx["from"]) if tx.get("from") else ZERO_ADDRESS
        to = _address(tx["to"]) if tx.get("to") else b""
        data = _unhex(tx.get("data") or tx.get("input") or "0x")
        unsigned = vm.create_unsigned_transaction(
            nonce=vm.state.get_nonce(sender), gas_price=0,
            gas=min(_int(tx["gas"]), gas_cap) if tx.get("gas") else gas_cap,
            to=to, value=_int(tx.get("value") or "0x0"), data=data,
        )
        return SpoofTransaction(unsigned, from_=sender)

    def _rpc_web3_clientVersion(self) -> str:
        return f"HealthWallet-EmbeddedChain/{_engine().replace(' ', '-')}"

    def _rpc_net_version(self) -> str:
        return str(self.chain_id)

    def _rpc_eth_chainId(self) -> str:
        return _qty(self.chain_id)

    def _rpc_eth_syncing(self) -> bool:
        return False

    def _rpc_eth_accounts(self) -> list[str]:
        return []

    def _rpc_eth_blockNumber(self) -> str:
        return _qty(self._live.get_canonical_head().block_number)

    def _rpc_eth_gasPrice(self) -> str:
        return _qty((self._live.get_canonical_head().base_fee_per_gas or 0) + PRIORITY_FEE)

    def _rpc_eth_maxPriorityFeePerGas(self) -> str:
        return _qty(PRIORITY_FEE)

    def _rpc_eth_getBalance(self, address: str, tag: Any = "latest") -> str:
        return _qty(self._live.get_vm(self._header(tag)).state.get_balance(_address(address)))

    def _rpc_eth_getTransactionCount(self, address: str, tag: Any = "latest") -> str:
        return _qty(self._live.get_vm(self._header(tag)).state.get_nonce(_address(address)))

    def _rpc_eth_getCode(self, address: str, tag: Any = "latest") -> str:
        return _hex(self._live.get_vm(self._header(tag)).state.get_code(_address(address)))

    def _rpc_eth_getStorageAt(self, address: str, slot: str, tag: Any = "latest") -> str:
        value = self._live.get_vm(self._header(tag)).state.get_storage(_address(address), _int(slot))
        return _hex(int(value).to_bytes(32, "big"))

    def _rpc_eth_call(self, tx: dict[str, Any], tag: Any = "latest", *_overrides: Any) -> str:
        header = self._call_header(tag)
        vm = self._live.get_vm(at_header=header)
        state = vm.state
        spoof = self._spoof(vm, tx, header.gas_limit)
        snapshot = state.snapshot()
        try:
            computation = state.apply_transaction(_as_signed(spoof))
        except ValidationError as exc:
            raise _RpcError(-32000, _validation_message(str(exc))) from exc
        finally:
            state.revert(snapshot)
        if computation.is_error:
            if isinstance(computation.error, Revert):
                raise _RpcError(3, "execution reverted", _hex(computation.output))
            raise _RpcError(-32000, f"execution failed: {computation.error!r}")
        return _hex(computation.output)

    def _rpc_eth_estimateGas(self, tx: dict[str, Any], tag: Any = "latest", *_overrides: Any) -> str:
        header = self._call_header(tag)
        vm = self._live.get_vm(at_header=header)
        spoof = self._spoof(vm, tx, header.gas_limit)
        try:
            return _qty(_estimate_gas(vm.state, spoof))
        except Revert as exc:
            data = exc.args[0] if exc.args and isinstance(exc.args[0], bytes) else b""
            raise _RpcError(3, "execution reverted", _hex(data)) from exc
        except VMError as exc:
            raise _RpcError(-32000, f"gas required exceeds allowance or execution failed: {exc!r}") from exc
        except ValidationError as exc:
            raise _RpcError(-32000, _validation_message(str(exc))) from exc

    def _rpc_eth_sendRawTransaction(self, raw: str) -> str:
        payload = _unhex(raw)
        with self._writing():
            self._sync_locked()
            return _hex(self._submit_locked(payload))

    def _block_json(self, header: Any, full: bool) -> dict[str, Any]:
        block = self._live.get_block_by_header(header)
        txs = [self._tx_json(block, i) if full else _hex(tx.hash) for i, tx in enumerate(block.transactions)]
        return {
            "number": _qty(header.block_number), "hash": _hex(header.hash), "parentHash": _hex(header.parent_hash),
            "nonce": _hex(header.nonce), "sha3Uncles": _hex(header.uncles_hash),
            "logsBloom": _hex(int(header.bloom).to_bytes(256, "big")),
            "transactionsRoot": _hex(header.transaction_root),
            "stateRoot": _hex(header.state_root), "receiptsRoot": _hex(header.receipt_root),
            "miner": to_checksum_address(header.coinbase), "difficulty": _qty(header.difficulty),
            "extraData": _hex(header.extra_data), "size": _qty(len(rlp.encode(block))),
            "gasLimit": _qty(header.gas_limit), "gasUsed": _qty(header.gas_used), "timestamp": _qty(header.timestamp),
            "transactions": txs, "uncles": [], "baseFeePerGas": _qty(header.base_fee_per_gas),
            "mixHash": _hex(header.mix_hash),
        }

    def _rpc_eth_getBlockByNumber(self, tag: Any, full: bool = False) -> dict[str, Any] | None:
        try:
            return self._block_json(self._header(tag), full)
        except _RpcError:
            return None

    def _rpc_eth_getBlockByHash(self, block_hash: str, full: bool = False) -> dict[str, Any] | None:
        try:
            header = self._live.get_block_header_by_hash(Hash32(_unhex(block_hash)))
        except HeaderNotFound:
            return None
        return self._block_json(header, full)

    def _tx_json(self, block: Any, index: int) -> dict[str, Any]:
        tx = block.transactions[index]
        return {
            "hash": _hex(tx.hash), "nonce": _qty(tx.nonce), "blockHash": _hex(block.hash),
            "blockNumber": _qty(block.number), "transactionIndex": _qty(index),
            "from": to_checksum_address(tx.sender), "to": to_checksum_address(tx.to) if tx.to else None,
            "value": _qty(tx.value), "gas": _qty(tx.gas), "input": _hex(tx.data), "type": _qty(tx.type_id or 0),
            "maxFeePerGas": _qty(tx.max_fee_per_gas), "maxPriorityFeePerGas": _qty(tx.max_priority_fee_per_gas),
            "chainId": _qty(self.chain_id),
        }

    def _rpc_eth_getTransactionByHash(self, tx_hash: str) -> dict[str, Any] | None:
        where = self._txs.get(_unhex(tx_hash))
        if where is None:
            return None
        return self._tx_json(self._live.get_canonical_block_by_number(BlockNumber(where[0])), where[1])

    def _rpc_eth_getTransactionReceipt(self, tx_hash: str) -> dict[str, Any] | None:
        where = self._txs.get(_unhex(tx_hash))
        if where is None:
            return None
        number, index = where
        block = self._live.get_canonical_block_by_number(BlockNumber(number))
        receipts = block.get_receipts(self._live.chaindb)
        tx, receipt = block.transactions[index], receipts[index]
        before = receipts[index - 1].gas_used if index else 0
        first_log = sum(len(r.logs) for r in receipts[:index])
        logs = [
            self._log_json(number, first_log + i,
                           LogRecord(index, log.address, tuple(_topic(t) for t in log.topics), log.data),
                           tx.hash, block.hash, block.header.timestamp)
            for i, log in enumerate(receipt.logs)
        ]
        created = None if tx.to else to_checksum_address(_create_address(tx.sender, tx.nonce))
        price = min(tx.max_fee_per_gas, (block.header.base_fee_per_gas or 0) + tx.max_priority_fee_per_gas)
        return {
            "transactionHash": _hex(tx.hash), "transactionIndex": _qty(index), "blockHash": _hex(block.hash),
            "blockNumber": _qty(number), "from": to_checksum_address(tx.sender),
            "to": to_checksum_address(tx.to) if tx.to else None, "cumulativeGasUsed": _qty(receipt.gas_used),
            "gasUsed": _qty(receipt.gas_used - before), "contractAddress": created, "logs": logs,
            "logsBloom": _hex(int(receipt.bloom).to_bytes(256, "big")),
            "status": "0x1" if receipt.state_root == b"\x01" else "0x0",
            "effectiveGasPrice": _qty(price), "type": _qty(tx.type_id or 0),
        }

    @staticmethod
    def _log_json(number: int, log_index: int, log: LogRecord, tx_hash: bytes, block_hash: bytes,
                  ts: int) -> dict[str, Any]:
        return {
            "address": to_checksum_address(log.address), "topics": [_hex(t) for t in log.topics],
            "data": _hex(log.data),
            "blockNumber": _qty(number), "blockHash": _hex(block_hash), "blockTimestamp": _qty(ts),
            "transactionHash": _hex(tx_hash), "transactionIndex": _qty(log.tx_index), "logIndex": _qty(log_index),
            "removed": False,
        }

    def _rpc_eth_getLogs(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        head = self._live.get_canonical_head().block_number
        if query.get("blockHash"):
            header = self._live.get_block_header_by_hash(Hash32(_unhex(query["blockHash"])))
            low = high = header.block_number
        else:
            low = self._header(query.get("fromBlock", "latest")).block_number
            high = min(self._header(query.get("toBlock", "latest")).block_number, head)
        addresses = query.get("address")
        if isinstance(addresses, str):
            addresses = [addresses]
        wanted_addresses = {_address(a) for a in addresses} if addresses else None
        wanted_topics: list[set[bytes] | None] = []
        for position in query.get("topics") or []:
            if position is None:
                wanted_topics.append(None)
            elif isinstance(position, str):
                wanted_topics.append({_unhex(position)})
            else:
                wanted_topics.append({_unhex(t) for t in position} if position else None)
        out = []
        for number, log_index, log, tx_hash, block_hash, ts in self._logs:
            if number < low or number > high:
                continue
            if wanted_addresses is not None and log.address not in wanted_addresses:
                continue
            if len(wanted_topics) > len(log.topics) and any(w is not None for w in wanted_topics[len(log.topics):]):
                continue
            if any(w is not None and log.topics[i] not in w for i, w in enumerate(wanted_topics[: len(log.topics)])):
                continue
            out.append(self._log_json(number, log_index, log, tx_hash, block_hash, ts))
        return out


def _as_signed(transaction: SpoofTransaction) -> SignedTransactionAPI:
    """``transaction`` typed as what it stands in for: py-evm's SpoofTransaction proxies
    every attribute of the signed transaction it wraps, overriding only sender and gas."""
    return cast(SignedTransactionAPI, transaction)


def _estimate_gas(state: Any, transaction: SpoofTransaction) -> int:
    """The least gas limit that succeeds, in two or three executions instead of a full bisection.

    One run at the block's gas limit gives the gas consumed before refunds; that limit,
    or that plus the 2,300 a storage write must still have left (EIP-2200), usually
    succeeds. Anything else falls back to bisection.
    """
    snapshot = state.snapshot()
    try:
        computation = state.apply_transaction(
            SpoofTransaction(_as_signed(transaction), gas=state.gas_limit, gas_price=0))
    finally:
        state.revert(snapshot)
    if computation.is_error:
        raise computation.error
    consumed: int = state.gas_limit - computation.get_gas_remaining()
    for limit in (consumed, consumed + 2300):
        snapshot = state.snapshot()
        try:
            ok = not state.apply_transaction(SpoofTransaction(_as_signed(transaction), gas=limit, gas_price=0)).is_error
        finally:
            state.revert(snapshot)
        if ok:
            return limit
    exact: int = binary_gas_search_exact(state, transaction)
    return exact


def _validation_message(text: str) -> str:
    lowered = text.lower()
    if "nonce" in lowered:
        return f"nonce too low or too high: {text}"
    if "afford" in lowered or "balance" in lowered or "insufficient" in lowered:
        return f"insufficient funds for gas * price + value: {text}"
    return text


class EmbeddedProvider(BaseProvider):
    """A web3 provider answering from an :class:`EmbeddedChain` in this process."""

    def __init__(self, chain: EmbeddedChain) -> None:
        super().__init__()
        self._chain = chain
        self._ids = itertools.count()

    def make_request(self, method: Any, params: Any) -> Any:
        request_id = next(self._ids)
        try:
            result = self._chain.request(str(method), list(params or []))
        except _RpcError as exc:
            error: dict[str, Any] = {"code": exc.code, "message": exc.message}
            if exc.data is not None:
                error["data"] = exc.data
            return {"jsonrpc": "2.0", "id": request_id, "error": error}
        return {"jsonrpc": "2.0", "id": request_id, "result": result}

    def is_connected(self, show_traceback: bool = False) -> bool:
        return True


def open_embedded_chain(data_dir: str | Path, *, clock: Clock, receipt_timeout: float = 30.0,
                        lock_timeout: float = 30.0) -> Web3ChainBackend:
    """The embedded chain in ``data_dir`` (created, with its contract, on first use)."""
    chain = EmbeddedChain(Path(data_dir), clock=clock, lock_timeout=lock_timeout)
    w3 = Web3(EmbeddedProvider(chain))
    return Web3ChainBackend(
        w3, description=f"the embedded chain in {chain.folder}", contract_address=chain.contract_address,
        receipt_timeout=receipt_timeout, poll_interval=0.05, development=True, faucet=chain.dev_account,
        time_source=chain.now_timestamp, on_close=chain.close, earlier_contracts=chain.earlier_contracts,
    )
