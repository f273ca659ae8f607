"""``health-wallet`` with no command: the desktop app."""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from ..app import build_app  # the entry point composes the production wallet
from ..errors import WalletError
from ..services import WalletService
from .icon import app_icon
from .session import WalletSession
from .smoke import run_smoke, smoke_requested
from .theme import apply_theme

__all__ = ["run"]


def _application() -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1] or ["health-wallet"])
    app.setApplicationName("Health Wallet")
    app.setDesktopFileName("health-wallet")
    app.setWindowIcon(app_icon())
    apply_theme(app)  # light or dark, following the system
    app.setQuitOnLastWindowClosed(False)  # the session decides: locking hides every window for a moment
    return app


def _fatal(message: str) -> None:
    box = QMessageBox(QMessageBox.Icon.Critical, "Health Wallet", "", QMessageBox.StandardButton.Ok)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(message)
    box.exec()


def run(home: str | None = None) -> int:
    """Open the desktop app on the wallet in ``home`` (default: the usual data folder)."""
    app = _application()
    if smoke_requested():  # packaging check: open and close the windows of a throw-away wallet
        return run_smoke()
    try:
        service = WalletService(build_app(home))
        session = WalletSession(service)
        session.start()
    except WalletError as exc:
        _fatal(exc.user_message)
        return 1
    session.finished.connect(app.exit)
    return app.exec()
