"""A "Details" disclosure: a small arrow button that shows or hides the technical part of
a patient screen (content ids, node addresses, chain transactions), closed by default.

Also :func:`plain_step`, which puts a background job's step ("Encrypting and publishing
to IPFS") in the words a patient screen uses ("Encrypting your records").
"""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QToolButton, QVBoxLayout, QWidget

from ..events import Progress

__all__ = ["Disclosure", "plain_progress", "plain_step"]

W = TypeVar("W", bound=QWidget)

_PLAIN_STEPS = {
    "Encrypting and publishing to IPFS": "Encrypting your records",
    "Recording the backup on chain": "Recording where your backup is",
    "Looking up the latest backup on chain": "Looking up your latest backup",
    "Fetching the backup from IPFS": "Fetching your backup",
}


def plain_step(message: str) -> str:
    """``message`` without the words of the machinery; unknown steps pass unchanged."""
    return _PLAIN_STEPS.get(message, message)


def plain_progress(progress: Progress) -> Progress:
    return Progress(progress.done, progress.total, plain_step(progress.message))


class Disclosure(QWidget):
    """A "Details" toggle and the widgets it shows; :meth:`add` puts a widget behind it."""

    toggled = Signal(bool)

    def __init__(self, text: str = "Details", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.button = QToolButton(self)
        self.button.setText(text)
        self.button.setCheckable(True)
        self.button.setAutoRaise(True)
        self.button.setArrowType(Qt.ArrowType.RightArrow)
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.button.setAccessibleName(f"Show {text.lower()}")
        self.body = QWidget(self)
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(18, 0, 0, 0)
        self.body.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.body)
        self.button.toggled.connect(self._toggled)

    def __repr__(self) -> str:
        return f"Disclosure({self.button.text()!r}, shown={self.shown})"

    @property
    def shown(self) -> bool:
        return self.button.isChecked()

    def set_shown(self, shown: bool) -> None:
        self.button.setChecked(shown)

    def add(self, widget: W) -> W:
        self.body_layout.addWidget(widget)
        return widget

    def _toggled(self, shown: bool) -> None:
        self.button.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self.body.setVisible(shown)
        self.toggled.emit(shown)
