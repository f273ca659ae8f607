"""The SMART Health Links this wallet made: label, flags, expiry, how often opened, revoked;
Revoke stops ``serve --shl`` answering one, and the dialog says what it cannot stop."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..errors import WalletError
from ..services import UnlockedWallet
from ..services.links import link_store, revoke_link, shl_server
from .plain_text import plain_label

__all__ = ["REVOKE_NOTE", "LinksDialog", "LinksModel"]

REVOKE_NOTE = ("Revoke stops 'health-wallet serve --shl' answering a link at once. A link whose files you copied "
               "to a static host (a web server, an IPFS gateway, a USB stick) cannot be revoked from here: delete "
               "the files from the host. Nothing can take back what a clinic already opened.")
HEADERS = ("Label", "Kind", "Expires", "Opened", "Status")


def _kind(flags: str) -> str:
    if "U" in flags:
        return "single file"
    return ", ".join(w for f, w in (("L", "long-term"), ("P", "passcode")) if f in flags) or "manifest"


class LinksModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.links: list[Any] = []

    def set_links(self, links: list[Any]) -> None:
        self.beginResetModel()
        self.links = list(links)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.links)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return HEADERS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        link = self.links[index.row()]
        return (link.label or f"Link {link.id[:10]}", _kind(link.flags),
                (link.expires_at or "never")[:16].replace("T", " "), str(link.accesses),
                "revoked" if link.revoked else "active")[index.column()]


class LinksDialog(QDialog):
    def __init__(self, wallet: UnlockedWallet, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("SMART Health Links")
        self.resize(720, 360)
        self.wallet = wallet
        self.model = LinksModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.message = plain_label("", self)
        self.server: Any = None
        self.address = QLineEdit("127.0.0.1:8765", self)
        self.address.setAccessibleName("Address to serve the links on")
        self.serve_button = QPushButton("Serve from this computer", self)
        self.serve_button.setCheckable(True)
        self.serve_button.toggled.connect(self.serve)
        serve_row = QHBoxLayout()
        serve_row.addWidget(plain_label("Answer the links (passcodes, expiry, access log) on", self, wrap=False))
        serve_row.addWidget(self.address, 1)
        serve_row.addWidget(self.serve_button)
        self.revoke_button = QPushButton("Revoke", self)
        self.revoke_button.clicked.connect(self.revoke_selected)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.addButton(self.revoke_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(self.table)
        box.addWidget(plain_label(REVOKE_NOTE, self))
        box.addLayout(serve_row)
        box.addWidget(self.message)
        box.addWidget(buttons)
        self.reload()

    def serve(self, on: bool) -> None:
        """Start or stop answering this wallet's links on HOST:PORT while the dialog is open
        (what ``health-wallet serve --shl`` does)."""
        if not on:
            self.stop_serving()
            return
        host, _, port = self.address.text().strip().rpartition(":")
        try:
            if not host or not port.isdigit() or int(port) > 65535:
                raise WalletError(f"{self.address.text()!r} is not HOST:PORT (for example 127.0.0.1:8765).")
            self.server = shl_server(self.wallet, host.strip("[]"), int(port))
            self.server.start()
        except WalletError as exc:
            self.message.setText(exc.user_message)
            self.serve_button.setChecked(False)
            return
        self.address.setEnabled(False)
        self.message.setText(f"Serving on http://{self.server.address} while this window is open. Links made "
                             "with that address (or one that forwards to it) work now.")

    def stop_serving(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
            self.message.setText("Stopped serving.")
        self.address.setEnabled(True)

    def done(self, result: int) -> None:
        self.stop_serving()
        super().done(result)

    def closeEvent(self, event: Any) -> None:
        self.stop_serving()
        super().closeEvent(event)

    def reload(self) -> None:
        try:
            self.model.set_links(link_store(self.wallet).all())
        except WalletError as exc:
            self.message.setText(exc.user_message)

    def revoke_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            self.message.setText("Choose a link to revoke.")
            return
        link = self.model.links[rows[0].row()]
        try:
            revoke_link(self.wallet, link.id)
            self.message.setText("Revoked: 'serve --shl' answers it no more."
                                 + (" Its files on a static host stay readable until you delete them."
                                    if "P" not in link.flags else ""))
        except WalletError as exc:  # a single-file link: marked revoked, and the honest caveat
            self.message.setText(exc.user_message)
        self.reload()
