"""Two or three wallets on one machine: a shared embedded chain, an embedded Kubo node each."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

import pytest

from wallet.app import build_app
from wallet.clock import FixedClock
from wallet.services import UnlockedWallet, WalletService
from tests.conftest import FIXTURES, PASSPHRASE

SMALL_PATIENT = FIXTURES / "synthea" / "Ned_Hintz_e4b9259d-0f54-48d1-a35d-b526729a4dfe.json"
LOOPBACK_IPFS = {"ipfs.loopback_only": True, "ipfs.bootstrap": False, "ipfs.mdns": False}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime.now(timezone.utc).replace(microsecond=0))


@pytest.fixture
def open_wallet(tmp_path: Path, clock: FixedClock, memory_keyring) -> Iterator[Callable[..., UnlockedWallet]]:
    """``open_wallet(name, phrase=None)``: a new unlocked wallet on the shared embedded chain."""
    opened: list[UnlockedWallet] = []
    environ = {"HEALTH_WALLET_UNSAFE_LIGHT_KDF": "1", "HEALTH_WALLET_CHAIN_DIR": str(tmp_path / "chain")}

    def open_(name: str, phrase: str | None = None) -> UnlockedWallet:
        app = build_app(tmp_path / name, environ=environ, clock=clock, keyring_backend=memory_keyring)
        for key, value in LOOPBACK_IPFS.items():
            app.config.set(key, value)
        service = WalletService(app)
        if phrase:
            service.restore(phrase, PASSPHRASE)
        else:
            service.create(PASSPHRASE)
        wallet = service.unlock(PASSPHRASE)
        opened.append(wallet)
        return wallet

    yield open_
    for wallet in opened:
        wallet.lock()


@pytest.fixture(scope="session")
def anvil_url() -> Iterator[str]:
    """anvil on loopback for the session; the suite fails (never skips) if it cannot start."""
    from tests.chain.anvil_node import AnvilNode

    node = AnvilNode()
    try:
        node.start()
    except Exception as exc:  # noqa: BLE001 - any reason is a failure
        node.stop()
        pytest.fail(f"anvil could not start ({exc}); run `npm install` in the repository", pytrace=False)
    yield node.url
    node.stop()
