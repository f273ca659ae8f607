"""Chains for the tests: anvil on loopback (from npm's @foundry-rs/anvil) and the embedded chain.

anvil is a required component: when it cannot start, the tests that need it fail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from eth_account import Account

from tests.chain.anvil_node import AnvilNode, running_anvil
from tests.signed_grants import CID, WRAPPED_KEY_SIZE, chain100  # noqa: F401 - chain100: anvil as chain 100
from wallet.chain import connect_rpc, open_embedded_chain
from wallet.chain.web3_backend import Web3ChainBackend
from wallet.clock import FixedClock


@pytest.fixture(scope="session")
def anvil() -> Iterator[AnvilNode]:
    with running_anvil() as node:
        # Blocks keep the last block's time until a test moves it (evm_mine with a timestamp),
        # so expiry boundaries are exact.
        node.rpc("anvil_setBlockTimestampInterval", 0)
        yield node


@pytest.fixture(scope="session")
def anvil_contract(anvil: AnvilNode) -> str:
    """One grants contract on the session's anvil, deployed by a fresh local account."""
    backend = connect_rpc(anvil.url)
    return backend.deploy(Account.create()).address


@dataclass
class Harness:
    """A backend plus a way to move its chain's time."""

    kind: str
    backend: Web3ChainBackend
    set_time: Callable[[int], None]  # the chain's "now" becomes exactly this (seconds)

    def now(self) -> int:
        return int(self.backend.now().timestamp())

    def advance(self, seconds: int) -> None:
        self.set_time(self.now() + seconds)


def embedded_harness(folder: Path, clock: FixedClock) -> Harness:
    backend = open_embedded_chain(folder, clock=clock)

    def set_time(ts: int) -> None:
        clock.at = datetime.fromtimestamp(ts, UTC)

    return Harness("embedded", backend, set_time)


def anvil_harness(node: AnvilNode, contract: str) -> Harness:
    backend = connect_rpc(node.url, contract_address=contract, receipt_timeout=30, poll_interval=0.05)

    def set_time(ts: int) -> None:
        node.rpc("evm_mine", ts)  # a block at exactly ts: calls and now() see it

    return Harness("anvil", backend, set_time)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2030, 1, 1, 12, 0, tzinfo=UTC))


@pytest.fixture(params=["embedded", "anvil"])
def chain(request: pytest.FixtureRequest, tmp_path: Path, clock: FixedClock) -> Iterator[Harness]:
    if request.param == "embedded":
        harness = embedded_harness(tmp_path / "chain", clock)
    else:
        node = request.getfixturevalue("anvil")
        harness = anvil_harness(node, request.getfixturevalue("anvil_contract"))
    yield harness
    harness.backend.close()
