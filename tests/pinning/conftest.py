"""Real embedded Kubo nodes on loopback and a real keeper over one of them.

Nothing leaves this machine (no bootstrap, no mDNS); a node that cannot start fails the test.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from wallet.ipfs.kubo_embedded import EmbeddedKuboBackend
from wallet.ipfs.pinning_keeper import Keeper
from wallet.ipfs.pinning_server import KeeperServer

KEEPER_TOKEN = "keeper-token-abcdefghijklmnop"
MakeNode = Callable[..., EmbeddedKuboBackend]


@pytest.fixture
def make_node(tmp_path: Path) -> Iterator[MakeNode]:
    nodes: list[EmbeddedKuboBackend] = []

    def make(name: str = "node") -> EmbeddedKuboBackend:
        node = EmbeddedKuboBackend(tmp_path / name / "ipfs", loopback_only=True, bootstrap=False, mdns=False)
        nodes.append(node)
        node.wait_ready(timeout=60)
        return node

    yield make
    for node in nodes:
        node.close()


@dataclass
class RunningKeeper:
    node: EmbeddedKuboBackend
    keeper: Keeper
    server: KeeperServer
    directory: Path

    @property
    def url(self) -> str:
        return self.server.endpoint


@pytest.fixture
def keeper(make_node: MakeNode, tmp_path: Path) -> Iterator[RunningKeeper]:
    """A keeper serving the Pinning Service API on loopback to ``KEEPER_TOKEN``."""
    node = make_node("keeper")
    directory = tmp_path / "keeper" / "keeper"
    keeper = Keeper(node, directory, pin_timeout=60)
    keeper.start()
    server = KeeperServer(keeper, [KEEPER_TOKEN])
    server.start()
    yield RunningKeeper(node, keeper, server, directory)
    server.stop()
    keeper.stop()


@pytest.fixture
def doctor(open_wallet):
    """A doctor's wallet whose encryption key is published on chain."""
    from wallet.services import Sharing

    wallet = open_wallet("doctor")
    assert Sharing(wallet).register_key() is not None
    return wallet


@pytest.fixture
def ciphertext() -> bytes:
    """Bytes standing for a sealed envelope, large enough to span several blocks."""
    return os.urandom(700_000)
