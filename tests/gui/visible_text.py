"""What a person sees on a screen: the text of every visible label, button, check box,
line edit placeholder, table header and table cell (visible columns only)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLabel, QLineEdit, QTableView, QTreeWidget, QWidget


def visible_text(root: QWidget) -> str:
    """One line per visible piece of text under ``root`` (``root`` must be shown)."""
    parts: list[str] = []
    for widget in root.findChildren(QWidget):
        if not widget.isVisibleTo(root) or not widget.isVisible():
            continue
        if isinstance(widget, QLabel | QAbstractButton):
            parts.append(widget.text())
        elif isinstance(widget, QLineEdit):
            parts += [widget.text(), widget.placeholderText()]
        elif isinstance(widget, QTableView) and widget.model() is not None:
            model = widget.model()
            columns = [c for c in range(model.columnCount()) if not widget.isColumnHidden(c)]
            parts += [str(model.headerData(c, Qt.Orientation.Horizontal) or "") for c in columns]
            parts += [str(model.index(r, c).data() or "") for r in range(model.rowCount()) for c in columns]
        elif isinstance(widget, QTreeWidget):
            parts += [widget.headerItem().text(c) for c in range(widget.columnCount())]
    return "\n".join(p for p in parts if p)
