"""Qt item models over the wallet's record summaries, testable without widgets.

- :class:`CategoryListModel`: Overview plus the categories, each with its count.
- :class:`RecordTableModel`: one category's summaries, fetched lazily in pages
  (``canFetchMore``/``fetchMore``), sorted in Python by a key per column.
- :class:`RecordFilterProxy`: the text filter; sorting is delegated to the source model
  (a Python key sort of 20,000 rows takes milliseconds, where the proxy's C++ sort
  would call back into Python for every comparison).
- :func:`trend_series`: measurements grouped by code, for the trend chart.

Everything shown comes from the records, so it is untrusted: display roles carry
plain text (item views never interpret it) and tooltips are escaped.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import compress
from operator import attrgetter
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush

from ..services import CATEGORIES, StoredSummary, UnlockedWallet, local_text, utc_text
from .plain_text import safe_tooltip
from .table_model import StorePager
from .theme import error_color

__all__ = [
    "COLUMNS",
    "MEASUREMENT_CATEGORIES",
    "OVERVIEW",
    "PAGE_SIZE",
    "CategoryListModel",
    "CountRole",
    "RecordFilterProxy",
    "RecordTableModel",
    "SortRole",
    "SummaryRole",
    "TrendPoint",
    "TrendSeries",
    "columns_for",
    "thinned_points",
    "trend_series",
]

OVERVIEW = "Overview"
MEASUREMENT_CATEGORIES = ("Lab results", "Vital signs")
PAGE_SIZE = 200

SummaryRole = Qt.ItemDataRole.UserRole + 1
SortRole = Qt.ItemDataRole.UserRole + 2
CountRole = Qt.ItemDataRole.UserRole + 3

_Index = QModelIndex | QPersistentModelIndex
PageFetcher = Callable[[int, int], Sequence[StoredSummary]]  # (limit, offset) -> rows
_ROOT = QModelIndex()  # the invalid index: the root of list and table models


# --- categories -----------------------------------------------------------------


class CategoryListModel(QAbstractListModel):
    """Overview first, then :data:`~wallet.records.summary.CATEGORIES`, with counts."""

    NAMES = (OVERVIEW, *CATEGORIES)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._counts: dict[str, int] = dict.fromkeys(CATEGORIES, 0)

    def set_counts(self, counts: Mapping[str, int]) -> None:
        self._counts = {name: int(counts.get(name, 0)) for name in CATEGORIES}
        self.dataChanged.emit(self.index(0), self.index(len(self.NAMES) - 1))

    def count(self, name: str) -> int:
        return self.total if name == OVERVIEW else self._counts.get(name, 0)

    @property
    def total(self) -> int:
        return sum(self._counts.values())

    def category_at(self, row: int) -> str | None:
        """The category of ``row``; ``None`` for the Overview (every record)."""
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


# --- records --------------------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    title: str
    display: Callable[[StoredSummary], str]
    key: Callable[[StoredSummary], Any]


def _value_text(s: StoredSummary) -> str:
    m = s.summary
    if m.value is None:
        return m.detail
    return m.value_text


def _range_text(s: StoredSummary) -> str:
    m = s.summary
    if m.low is None and m.high is None:
        return ""
    low = "" if m.low is None else f"{m.low:g}"
    high = "" if m.high is None else f"{m.high:g}"
    return f"{low}–{high} {m.unit}".strip()


_FLAGS = {"H": "High", "L": "Low"}

COLUMNS: dict[str, _Column] = {
    # local time with its zone; sorted by the instant (UTC), not by the text as written
    "date": _Column("Date", lambda s: local_text(s.summary.date), lambda s: utc_text(s.summary.date)),
    # "Other" says little in a timeline; the resource type (Claim, Patient...) says more
    "category": _Column("Category", lambda s: s.summary.category if s.summary.category != "Other"
                        else s.summary.resource_type, lambda s: s.summary.category),
    "title": _Column("What", lambda s: s.summary.title, lambda s: s.summary.title.casefold()),
    "detail": _Column("Details", lambda s: s.summary.detail, lambda s: s.summary.detail.casefold()),
    "type": _Column("Type", lambda s: s.summary.resource_type, lambda s: s.summary.resource_type),
    "value": _Column("Result", _value_text,
                     lambda s: (s.summary.value is None, s.summary.value or 0.0, s.summary.detail.casefold())),
    "range": _Column("Reference range", _range_text,
                     lambda s: (s.summary.low is None and s.summary.high is None, s.summary.low or 0.0,
                                s.summary.high or 0.0)),
    "flag": _Column("Flag", lambda s: _FLAGS.get(s.summary.flag, ""), lambda s: s.summary.flag),
}


def columns_for(category: str | None) -> tuple[str, ...]:
    if category is None:
        return ("date", "category", "title", "detail")
    if category in MEASUREMENT_CATEGORIES:
        return ("date", "title", "value", "range", "flag")
    return ("date", "title", "detail", "type")


class RecordTableModel(QAbstractTableModel):
    """Summaries of one category, newest first, fetched ``page_size`` at a time.

    ``fetch(limit, offset)`` returns rows in the store's order (newest first). Until
    :meth:`sort` is called with another column or order, rows stay in that order, so a
    lazily loaded table is correct at every moment. Any other sort is exact only once
    every row is loaded (:attr:`fully_loaded`); the caller loads the rest
    (:meth:`fetch_all`, or :meth:`extend_from` with rows read on a worker thread).
    """

    def __init__(self, fetch: PageFetcher, total: int, *, columns: Sequence[str] = columns_for(None),
                 page_size: int = PAGE_SIZE, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fetch = fetch
        self._total = max(0, int(total))
        self._columns = [COLUMNS[c] for c in columns]
        self.column_keys = tuple(columns)
        self._page = max(1, page_size)
        self._rows: list[StoredSummary] = []
        self._haystacks: list[str] = []
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self.paused = False  # True while a worker reads the rest: no page fetches meanwhile

    @classmethod
    def for_wallet(cls, wallet: UnlockedWallet, category: str | None, total: int, *, page_size: int = PAGE_SIZE,
                   text: str | None = None, parent: QObject | None = None) -> RecordTableModel:
        """Pages of ``category`` read through the store's indexes (:class:`~.table_model.StorePager`);
        ``text``: only the records the full-text search finds for it (``total`` counts those)."""
        return cls(StorePager(wallet, category=category, text=text), total, columns=columns_for(category),
                   page_size=page_size, parent=parent)

    # --- size and lazy loading ------------------------------------------------------

    @property
    def total(self) -> int:
        return self._total

    @property
    def loaded(self) -> int:
        return len(self._rows)

    @property
    def fully_loaded(self) -> bool:
        return len(self._rows) >= self._total

    def rowCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._columns)

    def canFetchMore(self, parent: _Index = _ROOT) -> bool:
        return not parent.isValid() and not self.paused and len(self._rows) < self._total

    def fetchMore(self, parent: _Index = _ROOT) -> None:
        if not self.canFetchMore(parent):
            return
        page = list(self._fetch(min(self._page, self._total - len(self._rows)), len(self._rows)))
        if not page:
            self._total = len(self._rows)  # the store shrank; stop asking
            return
        self._append(page)

    def fetch_all(self) -> None:
        """Load every remaining row now (on the calling thread)."""
        if self.fully_loaded:
            return
        rest = list(self._fetch(-1, len(self._rows)))
        self._total = len(self._rows) + len(rest)
        self._append(rest)

    def extend_from(self, offset: int, rows: Sequence[StoredSummary]) -> None:
        """Add rows read elsewhere, starting at store position ``offset``; the rows
        already here are kept and not repeated."""
        if offset > len(self._rows):
            return  # a gap: cannot place them
        fresh = list(rows[len(self._rows) - offset:])
        self._total = max(self._total, offset + len(rows))
        self._append(fresh)

    def _append(self, rows: list[StoredSummary]) -> None:
        if not rows:
            return
        if self._sort is None:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
            self._rows.extend(rows)
            self._haystacks.extend(map(_haystack, rows))
            self.endInsertRows()
            return
        # a custom order: insert then re-sort (timsort on sorted runs is fast)
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        self._rows.extend(rows)
        self._haystacks.extend(map(_haystack, rows))
        self.endInsertRows()
        self._apply_sort(self._sort)

    def clear(self) -> None:
        self.beginResetModel()
        self._rows.clear()
        self._haystacks.clear()
        self._total = 0
        self.endResetModel()

    # --- data ---------------------------------------------------------------------------

    def summary_at(self, row: int) -> StoredSummary:
        return self._rows[row]

    def haystack(self, row: int) -> str:
        """Lower-case text of a row, for the filter."""
        return self._haystacks[row]

    def rows(self) -> list[StoredSummary]:
        return list(self._rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        rec = self._rows[index.row()]
        col = self._columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return col.display(rec)
        if role == Qt.ItemDataRole.ToolTipRole:
            text = col.display(rec)
            if self.column_keys[index.column()] == "date" and rec.summary.date:
                text = f"{local_text(rec.summary.date)} (as written: {rec.summary.date})"
            return safe_tooltip(text) if text else None
        if role == SummaryRole:
            return rec
        if role == SortRole:
            return col.key(rec)
        if role == Qt.ItemDataRole.ForegroundRole and rec.summary.flag:
            return QBrush(error_color())
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._columns[section].title
        return None

    # --- sorting ------------------------------------------------------------------------

    @property
    def natural_order(self) -> bool:
        """True while rows are in the store's order, which lazy loading keeps exact."""
        return self._sort is None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if column < 0 or column >= len(self._columns):
            return
        date_col = self.column_keys.index("date") if "date" in self.column_keys else -1
        if column == date_col and order == Qt.SortOrder.DescendingOrder:
            # The store's own order. Restoring it exactly needs the original sequence,
            # which a stable sort by date descending gives for rows fetched in order.
            self._sort = None
            self._apply_sort((column, order))
            return
        self._sort = (column, order)
        self._apply_sort(self._sort)

    def _apply_sort(self, spec: tuple[int, Qt.SortOrder] | None) -> None:
        if spec is None:
            return
        column, order = spec
        key = self._columns[column].key
        self.layoutAboutToBeChanged.emit()
        old_persistent = self.persistentIndexList()
        old_rows = [self._rows[i.row()] for i in old_persistent]
        order_idx = sorted(range(len(self._rows)), key=lambda i: key(self._rows[i]),
                           reverse=order == Qt.SortOrder.DescendingOrder)
        self._rows = [self._rows[i] for i in order_idx]
        self._haystacks = [self._haystacks[i] for i in order_idx]
        if old_persistent:
            position = {id(r): n for n, r in enumerate(self._rows)}
            self.changePersistentIndexList(
                old_persistent,
                [self.index(position[id(r)], i.column()) for r, i in zip(old_rows, old_persistent, strict=False)],
            )
        self.layoutChanged.emit()


def _haystack(s: StoredSummary) -> str:
    m = s.summary
    return "\n".join((m.title, m.detail, m.date, m.category, m.resource_type, m.unit)).casefold()


class RecordFilterProxy(QSortFilterProxyModel):
    """Shows the rows whose text holds every word of the filter (case-insensitive)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._words: tuple[str, ...] = ()
        self.setDynamicSortFilter(True)

    @property
    def filter_words(self) -> tuple[str, ...]:
        return self._words

    def set_filter_text(self, text: str) -> None:
        words = tuple(text.casefold().split())
        if words == self._words:
            return
        if hasattr(self, "beginFilterChange"):  # Qt 6.9 and later
            self.beginFilterChange()
            self._words = words
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self._words = words
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        if not self._words:
            return True
        source = self.sourceModel()
        if not isinstance(source, RecordTableModel):
            return True
        hay = source.haystack(source_row)
        return all(w in hay for w in self._words)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        source = self.sourceModel()
        if source is not None:
            source.sort(column, order)


# --- trends ---------------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    when: datetime
    value: float  # for plotting; ``text`` says it exactly
    flag: str = ""
    text: str = ""  # "2024-03-10 05:30 CET: < 5 mg/dL": local time with its zone, the value as written


_THIN_ABOVE = 4096  # longer series are thinned before drawing
_SLICES = 640  # time slices of a thinned series: one to three pixel columns of a chart each


def thinned_points(points: Sequence[TrendPoint]) -> list[TrendPoint]:
    """What a long series needs for drawing, in time order: its time span cut into
    :data:`_SLICES` equal slices and, in each, the points of lowest and highest value and
    of lowest and highest flagged value, so the line's envelope, the value range and
    every out-of-range spike survive. Three ``map`` passes take the instants, values and
    flags out; slices are then found by bisection and reduced by ``min``/``max`` over list
    slices, so a 100,000-point series costs no Python work per point."""
    n = len(points)
    if n <= _THIN_ABOVE:
        return list(points)
    whens = list(map(_WHEN, points))
    values = list(map(_VALUE, points))
    flags = list(map(_FLAG, points))
    start, span = whens[0], (whens[-1] - whens[0]) / _SLICES
    keep: set[int] = set()
    lo = 0
    for k in range(1, _SLICES + 1):
        hi = n if k == _SLICES or not span else bisect_left(whens, start + span * k, lo)
        if hi > lo:
            seg = values[lo:hi]
            keep.update((lo + seg.index(min(seg)), lo + seg.index(max(seg))))
            if any(flags[lo:hi]):
                flagged = list(compress(range(lo, hi), flags[lo:hi]))
                keep.update((min(flagged, key=values.__getitem__), max(flagged, key=values.__getitem__)))
            lo = hi
    return [points[i] for i in sorted(keep)]


_WHEN, _VALUE, _FLAG = attrgetter("when"), attrgetter("value"), attrgetter("flag")


@dataclass(frozen=True)
class TrendSeries:
    """Values of one measurement code over time, oldest first, in one unit.

    ``drawn``: the points a chart draws (:func:`thinned_points`), computed when the series
    is built, which the app does on the worker thread that reads the rows, so the GUI
    thread only paints."""

    code: str
    title: str
    unit: str
    points: tuple[TrendPoint, ...]
    low: float | None = None
    high: float | None = None
    range_text: str = ""  # the reference range as the record wrote it ("3.90–6.10")
    drawn: tuple[TrendPoint, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        if any(a.when > b.when for a, b in zip(self.points, self.points[1:], strict=False)):
            raise ValueError("trend points must be in time order")
        if not self.drawn:
            object.__setattr__(self, "drawn", tuple(thinned_points(self.points)))
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError("reference range low is above high")


def parse_when(text: str) -> datetime | None:
    """An ISO 8601 date or dateTime (also ``YYYY`` and ``YYYY-MM``) as an aware datetime."""
    text = text.strip()
    if not text:
        return None
    if len(text) == 4 and text.isdigit():
        text += "-01-01"
    elif len(text) == 7 and text[4] == "-":
        text += "-01"
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _when(row: StoredSummary) -> datetime:
    """The instant of a row already known to have a date (see :func:`trend_series`)."""
    when = parse_when(row.summary.date)
    if when is None:
        raise ValueError(f"record {row.id} has no date")
    return when


def trend_series(rows: Iterable[StoredSummary]) -> dict[str, TrendSeries]:
    """Numeric measurements grouped by code. Each series keeps the unit used most
    often (values in other units are left out rather than mixed) and the newest
    reference range."""
    groups: dict[str, list[StoredSummary]] = {}
    for row in rows:
        m = row.summary
        if m.code and m.value is not None and parse_when(m.date) is not None and math.isfinite(float(m.value)):
            groups.setdefault(m.code, []).append(row)
    out: dict[str, TrendSeries] = {}
    for code, items in groups.items():
        unit = Counter(r.summary.unit for r in items).most_common(1)[0][0]
        same = sorted((r for r in items if r.summary.unit == unit), key=_when)
        newest = same[-1].summary
        low = high = None
        for r in reversed(same):
            if r.summary.low is not None or r.summary.high is not None:
                low, high = r.summary.low, r.summary.high
                break
        if low is not None and high is not None and low > high:
            low, high = high, low
        range_text = f"{'' if low is None else f'{low:g}'}–{'' if high is None else f'{high:g}'}"
        low_f = float(low) if low is not None and math.isfinite(low) else None
        high_f = float(high) if high is not None and math.isfinite(high) else None
        points = tuple(TrendPoint(_when(r), float(r.summary.value or 0), r.summary.flag,
                                  f"{local_text(r.summary.date)}: {r.summary.value_text}") for r in same)
        out[code] = TrendSeries(code, newest.title, unit, points, low_f, high_f, range_text)
    return out
