"""Settings ▸ Card issuers: the SMART Health Card issuers whose cards show as verified.

The list holds the VCI directory bundled with the app and the issuers trusted here.
"Trust an issuer…" takes its address (``iss``, an https URL) and its key set, saved
from ``<iss>/.well-known/jwks.json``; "Stop trusting" removes one. Cards are checked
again the next time the Health cards view is shown.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..errors import WalletError
from ..services import UnlockedWallet
from ..services.trusted_issuers import distrust_issuer, trust_issuer, trusted_issuers
from .plain_text import plain_label
from .settings_table import SettingsTablePage, confirm

__all__ = ["IssuersPage", "TrustIssuerDialog"]


class TrustIssuerDialog(QDialog):
    """Asks for an issuer's address, its name and its saved key set file."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Trust a card issuer")
        self.iss = QLineEdit(self)
        self.iss.setPlaceholderText("https://issuer.example.org")
        self.iss.setAccessibleName("Issuer address")
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("e.g. City Clinic")
        self.name.setAccessibleName("Issuer name")
        self.keys = QLineEdit(self)
        self.keys.setAccessibleName("Key set file")
        self.keys.setPlaceholderText("jwks.json saved from the issuer")
        browse = QPushButton("Choose…", self)
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.keys, 1)
        row.addWidget(browse)
        explain = plain_label("Trust only an issuer you know, such as your clinic or health authority. Its key set is "
                              "the file at its address followed by /.well-known/jwks.json.", self, selectable=False)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Trust")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        for edit in (self.iss, self.name, self.keys):
            edit.textChanged.connect(self._check)
        form = QFormLayout()
        form.addRow("Address", self.iss)
        form.addRow("Name", self.name)
        form.addRow("Key set", row)
        layout = QVBoxLayout(self)
        layout.addWidget(explain)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self._check()
        self.resize(560, self.sizeHint().height())

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "The issuer's key set", str(Path.home()),
                                              "Key sets (*.json);;All files (*)")
        if path:
            self.keys.setText(path)

    def _check(self) -> None:
        ok = self.iss.text().strip().startswith("https://") and bool(self.keys.text().strip())
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)


class IssuersPage(SettingsTablePage):
    def __init__(self, wallet: UnlockedWallet, parent: QWidget | None = None) -> None:
        super().__init__(parent, explain="A health card shows as verified when its issuer is trusted here. The list "
                         "starts with the issuers of the VCI directory that comes with the app.",
                         headers=("Name", "Address", "Trusted because"), accessible_name="Trusted card issuers",
                         stretch=(0, 1), detail=False)
        self._app = wallet.app
        self.add_button = QPushButton("Trust an issuer…", self)
        self.add_button.clicked.connect(self.ask_trust)
        self.remove_button = QPushButton("Stop trusting", self)
        self.remove_button.setEnabled(False)
        self.remove_button.clicked.connect(self.remove_selected)
        self.place_buttons(self.add_button, self.remove_button)
        self.reload()

    def __repr__(self) -> str:
        return f"IssuersPage(rows={self.table.rowCount()})"

    def reload(self) -> None:
        try:
            issuers = sorted(trusted_issuers(self._app), key=lambda i: i.name.lower())
        except WalletError as exc:
            self.say(exc.user_message, "error")
            issuers = []
        self.table.setRowCount(len(issuers))
        for row, issuer in enumerate(issuers):
            source = "you trusted it" if issuer.source == "your list" else issuer.source
            self.set_row(row, (issuer.name, issuer.iss, source), data=issuer.iss)
        self._selection()

    def selected_iss(self) -> str | None:
        items = self.table.selectedItems()
        return str(items[0].data(Qt.ItemDataRole.UserRole)) if items else None

    def _selection(self) -> None:
        self.remove_button.setEnabled(self.selected_iss() is not None)

    def ask_trust(self) -> None:
        dialog = TrustIssuerDialog(self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.trust(dialog.iss.text().strip(), Path(dialog.keys.text().strip()), dialog.name.text().strip())

    def trust(self, iss: str, jwks_file: Path, name: str = "") -> bool:
        try:
            issuer = trust_issuer(self._app, iss, jwks_file, name=name or None)
        except WalletError as exc:
            self.say(f"{exc.user_message} Nothing was added; check the address and the key set file.", "error")
            return False
        self.reload()
        self.say(f"Cards from {issuer.name} now show as verified.", "success")
        return True

    def remove_selected(self) -> None:
        iss = self.selected_iss()
        if iss is None:
            return
        if confirm(self, "Stop trusting this issuer?",
                   f"Cards from {iss} will show as not verified. You can trust it again later."):
            self.distrust(iss)

    def distrust(self, iss: str) -> None:
        try:
            distrust_issuer(self._app, iss)
        except WalletError as exc:
            self.say(exc.user_message, "error")
            return
        self.reload()
        self.say("Cards from that issuer now show as not verified.", None)
