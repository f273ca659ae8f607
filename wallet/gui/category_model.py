"""The main window's list of categories: Overview, All records and the browsed categories,
each with its count (:class:`~wallet.services.RecordCounts`: the wallet's own activity is
never counted). Testable without widgets.

A module of its own so that the window, which opens on the overview page, does not load
the record table models (:mod:`.models`) before a category is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from ..services import ALL_RECORDS, BROWSED_CATEGORIES, INSURANCE

__all__ = ["OVERVIEW", "CategoryListModel", "CountRole"]

OVERVIEW = "Overview"
CountRole = Qt.ItemDataRole.UserRole + 3  # after the record models' SummaryRole and SortRole

_Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()  # the invalid index: the root of a list model


class CategoryListModel(QAbstractListModel):
    """Overview first (the at-a-glance page, counting every health record), then All records
    (the timeline: every record but insurance and billing), then the browsed categories
    (:data:`~wallet.services.BROWSED_CATEGORIES`), with counts."""

    NAMES = (OVERVIEW, ALL_RECORDS, *BROWSED_CATEGORIES)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._counts: dict[str, int] = dict.fromkeys(BROWSED_CATEGORIES, 0)

    def set_counts(self, counts: Mapping[str, int]) -> None:
        """``counts``: records per category (``UnlockedWallet.counts_by_category``)."""
        self._counts = {name: int(counts.get(name, 0)) for name in BROWSED_CATEGORIES}
        self.dataChanged.emit(self.index(0), self.index(len(self.NAMES) - 1))

    def count(self, name: str) -> int:
        if name == OVERVIEW:
            return self.total
        if name == ALL_RECORDS:
            return self.total - self._counts.get(INSURANCE, 0)
        return self._counts.get(name, 0)

    @property
    def total(self) -> int:
        return sum(self._counts.values())

    def category_at(self, row: int) -> str | None:
        """The view of ``row`` (a category or All records); ``None`` for the Overview page."""
        name = self.NAMES[row]
        return None if name == OVERVIEW else name

    def row_of(self, category: str | None) -> int:
        return self.NAMES.index(category or OVERVIEW)

    def rowCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.NAMES)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        name = self.NAMES[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return name
        if role == CountRole:
            return self.count(name)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            n = self.count(name)
            return f"{name}, {n} record{'s' if n != 1 else ''}"
        return None
