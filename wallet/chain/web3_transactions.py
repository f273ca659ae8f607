"""Sending transactions (a part of :class:`~.web3_backend.Web3ChainBackend`).

Transactions are built and signed here with the wallet's local account (keys never
leave the process), gas is estimated first (so a contract rejection costs nothing and
comes back as a clear error), the wallet funds itself on development chains, and
receipts are awaited with a timeout. Nonces come from a small book per sender: a
transaction that was not confirmed in time is re-sent with a higher fee before the next
one, so one stuck transaction never blocks the ones after it.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import requests
from eth_typing import HexStr
from eth_utils import to_checksum_address
from hexbytes import HexBytes
from web3 import HTTPProvider
from web3.exceptions import ContractLogicError, TimeExhausted, TransactionNotFound, Web3RPCError
from web3.types import RPCEndpoint, TxParams, Wei

from ..errors import ChainError, InsufficientFunds, TransactionPending, TransactionReverted
from .backend import PreparedTx, Signer, TxResult
from .contract import error_from_revert
from .grants import checksum
from .rpc_answers import (
    _as_int,
    _block_fields,
    _checksum_address,
    _receipt_fields,
    _revert_bytes,
    _rpc_error,
    _rpc_message,
)
from .web3_connection import Web3Connection

__all__ = ["GWEI", "Faucet", "Web3Transactions"]

logger = logging.getLogger(__name__)

GWEI = 10**9
ETHER = 10**18
DEV_FUND_WEI = ETHER
GAS_MARGIN_NUM, GAS_MARGIN_DEN = 6, 5  # gas limit = estimate × 1.2
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


class Web3Transactions(Web3Connection):
    """Fees, funds, nonces, sending and receipts of :class:`~.web3_backend.Web3ChainBackend`,
    whose constructor sets the state declared here."""

    _lock: threading.RLock
    _nonces: _NonceBook
    _receipt_timeout: float
    _poll_interval: float
    _sync_sends: bool

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
