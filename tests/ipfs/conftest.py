"""Real embedded Kubo nodes on loopback: no bootstrap, no mDNS, nothing leaves this machine.

A node that cannot start fails the test (``wait_ready`` raises); nothing here skips.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from wallet.ipfs.kubo_embedded import EmbeddedKuboBackend
from wallet.vault import aead

MakeNode = Callable[..., EmbeddedKuboBackend]


def pytest_configure(config: pytest.Config) -> None:
    # ipfshttpclient 0.7 passes urllib3 2 an argument it no longer needs: noise, not a fault.
    config.addinivalue_line("filterwarnings", "ignore:The 'strict' parameter:FutureWarning")


@pytest.fixture
def make_node(tmp_path: Path) -> Iterator[MakeNode]:
    nodes: list[EmbeddedKuboBackend] = []

    def make(name: str = "node", *, start: bool = True, **kw) -> EmbeddedKuboBackend:
        kw.setdefault("loopback_only", True)
        kw.setdefault("bootstrap", False)
        kw.setdefault("mdns", False)
        node = EmbeddedKuboBackend(tmp_path / name / "ipfs", **kw)
        nodes.append(node)
        if start:
            node.wait_ready(timeout=60)
        return node

    yield make
    for node in nodes:
        node.close()


@pytest.fixture
def content_key() -> bytes:
    return aead.new_key()


@pytest.fixture
def bundle_bytes() -> bytes:
    """A FHIR-like document big enough to span several IPFS blocks after sealing."""
    noise = os.urandom(400_000).hex()  # hex keeps it JSON and hard to compress
    return ('{"resourceType": "Bundle", "type": "collection", "note": "' + noise + '"}').encode()
