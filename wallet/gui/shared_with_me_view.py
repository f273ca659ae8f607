"""The doctor's "Shared with me" view: publish this wallet's encryption key, open a share
from a pasted token or from the grants found on chain, and read the records, read-only.

Opening runs :meth:`Sharing.open` on a worker with progress: it checks the grant on
chain, fetches and decrypts the bundle, validates it and logs the access on chain. The
records stay in memory only (never in this wallet's store) and are dropped on lock. A
refused share (revoked, expired, addressed to someone else, altered) is explained
inline with the core's message.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QItemSelection, Qt, Signal
from PySide6.QtGui import QFontDatabase, QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..events import CancelToken, Progress, ProgressSink
from ..services import UnlockedWallet, names_within
from .detail import DetailPane
from .grant_models import GrantTableModel, local_time, plural, shared_rows
from .models import RecordTableModel, columns_for
from .plain_text import plain_label
from .progress import show_progress
from .table_view import row_table
from .theme import set_text_tone
from .workers import JobRunner, Ticket, retire_runner

if TYPE_CHECKING:
    from ..services import TxResult
    from ..services.sharing import GrantView, OpenedShare

__all__ = ["KEY_MISSING", "KEY_PUBLISHED", "SharedWithMeView", "opened_heading"]

KEY_PUBLISHED = ("Your encryption key is published on chain: patients can share records with this wallet's "
                 "address.")
KEY_MISSING = ("Patients can share records with this wallet only after you publish its encryption key on chain "
               "(once; one transaction that reveals nothing but the public key).")


def opened_heading(opened: OpenedShare, records: int) -> tuple[str, str]:
    """The header of an opened share: a title and a line about its grant (plain text)."""
    who = opened.patient_name or "A patient"
    title = f"{who} — {plural(records, 'record')} shared with you"
    tx = f" (transaction {opened.access_tx.tx_hash})" if opened.access_tx is not None else ""
    line = (f"From wallet {opened.grant.patient}. Shared until {local_time(opened.grant.expires_at)}. "
            f"This opening was logged on chain{tx}. The records are shown here only, read-only; they are not "
            "saved in your wallet.")
    return title, line


class SharedWithMeView(QWidget):
    opened = Signal(object)  # OpenedShare
    open_failed = Signal(str)
    key_checked = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._wallet: UnlockedWallet | None = None
        self._runner: JobRunner | None = None
        self._open_ticket: Ticket | None = None
        self.loading = False
        self.opening = False
        self.key_registered: bool | None = None
        self.share: OpenedShare | None = None
        self._resources: list[dict[str, Any]] = []
        self._names: dict[str, str] = {}
        self._patient_names: dict[str, str] = {}  # learnt from opened shares, kept until lock

        # this wallet's key
        key_box = QFrame(self)
        key_box.setFrameShape(QFrame.Shape.StyledPanel)
        self.key_label = plain_label("", key_box, selectable=False)
        self.publish_button = QPushButton("Publish my encryption key", key_box)
        self.publish_button.setToolTip("One transaction on chain; needed once before patients can share with you")
        self.publish_button.clicked.connect(self.publish_key)
        row = QHBoxLayout(key_box)
        row.addWidget(self.key_label, 1)
        row.addWidget(self.publish_button)

        # open from a token
        title = QLabel("Open a share", self)
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        title.setFont(font)
        self.token_edit = QPlainTextEdit(self)
        self.token_edit.setPlaceholderText("Paste the share token the patient gave you (hwshare:…), or a grant id")
        self.token_edit.setAccessibleName("Share token")
        self.token_edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.token_edit.setTabChangesFocus(True)
        self.token_edit.setFixedHeight(QFontMetrics(self.token_edit.font()).lineSpacing() * 3 + 14)
        self.token_edit.textChanged.connect(self._update_buttons)
        self.open_button = QPushButton("Open", self)
        self.open_button.setDefault(True)
        self.open_button.clicked.connect(self.open_token)
        self.keep_button = QPushButton("Add to list", self)
        self.keep_button.setToolTip("Keep this share in the list below and see whose records it holds, without "
                                    "opening it (nothing is fetched or logged)")
        self.keep_button.clicked.connect(self.keep_token)
        token_buttons = QVBoxLayout()
        token_buttons.addWidget(self.open_button)
        token_buttons.addWidget(self.keep_button)
        token_buttons.addStretch(1)
        token_row = QHBoxLayout()
        token_row.addWidget(self.token_edit, 1)
        token_row.addLayout(token_buttons)

        # grants found on chain
        self.received = GrantTableModel(received=True, parent=self)
        self.received_table = QTableView(self)
        self.received_table.setModel(self.received)
        self.received_table.setAccessibleName("Shares found on chain")
        self.received_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.received_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.received_table.verticalHeader().hide()
        self.received_table.setWordWrap(False)
        header = self.received_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column, width in ((1, 230), (2, 190), (3, 110), (4, 190)):
            header.resizeSection(column, width)
        self.received_table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.received_table.doubleClicked.connect(lambda _i: self.open_selected())
        self.open_selected_button = QPushButton("Open selected", self)
        self.open_selected_button.clicked.connect(self.open_selected)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.clicked.connect(self.refresh)
        found_title = plain_label("Shares addressed to this wallet, found on chain. Opening one from this list "
                                  "needs the patient's computer to be reachable; a token also says where to fetch "
                                  "the records from.", self, selectable=False)
        found_title.setEnabled(False)
        found_row = QHBoxLayout()
        found_row.addWidget(found_title, 1)
        found_row.addWidget(self.open_selected_button)
        found_row.addWidget(self.refresh_button)
        found = QWidget(self)
        found_layout = QVBoxLayout(found)
        found_layout.setContentsMargins(0, 0, 0, 0)
        found_layout.addLayout(found_row)
        found_layout.addWidget(self.received_table, 1)

        # progress and refusals
        self.progress_label = plain_label("", self, selectable=False)
        self.progress = QProgressBar(self)
        self.progress.setTextVisible(False)
        self.progress.setMaximumWidth(360)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress_label, 1)
        progress_row.addWidget(self.progress, 1)
        self.cancel_open_button = QPushButton("Cancel", self)
        self.cancel_open_button.setToolTip("Stop opening this share; nothing is logged on chain for it")
        self.cancel_open_button.clicked.connect(self.cancel_open)
        progress_row.addWidget(self.cancel_open_button)
        self.progress_box = QWidget(self)
        self.progress_box.setLayout(progress_row)
        self.message = plain_label("", self)
        set_text_tone(self.message, "error")
        self.message.setAccessibleName("Why the share could not be opened")

        # the opened share
        self.result = QWidget(self)
        self.result_title = plain_label("", self.result)
        font = self.result_title.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.result_title.setFont(font)
        self.result_line = plain_label("", self.result)
        self.close_button = QPushButton("Close these records", self.result)
        self.close_button.clicked.connect(self.close_share)
        head = QHBoxLayout()
        head.addWidget(self.result_title, 1)
        head.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.records_model: RecordTableModel | None = None
        self.records_table = row_table(self.result, "Shared records", padding=8)
        self.detail = DetailPane(self.result)
        split = QSplitter(Qt.Orientation.Horizontal, self.result)
        split.addWidget(self.records_table)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)
        result_layout = QVBoxLayout(self.result)
        result_layout.setContentsMargins(0, 6, 0, 0)
        result_layout.addLayout(head)
        result_layout.addWidget(self.result_line)
        result_layout.addWidget(split, 1)

        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.addWidget(found)
        self.splitter.addWidget(self.result)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 4)
        self.splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.addWidget(key_box)
        layout.addWidget(title)
        layout.addLayout(token_row)
        layout.addWidget(self.progress_box)
        layout.addWidget(self.message)
        layout.addWidget(self.splitter, 1)
        self.clear()

    # --- wallet ---------------------------------------------------------------------------

    @property
    def wallet(self) -> UnlockedWallet | None:
        return self._wallet

    def set_wallet(self, wallet: UnlockedWallet) -> None:
        self.clear()
        self._wallet = wallet
        self._runner = JobRunner("shared-with-me", self)
        self.key_label.setText("Checking your encryption key on chain…")
        self._update_buttons()

    def clear(self) -> None:
        """Drop the wallet and every record shown (before it locks)."""
        self._open_ticket = None
        retire_runner(self._runner)
        self._runner = None
        self._wallet = None
        self.loading = self.opening = False
        self.key_registered = None
        self._patient_names = {}
        self.key_label.setText("")
        self.publish_button.hide()
        self.token_edit.clear()
        self.received.clear()
        self.progress_box.hide()
        self._set_message("")
        self.close_share()
        self._update_buttons()

    def _set_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _update_buttons(self, *_: Any) -> None:
        ready = self._wallet is not None and not self.opening
        self.open_button.setEnabled(ready and bool(self.token_edit.toPlainText().strip()))
        self.keep_button.setEnabled(ready and self.token_edit.toPlainText().strip().startswith("hwshare:"))
        self.open_selected_button.setEnabled(ready and bool(self.received_table.selectionModel().selectedRows()))
        self.refresh_button.setEnabled(self._wallet is not None)
        self.publish_button.setEnabled(self._wallet is not None)

    # --- reading the chain --------------------------------------------------------------------

    def refresh(self) -> None:
        """Check this wallet's key and list the shares addressed to it (on the worker)."""
        wallet, runner = self._wallet, self._runner
        if wallet is None or runner is None or self.loading:
            return
        self.loading = True

        def job(_p: ProgressSink, _c: CancelToken) -> tuple[bool, list[GrantView], datetime, dict[str, str]]:
            from ..services import Sharing

            sharing = Sharing(wallet)
            return sharing.key_registered(), sharing.received(), sharing.now(), wallet.address_book().names()

        def done(result: tuple[bool, list[GrantView], datetime, dict[str, str]]) -> None:
            self.loading = False
            registered, views, now, names = result
            names = {**self._patient_names, **names}  # the user's own names win
            self._show_key(registered)
            self.received.set_grants(views, now, names)
            self._update_buttons()

        def failed(message: str) -> None:
            self.loading = False
            self.key_label.setText(message)

        runner.submit(job, on_done=done, on_failed=failed, latest="received")

    def keep_token(self) -> None:
        """Keep the pasted token and list it with the patient's name (on the worker); nothing is opened."""
        wallet, runner = self._wallet, self._runner
        text = "".join(self.token_edit.toPlainText().split())  # a token pasted across lines
        if wallet is None or runner is None or not text:
            return

        def job(_p: ProgressSink, _c: CancelToken) -> GrantView:
            from ..services import Sharing

            return Sharing(wallet).receive(text)

        def done(view: GrantView) -> None:
            label = view.label
            who = view.counterpart_name or "A patient"
            what = label.describe() if label is not None and label.contents else "records"
            note = f" Message: {label.message}" if label is not None and label.message else ""
            self._set_message("")
            self.progress_box.show()
            self.progress.hide()
            self.cancel_open_button.hide()
            self.progress_label.setText(f"{who} shared {what} with you, until {local_time(view.grant.expires_at)}."
                                        f"{note} It is in the list below; open it when you need it.")
            self.token_edit.clear()
            self.refresh()

        runner.submit(job, on_done=done, on_failed=self._set_message, latest="keep")

    def _show_key(self, registered: bool) -> None:
        self.key_registered = registered
        address = self._wallet.identity.address if self._wallet is not None else ""
        self.key_label.setText(f"{KEY_PUBLISHED}\n{address}" if registered else KEY_MISSING)
        self.publish_button.setVisible(not registered)
        self.key_checked.emit(registered)

    def publish_key(self) -> None:
        wallet, runner = self._wallet, self._runner
        if wallet is None or runner is None:
            return
        self.publish_button.setEnabled(False)
        self.key_label.setText("Publishing your encryption key on chain…")

        def job(_p: ProgressSink, _c: CancelToken) -> TxResult | None:
            from ..services import Sharing

            return Sharing(wallet).register_key()

        def done(tx: TxResult | None) -> None:
            self._show_key(True)
            if tx is not None:
                self.key_label.setText(f"{self.key_label.text()}\nPublished in transaction {tx.tx_hash}.")

        def failed(message: str) -> None:
            self.key_label.setText(f"Not published: {message}")
            self.publish_button.setEnabled(True)

        runner.submit(job, on_done=done, on_failed=failed)

    # --- opening ----------------------------------------------------------------------------

    def open_token(self) -> None:
        self.open_share(self.token_edit.toPlainText())

    def open_selected(self) -> None:
        rows = self.received_table.selectionModel().selectedRows()
        if rows:
            self.open_share(self.received.grant_at(rows[0].row()).grant_id)

    def open_share(self, text: str) -> None:
        wallet, runner = self._wallet, self._runner
        text = "".join(text.split())  # a token pasted across lines
        if wallet is None or runner is None or self.opening or not text:
            return
        go, network = self._network_for(wallet, text)
        if not go:
            return  # the user did not choose a network
        self.opening = True
        self._set_message("")
        self.progress_label.setText("Checking the share…")
        self.progress.setRange(0, 0)
        self.progress.show()
        self.cancel_open_button.show()
        self.progress_box.show()
        self._update_buttons()

        def job(progress: ProgressSink, cancel: CancelToken) -> OpenedShare:
            from ..services import Sharing

            return Sharing(wallet).open(text, network=network, progress=progress, cancel=cancel)

        def done(opened: OpenedShare) -> None:
            self._open_ticket = None
            self.opening = False
            self.progress_box.hide()
            self.show_share(opened)
            self._update_buttons()
            self.loading = False
            self.refresh()  # the access count went up
            self.opened.emit(opened)

        def failed(message: str) -> None:
            self._open_ticket = None
            self.opening = False
            self.progress_box.hide()
            self._set_message(f"This share could not be opened. {message}")
            self._update_buttons()
            self.loading = False
            self.refresh()  # a revoked or expired share shows as such in the list too
            self.open_failed.emit(message)

        def cancelled(_message: str) -> None:
            self._open_ticket = None
            self.opening = False
            self.progress_box.hide()
            self._set_message("Opening was cancelled; nothing was logged on chain.")
            self._update_buttons()

        self.cancel_open_button.setEnabled(True)
        self._open_ticket = runner.submit(job, on_done=done, on_failed=failed, on_progress=self._on_progress,
                                          on_cancelled=cancelled)

    def _network_for(self, wallet: UnlockedWallet, text: str) -> tuple[bool, str | None]:
        """Whether to go on, and the network profile to open a token with: the user's choice
        when several have its chain id, else ``None`` (the core picks, or explains)."""
        from ..errors import WalletError
        from ..services import Sharing

        if not text.startswith("hwshare:"):
            return True, None
        try:
            profiles = Sharing(wallet).networks_for(text)
        except WalletError:
            return True, None  # the open says what is wrong with the token
        if len(profiles) < 2:
            return True, None
        choice = self.choose_network([(p.name, f"{p.title or p.name} ({', '.join(p.rpc)})") for p in profiles])
        return choice is not None, choice

    def choose_network(self, choices: list[tuple[str, str]]) -> str | None:
        """Ask which network profile to use (name, description); ``None`` when cancelled."""
        from PySide6.QtWidgets import QInputDialog

        labels = [text for _name, text in choices]
        picked, ok = QInputDialog.getItem(self, "Which network?", "Several networks have this share's chain id; "
                                          "open it on:", labels, 0, False)
        return choices[labels.index(picked)][0] if ok and picked in labels else None

    def cancel_open(self) -> None:
        """Stop the share being opened: the worker stops at the next check of its cancel
        token, before the access is logged on chain (an open already logging finishes)."""
        if self._open_ticket is not None and self._open_ticket.running:
            self._open_ticket.cancel()
            self.cancel_open_button.setEnabled(False)
            self.progress_label.setText("Cancelling…")

    def _on_progress(self, progress: Progress) -> None:
        show_progress(self.progress, self.progress_label, progress)

    def show_share(self, opened: OpenedShare) -> None:
        """Show an opened share's records, read-only."""
        self.close_share()
        self.share = opened
        if opened.patient_name:
            self._patient_names[opened.grant.patient] = opened.patient_name
        self._resources = opened.resources
        self._names = names_within(opened.resources)  # references between the shared records, by name
        rows = shared_rows(self._resources)
        title, line = opened_heading(opened, len(rows))
        self.result_title.setText(title)
        self.result_line.setText(line)

        def fetch(limit: int, offset: int) -> list:
            return rows[offset:] if limit < 0 else rows[offset:offset + limit]

        model = RecordTableModel(fetch, len(rows), columns=columns_for(None), parent=self)
        model.fetch_all()
        self.records_model = model
        self.records_table.setModel(model)
        header = self.records_table.horizontalHeader()
        for n, key in enumerate(model.column_keys):
            header.setSectionResizeMode(n, QHeaderView.ResizeMode.Stretch if key == "title"
                                        else QHeaderView.ResizeMode.Interactive)
            if key != "title":
                header.resizeSection(n, {"date": 96, "category": 130, "detail": 160}.get(key, 120))
        self.records_table.selectionModel().selectionChanged.connect(self._on_record)
        self.result.show()

    def _on_record(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = selected.indexes()
        if not rows or self.records_model is None:
            self.detail.clear()
            return
        summary = self.records_model.summary_at(rows[0].row())
        self.detail.show_record(summary, self._resources[int(summary.id)], self._names)

    def select_record(self, row: int) -> None:
        if self.records_model is not None and 0 <= row < self.records_model.rowCount():
            self.records_table.selectRow(row)

    def close_share(self) -> None:
        """Forget the opened records."""
        self.share = None
        self._resources = []
        self._names = {}
        old = self.records_model
        self.records_model = None
        self.records_table.setModel(None)
        if old is not None:
            old.deleteLater()
        self.detail.clear()
        self.result_title.clear()
        self.result_line.clear()
        self.result.hide()
