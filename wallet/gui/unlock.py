"""The unlock dialog: the passphrase, and 'remember unlock on this computer'.

Unlocking runs on a worker thread (the key derivation is slow on purpose). A wrong
passphrase is shown inline and the dialog stays open.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from ..services import WalletService
from .icon import app_icon, icon_pixmap
from .theme import set_text_tone
from .workers import JobRunner, UnlockOutcome, unlock_job

__all__ = ["UnlockDialog"]


class UnlockDialog(QDialog):
    """Emits :attr:`unlocked` with an :class:`~wallet.gui.workers.UnlockOutcome`, and
    :attr:`forgot` when the user chooses to set a new passphrase with the recovery phrase."""

    unlocked = Signal(object)
    forgot = Signal()

    def __init__(self, service: WalletService, runner: JobRunner, *, address: str, remembered: bool,
                 reason: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._runner = runner
        self._remembered = remembered
        self.outcome: UnlockOutcome | None = None
        self.setWindowTitle("Unlock — Health Wallet")
        self.setWindowIcon(app_icon())
        scale = max(1.0, self.fontMetrics().height() / 17)  # larger text: a wider window, fewer wrapped lines
        self.setMinimumWidth(int(460 * scale))

        logo = QLabel(self)
        logo.setPixmap(icon_pixmap(56))
        heading = QLabel("Unlock your wallet", self)
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        heading.setFont(font)
        self.reason = QLabel(reason, self)
        self.reason.setWordWrap(True)
        self.reason.setVisible(bool(reason))
        self.address = QLabel(address, self)
        self.address.setTextFormat(Qt.TextFormat.PlainText)
        self.address.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.address.setEnabled(False)
        self.address.hide()  # a hex address means nothing to most people: it is the heading's tooltip
        heading.setToolTip(f"This wallet's address: {address}")

        self.passphrase = QLineEdit(self)
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Passphrase")
        self.passphrase.setPlaceholderText("Your passphrase")
        self.passphrase.textChanged.connect(self._on_text)
        self.remember = QCheckBox("Remember unlock on this computer", self)
        self.remember.setChecked(remembered)
        self.remember.setToolTip("Keeps an unlock key in this computer's keyring, so the app opens "
                                 "without the passphrase. Anyone using your computer account can then open it.")
        self.error = QLabel(self)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setWordWrap(True)
        set_text_tone(self.error, "error")
        self.error.hide()
        # the app's own words (not untrusted text), as a link that wraps at any text size
        self.forgot_link = QLabel('<a href="#forgot">Forgot your passphrase? Restore with your recovery phrase</a>',
                                  self)
        self.forgot_link.setTextFormat(Qt.TextFormat.RichText)
        self.forgot_link.setWordWrap(True)
        self.forgot_link.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse
                                                 | Qt.TextInteractionFlag.LinksAccessibleByKeyboard)
        self.forgot_link.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.forgot_link.setAccessibleName("Forgot your passphrase? Restore with your recovery phrase")
        self.forgot_link.linkActivated.connect(lambda _link: self.forgot.emit())
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.setMaximumHeight(6)
        self.busy.hide()

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.unlock_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.unlock_button.setText("Unlock")
        self.unlock_button.setEnabled(False)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Quit")
        self.buttons.accepted.connect(self.try_unlock)
        self.buttons.rejected.connect(self.reject)

        top = QFormLayout()
        top.addRow(logo, heading)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.reason)
        layout.addWidget(self.address)
        layout.addSpacing(8)
        layout.addWidget(self.passphrase)
        layout.addWidget(self.error)
        layout.addWidget(self.remember)
        layout.addWidget(self.forgot_link)
        layout.addWidget(self.busy)
        layout.addWidget(self.buttons)
        self.passphrase.setFocus()

    @property
    def working(self) -> bool:
        return self.busy.isVisibleTo(self)

    def _on_text(self, text: str) -> None:
        self.unlock_button.setEnabled(bool(text) and not self.busy.isVisibleTo(self))

    def _set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        self.passphrase.setEnabled(not busy)
        self.remember.setEnabled(not busy)
        self.forgot_link.setEnabled(not busy)
        self.unlock_button.setEnabled(not busy and bool(self.passphrase.text()))

    def try_unlock(self) -> None:
        passphrase = self.passphrase.text()
        if not passphrase or self.busy.isVisibleTo(self):
            return
        self.error.hide()
        self._set_busy(True)
        wanted = self.remember.isChecked()
        remember = None if wanted == self._remembered else wanted
        self._runner.submit(unlock_job(self._service, passphrase, remember=remember),
                            on_done=self._done, on_failed=self._failed)

    def _done(self, outcome: UnlockOutcome) -> None:
        self._set_busy(False)
        self.passphrase.clear()
        self.outcome = outcome
        self.accept()
        self.unlocked.emit(outcome)

    def _failed(self, message: str) -> None:
        self._set_busy(False)
        if message.startswith("Wrong passphrase"):
            message = ("Wrong passphrase. Check Caps Lock and try again, or choose “Forgot your passphrase?” "
                       "below to set a new one with your recovery phrase.")
        self.error.setText(message)
        self.error.show()
        self.adjustSize()  # room for the message's lines
        self.passphrase.selectAll()
        self.passphrase.setFocus()

    def reject(self) -> None:
        if self.busy.isVisibleTo(self):
            return  # let the unlock finish; it cannot be interrupted safely
        super().reject()
