"""Fixtures for tests that need several computers: network namespaces, a chain node on
"the internet", and wallets each on a computer of its own, driven through the CLI.

``network`` is a fresh :class:`~tests.twohosts.netns.Network` per test; its teardown
stops every process and asserts that no namespace, link or process is left. When the
namespaces cannot be created (not root, no ``ip``) the test fails, it never skips.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.twohosts.computers import ChainNode, WalletComputer
from tests.twohosts.netns import Network, NetworkUnavailable, check_prerequisites


@pytest.fixture
def network() -> Iterator[Network]:
    try:
        check_prerequisites()
        net = Network()
    except NetworkUnavailable as exc:
        pytest.fail(f"cannot create the test's network namespaces: {exc}", pytrace=False)
    try:
        yield net
    finally:
        net.close()  # raises Leftover (the test errors) when anything outlived it


@pytest.fixture
def chain_node(network: Network, tmp_path: Path) -> ChainNode:
    try:
        return ChainNode(network.internet, tmp_path / "anvil.log")
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def wallets(network: Network, tmp_path: Path):
    """``wallets(role)``: a :class:`WalletComputer` on a new computer named ``role``."""

    made: list[WalletComputer] = []

    def make(role: str) -> WalletComputer:
        made.append(WalletComputer(network.add(role), tmp_path / role))
        return made[-1]

    yield make
    for wallet in made:  # shown with -s, or beside a failure
        print(f"{wallet.computer.role}: " + ", ".join(f"{cmd} {secs:.1f}s" for cmd, secs in wallet.timings))
