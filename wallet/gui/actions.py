"""Window actions: a menu entry with its shortcut, status tip and tooltip in one call."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

__all__ = ["make_action"]


def make_action(window: QWidget, text: str, shortcut: QKeySequence | QKeySequence.StandardKey | str | None,
                slot: Any, tip: str = "") -> QAction:
    """An action owned by and added to ``window``: ``shortcut`` works anywhere in the
    window, ``tip`` shows in the status bar and, with the shortcut, as the tooltip."""
    action = QAction(text, window)
    has_shortcut = shortcut is not None and not (isinstance(shortcut, str) and not shortcut)
    if shortcut is not None and has_shortcut:
        action.setShortcut(shortcut)
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    if tip:
        action.setStatusTip(tip)
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip} ({keys})" if has_shortcut else tip)
    action.triggered.connect(slot)
    window.addAction(action)
    return action
