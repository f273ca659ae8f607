"""Backups: "Back up now" with progress, where the backup is kept, and what this computer keeps.

The list joins two sources: the node's pins (:meth:`Backups.pins`) and the wallet's own
notes — ``AuditEvent`` records titled "Backup published" whose detail holds
``ipfs://CID``, and the ``Consent`` of each share, whose source names its content's
CID. So a row says what a CID is (a backup of N records, records shared with someone,
or content this wallet has no note of), when it was made, and whether it is still kept
here. Remove one from this computer after a confirmation that says plainly what that
does not do.

The screen speaks a patient's words: content ids (CIDs), "IPFS", "pin" and chain
transactions stay behind a "Details" disclosure (the CID column, Copy CID, the last
backup's CID and transaction), closed by default.

All IPFS and store work runs on a worker thread (the node may still be starting).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QFontDatabase, QFontMetrics, QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..events import CancelToken, Progress, ProgressSink
from ..services import UnlockedWallet
from .badges import hint_label
from .disclosure import Disclosure, plain_progress
from .plain_text import plain_label, safe_tooltip
from .progress import show_progress
from .sizes import human_bytes
from .table_model import Index, RowsTableModel
from .theme import muted_color, set_text_tone
from .workers import JobRunner, Ticket, retire_runner

if TYPE_CHECKING:
    from ..services import BackupReceipt

__all__ = [
    "BACKUP_TITLE",
    "UNPIN_NOTE",
    "BackupRow",
    "BackupsModel",
    "BackupsView",
    "backup_rows",
    "confirm_unpin",
    "kept_text",
    "read_backup_rows",
    "unpin_text",
    "where_text",
]

BACKUP_TITLE = "Backup published"  # the AuditEvent subtype a backup leaves in the wallet
UNPIN_NOTE = ("This only stops this computer from keeping it. It does not erase copies kept elsewhere (at a pinning "
              "service, on another of your computers, or on a doctor's computer that opened it).")
_CID = re.compile(r"ipfs://([A-Za-z0-9]+)")


@dataclass(frozen=True)
class BackupRow:
    """One CID: what it is, when it was made, whether this node keeps it."""

    cid: str
    kind: str  # "backup", "share" or "other"
    what: str
    when: str = ""  # ISO 8601, from the wallet's note
    pinned: bool = True
    size: int | None = None  # bytes, when known
    latest: bool = False  # the newest backup: what a restore from the phrase finds

    def __post_init__(self) -> None:
        if not self.cid:
            raise ValueError("a row names a CID")
        if self.kind not in ("backup", "share", "other"):
            raise ValueError(f"unknown kind {self.kind!r}")


def backup_rows(pins: Iterable[str], backups: Iterable[tuple[str, str, str]] = (),
                shares: Iterable[tuple[str, str, str]] = ()) -> list[BackupRow]:
    """Join pinned CIDs with the wallet's notes; newest first, then pins without a note.

    ``backups`` and ``shares`` are ``(cid, what, when)``. A backup no longer pinned is
    kept in the list (``pinned=False``): it may still be held elsewhere.
    """
    pinned = list(dict.fromkeys(pins))
    notes: dict[str, tuple[str, str, str]] = {}
    for kind, items in (("share", shares), ("backup", backups)):  # a backup note wins over a share note
        for cid, what, when in items:
            if cid not in notes or when > notes[cid][2]:
                notes[cid] = (kind, what, when)
    newest_backup = max((n[2] for n in notes.values() if n[0] == "backup"), default=None)
    rows = [BackupRow(cid, kind, what, when, cid in pinned, latest=kind == "backup" and when == newest_backup)
            for cid, (kind, what, when) in notes.items() if kind == "backup" or cid in pinned]
    rows.sort(key=lambda r: r.when, reverse=True)
    rows += [BackupRow(cid, "other", "Kept on this computer; this wallet has no note of what it is")
             for cid in pinned if cid not in notes]
    return rows


def read_backup_rows(wallet: UnlockedWallet) -> list[BackupRow]:
    """On a worker: the node's pins and the wallet's notes of backups and shares."""
    from ..services import Backups

    pins = [str(p.cid) for p in Backups(wallet).pins()]
    backups = []
    for row in wallet.summaries(types=["AuditEvent"]):
        s = row.summary
        match = _CID.search(s.detail)
        if s.title == BACKUP_TITLE and match:
            what = s.detail[: match.start()].rstrip(" :") or "Backup"
            backups.append((match.group(1), what, s.date))
    shares = []
    for row in wallet.summaries(types=["Consent"]):
        source = (wallet.record(row.id).get("sourceReference") or {}).get("display") or ""
        match = _CID.search(str(source))
        if match:
            shares.append((match.group(1), f"{row.summary.title} ({row.summary.detail})", row.summary.date))
    return backup_rows(pins, backups, shares)


def kept_text(receipt: BackupReceipt) -> str:
    """Where a backup just made is kept, in a patient's words: "Your backup is kept at Home
    and on this computer." (services that said pinned), or only on this computer."""
    pinned = [h.service for h in receipt.held_by if h.pinned]
    if pinned:
        return f"Your backup is kept at {' and '.join(pinned)} and on this computer."
    pending = [h.service for h in receipt.held_by if h.status in ("queued", "pinning")]
    if pending:
        return (f"Your backup is kept on this computer; {' and '.join(pending)} is still making its copy, and keeps "
                "it when this computer is off once it is done.")
    return ("Your backup is kept only on this computer: it can be restored elsewhere only while this computer is on. "
            "Add a pinning service (Settings ▸ Pinning services) to keep it when this computer is off.")


def where_text(holders: Sequence[str] | None) -> str:
    """Where the latest backup recorded on chain is kept: ``holders`` are the services the
    pointer names (``None``: no backup recorded, said by the empty list instead)."""
    if holders is None:
        return ""
    if holders:
        return f"Your latest backup is kept at {' and '.join(holders)}."
    return ("Your latest backup is kept only on the computer that made it. Add a pinning service (Settings ▸ "
            "Pinning services) to keep your backups when that computer is off.")


def _made(row: BackupRow) -> str:
    when = row.when.replace("T", " ").replace("Z", " UTC")
    return f"“{row.what}”" + (f" (made {when})" if when else "")


def unpin_text(row: BackupRow) -> str:
    """What the confirmation says before removing ``row`` from this computer."""
    lines = [f"Remove {_made(row)} from this computer?", "", UNPIN_NOTE]
    if row.kind == "backup":
        lines += ["", "The backup stays encrypted: only your recovery phrase opens it."]
        if row.latest:
            lines += ["This is your latest backup. A wallet restored from your recovery phrase looks for it, and "
                      "finds it only if another computer or a pinning service still keeps it."]
    elif row.kind == "share":
        lines += ["", "These are records you shared. While the grant is active, the doctor may no longer be able "
                      "to fetch them if no other node keeps them. Revoking the grant is what stops access."]
    return "\n".join(lines)


def confirm_unpin(parent: QWidget | None, text: str) -> bool:
    """Ask before removing from this computer (replaced in tests)."""
    box = QMessageBox(QMessageBox.Icon.Question, "Remove from this computer?", "",
                      QMessageBox.StandardButton.NoButton, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(text)
    unpin = box.addButton("Remove from this computer", QMessageBox.ButtonRole.DestructiveRole)
    keep = box.addButton("Keep it", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(keep)
    box.exec()
    return box.clickedButton() is unpin


# --- the model ---------------------------------------------------------------------------


class BackupsModel(RowsTableModel):
    HEADERS = COLUMNS = ("CID", "What", "When", "Size", "Kept here")

    def row_at(self, row: int) -> BackupRow:
        return self._rows[row]

    @property
    def sizes_known(self) -> bool:
        return any(r.size is not None for r in self._rows)

    def _text(self, row: BackupRow, col: int) -> str:
        kept = "Yes" if row.pinned else "No (removed)"
        what = row.what + (" — latest" if row.latest else "")
        return (row.cid, what, row.when.replace("T", " ").replace("Z", " UTC"), human_bytes(row.size), kept)[col]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.item(index)
        if row is None:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._text(row, index.column())
        if role == Qt.ItemDataRole.ToolTipRole:
            return safe_tooltip(self._text(row, index.column()))
        if role == Qt.ItemDataRole.FontRole and index.column() == 0:
            return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        if role == Qt.ItemDataRole.ForegroundRole and not row.pinned:
            return QBrush(muted_color())
        if role == Qt.ItemDataRole.UserRole:
            return row
        return None


# --- the view ------------------------------------------------------------------------------


class BackupsView(QWidget):
    """Back up, list, remove from this computer; CIDs behind Details. Emits :attr:`published`."""

    published = Signal(object)  # BackupReceipt
    listed = Signal(int)

    def __init__(self, wallet: UnlockedWallet | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._wallet: UnlockedWallet | None = None
        self._runner: JobRunner | None = None
        self._ticket: Ticket | None = None
        self.listing = False
        self.last_message = ""
        self._message_says_where = False  # the message shown says where the backup is kept

        self.backup_button = QPushButton("Back up now", self)
        self.backup_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_DriveNetIcon))
        self.backup_button.setToolTip("Lock every record and card with a key only your recovery phrase gives, and "
                                      "keep it where a new computer finds it")
        self.backup_button.clicked.connect(self.back_up)
        self.copy_button = QPushButton("Copy CID", self)
        self.copy_button.clicked.connect(self.copy_cid)
        self.unpin_button = QPushButton("Remove from this computer…", self)
        self.unpin_button.clicked.connect(self.unpin_selected)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.clicked.connect(self.refresh)
        buttons = QHBoxLayout()
        buttons.addWidget(self.backup_button)
        buttons.addStretch(1)
        buttons.addWidget(self.unpin_button)
        buttons.addWidget(self.refresh_button)

        self.explain = hint_label("A backup is every record and card, locked with a key only your recovery phrase "
                                  "gives. A wallet restored from the phrase on a new computer finds your latest "
                                  "backup by itself. A pinning service (Settings ▸ Pinning services) keeps it "
                                  "available when this computer is off.", self)
        self.step = plain_label("", self, selectable=False)
        self.bar = QProgressBar(self)
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(10)
        self.bar.hide()
        self.message = plain_label("", self)
        self.where = plain_label("", self)  # where the latest backup is kept, from the chain
        self.details = Disclosure("Details", self)
        self.technical = self.details.add(plain_label("", self))  # the last backup's CID and transaction
        self.technical.hide()
        details_buttons = QHBoxLayout()
        details_buttons.setContentsMargins(0, 0, 0, 0)
        details_buttons.addWidget(self.copy_button)
        details_buttons.addStretch(1)
        holder = QWidget(self)
        holder.setLayout(details_buttons)
        self.details.add(holder)
        self.details.toggled.connect(self._details_toggled)

        self.model = BackupsModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.setAccessibleName("Backups")
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(QFontMetrics(self.font()).height() + 10)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(0, 300)
        self.table.setColumnWidth(2, 170)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.empty = hint_label("No backups yet.\nChoose “Back up now” to make the first one.", self)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)

        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.explain)
        layout.addWidget(self.step)
        layout.addWidget(self.bar)
        layout.addWidget(self.message)
        layout.addWidget(self.where)
        layout.addWidget(self.details)
        layout.addWidget(self.stack, 1)
        self.clear()
        if wallet is not None:
            self.set_wallet(wallet)

    def __repr__(self) -> str:
        return f"BackupsView(rows={self.model.rowCount()}, busy={self.busy})"

    # --- wallet --------------------------------------------------------------------------

    def set_wallet(self, wallet: UnlockedWallet | None) -> None:
        """Use ``wallet``; nothing is read until :meth:`refresh` (listing starts the IPFS node)."""
        self.clear()
        self._wallet = wallet
        self._runner = JobRunner("backups", self)
        self._update_buttons()

    def clear(self) -> None:
        """Stop the worker and forget the list (before the wallet locks)."""
        if self._ticket is not None:
            self._ticket.cancel()
        retire_runner(self._runner)
        self._runner = None
        self._ticket = None
        self._wallet = None
        self.listing = False
        self.model.set_rows([])
        self.bar.hide()
        self.step.clear()
        self.message.clear()
        self.where.clear()
        self.technical.clear()
        self.technical.hide()
        self.details.set_shown(False)
        self._details_toggled(False)
        self.details.hide()
        self.message.hide()
        self.where.hide()
        self._message_says_where = False
        self.stack.setCurrentWidget(self.table)
        self._update_buttons()

    @property
    def busy(self) -> bool:
        return self._ticket is not None and self._ticket.running

    def selected_row(self) -> BackupRow | None:
        index = self.table.selectionModel().currentIndex()
        rows = self.table.selectionModel().selectedRows()
        if not rows and not index.isValid():
            return None
        row = rows[0].row() if rows else index.row()
        return self.model.row_at(row) if 0 <= row < self.model.rowCount() else None

    def _update_buttons(self, *_args: Any) -> None:
        ready = self._wallet is not None
        row = self.selected_row()
        self.backup_button.setEnabled(ready and not self.busy)
        self.refresh_button.setEnabled(ready and not self.listing)
        self.copy_button.setEnabled(row is not None)
        self.unpin_button.setEnabled(ready and row is not None and row.pinned and not self.busy)

    def _details_toggled(self, shown: bool) -> None:
        self.table.setColumnHidden(0, not shown)  # the CID column

    # --- listing ---------------------------------------------------------------------------

    def refresh(self) -> None:
        if self._wallet is None or self._runner is None or self.listing:
            return
        wallet = self._wallet
        self.listing = True
        if not self.busy:
            self.step.setText("Looking for your backups…")
        self._update_buttons()
        self._runner.submit(lambda _p, _c: read_backup_rows(wallet), on_done=self._listed, on_failed=self._list_failed)

        def where(_progress: ProgressSink, _cancel: CancelToken) -> tuple[str, ...] | None:
            from ..services import Backups

            pointer = Backups(wallet).latest()
            return None if pointer is None else tuple(h.name for h in pointer.holders)

        self._runner.submit(where, on_done=self._where_found, on_failed=lambda _message: self._where_found(None),
                            latest="backup-where")

    def _where_found(self, holders: tuple[str, ...] | None) -> None:
        self.where.setText(where_text(holders))
        self.where.setVisible(bool(self.where.text()) and not self._message_says_where)

    def _listed(self, rows: list[BackupRow]) -> None:
        self.listing = False
        selected = self.selected_row()
        self.model.set_rows(rows)
        if selected is not None:
            for n, row in enumerate(rows):
                if row.cid == selected.cid:
                    self.table.selectRow(n)
        self.table.setColumnHidden(3, not self.model.sizes_known)
        self.stack.setCurrentWidget(self.table if rows else self.empty)
        self.details.setVisible(bool(rows) or bool(self.technical.text()))
        if not self.busy:
            self.step.clear()
        self._update_buttons()
        self.listed.emit(len(rows))

    def _list_failed(self, message: str) -> None:
        self.listing = False
        if not self.busy:
            self.step.clear()
        self._say(message, error=True)
        self._update_buttons()

    # --- backing up ------------------------------------------------------------------------

    def back_up(self) -> None:
        if self._wallet is None or self._runner is None or self.busy:
            return
        wallet = self._wallet

        def job(progress: ProgressSink, cancel: CancelToken) -> BackupReceipt:
            from ..services import Backups

            return Backups(wallet).publish(progress=progress, cancel=cancel)

        self.message.clear()
        self.step.setText("Getting ready…")
        self.bar.setRange(0, 0)
        self.bar.show()
        self._ticket = self._runner.submit(job, on_done=self._published, on_failed=self._publish_failed,
                                           on_progress=self._progress)
        self._update_buttons()

    def _progress(self, progress: Progress) -> None:
        show_progress(self.bar, self.step, plain_progress(progress), finished=".")

    def _published(self, receipt: BackupReceipt) -> None:
        self._ticket = None
        self.bar.hide()
        self.step.clear()
        cards = f" and {receipt.cards} card{'s' if receipt.cards != 1 else ''}" if receipt.cards else ""
        text = f"Backed up {receipt.records:,} records{cards}."
        text += "\n" + kept_text(receipt)
        technical = [f"CID {receipt.cid}", receipt.availability]
        technical.append(f"Recorded on chain in transaction {receipt.tx}." if receipt.tx
                         else "Not recorded on chain.")
        self.technical.setText("\n".join(technical))
        self.technical.show()
        self.details.show()
        problems = [h.problem for h in receipt.held_by if h.problem]
        if receipt.warning:
            problems.insert(0, receipt.warning)
        if problems:
            text += "\n" + "\n".join(problems)
        self._say(text, error=bool(receipt.warning), says_where=True)
        self.published.emit(receipt)
        self.listing = False
        self.refresh()

    def _publish_failed(self, message: str) -> None:
        self._ticket = None
        self.bar.hide()
        self.step.clear()
        self._say(f"The backup was not made: {message}", error=True)
        self._update_buttons()

    def _say(self, text: str, *, error: bool = False, says_where: bool = False) -> None:
        """Show ``text``; ``says_where``: it says where the backup is kept, so the line read
        from the chain would repeat it and is hidden while ``text`` shows."""
        self.last_message = text
        self._message_says_where = says_where
        self.where.setVisible(bool(self.where.text()) and not says_where)
        self.message.setVisible(bool(text))
        set_text_tone(self.message, "error" if error else None)
        self.message.setText(text)

    # --- copy and unpin -----------------------------------------------------------------------

    def copy_cid(self) -> None:
        row = self.selected_row()
        if row is not None:
            QGuiApplication.clipboard().setText(row.cid)
            self._say("Copied the backup's content id (CID).")

    def unpin_selected(self) -> None:
        row = self.selected_row()
        if row is None or self._wallet is None or self._runner is None or not row.pinned:
            return
        if not confirm_unpin(self, unpin_text(row)):
            return
        wallet, cid = self._wallet, row.cid

        def job(_progress: ProgressSink, _cancel: CancelToken) -> str:
            from ..services import Backups

            Backups(wallet).unpin(cid)
            return cid

        self._ticket = self._runner.submit(job, on_done=self._unpinned, on_failed=self._publish_failed)
        self._update_buttons()

    def _unpinned(self, cid: str) -> None:
        self._ticket = None
        self._say("Removed from this computer. Copies kept elsewhere are not erased.")
        self.technical.setText(f"Unpinned CID {cid} from this computer's IPFS node.")
        self.technical.show()
        self.refresh()
