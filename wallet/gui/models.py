"""Qt item models over the wallet's record summaries, testable without widgets.

- :class:`CategoryListModel` (from :mod:`.category_model`, which the main window loads
  alone): Overview, All records and the categories, each with its count.
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
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush

from ..services import (
    ALL_RECORDS,
    StoredSummary,
    UnlockedWallet,
    local_text,
    search_spellings,
    shown_detail,
    shown_number,
    shown_range,
    shown_value,
    type_words,
    utc_text,
)
from .category_model import OVERVIEW, CategoryListModel, CountRole
from .plain_text import safe_tooltip
from .table_model import StorePager
from .theme import error_color

__all__ = [
    "ALL_RECORDS",
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
    "decimate",
    "trend_series",
    "value_domain",
]

MEASUREMENT_CATEGORIES = ("Lab results", "Vital signs")
PAGE_SIZE = 200

SummaryRole = Qt.ItemDataRole.UserRole + 1
SortRole = Qt.ItemDataRole.UserRole + 2

_Index = QModelIndex | QPersistentModelIndex
PageFetcher = Callable[[int, int], Sequence[StoredSummary]]  # (limit, offset) -> rows
_ROOT = QModelIndex()  # the invalid index: the root of list and table models


# --- records --------------------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    title: str
    display: Callable[[StoredSummary], str]
    key: Callable[[StoredSummary], Any]


def _value_text(s: StoredSummary) -> str:
    m = s.summary
    if m.value is None:
        return shown_detail(m)
    return shown_value(m)


def _range_text(s: StoredSummary) -> str:
    return shown_range(s.summary)  # in the range's own unit


def _category_text(s: StoredSummary) -> str:
    """"Other" says little in a timeline; the resource type in words says more."""
    return s.summary.category if s.summary.category != "Other" else type_words(s.summary.resource_type)


_FLAG_ORDER = {"HH": 0, "LL": 0, "AA": 0, "H": 1, "L": 1, "A": 1}

COLUMNS: dict[str, _Column] = {
    # local time with its zone; sorted by the instant (UTC), not by the text as written
    "date": _Column("Date", lambda s: local_text(s.summary.date), lambda s: utc_text(s.summary.date)),
    # "Other" says little in a timeline; the resource type (Claim, Patient...) says more
    "category": _Column("Category", _category_text, lambda s: s.summary.category),
    "title": _Column("What", lambda s: s.summary.title, lambda s: s.summary.title.casefold()),
    "detail": _Column("Details", lambda s: shown_detail(s.summary), lambda s: s.summary.detail.casefold()),
    "type": _Column("Type", lambda s: type_words(s.summary.resource_type), lambda s: s.summary.resource_type),
    "value": _Column("Result", _value_text,
                     lambda s: (s.summary.value is None, s.summary.value or 0.0, s.summary.detail.casefold())),
    "range": _Column("Reference range", _range_text,
                     lambda s: (s.summary.low is None and s.summary.high is None, s.summary.low or 0.0,
                                s.summary.high or 0.0)),
    # the lab's interpretation (High, Critically high, Normal…), else one computed from the range
    "flag": _Column("Flag", lambda s: s.summary.flag_words,
                    lambda s: (_FLAG_ORDER.get(s.summary.flag, 2 if s.summary.abnormal else 3), s.summary.flag)),
}


def columns_for(category: str | None) -> tuple[str, ...]:
    if category is None or category == ALL_RECORDS:
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
                 page_size: int = PAGE_SIZE, total_exact: bool = True, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fetch = fetch
        self._total = max(0, int(total))
        self._exact = total_exact  # False: at least ``total`` rows (a capped count); pages go on until one is short
        self._columns = [COLUMNS[c] for c in columns]
        self.column_keys = tuple(columns)
        self._page = max(1, page_size)
        self._rows: list[StoredSummary] = []
        self._haystacks: list[str] = []
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self.paused = False  # True while a worker reads the rest: no page fetches meanwhile

    @classmethod
    def for_wallet(cls, wallet: UnlockedWallet, category: str | None, total: int, *, page_size: int = PAGE_SIZE,
                   text: str | None = None, total_exact: bool = True,
                   parent: QObject | None = None) -> RecordTableModel:
        """Pages of ``category`` read through the store's indexes (:class:`~.table_model.StorePager`);
        ``text``: only the records the full-text search finds for it (``total`` counts those;
        ``total_exact`` False: at least that many, a capped count)."""
        return cls(StorePager(wallet, category=category, text=text), total, columns=columns_for(category),
                   page_size=page_size, total_exact=total_exact, parent=parent)

    # --- size and lazy loading ------------------------------------------------------

    @property
    def total(self) -> int:
        """How many rows there are; while :attr:`total_exact` is False, at least how many."""
        return self._total

    @property
    def total_exact(self) -> bool:
        return self._exact

    def set_exact_total(self, total: int) -> None:
        """The exact count, once known (counted on a worker thread after a capped count)."""
        self._total = max(int(total), len(self._rows))
        self._exact = True

    def set_total_at_least(self, total: int) -> None:
        """A count capped above the rows read (``1,000+``): still at least, pages go on until one is short."""
        if not self._exact:
            self._total = max(self._total, int(total), len(self._rows))

    @property
    def loaded(self) -> int:
        return len(self._rows)

    @property
    def fully_loaded(self) -> bool:
        return self._exact and len(self._rows) >= self._total

    def rowCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._columns)

    def canFetchMore(self, parent: _Index = _ROOT) -> bool:
        return not parent.isValid() and not self.paused and not self.fully_loaded

    def fetchMore(self, parent: _Index = _ROOT) -> None:
        if not self.canFetchMore(parent):
            return
        want = min(self._page, self._total - len(self._rows)) if self._exact else self._page
        page = list(self._fetch(want, len(self._rows)))
        if not self._exact:
            if len(page) < want:  # the last page: now the count is known
                self.set_exact_total(len(self._rows) + len(page))
            else:
                self._total = max(self._total, len(self._rows) + len(page))
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
        self._exact = True
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
        self._exact = True
        self.endResetModel()

    # --- data ---------------------------------------------------------------------------

    def summary_at(self, row: int) -> StoredSummary:
        return self._rows[row]

    def haystack(self, row: int) -> str:
        """Lower-case text of a row, for the filter."""
        return self._haystacks[row]

    def record_id(self, row: int) -> str:
        return self._rows[row].id

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
        if role == Qt.ItemDataRole.ForegroundRole and rec.summary.abnormal:
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
    """Shows the rows whose shown text holds every word of the filter (case-insensitive,
    anywhere in a word: what is typed so far; a unit as shown, ``mmHg``, also as its UCUM
    code, ``mm[Hg]``, which the row's text keeps), or that the store's full-text search found for
    it (``matches`` of :meth:`set_filter_text`: codes, displays, notes and narrative a column does not show)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._words: tuple[str, ...] = ()
        self._spellings: tuple[tuple[str, ...], ...] = ()  # per word: it, and its other spellings
        self._matches: frozenset[str] = frozenset()
        self.setDynamicSortFilter(True)


    @property
    def filter_words(self) -> tuple[str, ...]:
        return self._words

    def set_filter_text(self, text: str, matches: frozenset[str] = frozenset()) -> None:
        """Filter by ``text``; ``matches``: ids of records the full-text search found for it,
        shown too."""
        words = tuple(text.casefold().split())
        if words == self._words and matches == self._matches:
            return
        # a unit typed as the table shows it ("mmHg") is also found as the record writes it ("mm[Hg]"),
        # a word in its other forms ("seizures": "seizure"; "anaemia": "anemia")
        spellings = tuple(tuple(dict.fromkeys(f.casefold() for f in search_spellings(w))) for w in words)
        if hasattr(self, "beginFilterChange"):  # Qt 6.9 and later
            self.beginFilterChange()
            self._words, self._spellings, self._matches = words, spellings, matches
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self._words, self._spellings, self._matches = words, spellings, matches
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        if not self._words:
            return True
        source = self.sourceModel()
        if not isinstance(source, RecordTableModel):
            return True
        hay = source.haystack(source_row)
        return all(any(w in hay for w in spelt) for spelt in self._spellings) or (
            bool(self._matches) and source.record_id(source_row) in self._matches)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        source = self.sourceModel()
        if source is not None:
            source.sort(column, order)


# --- trends ---------------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    when: datetime
    value: float  # for plotting; ``text`` says it exactly
    flag: str = ""  # the interpretation code when it says out of range or abnormal, else ""
    text: str = ""  # "2024-03-10 05:30 CET: < 5 mg/dL — High": local time, the value as written, the flag
    comparator: str = ""  # "<", "<=", ">=", ">": the value is a bound (drawn as an open ring), "" when exact


DRAWN_BUCKETS = 500  # a long series is drawn from at most this many time slices (min and max of each)


@dataclass(frozen=True)
class TrendSeries:
    """Values of one measurement code over time, oldest first, in one unit, with the
    newest reference range written in that same unit (a range in another unit is never
    drawn against these values). ``drawn`` is what the chart paints: every point of a
    short series; for a long one, per time slice the lowest and the highest value (and an
    out-of-range point), so drawing costs the same for 1,000 or 100,000 values and no
    spike is lost."""

    code: str
    title: str
    unit: str
    points: tuple[TrendPoint, ...]
    low: float | None = None
    high: float | None = None
    range_text: str = ""  # the reference range as the record wrote it ("3.90–6.10")
    drawn: tuple[TrendPoint, ...] = ()

    def __post_init__(self) -> None:
        if any(a.when > b.when for a, b in zip(self.points, self.points[1:], strict=False)):
            raise ValueError("trend points must be in time order")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError("reference range low is above high")
        if not self.drawn:
            object.__setattr__(self, "drawn", decimate(self.points))


def decimate(points: Sequence[TrendPoint], buckets: int = DRAWN_BUCKETS) -> tuple[TrendPoint, ...]:
    """At most about ``3 * buckets`` points of a time-ordered series: per equal slice of time
    the lowest, the highest and the first out-of-range point, in time order."""
    if len(points) <= 2 * buckets:
        return tuple(points)
    t0 = points[0].when.timestamp()
    span = (points[-1].when.timestamp() - t0) or 1.0
    out: list[TrendPoint] = []
    current = -1
    chosen: list[TrendPoint] = []

    def flush() -> None:
        lo = min(chosen, key=lambda p: p.value)
        hi = max(chosen, key=lambda p: p.value)
        flagged = next((p for p in chosen if p.flag), None)
        keep = {id(lo): lo, id(hi): hi}
        if flagged is not None and not (lo.flag or hi.flag):
            keep[id(flagged)] = flagged
        out.extend(sorted(keep.values(), key=lambda p: p.when))

    for p in points:
        b = min(buckets - 1, int((p.when.timestamp() - t0) / span * buckets))
        if b != current and chosen:
            flush()
            chosen = []
        current = b
        chosen.append(p)
    if chosen:
        flush()
    return tuple(out)


def value_domain(values: Sequence[float], low: float | None, high: float | None) -> tuple[float, float]:
    """The value axis of a trend chart: every value and the reference range, with a margin.

    Honest about size: a nearly flat series is shown on a span of at least a fifth of its
    magnitude (not stretched so that 98 to 99 fills the chart), and values that are all
    zero or more never get an axis reaching below zero."""
    data_lo, data_hi = min(values), max(values)
    lo = min([data_lo] + ([low] if low is not None else []))
    hi = max([data_hi] + ([high] if high is not None else []))
    least = max(abs(hi), abs(lo)) * 0.2 or 1.0
    if hi - lo < least:
        mid = (hi + lo) / 2
        lo, hi = mid - least / 2, mid + least / 2
    pad = (hi - lo) * 0.08
    lo, hi = lo - pad, hi + pad
    if data_lo >= 0 and (low is None or low >= 0) and lo < 0:
        lo = 0.0
    return lo, hi


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
    reference range given in that unit (or without a unit)."""
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
            m = r.summary
            if (m.low is not None or m.high is not None) and m.range_unit in ("", unit):
                low, high = m.low, m.high
                break
        if low is not None and high is not None and low > high:
            low, high = high, low
        range_text = f"{'' if low is None else shown_number(low)}–{'' if high is None else shown_number(high)}"
        low_f = float(low) if low is not None and math.isfinite(low) else None
        high_f = float(high) if high is not None and math.isfinite(high) else None
        points = tuple(TrendPoint(_when(r), float(r.summary.value or 0), r.summary.flag if r.summary.abnormal else "",
                                  _point_text(r), r.summary.comparator) for r in same)
        # named by the code's display, the same for every value: a record's own text may carry its
        # flag or a label ("Glucose A (lab: High)"); rows stored without a display keep their title
        named = Counter(r.summary.code_display for r in same if r.summary.code_display).most_common(1)
        out[code] = TrendSeries(code, named[0][0] if named else newest.title, unit, points, low_f, high_f, range_text)
    return out


def _point_text(row: StoredSummary) -> str:
    m = row.summary
    flag = f" — {m.flag_words}" if m.flag_words else ""
    return f"{local_text(m.date)}: {shown_value(m)}{flag}"
