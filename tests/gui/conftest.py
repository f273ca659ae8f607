"""GUI test fixtures: offscreen Qt, light-KDF wallets, an in-memory keyring, and one
shared wallet of 20,000 synthetic lab results."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTEST_QT_API", "pyside6")

import random
from pathlib import Path

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

import wallet.gui  # noqa: F401 - applies the Qt binding guards before tests call Qt
from tests.conftest import FIXTURES, PASSPHRASE, MemoryKeyring
from wallet.app import build_app
from wallet.gui.theme import SystemTheme
from wallet.records.store import NewRecord
from wallet.records.summary import summarize
from wallet.services import UnlockedWallet, WalletService


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.gui)


@pytest.fixture
def themed_app(qapp: QApplication):
    """The test application, put back as it was afterwards (style, palette, no follower)."""
    style, palette = qapp.style().name(), QPalette(qapp.palette())
    yield qapp
    for theme in qapp.findChildren(SystemTheme):
        theme.stop()
    qapp.setStyle(style)
    qapp.setPalette(palette)


SYNTHEA = FIXTURES / "synthea"
SMALL_PATIENT = SYNTHEA / "Chet_Thompson_eda17701-070d-4fae-9f7d-c8cd6263b63a.json"
BIG_PATIENT = SYNTHEA / "Fletcher_Hyatt_fe0562b5-f517-4951-8366-32fdab088930.json"
MANY = 20_000
LAB_CODES = (("2339-0", "Glucose", "mg/dL", 70.0, 110.0), ("718-7", "Hemoglobin", "g/dL", 12.0, 17.5),
             ("2093-3", "Cholesterol", "mg/dL", None, 200.0), ("8480-6", "Systolic pressure", "mm[Hg]", 90.0, 130.0))


def synthetic_observation(i: int, rng: random.Random) -> dict:
    code, name, unit, low, high = LAB_CODES[i % len(LAB_CODES)]
    mid = ((low or 0.0) + (high or 150.0)) / 2
    rr = {}
    if low is not None:
        rr["low"] = {"value": low, "unit": unit}
    if high is not None:
        rr["high"] = {"value": high, "unit": unit}
    day = i // len(LAB_CODES)
    return {
        "resourceType": "Observation", "id": f"obs-{i}", "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                  "code": "laboratory"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": code, "display": name}], "text": name},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": f"{1990 + day // 365:04d}-{1 + (day // 28) % 12:02d}-{1 + day % 28:02d}T08:00:00Z",
        "valueQuantity": {"value": round(rng.uniform(mid * 0.6, mid * 1.4), 1), "unit": unit},
        "referenceRange": [rr],
    }


def add_synthetic(wallet: UnlockedWallet, n: int = MANY) -> None:
    rng = random.Random(7)
    store = wallet.store
    records = []
    for i in range(n):
        res = synthetic_observation(i, rng)
        records.append(NewRecord(store.record_id(res), res, summarize(res)))
    store.add_many(records)


@pytest.fixture
def keyring_backend() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def gui_service(tmp_path: Path, light_environ: dict[str, str], keyring_backend: MemoryKeyring) -> WalletService:
    """A service on an empty home."""
    return WalletService(build_app(tmp_path / "home", environ=light_environ, keyring_backend=keyring_backend))


@pytest.fixture
def created_service(gui_service: WalletService) -> WalletService:
    """A service on a home with a wallet (no records) whose phrase has been shown."""
    gui_service.create(PASSPHRASE)
    gui_service.mark_phrase_shown()
    return gui_service


@pytest.fixture
def unlocked(created_service: WalletService):
    wallet = created_service.unlock(PASSPHRASE)
    yield wallet
    wallet.lock()


@pytest.fixture(scope="session")
def many_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wallet home holding 20,000 lab results, built once per test run."""
    home = tmp_path_factory.mktemp("many") / "home"
    env = {"HEALTH_WALLET_UNSAFE_LIGHT_KDF": "1", "HOME": str(home.parent)}
    service = WalletService(build_app(home, environ=env, keyring_backend=MemoryKeyring()))
    service.create(PASSPHRASE)
    service.mark_phrase_shown()
    wallet = service.unlock(PASSPHRASE)
    add_synthetic(wallet)
    wallet.lock()
    return home


@pytest.fixture
def many_wallet(many_home: Path, light_environ: dict[str, str]):
    service = WalletService(build_app(many_home, environ=light_environ, keyring_backend=MemoryKeyring()))
    wallet = service.unlock(PASSPHRASE)
    yield wallet
    wallet.lock()


@pytest.fixture
def window(qtbot):
    from wallet.gui.app_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    yield win
    win.clear()
