"""Status words drawn as coloured pills, big verdict pills, and quiet hint lines.

Colours are fixed (a status colour means the same in light and dark themes); the text
on them is white or near-black at a WCAG contrast of at least 4.5:1. The word is always
written out, so nothing depends on seeing the colour.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

__all__ = ["TONES", "PillLabel", "Tone", "contrast_ratio", "hint_label", "paint_pill", "verdict_label"]


@dataclass(frozen=True)
class Tone:
    background: str
    foreground: str


TONES: dict[str, Tone] = {
    "good": Tone("#1a7f37", "#ffffff"),  # verified, valid, running
    "bad": Tone("#b3261e", "#ffffff"),  # invalid, revoked, error
    "warn": Tone("#9a6700", "#ffffff"),  # unverified, starting, not enough space
    "muted": Tone("#5c636c", "#ffffff"),  # expired, stopped, unknown
}


def paint_pill(painter: QPainter, rect: QRect, text: str, tone: str, font: QFont) -> QRect:
    """Draw ``text`` on a rounded pill at the left of ``rect``; returns the pill's rectangle."""
    colours = TONES[tone]
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setFont(font)
    metrics = painter.fontMetrics()
    height = metrics.height() + 4
    width = metrics.horizontalAdvance(text) + 14
    pill = QRect(rect.left(), rect.top() + (rect.height() - height) // 2, width, height)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(colours.background))
    painter.drawRoundedRect(pill, height / 2, height / 2)
    painter.setPen(QColor(colours.foreground))
    painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)
    painter.restore()
    return pill


class PillLabel(QLabel):
    """A label drawn as a pill: the status word on its colour. Plain text only."""

    def __init__(self, text: str = "", tone: str = "muted", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.tone = tone
        self.set_status(text, tone)

    def set_status(self, text: str, tone: str) -> None:
        if tone not in TONES:
            raise ValueError(f"unknown tone {tone!r}")
        self.tone = tone
        self.setText(text)
        self.setAccessibleName(text)
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        font = QFont(self.font())
        font.setBold(True)
        metrics = QFontMetrics(font)
        return QSize(metrics.horizontalAdvance(self.text()) + 18, metrics.height() + 6)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def paintEvent(self, _event: object) -> None:
        if not self.text():
            return
        painter = QPainter(self)
        font = QFont(self.font())
        font.setBold(True)
        paint_pill(painter, self.rect().adjusted(1, 1, -1, -1), self.text(), self.tone, font)
        painter.end()


def verdict_label(parent: QWidget | None = None, *, scale: float = 2.0) -> PillLabel:
    """A big pill for a verdict (``VALID`` / ``INVALID``): white on its colour, legible in
    light and dark themes alike."""
    label = PillLabel("", "muted", parent)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * scale)
    font.setBold(True)
    label.setFont(font)
    return label


def hint_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A quieter explanatory line (the palette's placeholder colour, which keeps a 4.5:1
    contrast; a disabled label would not). Plain text, wrapped."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    label.setText(text)
    return label


def _luminance(colour: str) -> float:
    c = QColor(colour)

    def channel(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF())


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
