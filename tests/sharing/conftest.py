"""Two or three wallets on one machine: a shared embedded chain, an embedded Kubo node each."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import FIXTURES
from tests.signed_grants import chain100  # noqa: F401 - anvil as chain 100, the contract deployed

# The wallets themselves come from tests/conftest.py's ``open_wallet`` and ``clock``.

SMALL_PATIENT = FIXTURES / "synthea" / "Ned_Hintz_e4b9259d-0f54-48d1-a35d-b526729a4dfe.json"


@pytest.fixture
def patient(open_wallet):
    """A patient's wallet holding one small Synthea record."""
    wallet = open_wallet("patient")
    wallet.import_file(SMALL_PATIENT)
    return wallet


@pytest.fixture
def doctor(open_wallet):
    """A doctor's wallet whose encryption key is published on chain."""
    from wallet.services import Sharing

    wallet = open_wallet("doctor")
    assert Sharing(wallet).register_key() is not None
    return wallet


@pytest.fixture(scope="session")
def anvil_url() -> Iterator[str]:
    """anvil on loopback for the session; the suite fails (never skips) if it cannot start."""
    from tests.chain.anvil_node import running_anvil

    with running_anvil() as node:
        yield node.url
