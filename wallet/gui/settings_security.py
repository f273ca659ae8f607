"""Settings ▸ Security: change the passphrase, lock after idle minutes, and show the
recovery phrase again (after the passphrase).

Changing the passphrase seals the keystore again under the new one in one atomic write
(:meth:`WalletService.change_passphrase`); the key derivation is slow on purpose, so
it runs on the settings window's worker thread. The phrase is shown in plain labels,
only until the page is left or the window closes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QHideEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..errors import WalletError
from ..services import MIN_PASSPHRASE, Preferences, WalletService
from .plain_text import plain_label
from .theme import fixed_font, set_text_tone
from .wizard import passphrase_strength
from .workers import JobRunner

__all__ = ["SecurityPage"]

MAX_IDLE_MINUTES = 240


def _password_edit(parent: QWidget, name: str) -> QLineEdit:
    edit = QLineEdit(parent)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setAccessibleName(name)
    return edit


class SecurityPage(QWidget):
    idle_minutes_changed = Signal(float)

    def __init__(self, service: WalletService, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._runner = runner
        self._prefs = Preferences(service.app)

        # --- passphrase
        box = QGroupBox("Change your passphrase", self)
        self.old = _password_edit(box, "Current passphrase")
        self.new = _password_edit(box, "New passphrase")
        self.repeat = _password_edit(box, "Repeat the new passphrase")
        self.strength = plain_label("", box, selectable=False)
        self.change_button = QPushButton("Change passphrase", box)
        self.change_button.setEnabled(False)
        self.change_button.clicked.connect(self.change_passphrase)
        self.change_status = plain_label("", box)
        self.strength.hide()
        for edit in (self.old, self.new, self.repeat):
            edit.textChanged.connect(self._passphrase_edited)
        form = QFormLayout(box)
        form.addRow("Current passphrase", self.old)
        form.addRow("New passphrase", self.new)
        form.addRow("", self.strength)
        form.addRow("Repeat it", self.repeat)
        form.addRow("", self.change_button)
        form.addRow("", self.change_status)

        # --- idle lock
        idle_box = QGroupBox("Lock when not in use", self)
        self.idle = QSpinBox(idle_box)
        self.idle.setRange(0, MAX_IDLE_MINUTES)
        self.idle.setSpecialValueText("Never")
        self.idle.setSuffix(" minutes")
        self.idle.setAccessibleName("Lock after this many minutes without use")
        self.idle.setValue(round(self._prefs.idle_minutes))
        self.idle.valueChanged.connect(self._idle_changed)
        idle_row = QHBoxLayout(idle_box)
        idle_row.addWidget(QLabel("Lock the wallet after", idle_box))
        idle_row.addWidget(self.idle)
        idle_row.addWidget(QLabel("without use.", idle_box), 1)

        # --- recovery phrase
        phrase_box = QGroupBox("Your recovery phrase", self)
        explain = plain_label("The 12 words that restore this wallet on a new computer. Anyone who sees them can "
                              "open your records: show them only where nobody is watching.", phrase_box,
                              selectable=False)
        self.phrase_passphrase = _password_edit(phrase_box, "Passphrase to show the recovery phrase")
        self.phrase_passphrase.setPlaceholderText("Your passphrase")
        self.reveal_button = QPushButton("Show my recovery phrase", phrase_box)
        self.reveal_button.setEnabled(False)
        self.reveal_button.clicked.connect(self.reveal_phrase)
        self.phrase_passphrase.textChanged.connect(
            lambda text: self.reveal_button.setEnabled(bool(text) and not self.words_shown))
        self.phrase_passphrase.returnPressed.connect(self.reveal_phrase)
        self.hide_button = QPushButton("Hide the words", phrase_box)
        self.hide_button.clicked.connect(self.forget)
        self.phrase_status = plain_label("", phrase_box)
        self.words = QGridLayout()
        self.word_labels: list[QLabel] = []
        row = QHBoxLayout()
        row.addWidget(self.phrase_passphrase, 1)
        row.addWidget(self.reveal_button)
        phrase_layout = QVBoxLayout(phrase_box)
        phrase_layout.addWidget(explain)
        phrase_layout.addLayout(row)
        phrase_layout.addWidget(self.phrase_status)
        phrase_layout.addLayout(self.words)
        phrase_layout.addWidget(self.hide_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.hide_button.hide()

        layout = QVBoxLayout(self)
        layout.addWidget(box)
        layout.addWidget(idle_box)
        layout.addWidget(phrase_box)
        layout.addStretch(1)

    def __repr__(self) -> str:
        return f"SecurityPage(words_shown={self.words_shown})"

    # --- passphrase ------------------------------------------------------------------

    def _passphrase_edited(self) -> None:
        new, repeat = self.new.text(), self.repeat.text()
        self.strength.setText(passphrase_strength(new).label)
        self.strength.setVisible(bool(self.strength.text()))
        problem = ""
        if repeat and new != repeat:
            problem = "The two new passphrases differ."
        elif new and new == self.old.text():
            problem = "The new passphrase is the same as the current one."
        set_text_tone(self.change_status, "error" if problem else None)
        self.change_status.setText(problem)
        self.change_button.setEnabled(bool(self.old.text()) and len(new) >= MIN_PASSPHRASE and new == repeat
                                      and not problem)

    def change_passphrase(self) -> None:
        old, new = self.old.text(), self.new.text()
        if not self.change_button.isEnabled():
            return
        service = self._service
        self.change_button.setEnabled(False)
        set_text_tone(self.change_status, None)
        self.change_status.setText("Changing the passphrase…")
        self._runner.submit(lambda _p, _c: service.change_passphrase(old, new), on_done=self._changed,
                            on_failed=self._change_failed)

    def _changed(self, _result: object) -> None:
        for edit in (self.old, self.new, self.repeat):
            edit.clear()
        set_text_tone(self.change_status, "success")
        self.change_status.setText("Passphrase changed. Use the new one the next time you unlock.")

    def _change_failed(self, message: str) -> None:
        self._passphrase_edited()
        set_text_tone(self.change_status, "error")
        self.change_status.setText(f"{message} Type the passphrase you unlock with now, then try again.")
        self.old.selectAll()
        self.old.setFocus()

    # --- idle lock -------------------------------------------------------------------

    def _idle_changed(self, minutes: int) -> None:
        try:
            self._prefs.set_idle_minutes(minutes)
        except WalletError as exc:
            set_text_tone(self.change_status, "error")
            self.change_status.setText(exc.user_message)
            return
        self.idle_minutes_changed.emit(float(minutes))

    # --- recovery phrase -------------------------------------------------------------

    @property
    def words_shown(self) -> bool:
        return bool(self.word_labels)

    def reveal_phrase(self) -> None:
        passphrase = self.phrase_passphrase.text()
        if not passphrase or self.words_shown:
            return
        service = self._service
        self.reveal_button.setEnabled(False)
        set_text_tone(self.phrase_status, None)
        self.phrase_status.setText("Checking the passphrase…")
        self._runner.submit(lambda _p, _c: service.reveal_phrase(passphrase), on_done=self._show_words,
                            on_failed=self._reveal_failed)

    def _show_words(self, phrase: str) -> None:
        self.phrase_passphrase.clear()
        self.phrase_status.setText("Write these words down, in order, and keep the paper somewhere safe.")
        mono = fixed_font(self, 1.1)
        mono.setBold(True)
        words = phrase.split()
        rows = max(1, (len(words) + 2) // 3)
        for n, word in enumerate(words):
            label = QLabel(f"{n + 1:>2}. {word}", self)
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setFont(mono)
            label.setAccessibleName(f"Word {n + 1}")
            self.words.addWidget(label, n % rows, n // rows)
            self.word_labels.append(label)
        self.hide_button.show()
        self.reveal_button.setEnabled(False)

    def _reveal_failed(self, message: str) -> None:
        set_text_tone(self.phrase_status, "error")
        self.phrase_status.setText(f"{message} Type the passphrase you unlock the wallet with.")
        self.reveal_button.setEnabled(bool(self.phrase_passphrase.text()))
        self.phrase_passphrase.selectAll()
        self.phrase_passphrase.setFocus()

    def forget(self) -> None:
        """Hide the phrase and clear every passphrase typed here."""
        for label in self.word_labels:
            label.clear()
            label.deleteLater()
        self.word_labels = []
        self.hide_button.hide()
        if self.phrase_status.text().startswith("Write these words"):
            self.phrase_status.clear()
        for edit in (self.phrase_passphrase, self.old, self.new, self.repeat):
            edit.clear()

    def hideEvent(self, event: QHideEvent) -> None:
        self.forget()  # leaving the page hides the words
        super().hideEvent(event)
