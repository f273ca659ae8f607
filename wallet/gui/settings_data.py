"""Settings ▸ Your data: what this wallet holds, deleting one record, and deleting the
whole wallet.

Deleting the wallet asks first, says what is lost, and needs the word
:data:`~wallet.services.DELETE_CONFIRMATION` typed; the session then locks the wallet
and deletes its folder (:meth:`WalletService.delete_wallet`).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..errors import WalletError
from ..services import DELETE_CONFIRMATION, UnlockedWallet
from .plain_text import plain_label
from .theme import set_text_tone

__all__ = ["DataPage", "DeleteWalletDialog"]


def _holdings(wallet: UnlockedWallet) -> str:
    try:
        records = sum(p.records for p in wallet.profiles())
        people = len(wallet.profiles())
    except WalletError:
        return "every record in this wallet"
    return (f"{records:,} record{'s' if records != 1 else ''} of {people} "
            f"{'person' if people == 1 else 'people'}")


class DeleteWalletDialog(QDialog):
    """Says what is lost; the Delete button works once the word is typed."""

    def __init__(self, wallet: UnlockedWallet, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Delete this wallet?")
        lost = plain_label(
            f"This deletes from this computer: {_holdings(wallet)}, your health cards, the list of your shares and "
            "who opened them, your settings, and the wallet's keys.\n\n"
            "What stays: doctors keep what they already opened. A backup you published can be restored only with "
            "your recovery phrase — without the phrase, nothing can be recovered.", self)
        self.confirm = QLineEdit(self)
        self.confirm.setAccessibleName(f"Type {DELETE_CONFIRMATION} to confirm")
        self.confirm.setPlaceholderText(f"Type {DELETE_CONFIRMATION} to confirm")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.delete_button = self.buttons.addButton("Delete the wallet", QDialogButtonBox.ButtonRole.DestructiveRole)
        self.delete_button.setEnabled(False)
        self.delete_button.clicked.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.confirm.textChanged.connect(
            lambda text: self.delete_button.setEnabled(text.strip().lower() == DELETE_CONFIRMATION))
        layout = QVBoxLayout(self)
        layout.addWidget(lost)
        layout.addWidget(plain_label(f"To delete it, type “{DELETE_CONFIRMATION}”:", self, selectable=False))
        layout.addWidget(self.confirm)
        layout.addWidget(self.buttons)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setDefault(True)
        self.resize(520, self.sizeHint().height())


class DataPage(QWidget):
    delete_wallet_requested = Signal(str)  # what the user typed

    def __init__(self, wallet: UnlockedWallet, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._wallet = wallet
        holds = QGroupBox("This wallet", self)
        self.summary = plain_label("", holds)
        QVBoxLayout(holds).addWidget(self.summary)

        record_box = QGroupBox("Delete a record", self)
        QVBoxLayout(record_box).addWidget(plain_label(
            "Select the record in the list, then choose Edit ▸ Delete record… (or press Delete). You are asked "
            "before anything is deleted.", record_box, selectable=False))

        wallet_box = QGroupBox("Delete this wallet", self)
        self.delete_button = QPushButton("Delete this wallet…", wallet_box)
        self.delete_button.clicked.connect(self.ask_delete_wallet)
        warning = plain_label("Everything in this wallet is deleted from this computer. Write down your recovery "
                              "phrase first if you may want it back.", wallet_box, selectable=False)
        set_text_tone(warning, "warning")
        box = QVBoxLayout(wallet_box)
        box.addWidget(warning)
        box.addWidget(self.delete_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout = QVBoxLayout(self)
        layout.addWidget(holds)
        layout.addWidget(record_box)
        layout.addWidget(wallet_box)
        layout.addStretch(1)
        self.refresh()

    def __repr__(self) -> str:
        return "DataPage()"

    def refresh(self) -> None:
        self.summary.setText(f"Holds {_holdings(self._wallet)}, encrypted in\n{self._wallet.app.home}")

    def ask_delete_wallet(self) -> None:
        dialog = DeleteWalletDialog(self._wallet, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.delete_wallet_requested.emit(dialog.confirm.text())
