"""The app icon, read from the package (``wallet/gui/resources``) so installed and
frozen builds find it, and rendered with QtSvg at the usual sizes."""

from __future__ import annotations

from functools import cache
from importlib import resources

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

__all__ = ["app_icon", "icon_pixmap"]

_SIZES = (16, 24, 32, 48, 64, 128, 256)


def _svg() -> QByteArray:
    return QByteArray(resources.files("wallet.gui").joinpath("resources", "icon.svg").read_bytes())


def icon_pixmap(size: int) -> QPixmap:
    renderer = QSvgRenderer(_svg())
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
