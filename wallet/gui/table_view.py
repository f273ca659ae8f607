"""The app's list tables: whole rows selected one at a time, alternating row colours,
no row numbers, one line a row."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QEvent, QObject, Qt
from PySide6.QtGui import QFontMetrics, QHelpEvent
from PySide6.QtWidgets import QAbstractItemView, QTableView, QToolTip, QWidget

from .plain_text import safe_tooltip

__all__ = ["follow_font", "row_table"]


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
    follow_font(table, padding)
    table.viewport().installEventFilter(_ElidedTips(table))
    return table


def follow_font(table: QTableView, padding: int) -> None:
    """Keep ``table``'s rows one line plus ``padding`` pixels high when its font changes."""
    table.installEventFilter(_RowHeight(padding, table))


class _ElidedTips(QObject):
    """A cell whose text is cut ("…") shows the whole text as its tooltip, unless the
    model gives a tooltip of its own."""

    def __init__(self, table: QTableView) -> None:
        super().__init__(table)
        self._table = table

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.ToolTip or not isinstance(event, QHelpEvent):
            return False
        index = self._table.indexAt(event.pos())
        if not index.isValid() or index.data(Qt.ItemDataRole.ToolTipRole):
            return False
        text = index.data(Qt.ItemDataRole.DisplayRole)
        if not isinstance(text, str) or not text:
            return False
        width = self._table.visualRect(index).width() - 8
        if QFontMetrics(self._table.font()).horizontalAdvance(text) <= width:
            QToolTip.hideText()
            return True
        QToolTip.showText(event.globalPos(), safe_tooltip(text), self._table.viewport())
        return True


class _RowHeight(QObject):
    """Keeps a table's rows one line high when its font changes (the text size setting)."""

    def __init__(self, padding: int, table: QTableView) -> None:
        super().__init__(table)
        self._padding = padding
        self._table = table

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._table and event.type() == QEvent.Type.FontChange:
            height = QFontMetrics(self._table.font()).height() + self._padding
            self._table.verticalHeader().setDefaultSectionSize(height)
        return False
