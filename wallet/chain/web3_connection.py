"""One web3 connection to a chain and its grants contract (a base of :class:`~.web3_backend.Web3ChainBackend`).

:class:`Web3Connection` turns the node's failures into the wallet's errors, asks several
calls in one JSON-RPC batch where the node takes them, and finds the grants contract:
its code checked against HealthGrants, earlier (version 1) contracts read beside it, the
contract holding a grant id, calls to it and the block it was deployed in.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import requests
from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import ContractLogicError, ProviderConnectionError, Web3RPCError
from web3.providers.base import JSONBaseProvider
from web3.types import RPCEndpoint

from ..errors import (
    ChainError,
    ChainUnavailable,
    ContractMismatch,
    InsufficientFunds,
    TransactionReverted,
)
from .canonical import identify_runtime
from .code_checks import CodeChecks
from .contract import error_from_revert
from .grants import grant_id_hex
from .rpc_answers import _as_int, _checksum_address, _connection_problem, _revert_bytes, _rpc_message

if TYPE_CHECKING:
    from .web3_transactions import Faucet

__all__ = ["ZERO_ADDRESS", "Web3Connection"]

ZERO_ADDRESS = "0x" + "00" * 20


class Web3Connection:
    """The connection, errors and contract of :class:`~.web3_backend.Web3ChainBackend`,
    whose constructor sets the state declared here."""

    _w3: Web3
    _description: str
    _currency: str
    _chain_id: int
    _development: bool
    _faucet: Faucet
    _batches: bool
    _fetched_code: dict[str, bytes]
    _canonical: ChecksumAddress
    _endpoint: str | None
    _code_checks: CodeChecks | None
    _abi: list[dict[str, Any]]
    _contract: Any
    _contract_version: int
    _deployed_block: int | None
    _earlier: list[Any]

    if TYPE_CHECKING:
        def _deploy_from_node(self) -> None: ...

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
