"""Settings ▸ Sharing: what happens to your shares when you close the window.

"Keep sharing after the window closes" is the setting ``sharing.keep_after_close`` (on by
default; the same as the tray menu's check box and ``health-wallet config set
sharing.keep_after_close``): saved when ticked or cleared, read when the window closes.
A save that is refused puts the box back and says why on the page. The page points to
Pinning services for keeping shares available while this computer is off.
"""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QGroupBox, QVBoxLayout, QWidget

from ..errors import WalletError
from ..services import UnlockedWallet
from ..services.availability import keep_sharing_after_close, set_keep_sharing_after_close
from .plain_text import plain_label
from .theme import set_text_tone
from .tray import KEEP_EXPLAIN, KEEP_TEXT

__all__ = ["PINNING_HINT", "SharingPage"]

PINNING_HINT = ("While this computer is off, a doctor can open what you shared only if a pinning service keeps a "
                "copy: add one under Pinning services.")


class SharingPage(QWidget):
    """The keep-sharing check box, its explanation, and where shares stay available."""

    def __init__(self, wallet: UnlockedWallet, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._wallet = wallet
        closing = QGroupBox("When the window closes", self)
        self.keep_sharing = QCheckBox(KEEP_TEXT, closing)
        self.keep_sharing.setChecked(keep_sharing_after_close(wallet.app))
        self.keep_sharing.toggled.connect(self.set_keep_sharing)
        self.keep_explain = plain_label(KEEP_EXPLAIN, closing, selectable=False)
        box = QVBoxLayout(closing)
        box.addWidget(self.keep_sharing)
        box.addWidget(self.keep_explain)
        self.pinning_hint = plain_label(PINNING_HINT, self, selectable=False)
        self.status = plain_label("", self)
        layout = QVBoxLayout(self)
        layout.addWidget(closing)
        layout.addWidget(self.pinning_hint)
        layout.addWidget(self.status)
        layout.addStretch(1)

    def __repr__(self) -> str:
        return f"SharingPage(keep_sharing={self.keep_sharing.isChecked()})"

    def set_keep_sharing(self, keep: bool) -> None:
        """Save ``sharing.keep_after_close``; a refused save puts the box back and says why."""
        try:
            set_keep_sharing_after_close(self._wallet.app, keep)
        except WalletError as exc:
            self.keep_sharing.blockSignals(True)
            self.keep_sharing.setChecked(not keep)
            self.keep_sharing.blockSignals(False)
            set_text_tone(self.status, "error")
            self.status.setText(exc.user_message)
            return
        set_text_tone(self.status, None)
        self.status.clear()
