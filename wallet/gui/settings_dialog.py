"""The Settings window (File ▸ Settings…, Ctrl+,): a list of pages on the left, the
chosen page on the right. Each page applies its change at once (or after its own
confirmation); nothing waits for an OK button.

Pages: Security (passphrase, idle lock, recovery phrase), Appearance (colours, text
size), Sharing (keep sharing after the window closes), Card issuers, Networks, Pinning
services, and Your data (delete a record, delete the wallet).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent, QFontMetrics
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QListWidget,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..services import UnlockedWallet, WalletService
from .settings_appearance import AppearancePage
from .settings_data import DataPage
from .settings_issuers import IssuersPage
from .settings_networks import NetworksPage
from .settings_pinning import PinningPage
from .settings_security import SecurityPage
from .settings_sharing import SharingPage
from .workers import JobRunner, retire_runner

__all__ = ["PAGES", "SettingsDialog"]

PAGES = ("security", "appearance", "sharing", "issuers", "networks", "pinning", "data")
_TITLES = {"security": "Security", "appearance": "Appearance", "sharing": "Sharing", "issuers": "Card issuers",
           "networks": "Networks", "pinning": "Pinning services", "data": "Your data"}


class SettingsDialog(QDialog):
    """Settings of the unlocked ``wallet``'s home. Not modal: the main window stays usable."""

    idle_minutes_changed = Signal(float)
    delete_wallet_requested = Signal(str)  # what the user typed
    networks_changed = Signal()

    def __init__(self, wallet: UnlockedWallet, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings — Health Wallet")
        self.setObjectName("settings")
        self.runner = JobRunner("settings", self)
        service = WalletService(wallet.app)
        self.security = SecurityPage(service, self.runner, self)
        self.appearance = AppearancePage(service, self)
        self.sharing = SharingPage(wallet, self)
        self.issuers = IssuersPage(wallet, self)
        self.networks = NetworksPage(wallet, self)
        self.pinning = PinningPage(wallet, self)
        self.data = DataPage(wallet, self)
        self.security.idle_minutes_changed.connect(self.idle_minutes_changed)
        self.data.delete_wallet_requested.connect(self._delete_wallet)
        self.networks.changed.connect(self.networks_changed)
        self.pages: dict[str, QWidget] = {"security": self.security, "appearance": self.appearance,
                                          "sharing": self.sharing, "issuers": self.issuers,
                                          "networks": self.networks, "pinning": self.pinning, "data": self.data}

        self.page_list = QListWidget(self)
        self.page_list.setAccessibleName("Settings pages")
        self.page_list.setSpacing(3)
        self.stack = QStackedWidget(self)
        for key in PAGES:
            self.page_list.addItem(_TITLES[key])
            scroll = QScrollArea(self.stack)  # a page taller than a small screen scrolls
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QScrollArea.Shape.NoFrame)
            scroll.setWidget(self.pages[key])
            self.stack.addWidget(scroll)
        self.page_list.currentRowChanged.connect(self.stack.setCurrentIndex)
        width = max(self.page_list.sizeHintForColumn(0) + 24, 130)
        self.page_list.setFixedWidth(width)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        top = QHBoxLayout()
        top.addWidget(self.page_list)
        top.addWidget(self.stack, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top, 1)
        layout.addWidget(buttons)
        self.page_list.setCurrentRow(0)
        from .app_window import fit_to_screen  # the main window's module is loaded when this opens

        scale = max(1.0, QFontMetrics(self.font()).height() / 17)  # larger text: a larger window
        fit_to_screen(self, int(760 * scale), int(560 * scale))

    def __repr__(self) -> str:
        return f"SettingsDialog(page={self.current_page})"

    @property
    def current_page(self) -> str:
        return PAGES[max(0, self.page_list.currentRow())]

    def show_page(self, key: str) -> None:
        """Show page ``key`` (one of :data:`PAGES`)."""
        self.page_list.setCurrentRow(PAGES.index(key))

    def _delete_wallet(self, confirmation: str) -> None:
        self.close()
        self.delete_wallet_requested.emit(confirmation)

    def done(self, result: int) -> None:
        self.security.forget()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.security.forget()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Close, stop the background thread and go away (the wallet is locking)."""
        self.close()
        self.pinning.shutdown()
        retire_runner(self.runner)
        self.deleteLater()
