"""Whether sharing works, in words, for the main window's status bar.

The bar says "Sharing: ready", "Sharing: starting…" or "Sharing: offline" (with what
to do in its tooltip). The technical parts (the IPFS node, the chain and its id, and
the window's address) stay behind the "Details" button beside it, which opens them in a
small popup above the bar (sized to fit the screen; a click elsewhere or Escape closes
it) rather than inline, where a 1024-pixel-wide window would cut them off.

Shows the IPFS backend (this wallet's embedded node, or the Kubo RPC address), whether
it is starting, running or failed, and its peer count; and the chain in use. Probing
runs on a worker thread every few seconds (a probe waits at most about a second for a
node that is still starting) and a probe is never started while the last one runs,
so the GUI thread never waits on a network.

The probe is :func:`wallet.services.probe_network`. Opening the wallet's IPFS node is what
starting means here: the first probe starts the embedded node in the background. The first
probe waits until the widget has been painted, and a little longer: loading the node and
the chain on a worker still takes the interpreter from the GUI thread now and then, and
the window's first paint should not wait for that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPoint, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QMouseEvent, QPaintEvent
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QToolButton, QWidget

from ..events import CancelToken, ProgressSink
from ..services import UnlockedWallet
from .badges import PillLabel
from .plain_text import safe_tooltip
from .workers import JobRunner, retire_runner

if TYPE_CHECKING:
    from ..services import NetworkStatus

__all__ = ["DetailsPopup", "NetworkStatus", "NetworkStatusWidget", "chain_text", "ipfs_text", "popup_rect",
           "sharing_text"]

FIRST_PROBE_AFTER_PAINT_MS = 300


def __getattr__(name: str) -> Any:
    if name == "NetworkStatus":  # shown here; loaded with the first probe, after the window's first paint
        from ..services import NetworkStatus

        return NetworkStatus
    raise AttributeError(name)

_IPFS_TONE = {"off": "muted", "starting": "warn", "running": "good", "error": "bad"}
_CHAIN_TONE = {"off": "muted", "connected": "good", "error": "bad"}


def ipfs_text(status: NetworkStatus) -> str:
    """``embedded node · running · 2 peers``"""
    parts = [status.ipfs_backend, status.ipfs_state if status.ipfs_state != "off" else "not started"]
    if status.ipfs_state == "running":
        if status.peers is not None:
            parts.append(f"{status.peers} peer{'s' if status.peers != 1 else ''}")
        elif status.peer_id:
            parts.append(f"node {status.peer_id[:8]}…{status.peer_id[-4:]}")
    return " · ".join(parts)


def sharing_text(status: NetworkStatus | None) -> tuple[str, str, str]:
    """``(words, tone, what to do)`` for the status bar: ``("Sharing: ready", "good", …)``."""
    if status is None:
        return "Sharing: off", "muted", "Sharing starts when the wallet is unlocked."
    if status.ipfs_state == "error" or status.chain_state == "error":
        return ("Sharing: offline", "bad", "Sharing and backups wait until this computer is online again. Check the "
                "internet connection; the wallet tries again by itself every few seconds.")
    if status.ipfs_state == "starting":
        return "Sharing: starting…", "warn", "Getting ready to share; this takes a few seconds after unlocking."
    if status.ipfs_state == "off":
        return "Sharing: off", "muted", "Sharing starts when you share or back up."
    return "Sharing: ready", "good", "You can share records with a doctor and back up your wallet."


def chain_text(status: NetworkStatus) -> str:
    if status.chain_state == "off":
        return f"{status.chain} · not connected"
    if status.chain_state == "error":
        return f"{status.chain} · unreachable"
    return f"{status.chain} · id {status.chain_id}"


def popup_rect(anchor: QRect, size: tuple[int, int], screen: QRect, *, gap: int = 4) -> QRect:
    """Where a popup of ``size`` (width, height) goes for a button at ``anchor`` (global
    coordinates): above it when there is room, else below, kept inside ``screen``."""
    width, height = min(size[0], screen.width()), min(size[1], screen.height())
    x = min(max(anchor.left(), screen.left()), screen.right() - width + 1)
    y = anchor.top() - gap - height
    if y < screen.top():
        y = min(anchor.bottom() + 1 + gap, screen.bottom() - height + 1)
    return QRect(x, max(y, screen.top()), width, height)


class DetailsPopup(QFrame):
    """The status details in a small frame of their own (a popup window): closes on a
    click outside or Escape and says so with :attr:`closed`."""

    closed = Signal()
    MAX_WIDTH = 520

    def __init__(self, anchor: QWidget) -> None:
        super().__init__(anchor, Qt.WindowType.Popup)
        self.anchor = anchor
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Sharing details")
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(10, 8, 10, 8)
        self.grid.setHorizontalSpacing(8)
        self.grid.setVerticalSpacing(6)

    def add_row(self, left: QWidget | None, right: QWidget) -> None:
        row = self.grid.rowCount()
        if left is None:
            self.grid.addWidget(right, row, 0, 1, 2)
        else:
            self.grid.addWidget(left, row, 0, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            self.grid.addWidget(right, row, 1)

    def open_at_anchor(self) -> None:
        screen = self.anchor.screen().availableGeometry()
        self.setMaximumWidth(min(self.MAX_WIDTH, screen.width() - 16))
        self.adjustSize()
        hint = self.sizeHint()
        top_left = self.anchor.mapToGlobal(QPoint(0, 0))
        self.setGeometry(popup_rect(QRect(top_left, self.anchor.size()), (hint.width(), hint.height()), screen))
        self.show()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        anchor = QRect(self.anchor.mapToGlobal(QPoint(0, 0)), self.anchor.size())
        if anchor.contains(event.globalPosition().toPoint()):
            self.setAttribute(Qt.WidgetAttribute.WA_NoMouseReplay)  # the click on "Details" only closes
        super().mousePressEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.closed.emit()


class NetworkStatusWidget(QWidget):
    """"Sharing: …" and a Details button; the popup behind it has a pill and a line each for
    IPFS and Chain, and whatever :meth:`add_detail` adds. :meth:`start` with an unlocked
    wallet, :meth:`stop` before it locks."""

    changed = Signal(object)  # NetworkStatus
    details_toggled = Signal(bool)  # the technical details shown or hidden

    def __init__(self, parent: QWidget | None = None, *, interval_ms: int = 5000, ready_timeout: float = 1.0,
                 chain: bool = True) -> None:
        super().__init__(parent)
        self._wallet: UnlockedWallet | None = None
        self._runner: JobRunner | None = None
        self._probing = False
        self._ready_timeout = ready_timeout
        self._chain = chain
        self._start_node = True
        self._painted = False
        self._first_probe_pending = False
        self.status: NetworkStatus | None = None
        self.sharing_pill = PillLabel("Sharing: off", "muted", self)
        self.sharing_pill.setAccessibleName("Sharing status")
        self.details_button = QToolButton(self)
        self.details_button.setText("Details")
        self.details_button.setCheckable(True)
        self.details_button.setAutoRaise(True)
        self.details_button.setArrowType(Qt.ArrowType.RightArrow)
        self.details_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.details_button.setToolTip("Show the technical details: the IPFS node, the network, the address")
        self.details_button.toggled.connect(self.show_details)
        self.popup = DetailsPopup(self.details_button)
        self.popup.closed.connect(lambda: self.details_button.setChecked(False))
        self.ipfs_pill = PillLabel("IPFS", "muted", self.popup)
        self.ipfs_label = QLabel(self.popup)
        self.chain_pill = PillLabel("Chain", "muted", self.popup)
        self.chain_label = QLabel(self.popup)
        self.more_label = QLabel(self.popup)  # the peer id and what went wrong, when known
        for label in (self.ipfs_label, self.chain_label, self.more_label):
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.ipfs_label.setAccessibleName("IPFS status")
        self.chain_label.setAccessibleName("Chain status")
        self.popup.add_row(self.ipfs_pill, self.ipfs_label)
        self.popup.add_row(self.chain_pill, self.chain_label)
        self.popup.add_row(None, self.more_label)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 6, 0)
        layout.setSpacing(5)
        layout.addWidget(self.sharing_pill)
        layout.addWidget(self.details_button)
        self.show_details(False)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.probe)
        self._show(None)

    def __repr__(self) -> str:
        return f"NetworkStatusWidget({self.status.ipfs_state if self.status else 'off'})"

    @property
    def details_shown(self) -> bool:
        return self.details_button.isChecked()

    def add_detail(self, widget: QWidget, label: str = "") -> None:
        """Put ``widget`` (e.g. the wallet's address) in the details popup, under ``label``."""
        title = None
        if label:
            title = QLabel(label, self.popup)
            title.setTextFormat(Qt.TextFormat.PlainText)
        widget.setParent(self.popup)
        self.popup.add_row(title, widget)
        widget.show()  # shown with the popup

    def show_details(self, shown: bool) -> None:
        """Open (or close) the popup with the IPFS and chain lines above "Details"."""
        if self.details_button.isChecked() != shown:
            self.details_button.setChecked(shown)  # comes back here through toggled
            return
        self.details_button.setArrowType(Qt.ArrowType.UpArrow if shown else Qt.ArrowType.RightArrow)
        self.chain_pill.setVisible(self._chain)
        self.chain_label.setVisible(self._chain)
        self.more_label.setVisible(bool(self.more_label.text()))
        if shown:
            self.popup.setAttribute(Qt.WidgetAttribute.WA_NoMouseReplay, False)
            self.popup.open_at_anchor()
        elif self.popup.isVisible():
            self.popup.hide()
        self.details_toggled.emit(shown)

    def start(self, wallet: UnlockedWallet, *, start_node: bool = True) -> None:
        """Probe now and every few seconds; ``start_node=False`` leaves IPFS alone (shown as not started)."""
        self.stop()
        self._wallet = wallet
        self._start_node = start_node
        self._timer.start()
        self._first_probe_pending = True
        if self._painted:
            self._schedule_first_probe()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            if self._first_probe_pending:
                self._schedule_first_probe()

    def _schedule_first_probe(self) -> None:
        self._first_probe_pending = False
        QTimer.singleShot(FIRST_PROBE_AFTER_PAINT_MS, self, self.probe)

    def stop(self) -> None:
        """Stop probing; waits for a running probe (about a second at most)."""
        self._timer.stop()
        self._first_probe_pending = False
        retire_runner(self._runner)
        self._runner = None
        self._wallet = None
        self._probing = False
        self._show(None)

    def probe(self) -> None:
        if self._wallet is None or self._probing:
            return
        if self._runner is None:  # the probing thread starts with the first probe, after the first paint
            self._runner = JobRunner("network-status", self)
        from ..services import NetworkStatus, probe_network  # after the window's first paint

        wallet, timeout, chain, start_node = self._wallet, self._ready_timeout, self._chain, self._start_node

        def job(_progress: ProgressSink, _cancel: CancelToken) -> NetworkStatus:
            return probe_network(wallet, ready_timeout=timeout, chain=chain, start_node=start_node)

        self._probing = True
        if self.status is None and start_node:  # the first probe opens the node
            self._show(NetworkStatus.starting(wallet.app))
        self._runner.submit(job, on_done=self._probed, on_failed=self._probe_failed)

    def _probed(self, status: NetworkStatus) -> None:
        self._probing = False
        self._show(status)
        self.changed.emit(status)

    def _probe_failed(self, message: str) -> None:
        from ..services import NetworkStatus

        self._probing = False
        self._show(NetworkStatus("IPFS", "error", ipfs_detail=message))

    def _show(self, status: NetworkStatus | None) -> None:
        self.status = status
        words, tone, advice = sharing_text(status)
        self.sharing_pill.set_status(words, tone)
        self.sharing_pill.setToolTip(advice)
        if status is None:
            self.ipfs_pill.set_status("IPFS", "muted")
            self.ipfs_label.setText("not started")
            self.chain_pill.set_status("Chain", "muted")
            self.chain_label.setText("not connected")
            self.more_label.clear()
            self.more_label.hide()
            self.setToolTip("")
            return
        self.ipfs_pill.set_status("IPFS", _IPFS_TONE[status.ipfs_state])
        self.ipfs_label.setText(ipfs_text(status))
        self.chain_pill.set_status("Chain", _CHAIN_TONE[status.chain_state])
        self.chain_label.setText(chain_text(status))
        tip = [f"IPFS: {ipfs_text(status)}"]
        if status.peer_id:
            tip.append(f"Peer id {status.peer_id}")
        if status.ipfs_detail:
            tip.append(status.ipfs_detail)
        tip.append(f"Chain: {status.chain_detail or chain_text(status)}")
        text = safe_tooltip("\n".join(tip))
        for widget in (self.ipfs_pill, self.ipfs_label, self.chain_pill, self.chain_label):
            widget.setToolTip(text)
        more = [f"Peer id {status.peer_id}"] if status.peer_id else []
        more += [d for d in (status.ipfs_detail, status.chain_detail) if d]
        self.more_label.setText("\n".join(more))
        self.more_label.setVisible(bool(more))

