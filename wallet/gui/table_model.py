"""The base of the app's simple table models, and the pager of the records table.

- :class:`RowsTableModel`: a list of rows shown under fixed headers. A subclass sets
  :attr:`RowsTableModel.HEADERS` and writes ``data()``; it gets the row and column
  counts, the horizontal header, and :meth:`~RowsTableModel.set_rows`,
  :meth:`~RowsTableModel.clear`, :meth:`~RowsTableModel.row_at` and
  :meth:`~RowsTableModel.rows`. Models that load lazily or sort themselves
  (:class:`~wallet.gui.models.RecordTableModel`) keep their own bookkeeping.
- :class:`StorePager`: the page fetcher of :class:`~wallet.gui.models.RecordTableModel`
  over the store's position index, optionally narrowed by the full-text search.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from ..services import StoredSummary, UnlockedWallet

__all__ = ["Index", "RowsTableModel", "StorePager"]

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


class StorePager:
    """``(limit, offset) -> rows``, newest first, of one view (``None``: every record) of the
    wallet's active profile, read through the store's position index
    (``UnlockedWallet.summaries``: views, naming and profile rules as everywhere else).
    ``text``: only the records the full-text search finds for it. ``limit`` -1 reads every
    remaining row (for lists small enough to hold)."""

    def __init__(self, wallet: UnlockedWallet, *, category: str | None = None, text: str | None = None) -> None:
        self._wallet = wallet
        self.category = category
        self.text = text

    def count(self) -> int:
        """How many rows the pager pages through (counted by the store)."""
        return self._wallet.count(category=self.category, text=self.text)

    def __call__(self, limit: int, offset: int) -> list[StoredSummary]:
        return self._wallet.summaries(category=self.category, text=self.text, limit=limit, offset=offset)
