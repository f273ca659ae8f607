"""After restoring a wallet from its recovery phrase: bring back its records from the
latest backup on IPFS.

The page asks nothing technical: it looks up the latest backup on chain
(:meth:`Backups.latest`) and says where it is held ("at Filebase", "only on your old
computer"); the restore fetches it from those holders, decrypts it with the key only the
phrase gives, and imports all or nothing. A backup CID or a node address can still be
given under "More options" (for a backup made before holders were recorded, or a
network without discovery). Work runs on worker threads with progress; the page ends
with the counts imported. The backup's content id (CID) stays behind "Details".

:class:`RestoreBackupPanel` is the page itself (a QWidget, to put in a wizard or a
window); :class:`RestoreBackupDialog` shows it on its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QCloseEvent, QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..events import CancelToken, Progress, ProgressSink
from ..services import UnlockedWallet
from ..services.backups import restored_words
from .badges import PillLabel, hint_label
from .disclosure import Disclosure, plain_progress
from .icon import app_icon
from .plain_text import plain_label
from .progress import show_progress
from .single_job import SingleJob
from .theme import set_text_tone

if TYPE_CHECKING:
    from ..services import ImportResult

__all__ = ["RestoreBackupDialog", "RestoreBackupPanel", "cid_problem", "held_text", "peer_problem", "restored_text"]

TITLE = "Restore records from your latest backup"


def peer_problem(text: str) -> str | None:
    """Why ``text`` is not a peer multiaddr (``/ip4/…/tcp/…/p2p/<peer id>``), or ``None``."""
    text = text.strip()
    if not text:
        return None
    if not text.startswith("/") or any(c.isspace() for c in text):
        return "A peer address starts with / and has no spaces, e.g. /ip4/192.168.1.20/tcp/4001/p2p/12D3Koo…"
    if "/p2p/" not in text and "/ipfs/" not in text:
        return "The address needs the node's peer id at the end: …/p2p/<peer id>."
    return None


def cid_problem(text: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    from ..errors import InvalidCid
    from ..services import Cid

    try:
        Cid.parse(text)
    except InvalidCid as exc:
        return exc.user_message
    return None


def held_text(where: str | None) -> str:
    """The sentence saying where the latest backup is held (``where`` from ``where_held``;
    ``None`` when there is no backup on chain)."""
    if where is None:
        return "No backup of this wallet has been made yet."
    if where.startswith("only on"):
        return (f"Your latest backup is kept {where}: open Health Wallet on it (or run 'health-wallet serve') "
                "while you restore.")
    return f"Your latest backup is kept {where}."


def restored_text(cid: str, result: ImportResult) -> str:
    """``Restored 75 records from your backup`` and what was already in the wallet (the
    CID ``cid`` is shown under Details, not here)."""
    text = f"Restored {restored_words(result)} from your backup"
    if result.skipped_duplicates:
        text += f"; {result.skipped_duplicates:,} were already in the wallet"
    cards = len(result.cards)
    if cards:
        text += f"; {cards} health card{'s' if cards != 1 else ''}"
    return text + "."


class RestoreBackupPanel(QWidget):
    """Emits :attr:`restored` with ``(cid, ImportResult)``; :attr:`skipped` when the user
    leaves the page with its last button (Not now, Stop or Close)."""

    restored = Signal(str, object)
    skipped = Signal()

    def __init__(self, wallet: UnlockedWallet, *, timeout: float = 120.0, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.wallet = wallet
        self.timeout = timeout
        self._job = SingleJob("restore-backup", self)  # a thread only while a restore runs
        self._lookup = SingleJob("backup-lookup", self)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        self.outcome: tuple[str, ImportResult] | None = None
        self.error = ""

        heading = plain_label(TITLE, self, selectable=False)
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        heading.setFont(font)
        explain = hint_label("If you backed up this wallet before, Health Wallet finds your latest backup by itself, "
                             "fetches it from where it is kept and imports your records. Only your recovery phrase "
                             "opens it.", self)
        self.where = plain_label("Looking up your latest backup…", self)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.peer = QLineEdit(self)
        self.peer.setPlaceholderText("/ip4/192.168.1.20/tcp/4001/p2p/12D3Koo… (optional)")
        self.peer.setAccessibleName("Address of a node that keeps the backup")
        self.peer.setFont(mono)
        self.peer.textChanged.connect(self._check)
        self.cid = QLineEdit(self)
        self.cid.setPlaceholderText("the latest one recorded on chain (optional)")
        self.cid.setAccessibleName("Backup CID")
        self.cid.setFont(mono)
        self.cid.textChanged.connect(self._check)
        self.input_problem = plain_label("", self)
        set_text_tone(self.input_problem, "error")
        self.more = QCheckBox("More options", self)
        self.more.setToolTip("Only if you were given them: the backup's content id (CID) or the address of a computer "
                             "that keeps it")
        self.options = QWidget(self)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Node that keeps it", self.peer)
        form.addRow("Backup CID", self.cid)
        peer_hint = hint_label("On your old computer, 'health-wallet serve' prints its addresses. Leave both fields "
                               "empty to use the backup recorded on chain and where it is kept.", self)
        options_layout = QVBoxLayout(self.options)
        options_layout.setContentsMargins(0, 0, 0, 0)
        options_layout.addLayout(form)
        options_layout.addWidget(peer_hint)
        self.options.hide()
        self.more.toggled.connect(self.options.setVisible)

        self.step = plain_label("", self, selectable=False)
        self.bar = QProgressBar(self)
        self.bar.setTextVisible(False)
        self.bar.hide()
        self.result_pill = PillLabel("", "muted", self)
        self.result_pill.hide()
        self.result = plain_label("", self)
        self.details = Disclosure("Details", self)
        self.technical = self.details.add(plain_label("", self))
        self.details.hide()
        self.counts = QTreeWidget(self)
        self.counts.setHeaderLabels(["Imported", "Count"])
        self.counts.setRootIsDecorated(False)
        self.counts.setAccessibleName("Imported records by type")
        self.counts.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.counts.header().setStretchLastSection(False)
        self.counts.hide()

        self.restore_button = QPushButton("Restore records", self)
        self.restore_button.setDefault(True)
        self.restore_button.clicked.connect(self.start)
        self.skip_button = QPushButton("Not now", self)
        self.skip_button.setToolTip("You can restore later from Backups")
        self.skip_button.clicked.connect(self.skipped)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.skip_button)
        buttons.addWidget(self.restore_button)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(explain)
        layout.addWidget(self.where)
        layout.addSpacing(6)
        layout.addWidget(self.more, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.options)
        layout.addWidget(self.input_problem)
        layout.addSpacing(6)
        layout.addWidget(self.step)
        layout.addWidget(self.bar)
        layout.addWidget(self.result_pill, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.result)
        layout.addWidget(self.details, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.counts, 1)
        layout.addStretch(0)
        layout.addLayout(buttons)
        self._check()
        self.look_up()

    def __repr__(self) -> str:
        return f"RestoreBackupPanel(busy={self.busy})"

    @property
    def busy(self) -> bool:
        return self._job.running

    def look_up(self) -> None:
        """Find the latest backup on chain and say where it is held (on a worker thread)."""
        if self._lookup.running:
            return
        wallet = self.wallet

        def job(_progress: ProgressSink, _cancel: CancelToken) -> str | None:
            from ..services import Backups
            from ..services.backups import where_held

            pointer = Backups(wallet).latest()
            return None if pointer is None else where_held(pointer)

        self._lookup.start(job, on_done=lambda where: self.where.setText(held_text(where)),
                           on_failed=lambda message: self.where.setText(
                               f"Where your latest backup is kept could not be looked up: {message}"))

    def _check(self) -> None:
        if (self.peer.text().strip() or self.cid.text().strip()) and not self.more.isChecked():
            self.more.setChecked(True)  # something was typed there: show it
        problem = peer_problem(self.peer.text()) or cid_problem(self.cid.text())
        self.input_problem.setText(problem or "")
        self.input_problem.setVisible(bool(problem))
        self.restore_button.setEnabled(problem is None and not self.busy and self.outcome is None)

    def start(self) -> None:
        if self.busy or peer_problem(self.peer.text()) or cid_problem(self.cid.text()):
            return
        wallet, timeout = self.wallet, self.timeout
        peers = (self.peer.text().strip(),) if self.peer.text().strip() else ()
        cid = self.cid.text().strip() or None

        def job(progress: ProgressSink, cancel: CancelToken) -> tuple[str, ImportResult]:
            from ..services import Backups

            return Backups(wallet).restore(cid, peers=peers, timeout=timeout, progress=progress, cancel=cancel)

        self.error = ""
        self.result.clear()
        self.result_pill.hide()
        self.counts.hide()
        self.details.hide()
        self.step.setText("Getting ready…")
        self.bar.setRange(0, 0)
        self.bar.show()
        self.peer.setEnabled(False)
        self.cid.setEnabled(False)
        self.skip_button.setText("Stop")
        self._job.start(job, on_done=self._done, on_failed=self._failed, on_progress=self._progress,
                                           on_cancelled=lambda _m: self._failed("The restore was stopped; nothing "
                                                                                "was imported."))
        self._check()

    def _progress(self, progress: Progress) -> None:
        show_progress(self.bar, self.step, plain_progress(progress), finished=".")

    def _finish(self) -> None:
        self.bar.hide()
        self.step.clear()
        self.peer.setEnabled(True)
        self.cid.setEnabled(True)

    def _done(self, outcome: tuple[str, ImportResult]) -> None:
        self._finish()
        self.outcome = outcome
        cid, result = outcome
        self.result_pill.set_status("Restored", "good")
        self.result_pill.show()
        self.result.setText(restored_text(cid, result))
        self.technical.setText(f"Backup CID {cid}")
        self.details.show()
        self.counts.clear()
        for rtype, n in sorted(result.imported.items(), key=lambda kv: (-kv[1], kv[0])):
            item = QTreeWidgetItem([str(rtype), f"{n:,}"])
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.counts.addTopLevelItem(item)
        self.counts.setVisible(bool(result.imported))
        self.skip_button.setText("Close")
        self.restore_button.hide()
        self._check()
        self.restored.emit(cid, result)

    def _failed(self, message: str) -> None:
        self._finish()
        self.error = message
        self.result_pill.set_status("Not restored", "bad")
        self.result_pill.show()
        self.result.setText(message)
        self.skip_button.setText("Not now")
        self.restore_button.setText("Try again")
        self._check()

    def cancel(self) -> None:
        if self.busy:
            self._job.cancel()
            self.step.setText("Stopping after the current step…")

    def shutdown(self) -> None:
        """Cancel and wait for a running restore (a fetch waits for IPFS up to its timeout).

        Only needed while :attr:`busy`: an idle page holds no thread."""
        self._lookup.stop()
        self._job.stop()


class RestoreBackupDialog(QDialog):
    """The panel in a dialog of its own; emits :attr:`restored` like the panel."""

    restored = Signal(str, object)

    def __init__(self, wallet: UnlockedWallet, *, timeout: float = 120.0, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{TITLE} — Health Wallet")
        self.setWindowIcon(app_icon())
        self.setMinimumWidth(620)
        self.panel = RestoreBackupPanel(wallet, timeout=timeout, parent=self)
        self.panel.restored.connect(self.restored)
        self.panel.skipped.connect(self._skip)
        layout = QVBoxLayout(self)
        layout.addWidget(self.panel)

    def _skip(self) -> None:
        if self.panel.busy:
            self.panel.cancel()
            return
        self.accept() if self.panel.outcome is not None else self.reject()

    def done(self, code: int) -> None:
        if self.panel.busy:
            # the job stops at its next step and its thread ends with it; keep this dialog
            # (give it a parent) until then
            self.panel.cancel()
        super().done(code)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.panel.busy:
            self.panel.cancel()
        super().closeEvent(event)
