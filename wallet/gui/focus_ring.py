"""A focus ring that is always visible: a 2-pixel rounded frame in the palette's
highlight colour drawn around whichever widget has the keyboard focus.

Fusion marks focus faintly (a thin line on buttons, a dotted cell in tables) and a
style sheet ring would replace each widget's own drawing, so the ring is a
:class:`QFocusFrame` of its own, which Qt keeps above the focused widget as it moves
and resizes. :func:`install_focus_ring` follows ``QApplication.focusChanged``.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QRectF, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QApplication, QFocusFrame, QWidget
from shiboken6 import isValid

__all__ = ["FocusRing", "install_focus_ring"]

RING_WIDTH = 2


class FocusRing(QFocusFrame):
    """The ring around one widget at a time (:meth:`QFocusFrame.setWidget`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(self.palette().color(QPalette.ColorGroup.Active, QPalette.ColorRole.Highlight), RING_WIDTH)
        painter.setPen(pen)
        half = RING_WIDTH / 2
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(half, half, -half, -half), 3, 3)
        painter.end()


class _Follower(QObject):
    OBJECT_NAME = "health-wallet-focus-ring"

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self.setObjectName(self.OBJECT_NAME)
        self.ring: FocusRing | None = None
        app.focusChanged.connect(self._moved)

    def _moved(self, _old: QWidget | None, new: QWidget | None) -> None:
        if self.ring is None or not isValid(self.ring):  # deleted with the window it was in
            self.ring = FocusRing()
        if new is None or new.isWindow():
            self.ring.setWidget(None)  # type: ignore[arg-type]  # Qt takes no widget: the ring goes
            self.ring.hide()
            return
        self.ring.setWidget(new)
        self.ring.show()
        self.ring.raise_()


def install_focus_ring(app: QApplication) -> QObject:
    """Show :class:`FocusRing` around the focused widget of every window of ``app`` (once)."""
    follower = app.findChild(_Follower, _Follower.OBJECT_NAME)
    return follower if isinstance(follower, _Follower) else _Follower(app)
