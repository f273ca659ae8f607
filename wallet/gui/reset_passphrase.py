""""Forgot your passphrase?": the recovery phrase proves who owns the wallet, and a new
passphrase is chosen. The records stay (they are keyed from the phrase); the keystore
is sealed again under the new passphrase (:meth:`WalletService.reset_passphrase`), and
the wallet opens. A phrase of another wallet is refused and nothing changes.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from ..events import CancelToken, ProgressSink
from ..services import MIN_PASSPHRASE, WalletService, phrase_problem
from .phrase_edit import PhraseEdit
from .plain_text import plain_label
from .theme import fixed_font, set_text_tone
from .wizard import passphrase_strength
from .workers import JobRunner, UnlockOutcome

__all__ = ["ResetPassphraseDialog"]


class ResetPassphraseDialog(QDialog):
    """Emits :attr:`unlocked` with an :class:`UnlockOutcome` once the new passphrase is set."""

    unlocked = Signal(object)

    def __init__(self, service: WalletService, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._runner = runner
        self.setWindowTitle("Forgot your passphrase? — Health Wallet")
        scale = max(1.0, self.fontMetrics().height() / 17)  # larger text: a wider window
        self.setMinimumWidth(int(560 * scale))
        intro = plain_label("Type your recovery phrase (the 12 words you wrote down when you made this wallet), "
                            "then choose a new passphrase. Your records stay as they are.", self, selectable=False)
        self.phrase = PhraseEdit(self)
        self.phrase.setAccessibleName("Recovery phrase")
        self.phrase.setTabChangesFocus(True)
        self.phrase.setMaximumHeight(self.fontMetrics().height() * 4 + 12)
        self.phrase.setFont(fixed_font(self))
        self.phrase_message = plain_label("", self, selectable=False)
        self.first = QLineEdit(self)
        self.first.setEchoMode(QLineEdit.EchoMode.Password)
        self.first.setAccessibleName("New passphrase")
        self.second = QLineEdit(self)
        self.second.setEchoMode(QLineEdit.EchoMode.Password)
        self.second.setAccessibleName("Repeat the new passphrase")
        self.strength = plain_label("", self, selectable=False)
        self.error = plain_label("", self)
        set_text_tone(self.error, "error")
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.setMaximumHeight(6)
        self.busy.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Set passphrase and unlock")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        self.phrase.textChanged.connect(self._check)
        self.first.textChanged.connect(self._check)
        self.second.textChanged.connect(self._check)
        form = QFormLayout()
        form.addRow("Recovery phrase", self.phrase)
        form.addRow("", self.phrase_message)
        form.addRow("New passphrase", self.first)
        form.addRow("", self.strength)
        form.addRow("Repeat it", self.second)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.busy)
        layout.addWidget(self.buttons)
        self._check()

    def __repr__(self) -> str:
        return f"ResetPassphraseDialog(working={self.busy.isVisibleTo(self)})"

    def _check(self) -> None:
        text = self.phrase.toPlainText()
        problem = phrase_problem(text) if text.strip() else None
        still_typing = problem is not None and "this one has" in problem and len(text.split()) < 12
        set_text_tone(self.phrase_message, None if still_typing else "error")
        if self.phrase_message.text() != (problem or ""):
            self.phrase_message.setText(problem or "")
            self.phrase_message.setVisible(bool(problem))
            self.adjustSize()  # room for the message's lines
        self.strength.setText(passphrase_strength(self.first.text()).label)
        new_ok = len(self.first.text()) >= MIN_PASSPHRASE and self.first.text() == self.second.text()
        if self.second.text() and self.first.text() != self.second.text():
            self.strength.setText("The two passphrases differ.")
        self.strength.setVisible(bool(self.strength.text()))
        self.ok.setEnabled(bool(text.strip()) and problem is None and new_ok and not self.busy.isVisibleTo(self))

    def submit(self) -> None:
        if not self.ok.isEnabled():
            return
        service, phrase, passphrase = self._service, self.phrase.toPlainText(), self.first.text()

        def job(_progress: ProgressSink, _cancel: CancelToken) -> UnlockOutcome:
            service.reset_passphrase(phrase, passphrase)
            return UnlockOutcome(service.unlock(passphrase), "Your new passphrase is set. Use it from now on.")

        self.error.clear()
        self.busy.show()
        self.ok.setEnabled(False)
        self._runner.submit(job, on_done=self._done, on_failed=self._failed)

    def _done(self, outcome: UnlockOutcome) -> None:
        self.busy.hide()
        for edit in (self.first, self.second):
            edit.clear()
        self.phrase.clear()
        self.accept()
        self.unlocked.emit(outcome)

    def _failed(self, message: str) -> None:
        self.busy.hide()
        self.error.setText(message)
        self._check()

    def reject(self) -> None:
        if self.busy.isVisibleTo(self):
            return  # the keystore is being written; wait for it
        self.phrase.clear()
        super().reject()
