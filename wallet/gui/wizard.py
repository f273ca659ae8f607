"""The first-run wizard: create a wallet or restore one from its recovery phrase.

Create: passphrase (twice, with a live strength hint) → the 12-word recovery phrase →
confirm three of its words → the wallet is written. Nothing is written before the
words are confirmed, so closing the wizard midway leaves no wallet whose phrase was
never saved. Restore: the phrase (checked as it is typed) → passphrase → written.
Writing (scrypt, about half a second) and the first unlock run on a worker thread.

Leaving after the welcome page and before the wallet is written (Cancel, Escape,
closing the window) asks first.
While checking the phrase, a word suggester offers the BIP-39 words that start with
what is typed, and a wrong word is named by its position.
"""

from __future__ import annotations

import math
import secrets
import string
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from ..events import CancelToken, ProgressSink
from ..services import MIN_PASSPHRASE, UnlockedWallet, WalletService
from .icon import app_icon, icon_pixmap
from .phrase_edit import PhraseEdit, word_completer
from .theme import fixed_font, set_text_tone, tone_color
from .workers import JobRunner, phrase_problem

__all__ = ["CONFIRM_WORDS", "FirstRunWizard", "Strength", "passphrase_strength", "word_completer"]

CONFIRM_WORDS = 3
CLIPBOARD_SECONDS = 60


@dataclass(frozen=True)
class Strength:
    score: int  # 0 (unusable) to 4 (strong)
    label: str
    bits: float


def passphrase_strength(text: str) -> Strength:
    """A rough estimate: length × log2(size of the character classes used).

    Repeating one or two characters counts as weak whatever the length. This guides,
    it does not judge: a long phrase of ordinary words scores well, as it should."""
    if not text:
        return Strength(0, "", 0.0)
    if len(text) < MIN_PASSPHRASE:
        return Strength(0, f"Too short: use at least {MIN_PASSPHRASE} characters.", 0.0)
    pool = 0
    pool += 26 if any(c in string.ascii_lowercase for c in text) else 0
    pool += 26 if any(c in string.ascii_uppercase for c in text) else 0
    pool += 10 if any(c in string.digits for c in text) else 0
    pool += 32 if any(c in string.punctuation for c in text) else 0
    pool += 1 if " " in text else 0
    pool += 100 if any(ord(c) > 127 for c in text) else 0
    bits = len(text) * math.log2(max(pool, 2))
    if len(set(text)) <= 2:
        bits = min(bits, 10.0)
    if bits < 45:
        return Strength(1, "Weak: add a few more words or characters.", bits)
    if bits < 60:
        return Strength(2, "Fair: longer is better.", bits)
    if bits < 80:
        return Strength(3, "Good.", bits)
    return Strength(4, "Strong.", bits)


def _heading_font(widget: QWidget, scale: float = 1.15) -> Any:
    font = widget.font()
    font.setPointSizeF(font.pointSizeF() * scale)
    font.setBold(True)
    return font


class _StartPage(QWizardPage):
    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle("Welcome to Health Wallet")
        self.setSubTitle("Your health records, encrypted on this computer and shared only when you choose.")
        self.create_choice = QRadioButton("Create a new wallet", self)
        self.restore = QRadioButton("Restore a wallet from its recovery phrase", self)
        self.create_choice.setChecked(True)
        explain = QLabel("A wallet is opened with a passphrase you choose. It also has a recovery phrase of "
                         "12 words: with it you can restore the wallet and its keys on a new computer.", self)
        explain.setWordWrap(True)
        logo = QLabel(self)
        logo.setPixmap(icon_pixmap(72))
        layout = QVBoxLayout(self)
        layout.addWidget(logo)
        layout.addWidget(explain)
        layout.addSpacing(12)
        layout.addWidget(self.create_choice)
        layout.addWidget(self.restore)
        layout.addStretch(1)

    def nextId(self) -> int:
        return FirstRunWizard.PAGE_RESTORE if self.restore.isChecked() else FirstRunWizard.PAGE_PASSPHRASE

    def validatePage(self) -> bool:
        self._wizard.mode = "restore" if self.restore.isChecked() else "create"
        return True


class _RestorePage(QWizardPage):
    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle("Enter your recovery phrase")
        self.setSubTitle("Type the words in order, separated by spaces.")
        self.phrase = PhraseEdit(self)
        self.phrase.setAccessibleName("Recovery phrase")
        self.phrase.setTabChangesFocus(True)
        self.phrase.setMaximumHeight(self.fontMetrics().height() * 5 + 12)
        self.phrase.setFont(fixed_font(self))
        self.phrase.textChanged.connect(self._check)
        self.message = QLabel(self)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.phrase)
        layout.addWidget(self.message)
        layout.addStretch(1)
        self._problem: str | None = "empty"

    def _check(self) -> None:
        text = self.phrase.toPlainText()
        self._problem = phrase_problem(text) if text.strip() else "empty"
        words = len(text.split())
        if self._problem is None:
            set_text_tone(self.message, None)
            self.message.setText("The phrase is valid.")
        elif self._problem == "empty":
            self.message.setText("")
        else:
            # while the phrase is still being typed, a word count is a hint, not an error
            typing = words < 12 and "words" in self._problem and "this one has" in self._problem
            set_text_tone(self.message, None if typing else "error")
            self.message.setText(self._problem)
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self._problem is None

    def validatePage(self) -> bool:
        self._wizard.phrase = " ".join(self.phrase.toPlainText().split())
        return True

    def nextId(self) -> int:
        return FirstRunWizard.PAGE_PASSPHRASE


class _PassphrasePage(QWizardPage):
    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle("Choose a passphrase")
        self.setSubTitle("You type it to open the wallet on this computer. A few unrelated words make a good one.")
        self.first = QLineEdit(self)
        self.first.setEchoMode(QLineEdit.EchoMode.Password)
        self.first.setAccessibleName("Passphrase")
        self.second = QLineEdit(self)
        self.second.setEchoMode(QLineEdit.EchoMode.Password)
        self.second.setAccessibleName("Repeat the passphrase")
        self.meter = QProgressBar(self)
        self.meter.setRange(0, 4)
        self.meter.setTextVisible(False)
        self.meter.setMaximumHeight(8)
        self.meter.setAccessibleName("Passphrase strength")
        self.strength = QLabel(self)
        self.strength.setWordWrap(True)
        self.match = QLabel(self)
        self.match.setWordWrap(True)
        self.show_box = QCheckBox("Show the passphrase", self)
        self.show_box.toggled.connect(self._show)
        form = QFormLayout()
        form.addRow("Passphrase", self.first)
        form.addRow("", self.meter)
        form.addRow("", self.strength)
        form.addRow("Repeat it", self.second)
        form.addRow("", self.match)
        form.addRow("", self.show_box)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addStretch(1)
        self.first.textChanged.connect(self._update)
        self.second.textChanged.connect(self._update)
        self._update()

    def _show(self, on: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password
        self.first.setEchoMode(mode)
        self.second.setEchoMode(mode)

    def _update(self) -> None:
        s = passphrase_strength(self.first.text())
        self.meter.setValue(s.score)
        tone = ("error", "error", "warning", "success", "success")[s.score]
        color = tone_color(tone, self.meter.palette()).name()
        self.meter.setStyleSheet(f"QProgressBar::chunk {{ background: {color}; }}")
        self.strength.setText(s.label)
        if self.second.text() and self.second.text() != self.first.text():
            set_text_tone(self.match, "error")
            self.match.setText("The two passphrases differ.")
        elif self.second.text():
            set_text_tone(self.match, None)
            self.match.setText("They match.")
        else:
            self.match.setText("")
        self.completeChanged.emit()

    def initializePage(self) -> None:
        restoring = self._wizard.mode == "restore"
        self.setCommitPage(restoring)
        self.setButtonText(QWizard.WizardButton.CommitButton, "Restore wallet")

    def isComplete(self) -> bool:
        return len(self.first.text()) >= MIN_PASSPHRASE and self.first.text() == self.second.text()

    def validatePage(self) -> bool:
        self._wizard.passphrase = self.first.text()
        return True

    def nextId(self) -> int:
        return FirstRunWizard.PAGE_FINISH if self._wizard.mode == "restore" else FirstRunWizard.PAGE_PHRASE


class _PhrasePage(QWizardPage):
    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle("Write down your recovery phrase")
        self.setSubTitle("Write these 12 words on paper, in order. They restore your wallet if this computer "
                         "is lost.")
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(24)
        self.grid.setVerticalSpacing(8)
        self.word_labels: list[QLabel] = []
        self.copy_button = QPushButton("Copy to clipboard…", self)
        self.copy_button.clicked.connect(self._copy)
        self.copy_note = QLabel(self)
        self.copy_note.setWordWrap(True)
        self.warning = QLabel("Anyone with these words can open your records: keep the paper somewhere safe, "
                              "and never type them into a website.", self)
        self.warning.setWordWrap(True)
        set_text_tone(self.warning, "warning")
        self.saved = QCheckBox("I have written down these words, in order.", self)
        self.saved.toggled.connect(self.completeChanged)
        layout = QVBoxLayout(self)
        layout.addLayout(self.grid)
        layout.addSpacing(10)
        row = QGridLayout()
        row.addWidget(self.copy_button, 0, 0, Qt.AlignmentFlag.AlignLeft)
        row.addWidget(self.copy_note, 0, 1)
        row.setColumnStretch(1, 1)
        layout.addLayout(row)
        layout.addSpacing(8)
        layout.addWidget(self.warning)
        layout.addStretch(1)
        layout.addWidget(self.saved)

    def initializePage(self) -> None:
        if not self._wizard.phrase:
            self._wizard.phrase = self._wizard.service.new_phrase(12)
        for label in self.word_labels:
            label.deleteLater()
        self.word_labels = []
        words = self._wizard.phrase.split()
        rows = math.ceil(len(words) / 3)
        mono = fixed_font(self, 1.15)
        mono.setBold(True)
        for n, word in enumerate(words):
            label = QLabel(f"{n + 1:>2}. {word}", self)
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setFont(mono)
            label.setAccessibleName(f"Word {n + 1}")
            self.grid.addWidget(label, n % rows, n // rows)
            self.word_labels.append(label)

    def _copy(self) -> None:
        answer = QMessageBox.warning(
            self, "Copy the recovery phrase?",
            "Other programs on this computer can read the clipboard, and clipboard managers may keep it. "
            "Paper is safer.\n\nCopy anyway? The clipboard is cleared after "
            f"{CLIPBOARD_SECONDS} seconds.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        if answer == QMessageBox.StandardButton.Yes:
            self.copy_to_clipboard()

    def copy_to_clipboard(self) -> None:
        phrase = self._wizard.phrase
        clipboard = QGuiApplication.clipboard()
        clipboard.setText(phrase)
        self.copy_note.setText(f"Copied. The clipboard is cleared in {CLIPBOARD_SECONDS} seconds.")

        def clear() -> None:
            if clipboard.text() == phrase:
                clipboard.clear()

        QTimer.singleShot(CLIPBOARD_SECONDS * 1000, clear)

    def isComplete(self) -> bool:
        return self.saved.isChecked()

    def nextId(self) -> int:
        return FirstRunWizard.PAGE_CONFIRM


class _ConfirmPage(QWizardPage):
    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle("Check your recovery phrase")
        self.setSubTitle("Type the words at these positions from what you wrote down.")
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "Create wallet")
        self.positions: list[int] = []
        self.edits: list[QLineEdit] = []
        self.form = QFormLayout()
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)  # quotes what was typed
        set_text_tone(self.message, "error")
        self.completer = word_completer(self)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.message)
        layout.addStretch(1)
        self._phrase_for: str = ""

    def initializePage(self) -> None:
        if self._phrase_for == self._wizard.phrase and self.edits:
            return
        self._phrase_for = self._wizard.phrase
        while self.form.rowCount():
            self.form.removeRow(0)
        words = self._wizard.phrase.split()
        self.positions = sorted(secrets.SystemRandom().sample(range(len(words)), CONFIRM_WORDS))
        self.edits = []
        for pos in self.positions:
            edit = QLineEdit(self)
            edit.setAccessibleName(f"Word {pos + 1}")
            edit.setCompleter(self.completer)
            edit.textChanged.connect(self._check)
            self.form.addRow(f"Word #{pos + 1}", edit)
            self.edits.append(edit)
        self.message.clear()

    def _wrong(self) -> list[int]:
        words = self._wizard.phrase.split()
        return [pos for pos, edit in zip(self.positions, self.edits, strict=False)
                if pos >= len(words) or edit.text().strip().lower() != words[pos]]

    def _check(self) -> None:
        filled = all(e.text().strip() for e in self.edits)
        wrong = self._wrong()
        if filled and wrong:
            typed = {pos: edit.text().strip() for pos, edit in zip(self.positions, self.edits, strict=False)}
            self.message.setText(" ".join(f"Word #{p + 1} is not “{typed[p]}”." for p in wrong)
                                 + " Check " + ("that word" if len(wrong) == 1 else "those words")
                                 + " in what you wrote down.")
        else:
            self.message.clear()
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return bool(self.edits) and not self._wrong()

    def nextId(self) -> int:
        return FirstRunWizard.PAGE_FINISH

    def forget(self) -> None:
        self._phrase_for = ""
        for edit in self.edits:
            edit.clear()


class _FinishPage(QWizardPage):
    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle("Setting up your wallet")
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.address = QLabel(self)
        self.address.setTextFormat(Qt.TextFormat.PlainText)
        self.address.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.address.setFont(fixed_font(self))
        self.address.hide()  # behind "Details": a hex address means nothing to most people
        self.details_button = QToolButton(self)
        self.details_button.setText("Details")
        self.details_button.setCheckable(True)
        self.details_button.setAutoRaise(True)
        self.details_button.setArrowType(Qt.ArrowType.RightArrow)
        self.details_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.details_button.toggled.connect(self.address.setVisible)
        self.details_button.toggled.connect(lambda on: self.details_button.setArrowType(
            Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow))
        self.details_button.hide()
        self.next_steps = QLabel(self)
        self.next_steps.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.busy)
        layout.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.address)
        layout.addSpacing(12)
        layout.addWidget(self.next_steps)
        layout.addStretch(1)
        self.done = False
        self.failed = False

    def initializePage(self) -> None:
        self.done = self.failed = False
        restoring = self._wizard.mode == "restore"
        self.setTitle("Restoring your wallet" if restoring else "Creating your wallet")
        set_text_tone(self.status, None)
        self.status.setText("Restoring your wallet…" if restoring else "Creating your wallet…")
        self.busy.show()
        self.address.clear()
        self.details_button.setChecked(False)
        self.details_button.hide()
        self.next_steps.clear()
        self._wizard.start_writing()

    def succeeded(self, wallet: UnlockedWallet) -> None:
        self.done = True
        self.busy.hide()
        self.setTitle("Your wallet is ready")
        self.status.setText("It is locked with your passphrase and can be restored with your recovery phrase.")
        self.address.setText(wallet.identity.address)
        self.address.setToolTip("This wallet's address: a doctor's wallet uses it to share records with you")
        self.details_button.show()
        self.next_steps.setText("Next: import your health records (FHIR files from your patient portal or "
                                "SMART Health Cards). They are encrypted on this computer.")
        self.completeChanged.emit()

    def fail(self, message: str) -> None:
        self.failed = True
        self.busy.hide()
        set_text_tone(self.status, "error")
        self.status.setText(message)
        self.next_steps.setText("Choose Back to change what you entered and try again, or "
                                "Cancel to stop.")
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.done

    def nextId(self) -> int:
        return -1


class FirstRunWizard(QWizard):
    """Emits :attr:`wallet_ready` with the new, unlocked wallet when finished."""

    wallet_ready = Signal(object)
    PAGE_START, PAGE_RESTORE, PAGE_PASSPHRASE, PAGE_PHRASE, PAGE_CONFIRM, PAGE_FINISH = range(6)

    def __init__(self, service: WalletService, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self._runner = runner
        self.mode = "create"
        self.phrase = ""
        self.passphrase = ""
        self.wallet: UnlockedWallet | None = None
        self.leave_box: QMessageBox | None = None  # while asking whether to leave
        self.setWindowTitle("Health Wallet — set up")
        self.setWindowIcon(app_icon())
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.setButtonText(QWizard.WizardButton.FinishButton, "Open my wallet")
        scale = max(1.0, self.fontMetrics().height() / 17)  # larger text: a larger window
        self.setMinimumSize(int(680 * scale), int(540 * scale))
        self.start_page = _StartPage(self)
        self.restore_page = _RestorePage(self)
        self.passphrase_page = _PassphrasePage(self)
        self.phrase_page = _PhrasePage(self)
        self.confirm_page = _ConfirmPage(self)
        self.finish_page = _FinishPage(self)
        for pid, page in ((self.PAGE_START, self.start_page), (self.PAGE_RESTORE, self.restore_page),
                          (self.PAGE_PASSPHRASE, self.passphrase_page), (self.PAGE_PHRASE, self.phrase_page),
                          (self.PAGE_CONFIRM, self.confirm_page), (self.PAGE_FINISH, self.finish_page)):
            self.setPage(pid, page)
        self.setStartId(self.PAGE_START)

    def start_writing(self) -> None:
        service, phrase, passphrase = self.service, self.phrase, self.passphrase

        def job(_progress: ProgressSink, _cancel: CancelToken) -> UnlockedWallet:
            # A new wallet is the same as restoring a freshly generated phrase; doing it
            # only now means no wallet exists until the phrase has been confirmed.
            service.restore(phrase, passphrase)
            return service.unlock(passphrase)

        self._runner.submit(job, on_done=self._written, on_failed=self.finish_page.fail)

    def _written(self, wallet: UnlockedWallet) -> None:
        self.wallet = wallet
        self.phrase = self.passphrase = ""  # the wallet holds them now
        self.confirm_page.forget()
        for label in self.phrase_page.word_labels:
            label.clear()
        self.finish_page.succeeded(wallet)

    def accept(self) -> None:
        super().accept()
        if self.wallet is not None:
            self.wallet_ready.emit(self.wallet)

    def reject(self) -> None:
        if self.finish_page.done:
            self.accept()  # the wallet exists and is unlocked: closing the wizard opens it
            return
        if self.currentId() == self.PAGE_FINISH and not self.finish_page.failed:
            return  # the wallet is being written; wait for it
        if self.currentId() == self.PAGE_START:
            super().reject()  # nothing chosen or typed yet: nothing to lose
            return
        self.confirm_leave()

    def confirm_leave(self) -> None:
        """Ask before leaving set-up ("Continue setting up" is the default); the wizard
        closes only if the user chooses to stop. The question does not block (window-modal)."""
        if self.leave_box is not None:
            return  # already asking
        creating = self.mode == "create" and self.currentId() not in (self.PAGE_START, self.PAGE_RESTORE)
        box = QMessageBox(QMessageBox.Icon.Question, "Stop setting up?", "", QMessageBox.StandardButton.NoButton,
                          self)
        box.setText("Stop setting up Health Wallet?")
        box.setInformativeText(
            "Nothing has been saved. Next time you start, you get a new recovery phrase, so the words shown "
             "here will not work: do not keep them." if creating else
             "Nothing has been saved; next time you start, set-up begins again.")
        self.leave_button = box.addButton("Stop and quit", QMessageBox.ButtonRole.DestructiveRole)
        self.stay_button = box.addButton("Continue setting up", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(self.stay_button)
        box.setEscapeButton(self.stay_button)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.finished.connect(lambda _result: self._leave_answered(box))
        self.leave_box = box
        box.open()

    def _leave_answered(self, box: QMessageBox) -> None:
        self.leave_box = None
        if box.clickedButton() is self.leave_button:
            super().reject()
