"""The base of the app's simple table models: a list of rows shown under fixed headers.

A subclass sets :attr:`RowsTableModel.HEADERS` and writes ``data()``; it gets the row
and column counts, the horizontal header, and :meth:`~RowsTableModel.set_rows`,
:meth:`~RowsTableModel.clear`, :meth:`~RowsTableModel.row_at` and
:meth:`~RowsTableModel.rows`. Models that load lazily or sort themselves
(:class:`~wallet.gui.models.RecordTableModel`) keep their own bookkeeping.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

__all__ = ["Index", "RowsTableModel"]

Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()


class RowsTableModel(QAbstractTableModel):
    """Rows (any objects) under :attr:`HEADERS`, one column a header."""

    HEADERS: tuple[str, ...] = ()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Any] = []

    def set_rows(self, rows: Iterable[Any]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def clear(self) -> None:
        self.set_rows([])

    def row_at(self, row: int) -> Any:
        return self._rows[row]

    def rows(self) -> list[Any]:
        return list(self._rows)

    def item(self, index: Index) -> Any | None:
        """The row object behind ``index``, or ``None`` for an index outside the rows."""
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        return self._rows[index.row()]

    def header(self, section: int) -> str:
        """The title of column ``section`` (a subclass may word it for its case)."""
        return self.HEADERS[section]

    def rowCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.header(section)
        return None
