"""Two or three wallets on one machine: a shared embedded chain, an embedded Kubo node each."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import FIXTURES

# The wallets themselves come from tests/conftest.py's ``open_wallet`` and ``clock``.

SMALL_PATIENT = FIXTURES / "synthea" / "Ned_Hintz_e4b9259d-0f54-48d1-a35d-b526729a4dfe.json"


@pytest.fixture(scope="session")
def anvil_url() -> Iterator[str]:
    """anvil on loopback for the session; the suite fails (never skips) if it cannot start."""
    from tests.chain.anvil_node import AnvilNode

    node = AnvilNode()
    try:
        node.start()
    except Exception as exc:
        node.stop()
        pytest.fail(f"anvil could not start ({exc}); run `npm install` in the repository", pytrace=False)
    yield node.url
    node.stop()
