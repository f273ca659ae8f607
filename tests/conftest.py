"""Shared test fixtures: the shared FHIR fixtures, light KDF homes, an in-memory keyring."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from keyring.backend import KeyringBackend

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(os.environ.get("HEALTH_WALLET_FIXTURES", REPO.parent / "shared" / "fixtures"))
PASSPHRASE = "correct horse battery"
ABANDON = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
ABANDON_ADDRESS = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"


def pytest_configure(config: pytest.Config) -> None:
    if not FIXTURES.is_dir():
        raise pytest.UsageError(f"Test fixtures not found at {FIXTURES}; set HEALTH_WALLET_FIXTURES.")


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


class MemoryKeyring(KeyringBackend):
    """A keyring backend kept in memory: the stand-in where no OS keyring runs."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def light_environ(tmp_path: Path) -> dict[str, str]:
    """Environment for a wallet under test: light scrypt, nothing from the user's env."""
    return {"HEALTH_WALLET_UNSAFE_LIGHT_KDF": "1", "HOME": str(tmp_path)}


@pytest.fixture
def make_service(tmp_path: Path, light_environ: dict[str, str], memory_keyring: MemoryKeyring):
    from wallet.app import build_app
    from wallet.services import WalletService

    def make(name: str = "wallet") -> WalletService:
        return WalletService(build_app(tmp_path / name, environ=light_environ, keyring_backend=memory_keyring))

    return make


LOOPBACK_IPFS = {"ipfs.loopback_only": True, "ipfs.bootstrap": False, "ipfs.mdns": False}


@pytest.fixture
def clock():
    from wallet.clock import FixedClock

    return FixedClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def open_wallet(tmp_path: Path, clock, memory_keyring: MemoryKeyring) -> Iterator[Callable[..., object]]:
    """``open_wallet(name, phrase=None, *, trusted=())``: a new unlocked wallet with its own
    loopback-only embedded Kubo node, on an embedded chain shared by every wallet of the test."""
    from wallet.app import build_app
    from wallet.services import WalletService

    opened = []
    environ = {"HEALTH_WALLET_UNSAFE_LIGHT_KDF": "1", "HOME": str(tmp_path),
               "HEALTH_WALLET_CHAIN_DIR": str(tmp_path / "chain")}

    def open_(name: str, phrase: str | None = None, *, trusted: tuple = ()):
        app = build_app(tmp_path / name, environ=environ, clock=clock, keyring_backend=memory_keyring)
        app.extra_trusted_issuers = tuple(trusted)
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
