"""The access log: every share, revocation and opening recorded on chain where this
wallet is a party (time, the other party, the transaction), and this wallet's own
audit events (shares, opens, exports, backups), newest first, over :meth:`Sharing.audit`."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelection
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QHeaderView, QLabel, QPushButton, QVBoxLayout, QWidget

from ..events import CancelToken, ProgressSink
from ..services import UnlockedWallet
from .grant_models import AccessLogModel, plural
from .plain_text import plain_label
from .table_view import row_table
from .theme import set_text_tone
from .workers import JobRunner, retire_runner

__all__ = ["AccessLogView"]



class AccessLogView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._wallet: UnlockedWallet | None = None
        self._runner: JobRunner | None = None
        self._events: list[dict[str, Any]] = []
        self._names: dict[str, str] = {}
        self.loading = False

        title = QLabel("Access log", self)
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        title.setFont(font)
        intro = plain_label("Every share, revocation and opening recorded on chain where this wallet is a party: "
                            "anyone can check these on the chain, and nobody can remove them. This wallet's own "
                            "log adds what it did on this computer (shares, opens, exports, backups).",
                            self, selectable=False)
        self.own_log = QCheckBox("Include this wallet's own log", self)
        self.own_log.setToolTip("What this wallet noted on this computer: record counts of each share, exports, "
                                "backups")
        self.own_log.setChecked(False)
        self.own_log.toggled.connect(self._show)
        self.copy_button = QPushButton("Copy transaction", self)
        self.copy_button.setToolTip("Copy the selected event's transaction hash, to look it up on the chain")
        self.copy_button.clicked.connect(self.copy_transaction)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.clicked.connect(self.refresh)
        row = QHBoxLayout()
        row.addWidget(self.own_log)
        row.addStretch(1)
        row.addWidget(self.copy_button)
        row.addWidget(self.refresh_button)

        self.model = AccessLogModel(self)
        self.table = row_table(self, "Access log", model=self.model)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 190), (1, 170), (3, 120), (4, 170), (5, 100)):
            header.resizeSection(column, width)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self.detail = plain_label("", self)
        self.status = plain_label("", self, selectable=False)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail)
        layout.addWidget(self.status)
        self.clear()

    def set_wallet(self, wallet: UnlockedWallet) -> None:
        self.clear()
        self._wallet = wallet
        self._runner = JobRunner("access-log", self)
        self.refresh_button.setEnabled(True)

    def clear(self) -> None:
        retire_runner(self._runner)
        self._runner = None
        self._wallet = None
        self._events = []
        self.loading = False
        self.model.clear()
        self.detail.clear()
        self.status.clear()
        self.refresh_button.setEnabled(False)
        self.copy_button.setEnabled(False)

    def refresh(self) -> None:
        wallet, runner = self._wallet, self._runner
        if wallet is None or runner is None or self.loading:
            return
        self.loading = True
        set_text_tone(self.status, None)
        self.status.setText("Reading the log from the chain…")

        def job(_p: ProgressSink, _c: CancelToken) -> tuple[list[dict[str, Any]], dict[str, str]]:
            from ..services import Sharing

            sharing = Sharing(wallet)
            events = [e.to_json() for e in sharing.audit()]  # the table's rows are the JSON objects
            names = wallet.address_book().names()
            names.update({v.counterpart: v.counterpart_name for v in sharing.grants() if v.counterpart_name})
            return events, names

        def done(result: tuple[list[dict[str, Any]], dict[str, str]]) -> None:
            self.loading = False
            self._events, self._names = result
            self._show()

        def failed(message: str) -> None:
            self.loading = False
            set_text_tone(self.status, "error")
            self.status.setText(message)

        runner.submit(job, on_done=done, on_failed=failed, latest="log")

    def _show(self, *_: Any) -> None:
        own = self.own_log.isChecked()
        events = [e for e in self._events if own or e.get("source") == "chain"]
        self.model.set_events(events, self._names)
        self.detail.clear()
        self.copy_button.setEnabled(False)
        on_chain = sum(1 for e in events if e.get("source") == "chain")
        hidden = len(self._events) - len(events)
        text = (f"{plural(len(events), 'event')}, {on_chain:,} on chain." if events else
                "Nothing on chain yet: shares, revocations and openings will be listed here.")
        if hidden:
            text += f" Tick “Include this wallet's own log” to see {hidden:,} more from this wallet."
        self.status.setText(text)

    def current_event(self) -> dict[str, Any] | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.event_at(rows[0].row()) if rows else None

    def _on_selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        event = self.current_event()
        if event is None:
            self.detail.clear()
            self.copy_button.setEnabled(False)
            return
        if event.get("source") == "chain":
            party = event.get("party", "")
            name = self._names.get(party)
            self.detail.setText(f"{event.get('at', '')}  ·  grant {event.get('grant_id', '')}\n"
                                f"with {name + ' ' if name else ''}{party}  ·  transaction {event.get('tx', '')}"
                                f" in block {event.get('block', '')}")
        else:
            self.detail.setText(f"{event.get('at', '')}  ·  {event.get('event', '')}: {event.get('detail', '')}")
        self.copy_button.setEnabled(bool(event.get("tx")))

    def copy_transaction(self) -> None:
        event = self.current_event()
        clipboard = QGuiApplication.clipboard()
        if event and event.get("tx") and clipboard is not None:
            clipboard.setText(str(event["tx"]))
