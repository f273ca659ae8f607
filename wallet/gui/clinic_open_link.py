"""Open a SMART Health Link someone sent: paste it, or drop it (text or a viewer URL) on
the dialog; the passcode is asked here when the link is flagged ``P``; the records are
fetched, decrypted, checked and imported on a worker thread."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QInputDialog, QLineEdit, QPlainTextEdit, QVBoxLayout, QWidget

from ..errors import WalletError
from ..services import FileOutcome, UnlockedWallet
from ..services.links import import_link, link_needs_passcode
from .clinic_section import _mime_link, dropped_link
from .plain_text import plain_label
from .single_job import SingleJob

__all__ = ["OpenLinkDialog"]


class OpenLinkDialog(QDialog):
    imported = Signal(object)  # list[FileOutcome]

    def __init__(self, wallet: UnlockedWallet, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Open a SMART Health Link")
        self.setAcceptDrops(True)
        self.wallet = wallet
        self.job = SingleJob("clinic-open-link", self)
        self.outcomes: list[FileOutcome] | None = None
        self.ask_passcode = self._ask_passcode  # tests put an answer here
        self.link = QPlainTextEdit(self)
        self.link.setPlaceholderText("Paste the shlink:/… or viewer link here, or drop it on this window")
        self.link.setAccessibleName("SMART Health Link")
        self.link.setMaximumHeight(100)
        self.message = plain_label("", self)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.open_button = self.buttons.addButton("Open and import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.open_link)
        self.buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(plain_label("Records from a link are checked and imported like a file: a SMART Health "
                                  "Card's signature is verified; an IPS imports as its entries.", self))
        box.addWidget(self.link)
        box.addWidget(self.message)
        box.addWidget(self.buttons)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _mime_link(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        found = _mime_link(event)
        if found:
            self.link.setPlainText(found)
            event.acceptProposedAction()
            self.open_link()

    def _ask_passcode(self) -> str | None:
        text, ok = QInputDialog.getText(self, "Passcode", "This link needs a passcode:", QLineEdit.EchoMode.Password)
        return text if ok else None

    def open_link(self) -> None:
        text = dropped_link(self.link.toPlainText()) or self.link.toPlainText().strip()
        try:
            needs = link_needs_passcode(text)
        except WalletError as exc:
            self.message.setText(exc.user_message)
            return
        code: str | None = None
        if needs:
            code = self.ask_passcode()
            if code is None:
                self.message.setText("Not opened: the link needs its passcode.")
                return
        self.open_button.setEnabled(False)
        self.message.setText("Fetching…")
        answer = code or ""
        self.job.start(lambda _p, _c: import_link(self.wallet, text, passcode=lambda: answer),
                       on_done=self._done, on_failed=self._failed)

    def _failed(self, message: str) -> None:
        self.open_button.setEnabled(True)
        self.message.setText(message)

    def _done(self, outcomes: list[Any]) -> None:
        self.open_button.setEnabled(True)
        self.outcomes = outcomes
        lines = []
        for outcome in outcomes:
            if outcome.error is not None:
                lines.append(f"{outcome.path.name}: {outcome.error.user_message}")
            else:
                result = outcome.result
                count = sum(result.imported.values()) if result is not None else 0
                lines.append(f"{outcome.path.name}: {count} records imported")
        self.message.setText("\n".join(lines) or "The link held nothing to import.")
        self.imported.emit(outcomes)
