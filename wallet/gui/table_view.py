"""The app's list tables: whole rows selected one at a time, alternating row colours,
no row numbers, one line a row."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QAbstractItemView, QTableView, QWidget

__all__ = ["row_table"]


def row_table(parent: QWidget, name: str, *, model: QAbstractItemModel | None = None,
              padding: int = 10) -> QTableView:
    """A table named ``name`` for screen readers, showing ``model`` if given; each row is
    the font's height plus ``padding`` pixels."""
    table = QTableView(parent)
    if model is not None:
        table.setModel(model)
    table.setAccessibleName(name)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(QFontMetrics(parent.font()).height() + padding)
    return table
