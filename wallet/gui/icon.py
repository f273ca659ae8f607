"""The app's icons.

- :func:`app_icon`: read from the package (``wallet/gui/resources``) so installed and
  frozen builds find it, and rendered with QtSvg at the usual sizes.
- :class:`LogoLabel`: the icon at one size, rendered the first time the label shows
  (the main window's welcome page is not shown at all when the wallet has records).
- :func:`lock_icon`: a padlock for the Lock action, drawn with QPainter in one
  mid-tone blue (:data:`LOCK_COLOUR`) that stands out at 3:1 or more on both the light
  and the dark window (Qt's standard icons are drawn for light backgrounds).
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap, QShowEvent
from PySide6.QtWidgets import QLabel, QWidget

__all__ = ["LOCK_COLOUR", "LogoLabel", "app_icon", "icon_pixmap", "lock_icon", "lock_pixmap"]

_SIZES = (16, 24, 32, 48, 64, 128, 256)
LOCK_COLOUR = "#3d7be0"


@cache
def _svg() -> bytes:
    from importlib import resources

    return resources.files("wallet.gui").joinpath("resources", "icon.svg").read_bytes()


def icon_pixmap(size: int) -> QPixmap:
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(QByteArray(_svg()))
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return pixmap


@cache
def app_icon() -> QIcon:
    icon = QIcon()
    for size in _SIZES:
        icon.addPixmap(icon_pixmap(size))
    return icon


class LogoLabel(QLabel):
    """The app icon at ``size`` pixels, rendered when the label is first shown."""

    def __init__(self, size: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._size = size
        self.setFixedHeight(size)

    def showEvent(self, event: QShowEvent) -> None:
        if self.pixmap().isNull():
            self.setPixmap(icon_pixmap(self._size))
        super().showEvent(event)


def lock_pixmap(size: int) -> QPixmap:
    """A closed padlock: a shackle over a filled body with a keyhole cut out."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.scale(size / 16, size / 16)  # drawn on a 16-unit grid
    colour = QColor(LOCK_COLOUR)
    pen = QPen(colour, 1.8)
    pen.setCapStyle(Qt.PenCapStyle.FlatCap)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    shackle = QPainterPath()
    shackle.moveTo(4.9, 7.5)
    shackle.lineTo(4.9, 5.1)
    shackle.arcTo(QRectF(4.9, 1.9, 6.2, 6.2), 180, -180)
    shackle.lineTo(11.1, 7.5)
    painter.drawPath(shackle)
    body = QPainterPath()
    body.addRoundedRect(QRectF(2.5, 7.0, 11.0, 8.0), 1.6, 1.6)
    keyhole = QPainterPath()
    keyhole.addEllipse(QRectF(6.9, 9.0, 2.2, 2.2))
    keyhole.addRect(QRectF(7.5, 10.6, 1.0, 2.6))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    painter.drawPath(body.subtracted(keyhole))
    painter.end()
    return pixmap


@cache
def lock_icon() -> QIcon:
    icon = QIcon()
    for size in (16, 24, 32, 48, 64):
        icon.addPixmap(lock_pixmap(size))
    return icon
