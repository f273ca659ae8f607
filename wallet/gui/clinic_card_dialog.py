"""The emergency card dialog: the emergency contact (kept, sealed) and the link whose QR
code the card carries, then Print… or Save as PDF…."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..errors import WalletError
from ..services import UnlockedWallet
from ..services.clinic import PdfDocument, PrintedLink, emergency_card_pdf, printed_link
from ..services.emergency_contact import load_emergency_contact, save_emergency_contact
from .clinic_section import PdfJob
from .plain_text import plain_label

__all__ = ["EmergencyCardDialog"]


class EmergencyCardDialog(QDialog):
    """The emergency contact and the link to print on the card, then Print… or Save as PDF…."""

    def __init__(self, wallet: UnlockedWallet, parent: QWidget | None = None, *, link: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Emergency card")
        self.wallet = wallet
        self._link: PrintedLink | None = None
        self.problem_label = plain_label("", self)
        self.pdf = PdfJob(self, "Emergency card", self._make, on_problem=self.problem_label.setText)
        self.contact = QLineEdit(self)
        self.contact.setPlaceholderText("Name, phone")
        self.contact.setMaxLength(120)
        self.contact.setAccessibleName("Emergency contact")
        try:
            self.contact.setText(load_emergency_contact(wallet))
        except WalletError as exc:  # a damaged saved contact: start empty, say why
            self.contact.setPlaceholderText(exc.user_message)
        self.link = QLineEdit(link, self)
        self.link.setPlaceholderText("shlink:/… (optional: make one with New SMART Health Link)")
        self.link.setAccessibleName("SMART Health Link for the QR code")
        form = QFormLayout()
        form.addRow("Emergency contact:", self.contact)
        form.addRow("Link for the QR code:", self.link)
        note = plain_label("A wallet-sized card (85.6 × 54 mm, front and back) with allergies, conditions, "
                           "medications and the contact. Anyone who scans its code can open the link, so use a "
                           "link without a passcode only if you accept that.", self)
        self.print_button = QPushButton("Print…", self)
        self.save_button = QPushButton("Save as PDF…", self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.addButton(self.print_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.print_button.clicked.connect(lambda: self.start("print"))
        self.save_button.clicked.connect(lambda: self.start("save"))
        box = QVBoxLayout(self)
        box.addLayout(form)
        box.addWidget(note)
        box.addWidget(self.problem_label)
        box.addWidget(buttons)

    def start(self, how: str, path: Path | None = None) -> None:
        """``"print"`` or ``"save"`` the card (to ``path``, else where the user picks), after
        keeping the contact and checking the link."""
        if self._checked():
            self.pdf.print() if how == "print" else self.pdf.save(path)

    def _checked(self) -> bool:
        """Keep the contact and check the link before any work; False (and say why) when bad."""
        self.problem_label.setText("")
        try:
            save_emergency_contact(self.wallet, self.contact.text())
            self._link = printed_link(self.link.text()) if self.link.text().strip() else None
        except WalletError as exc:
            self.problem_label.setText(exc.user_message)
            return False
        return True

    def _make(self) -> PdfDocument:
        return emergency_card_pdf(self.wallet, contact=self.contact.text().strip(), link=self._link)
