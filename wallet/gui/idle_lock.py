"""Lock after a time without user input.

An event filter on the QApplication sees every key, mouse, wheel and touch event of
every window and restarts a single-shot timer; when it fires, :attr:`IdleLock.idle`
is emitted and the session locks the wallet.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer, Signal

__all__ = ["IdleLock"]

_INPUT = frozenset({
    QEvent.Type.KeyPress, QEvent.Type.KeyRelease, QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease,
    QEvent.Type.MouseButtonDblClick, QEvent.Type.MouseMove, QEvent.Type.Wheel, QEvent.Type.TouchBegin,
    QEvent.Type.TouchUpdate, QEvent.Type.ShortcutOverride, QEvent.Type.TabletPress, QEvent.Type.TabletMove,
})


class IdleLock(QObject):
    """``timeout_ms`` of no input emits :attr:`idle`; 0 or less never does."""

    idle = Signal()

    def __init__(self, timeout_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.idle)
        self._timeout = 0
        self._installed = False
        self.set_timeout(timeout_ms)

    @classmethod
    def from_minutes(cls, minutes: float, parent: QObject | None = None) -> IdleLock:
        return cls(int(max(0.0, float(minutes)) * 60_000), parent)

    @property
    def timeout_ms(self) -> int:
        return self._timeout

    @property
    def active(self) -> bool:
        return self._timer.isActive()

    def set_timeout(self, timeout_ms: int) -> None:
        self._timeout = max(0, int(timeout_ms))
        if self._timeout:
            self._timer.setInterval(self._timeout)
        if self._installed:
            self.start()

    def start(self) -> None:
        app = QCoreApplication.instance()
        if app is not None and not self._installed:
            app.installEventFilter(self)
            self._installed = True
        if self._timeout:
            self._timer.start()
        else:
            self._timer.stop()

    def stop(self) -> None:
        self._timer.stop()
        app = QCoreApplication.instance()
        if app is not None and self._installed:
            app.removeEventFilter(self)
        self._installed = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _INPUT and self._timeout:
            self._timer.start()
        return False
