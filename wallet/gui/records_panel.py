"""One category's records: a filter box, the lazily loaded table, and for lab results
and vital signs a trend chart of the chosen test.

The table shows the newest rows first and fetches more as the user scrolls. Filtering
or sorting by another column needs every row, so the rest is read on a worker thread
(one query) and added when it arrives; the table stays usable meanwhile.

A category of more than :data:`IN_MEMORY_LIMIT` records (a decade of a watch's readings)
is never read whole: the filter box searches the store's full-text index and pages
through what it finds, the table keeps the store's newest-first order, and the trend
charts the newest :data:`TREND_ROWS` values. A search shows at once the newest matches
the table has room for (:meth:`RecordsPanel.first_page_rows`: the visible rows and
:data:`SCREEN_MARGIN` more; the next pages come as the table scrolls), in a time bounded
by that page. When more match, the worker thread counts them: exactly up to
:data:`~wallet.services.SEARCH_COUNT_CAP` ("1,000+ of 1,000,000 records match"), then,
above the cap, every match; each count replaces the last when it arrives.

A smaller category filters the rows it read by the words its columns show, at once, and
adds the records the store's full-text search finds for the words (codes, notes,
narrative), asked on the worker thread: a newer keystroke drops an older search.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..errors import WalletError
from ..events import CancelToken, ProgressSink
from ..services import ALL_RECORDS, INSURANCE, SEARCH_COUNT_CAP, CappedCount, StoredSummary, UnlockedWallet
from .models import (
    COLUMNS,
    MEASUREMENT_CATEGORIES,
    PAGE_SIZE,
    RecordFilterProxy,
    RecordTableModel,
    TrendSeries,
    trend_series,
)
from .trend_chart import TrendChart
from .trend_filter import filter_note, filtered_series
from .workers import JobRunner

__all__ = ["COUNT_CAP", "FIRST_PAGE_ROWS", "IN_MEMORY_LIMIT", "SCREEN_MARGIN", "SYNC_TREND_VALUES", "TREND_ROWS",
           "RecordsPanel"]

IN_MEMORY_LIMIT = 50_000  # above this many records a category is paged and searched in the store
TREND_ROWS = 100_000  # the newest rows of a large category that its trend is drawn from
COUNT_CAP = SEARCH_COUNT_CAP  # a store search counts exactly up to this many first ("1,000+" above)
SCREEN_MARGIN = 8  # rows a search reads beyond those the table shows, so a first scroll has rows to show
FIRST_PAGE_ROWS = 48  # the first page of a search before the table is laid out (a tall screen's rows)

_REST = "records-rest"  # the JobRunner key of loading every row of the shown category
_COUNT = "records-search-count"  # the JobRunner key of counting a search's matches
_MATCH = "records-search-ids"  # the JobRunner key of the full-text search behind a small category's filter
_TREND_SEARCH = "records-trend-search"  # the JobRunner key of a large category's trend of a search's matches
_TREND_FILTER = "records-trend-filter"  # the JobRunner key of building a filtered trend of many values
SYNC_TREND_VALUES = 1_000  # a filtered trend of more values is built on the worker thread
_HEADINGS = {ALL_RECORDS: "All records, newest first (insurance and billing are under their own category)",
             INSURANCE: "Insurance and billing: claims, explanations of benefit and coverage"}
_WIDTHS = {"date": 96, "category": 150, "detail": 200, "type": 150, "value": 120, "range": 130, "flag": 120}


class RecordsPanel(QWidget):
    """Emits :attr:`selected` with the chosen :class:`StoredSummary` (or ``None``)."""

    selected = Signal(object)
    status_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._wallet: UnlockedWallet | None = None
        self._category: str | None = None
        self._runner: JobRunner | None = None
        self._loading_rest = False
        self._series: dict[str, TrendSeries] = {}
        # a large category's trend of what the store search finds: (words, series by code)
        self._search_trend: tuple[str, dict[str, TrendSeries | None]] | None = None
        self._category_total = 0
        self._search_text = ""  # the store search shown, for a large category
        self._matching = ""  # the words whose full-text matches the worker is finding, for a small category
        self.model: RecordTableModel | None = None

        self.heading = QLabel(self)
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.heading.setFont(font)
        self.heading.setWordWrap(True)  # a long heading wraps: it never widens a 1024-wide window
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText("Filter (Ctrl+F)")
        # room for its placeholder and the clear button, so it never shrinks to "Fi…"
        self.filter_edit.setMinimumWidth(self.filter_edit.fontMetrics().horizontalAdvance("Filter (Ctrl+F)") + 48)
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setAccessibleName("Filter records")
        self.filter_edit.setMaximumWidth(320)
        self.filter_edit.textChanged.connect(self._on_filter)
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.filter_edit)

        self.proxy = RecordFilterProxy(self)
        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(QFontMetrics(self.font()).height() + 8)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.horizontalHeader().setHighlightSections(False)
        self.table.setAccessibleName("Records")
        self.table.selectionModel().selectionChanged.connect(self._on_selection)

        self.empty = QLabel(self)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setTextFormat(Qt.TextFormat.PlainText)  # may quote the filter text
        self.empty.setEnabled(False)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)

        self.trend_combo = QComboBox(self)
        self.trend_combo.setAccessibleName("Test to chart")
        self.trend_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.trend_combo.setMinimumContentsLength(30)
        self.trend_combo.currentIndexChanged.connect(self._on_trend_choice)
        self.trend_chart = TrendChart(self)
        # the chart follows whatever changes the rows the table shows (a keystroke, the full-text
        # matches arriving, a store search, rows read), once per turn of the event loop
        self._trend_follow = QTimer(self)
        self._trend_follow.setSingleShot(True)
        self._trend_follow.setInterval(0)
        self._trend_follow.timeout.connect(self._follow_filter)
        self._trend_drawn: tuple[object, ...] = ()  # what the chart was last drawn for (see _follow_filter)
        self.filter_edit.textChanged.connect(lambda _text: self._trend_follow.start())
        for changed in (self.proxy.rowsInserted, self.proxy.rowsRemoved, self.proxy.modelReset,
                        self.proxy.layoutChanged):
            changed.connect(lambda *_args: self._trend_follow.start())
        self.trend_box = QWidget(self)
        trend_layout = QVBoxLayout(self.trend_box)
        trend_layout.setContentsMargins(0, 4, 0, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel("Trend of", self))
        row.addWidget(self.trend_combo, 1)
        trend_layout.addLayout(row)
        trend_layout.addWidget(self.trend_chart, 1)

        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.addWidget(self.stack)
        self.splitter.addWidget(self.trend_box)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)

        self.status = QLabel(self)
        self.status.setEnabled(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.status)
        self.proxy.rowsInserted.connect(self._refresh_state)
        self.proxy.rowsRemoved.connect(self._refresh_state)
        self.proxy.modelReset.connect(self._refresh_state)
        self.proxy.layoutChanged.connect(self._refresh_state)
        self.clear()

    # --- data source ---------------------------------------------------------------

    @property
    def category(self) -> str | None:
        return self._category

    @property
    def loading(self) -> bool:
        return self._loading_rest

    def show_category(self, wallet: UnlockedWallet, category: str | None, total: int, runner: JobRunner) -> None:
        """Show ``category`` (``None``: every record, the timeline)."""
        for key in (_REST, _COUNT, _MATCH):
            runner.drop(key)
        self._wallet, self._category, self._runner = wallet, category, runner
        self._loading_rest = False
        self._series = {}
        self._trend_ready = False
        self._category_total = total
        self._search_text = ""
        self._matching = ""
        model = RecordTableModel.for_wallet(wallet, category, total, parent=self)
        self._set_model(model)
        header = self.table.horizontalHeader()
        for n, key in enumerate(model.column_keys):
            stretch = key == "title"
            header.setSectionResizeMode(n, QHeaderView.ResizeMode.Stretch if stretch
                                        else QHeaderView.ResizeMode.Interactive)
            if not stretch:
                header.resizeSection(n, _WIDTHS.get(key, 120))
        self.table.setSortingEnabled(False)
        header.setSortIndicator(model.column_keys.index("date"), Qt.SortOrder.DescendingOrder)
        self.table.setSortingEnabled(True)
        self.heading.setText(_HEADINGS.get(category or ALL_RECORDS, category or ""))
        measuring = category in MEASUREMENT_CATEGORIES
        self.trend_box.setVisible(measuring and total > 0)
        self.trend_combo.blockSignals(True)
        self.trend_combo.clear()
        self.trend_combo.blockSignals(False)
        self.trend_chart.set_series(None, message="Loading the trend…" if measuring and total else
                                    "No measurements to chart yet.")
        model.fetchMore()
        self._hide_empty_columns()
        if self.large:
            self.proxy.set_filter_text("")
            if self.filter_edit.text().strip():
                self._search_in_store(self.filter_edit.text())
        elif self.filter_edit.text().strip() and not self.proxy.filter_words:
            self._filter_in_memory(self.filter_edit.text())
        if (measuring and total) or self.proxy.filter_words:
            self._load_rest()
        self._refresh_state()

    @property
    def searching(self) -> bool:
        """Whether the full-text search behind a small category's filter is still on the worker."""
        return bool(self._matching)

    @property
    def large(self) -> bool:
        """Whether the shown category is too large to read whole (see the module docs)."""
        return self._category_total > IN_MEMORY_LIMIT

    def _set_model(self, model: RecordTableModel) -> None:
        old = self.model
        self.model = model
        self.proxy.setSourceModel(model)
        self.table.scrollToTop()  # another list (a category, a search) starts at its newest row
        if old is not None:
            old.deleteLater()

    def first_page_rows(self) -> int:
        """How many rows the first page of a store search reads: the rows the table has room
        for, plus :data:`SCREEN_MARGIN`; :data:`FIRST_PAGE_ROWS` before the table is laid out.
        At most :data:`~.models.PAGE_SIZE` (the pages read as the table scrolls)."""
        height, row = self.table.viewport().height(), self.table.verticalHeader().defaultSectionSize()
        if not self.table.isVisible() or height <= 0 or row <= 0:
            return FIRST_PAGE_ROWS
        return min(PAGE_SIZE, -(-height // row) + SCREEN_MARGIN)

    def _search_in_store(self, text: str) -> None:
        """Show what the store's full-text search finds for ``text`` (every record when empty)."""
        wallet, old = self._wallet, self.model
        if wallet is None or old is None:
            return
        words = " ".join(text.split())
        self._search_text = words
        if self._runner is not None and not self._runner.shut_down:
            self._runner.drop(_COUNT)
        if not words:
            model = RecordTableModel.for_wallet(wallet, self._category, self._category_total, parent=self)
            self._set_model(model)
            model.fetchMore()
            self._hide_empty_columns()
            return
        # the rows the table shows, on this thread (bounded by the page); the count comes after
        found = wallet.search_page(words, category=self._category, limit=self.first_page_rows(), cap=None)
        model = RecordTableModel.for_wallet(wallet, self._category, found.count.value, text=words,
                                            total_exact=found.count.exact, parent=self)
        self._set_model(model)
        model.extend_from(0, found.page.rows)
        self._hide_empty_columns()
        if not found.count.exact:
            self._count_matches(model, words)

    def _count_matches(self, model: RecordTableModel, words: str) -> None:
        """Count the matches of the search shown on the worker thread: exactly up to
        :data:`COUNT_CAP` (a bounded read), then, when more match, every one. Each count
        replaces the label's (``35+`` → ``1,000+`` → ``98,723``) when it arrives, unless the
        search or the view changed meanwhile (a later search cancels the count)."""
        wallet, runner, category = self._wallet, self._runner, self._category
        if wallet is None or runner is None or runner.shut_down:
            return

        def capped(_progress: ProgressSink, _cancel: CancelToken) -> CappedCount:
            return wallet.capped_count(category=category, text=words, cap=COUNT_CAP)

        def exact(_progress: ProgressSink, cancel: CancelToken) -> int:
            return wallet.count(category=category, text=words, cancel=cancel)  # a later search cancels it

        def counted(count: CappedCount) -> None:
            if self.model is not model or self._search_text != words:
                return
            if count.exact:
                model.set_exact_total(count.value)
            else:
                model.set_total_at_least(count.value)
                if not runner.shut_down:
                    runner.submit(exact, on_done=counted_all, latest=_COUNT)
            self._refresh_state()

        def counted_all(total: int) -> None:
            counted(CappedCount(total))

        runner.submit(capped, on_done=counted, latest=_COUNT)

    def clear(self) -> None:
        """Forget every record shown (the wallet is locking)."""
        if self._runner is not None and not self._runner.shut_down:
            for key in (_REST, _COUNT, _MATCH):
                self._runner.drop(key)
        self._wallet = None
        self._runner = None
        self._loading_rest = False
        self._series = {}
        self._search_trend = None
        self._trend_ready = False
        self._category_total = 0
        self._search_text = ""
        self._matching = ""
        old = self.model
        self.model = None
        self.proxy.setSourceModel(None)  # type: ignore[arg-type]  # Qt accepts None: no source
        if old is not None:
            old.deleteLater()
        self.filter_edit.clear()
        self.trend_combo.clear()
        self.trend_chart.set_series(None)
        self.heading.clear()
        self.status.clear()
        self.empty.setText("")

    def reload(self, total: int) -> None:
        if self._wallet is not None and self._runner is not None:
            self.show_category(self._wallet, self._category, total, self._runner)

    # --- loading every row ----------------------------------------------------------

    def _load_rest(self) -> None:
        model, runner, wallet = self.model, self._runner, self._wallet
        if model is None or runner is None or wallet is None or self._loading_rest:
            return
        measuring = self._category in MEASUREMENT_CATEGORIES
        if model.fully_loaded and (self._trend_ready or not measuring):
            return
        offset = 0 if measuring else model.loaded  # the trend needs them all
        category = self._category
        large = self.large
        if large and not measuring:
            return
        self._loading_rest = True
        model.paused = not large  # a large category keeps paging; only its trend is read

        def job(_progress: ProgressSink, _cancel: CancelToken) -> tuple[list[StoredSummary], dict[str, TrendSeries]]:
            if large:
                return [], trend_series(wallet.summaries(category=category, limit=TREND_ROWS))
            rows = wallet.summaries(category=category, offset=offset)
            return rows, (trend_series(rows) if measuring else {})

        def done(result: tuple[list[StoredSummary], dict[str, TrendSeries]]) -> None:
            if self.model is None:
                return
            rows, series = result
            self._loading_rest = False
            self.model.paused = False
            if rows:
                self.model.extend_from(offset, rows)
            self._hide_empty_columns()
            if measuring:
                self._trend_ready = True
                self._set_series(series)
            self._refresh_state()

        def failed(message: str) -> None:
            if self.model is None:
                return
            self._loading_rest = False
            self.model.paused = False
            self.status.setText(message)

        runner.submit(job, on_done=done, on_failed=failed, latest=_REST)
        self._refresh_state()

    def _hide_empty_columns(self) -> None:
        """Hide the columns that no loaded row fills (date and title always show)."""
        model = self.model
        if model is None:
            return
        rows = model.rows()
        for n, key in enumerate(model.column_keys):
            show = key in ("date", "title") or any(COLUMNS[key].display(r) for r in rows)
            self.table.setColumnHidden(n, not show)

    def _on_filter(self, text: str) -> None:
        if self.large:
            if " ".join(text.split()) != self._search_text:
                self._search_in_store(text)
                self._refresh_state()
            return
        self._filter_in_memory(text)
        if self.proxy.filter_words and self.model is not None and not self.model.fully_loaded:
            self._load_rest()
        self._refresh_state()

    def _filter_in_memory(self, text: str) -> None:
        """Filter the rows read: at once, those whose columns hold the words typed so far; then
        also those the store's full-text search finds for them (a code, a part of a panel, a
        note, narrative), asked on the worker thread, so a small category finds what a large
        one and ``records --search`` find. A newer keystroke drops the older search."""
        wallet, runner, category, words = self._wallet, self._runner, self._category, " ".join(text.split())
        self.proxy.set_filter_text(text)
        self._matching = ""
        if runner is not None and not runner.shut_down:
            runner.drop(_MATCH)
        if wallet is None or not words:
            return
        if runner is None or runner.shut_down:  # no worker (the wallet is closing): the columns alone decide
            return

        def job(_progress: ProgressSink, _cancel: CancelToken) -> frozenset[str]:
            try:
                return wallet.matching_ids(words, category=category)
            except WalletError:  # no word the search can use ("*", "-"): the columns alone decide
                return frozenset()

        def found(matches: frozenset[str]) -> None:
            if self._matching != words:
                return
            self._matching = ""
            self.proxy.set_filter_text(text, matches)
            self._refresh_state()

        def failed(_message: str) -> None:
            if self._matching == words:
                self._matching = ""
                self._refresh_state()

        self._matching = words
        runner.submit(job, on_done=found, on_failed=failed, latest=_MATCH)

    def _refresh_state(self, *_: Any) -> None:
        model = self.model
        if model is None:
            return
        note = ""
        if model.total and not model.natural_order and not model.fully_loaded:
            if self.large:  # another order needs every row: keep the store's, newest first
                date = model.column_keys.index("date")
                model.sort(date, Qt.SortOrder.DescendingOrder)
                self.table.horizontalHeader().setSortIndicator(date, Qt.SortOrder.DescendingOrder)
                note = f" · sorted newest first (other orders up to {IN_MEMORY_LIMIT:,} records; filter to narrow)"
            else:
                self._load_rest()
        shown = self.proxy.rowCount()
        total = model.total
        words = " ".join(self.proxy.filter_words) or self._search_text
        if self._search_text:
            shown = total
        if total == 0 and self._search_text:
            self.empty.setText(f"No records match “{self._search_text}”.")
            self.stack.setCurrentWidget(self.empty)
        elif total == 0:
            what = (self._category or "records").lower() if self._category != ALL_RECORDS else "records"
            self.empty.setText(f"No {what} in this wallet yet.")
            self.stack.setCurrentWidget(self.empty)
        elif shown == 0 and words and not self._loading_rest and not self._matching:
            self.empty.setText(f"No records match “{self.filter_edit.text().strip()}”.")
            self.stack.setCurrentWidget(self.empty)
        else:
            self.stack.setCurrentWidget(self.table)
        if self._loading_rest:
            text = f"Loading all {total:,} records…"
        elif self._search_text:
            matches = f"{total:,}" if model.total_exact else f"{total:,}+"
            text = f"{matches} of {self._category_total:,} records match"
            if model.loaded < total or not model.total_exact:  # more than is shown yet
                text += f" · showing the newest {model.loaded:,}"
        elif words:
            text = f"{shown:,} of {total:,} records match"
        elif model.fully_loaded:
            text = f"{total:,} record{'s' if total != 1 else ''}"
        else:
            text = f"{total:,} records · showing the newest {model.loaded:,}; scroll for more"
        if self._matching:
            text += " · searching codes, notes and narrative…"
        text += note
        self.status.setText(text)
        self.status_changed.emit(text)

    # --- selection and trend ----------------------------------------------------------

    def current_summary(self) -> StoredSummary | None:
        index = self.table.selectionModel().currentIndex()
        if not index.isValid() or self.model is None:
            return None
        return self.model.summary_at(self.proxy.mapToSource(index).row())

    def select_row(self, row: int) -> None:
        index = self.proxy.index(row, 0)
        if index.isValid():
            flags = QItemSelectionModel.SelectionFlag
            self.table.selectionModel().setCurrentIndex(index, flags.ClearAndSelect | flags.Rows)

    def _on_selection(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = selected.indexes()
        if not rows or self.model is None:
            self.selected.emit(None)
            return
        source: QModelIndex = self.proxy.mapToSource(rows[0])
        summary = self.model.summary_at(source.row())
        self.selected.emit(summary)
        code = summary.summary.code
        if code and code in self._series:
            n = self.trend_combo.findData(code)
            if n >= 0:
                self.trend_combo.setCurrentIndex(n)

    def _set_series(self, series: dict[str, TrendSeries]) -> None:
        self._series = series
        self._search_trend = None
        self._trend_drawn = ()  # a new series: the next change of the table redraws it
        self.trend_combo.blockSignals(True)
        self.trend_combo.clear()
        for code, s in sorted(series.items(), key=lambda kv: kv[1].title.casefold()):
            n = len(s.points)
            unit = f" ({s.unit})" if s.unit else ""
            self.trend_combo.addItem(f"{s.title}{unit} — {n} value{'s' if n != 1 else ''}", code)
        self.trend_combo.blockSignals(False)
        if not series:
            self.trend_chart.set_series(None, message="No numeric measurements to chart in this category.")
            return
        current = self.current_summary()
        code = current.summary.code if current is not None and current.summary.code in series else ""
        if not code and self.model is not None:
            for row in self._shown_rows(500) or self.model.rows()[:500]:
                if row.summary.code in series and len(series[row.summary.code].points) > 1:
                    code = row.summary.code
                    break
        if not code:
            code = max(series, key=lambda c: len(series[c].points))
        n = self.trend_combo.findData(code)
        self.trend_combo.setCurrentIndex(n)
        self._on_trend_choice(n)
        if self.large and self._trend_words():
            self._find_search_trend()

    def _on_trend_choice(self, _n: int) -> None:
        self._show_trend()

    # --- the trend of what the filter shows --------------------------------------------

    def _trend_words(self) -> str:
        """The filter the table shows ("" when none): the words typed (a large category: the store search's)."""
        if self.large:
            return self._search_text
        return " ".join(self.filter_edit.text().split()) if self.proxy.filter_words else ""

    def _shown_rows(self, most: int | None = None) -> list[StoredSummary]:
        """The first ``most`` rows the filtered table shows (all when ``None``), in its order; [] without a filter."""
        model = self.model
        if model is None or not self.proxy.filter_words:
            return []
        count = self.proxy.rowCount() if most is None else min(most, self.proxy.rowCount())
        return [model.summary_at(self.proxy.mapToSource(self.proxy.index(r, 0)).row()) for r in range(count)]

    def _shown_of_code(self, code: str) -> list[StoredSummary]:
        """The rows of test ``code`` that the filter keeps (what the table shows of it)."""
        model = self.model
        if model is None:
            return []
        parent, accepts = QModelIndex(), self.proxy.filterAcceptsRow
        return [row for n, row in enumerate(model.rows()) if row.summary.code == code and accepts(n, parent)]

    def _follow_filter(self) -> None:
        """Draw the chosen test's trend as the table now shows it, unless nothing it depends on changed."""
        if not self._series:
            return  # not a measurement category, or its trend is still loading (it then follows the filter)
        model = self.model
        drawn = (id(self._series), self.trend_combo.currentData(), self._trend_words(), self.proxy.rowCount(),
                 id(model), 0 if model is None else model.loaded, self.searching)
        if drawn == self._trend_drawn:
            return
        self._trend_drawn = drawn
        if self.large:
            if self._trend_words():
                self._find_search_trend()
            self._show_trend()
            return
        code = self.trend_combo.currentData()
        rows = self._shown_of_code(code) if self.proxy.filter_words and code else None
        if rows == []:  # the chosen test is filtered out: chart the first test the table still shows
            other = next((r.summary.code for r in self._shown_rows(500) if r.summary.code in self._series), None)
            if other is not None and other != code:
                self.trend_combo.setCurrentIndex(self.trend_combo.findData(other))
                return  # its signal drew it
        self._show_trend(rows)

    def _find_search_trend(self) -> None:
        """A large category: read the store search's newest :data:`TREND_ROWS` matches on the
        worker thread and chart their values (the table pages through the same search)."""
        wallet, runner, category, words, series = (self._wallet, self._runner, self._category,
                                                   self._trend_words(), self._series)
        if wallet is None or runner is None or runner.shut_down or not words or not series:
            return
        if self._search_trend is not None and self._search_trend[0] == words:
            return

        def job(_progress: ProgressSink, _cancel: CancelToken) -> dict[str, TrendSeries | None]:
            by_code: dict[str, list[StoredSummary]] = {}
            for row in wallet.summaries(category=category, text=words, limit=TREND_ROWS):
                if row.summary.code in series:
                    by_code.setdefault(row.summary.code, []).append(row)
            return {code: filtered_series(full, by_code.get(code, ())) for code, full in series.items()}

        def done(found: dict[str, TrendSeries | None]) -> None:
            if self._series is series and self._category == category and self._trend_words() == words:
                self._search_trend = (words, found)
                self._show_trend()

        runner.submit(job, on_done=done, latest=_TREND_SEARCH)

    def _show_trend(self, rows: list[StoredSummary] | None = None) -> None:
        """Chart the chosen test: every value, or with a filter the values of the rows it keeps
        (``rows`` when the caller has them) on the whole series' axes, saying so above the plot.
        A filtered trend of more than :data:`SYNC_TREND_VALUES` values is built on the worker thread."""
        code = self.trend_combo.currentData()
        full = self._series.get(code) if code else None
        words = self._trend_words()
        if self._runner is not None and not self._runner.shut_down:
            self._runner.drop(_TREND_FILTER)
        if full is None or not words:
            self.trend_chart.set_series(full)
            return
        if self.large:
            found = self._search_trend
            if found is None or found[0] != words:
                self.trend_chart.set_series(None, message=f"Finding the {full.title} values that match…",
                                            note=f"Filtered by “{words}”")
                return
            self._draw_filtered(full, found[1].get(code), words)
            return
        rows = self._shown_of_code(code) if rows is None else rows
        runner, series = self._runner, self._series
        if len(rows) <= SYNC_TREND_VALUES or runner is None or runner.shut_down:
            self._draw_filtered(full, filtered_series(full, rows), words)
            return
        shown = self.trend_chart.series
        if shown is None or shown.code != code:
            self.trend_chart.set_series(None, message=f"Finding the {full.title} values that match…",
                                        note=f"Filtered by “{words}”")

        def job(_progress: ProgressSink, _cancel: CancelToken) -> TrendSeries | None:
            return filtered_series(full, rows)

        def done(part: TrendSeries | None) -> None:
            if self._series is series and self.trend_combo.currentData() == code and self._trend_words() == words:
                self._draw_filtered(full, part, words)

        runner.submit(job, on_done=done, latest=_TREND_FILTER)

    def _draw_filtered(self, full: TrendSeries, part: TrendSeries | None, words: str) -> None:
        note = filter_note(0 if part is None else len(part.points), len(full.points), words)
        if part is None:
            self.trend_chart.set_series(None, message=f"No {full.title} values match the filter.", note=note)
        else:
            self.trend_chart.set_series(part, note=note)
