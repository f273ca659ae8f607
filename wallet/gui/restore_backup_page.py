"""After restoring a wallet from its recovery phrase: bring back its records from the
latest backup on IPFS.

The latest backup's CID is read from the chain (:meth:`Backups.restore` with no CID),
fetched from IPFS — from any node that keeps it; a peer address helps on a network
without discovery, such as the old computer on the same Wi-Fi — decrypted with the key
only the phrase gives, and imported all or nothing. Work runs on a worker thread with
progress; the page ends with the counts imported.

:class:`RestoreBackupPanel` is the page itself (a QWidget, to put in a wizard or a
window); :class:`RestoreBackupDialog` shows it on its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QCloseEvent, QFontDatabase
from PySide6.QtWidgets import (
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
from .badges import PillLabel, hint_label
from .icon import app_icon
from .plain_text import plain_label
from .progress import show_progress
from .single_job import SingleJob
from .theme import set_text_tone

if TYPE_CHECKING:
    from ..services import ImportResult

__all__ = ["RestoreBackupDialog", "RestoreBackupPanel", "cid_problem", "peer_problem", "restored_text"]

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


def restored_text(cid: str, result: ImportResult) -> str:
    """``Restored 75 records from bafy…`` and what was already in the wallet."""
    text = f"Restored {result.total:,} record{'s' if result.total != 1 else ''} from {cid}"
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
        explain = hint_label("If you backed up this wallet to IPFS before, its latest backup is recorded on chain. "
                             "Health Wallet can fetch it and import your records; only your recovery phrase opens it. "
                             "A computer that keeps the backup (your old one, or a pinning service) must be online.",
                             self)
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
        form = QFormLayout()
        form.addRow("Node that keeps it", self.peer)
        form.addRow("Backup CID", self.cid)
        form.addRow("", self.input_problem)
        peer_hint = hint_label("On your old computer, 'health-wallet serve' prints its addresses. Leave both fields "
                               "empty to look the backup up on chain and find it on the IPFS network.", self)

        self.step = plain_label("", self, selectable=False)
        self.bar = QProgressBar(self)
        self.bar.setTextVisible(False)
        self.bar.hide()
        self.result_pill = PillLabel("", "muted", self)
        self.result_pill.hide()
        self.result = plain_label("", self)
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
        layout.addSpacing(6)
        layout.addLayout(form)
        layout.addWidget(peer_hint)
        layout.addSpacing(6)
        layout.addWidget(self.step)
        layout.addWidget(self.bar)
        layout.addWidget(self.result_pill, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.result)
        layout.addWidget(self.counts, 1)
        layout.addStretch(0)
        layout.addLayout(buttons)
        self._check()

    def __repr__(self) -> str:
        return f"RestoreBackupPanel(busy={self.busy})"

    @property
    def busy(self) -> bool:
        return self._job.running

    def _check(self) -> None:
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
        self.step.setText("Starting this computer's IPFS node…")
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
        show_progress(self.bar, self.step, progress, finished=".")

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
