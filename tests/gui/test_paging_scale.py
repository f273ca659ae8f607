"""Paging through the store: the pager, a category too large to read whole (the limit
lowered so a few hundred records stand for a million), and a long trend's drawn points."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from benchmarks.gen_lifetime import lifetime_resources
from wallet.gui import records_panel
from wallet.gui.app_window import MainWindow
from wallet.gui.models import ALL_RECORDS, RecordTableModel
from wallet.gui.table_model import StorePager

RECORDS = 400


def _fill(wallet, tmp_path: Path) -> None:
    path = tmp_path / "watch.ndjson"
    path.write_text("".join(json.dumps(r) + "\n" for r in lifetime_resources(RECORDS, seed=3)))
    assert wallet.import_file(path).total == RECORDS


def _large_list(window: MainWindow, wallet, tmp_path: Path) -> records_panel.RecordsPanel:
    """The window showing All records of a wallet of :data:`RECORDS` readings and visits, a
    category too large to read whole (the limit lowered: see :func:`small_memory_limit`)."""
    _fill(wallet, tmp_path)
    window.set_wallet(wallet)
    window.show()
    window.show_category(ALL_RECORDS)
    return window.panel


@pytest.fixture
def small_memory_limit(monkeypatch) -> None:
    """A category of more than 100 rows counts as too large to read whole."""
    monkeypatch.setattr(records_panel, "IN_MEMORY_LIMIT", 100)


def test_pages_walk_the_whole_list_and_a_search(unlocked, tmp_path: Path) -> None:
    _fill(unlocked, tmp_path)
    everything = [s.id for s in unlocked.summaries()]
    pager = StorePager(unlocked)
    walked = [s.id for offset in range(0, RECORDS, 64) for s in pager(64, offset)]
    assert walked == everything and pager.count() == RECORDS
    assert [s.id for s in pager(10, 137)] == everything[137:147]  # a jump
    assert [s.id for s in pager(-1, 390)] == everything[390:]
    vitals = StorePager(unlocked, category="Vital signs", text="weight")
    found = vitals(1000, 0)
    assert len(found) == vitals.count() > 0
    assert all(s.summary.category == "Vital signs" and "weight" in s.summary.title.lower() for s in found)


@pytest.mark.usefixtures("small_memory_limit")
def test_a_large_category_filters_and_sorts_in_the_store(qtbot, window: MainWindow, unlocked, tmp_path: Path,
                                                         monkeypatch) -> None:
    monkeypatch.setattr(records_panel, "TREND_ROWS", 120)
    panel = _large_list(window, unlocked, tmp_path)
    every = unlocked.count(category=ALL_RECORDS)
    assert every >= RECORDS - 1  # the Patient may be shown apart
    assert panel.large and panel.model.total == every and not panel.model.fully_loaded

    panel.filter_edit.setText("check up")  # the visits ("Encounter for check up") among the readings
    expected = unlocked.count(category=ALL_RECORDS, text="check up")
    assert 0 < expected < every
    assert panel.model.total == expected and panel.proxy.rowCount() == expected
    assert {panel.model.summary_at(r).summary.resource_type for r in range(expected)} == {"Encounter"}
    assert f"{expected:,} of {every:,} records match" in panel.status.text()
    panel.filter_edit.setText("no-such-word")
    assert panel.model.total == 0 and "No records match" in panel.empty.text()
    panel.filter_edit.setText("")
    assert panel.model.total == every and not panel.model.fully_loaded

    panel.table.sortByColumn(panel.model.column_keys.index("title"), Qt.SortOrder.AscendingOrder)
    assert panel.model.natural_order and not panel.model.fully_loaded  # kept newest first, nothing read whole
    assert "sorted newest first" in panel.status.text()

    window.show_category("Vital signs")
    qtbot.waitUntil(lambda: not panel.loading, timeout=30_000)
    series = panel.trend_chart.series
    assert series is not None and panel.model.loaded <= 2 * 200
    assert sum(len(s.points) for s in panel._series.values()) <= 120  # the newest TREND_ROWS rows only


@pytest.mark.usefixtures("small_memory_limit")
def test_a_store_search_shows_the_rows_in_view_at_once_and_its_counts_when_the_worker_has_them(
        qtbot, window: MainWindow, unlocked, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(records_panel, "COUNT_CAP", 210)  # a page (200) and a few more
    panel = _large_list(window, unlocked, tmp_path)
    every = unlocked.count(category=ALL_RECORDS)
    heart = unlocked.count(category=ALL_RECORDS, text="heart")
    assert heart > 210  # more than the cap
    statuses: list[str] = []
    panel.status_changed.connect(statuses.append)

    rows = panel.first_page_rows()  # what the table has room for, and a few more
    visible = panel.table.viewport().height() // panel.table.verticalHeader().defaultSectionSize()
    assert visible < rows <= visible + 1 + records_panel.SCREEN_MARGIN and rows < 200
    panel.filter_edit.setText("heart")  # the rows in view at once; the counts come from the worker thread
    model = panel.model
    assert not model.total_exact and model.total == model.loaded == rows
    assert f"{rows}+ of {every:,} records match · showing the newest {rows}" in panel.status.text()
    newest = [s.id for s in unlocked.search("heart", category=ALL_RECORDS, limit=rows)]
    assert [model.summary_at(r).id for r in range(model.loaded)] == newest  # newest first, as the list
    instants = [model.summary_at(r).instant for r in range(model.loaded)]
    assert instants == sorted(instants, reverse=True)
    assert panel.proxy.index(0, model.column_keys.index("date")).data() is not None
    qtbot.waitUntil(lambda: model.total_exact, timeout=30_000)  # counted on the worker thread
    assert model.total == heart and f"{heart:,} of {every:,} records match" in panel.status.text()
    assert any(f"210+ of {every:,} records match" in text for text in statuses)  # the capped count came first
    while model.canFetchMore():
        model.fetchMore()
    assert model.loaded == heart
    assert [s.id for s in model.rows()] == [s.id for s in unlocked.search("heart", category=ALL_RECORDS,
                                                                          limit=1000)]

    panel.filter_edit.setText("check up")  # fewer than the table shows: exact at once, no worker needed
    expected = unlocked.count(category=ALL_RECORDS, text="check up")
    assert 0 < expected < rows and panel.model.total_exact and panel.model.total == expected
    assert f"{expected:,} of {every:,} records match" in panel.status.text()


@pytest.mark.usefixtures("small_memory_limit")
def test_a_newer_search_drops_the_count_of_an_older_one(qtbot, window: MainWindow, unlocked, tmp_path: Path) -> None:
    panel = _large_list(window, unlocked, tmp_path)
    panel.filter_edit.setText("heart")
    panel.filter_edit.setText("pressure")  # before the worker counted "heart"
    assert not panel.model.total_exact  # more than the table shows: counted on the worker too
    pressure = unlocked.count(category=ALL_RECORDS, text="pressure")
    assert pressure != unlocked.count(category=ALL_RECORDS, text="heart")  # a count of the older search would show
    qtbot.waitUntil(lambda: panel.model.total_exact, timeout=30_000)
    qtbot.wait(50)  # let any late callback of the older search run
    assert panel.model.total == pressure and panel.model.total_exact


def test_a_capped_total_pages_on_until_a_short_page(qtbot, unlocked, tmp_path: Path) -> None:
    _fill(unlocked, tmp_path)
    heart = unlocked.count(category=ALL_RECORDS, text="heart")
    model = RecordTableModel.for_wallet(unlocked, ALL_RECORDS, 50, text="heart", total_exact=False, page_size=64)
    assert model.canFetchMore() and not model.fully_loaded
    while model.canFetchMore():
        model.fetchMore()
    assert model.total_exact and model.total == model.loaded == heart and model.fully_loaded


def test_a_long_trend_is_thinned_to_its_extremes_when_built() -> None:
    from datetime import UTC, datetime, timedelta

    from wallet.gui.models import TrendPoint, TrendSeries

    start = datetime(2016, 1, 1, tzinfo=UTC)
    points = tuple(TrendPoint(start + timedelta(minutes=10 * i), 60 + (i * 37) % 50,
                              "H" if i == 54_321 else "") for i in range(100_000))
    points = (*points[:70_000], TrendPoint(points[70_000].when, 250.0), *points[70_001:])  # one spike
    series = TrendSeries("8867-4", "Heart rate", "/min", points)
    drawn = series.drawn
    assert len(drawn) <= 4 * 640 and list(drawn) == sorted(drawn, key=lambda p: p.when)
    assert max(p.value for p in drawn) == 250.0 and min(p.value for p in drawn) == 60
    assert [p for p in drawn if p.flag] == [points[54_321]]  # every out-of-range point survives
    short = TrendSeries("8867-4", "Heart rate", "/min", points[:100])
    assert short.drawn == points[:100]


@pytest.mark.usefixtures("small_memory_limit")
def test_another_list_starts_at_its_newest_row(qtbot, window: MainWindow, unlocked, tmp_path: Path) -> None:
    panel = _large_list(window, unlocked, tmp_path)
    bar = panel.table.verticalScrollBar()
    panel.table.scrollToBottom()
    assert bar.value() > 0
    panel.filter_edit.setText("heart")  # a search is another list: its newest match first
    assert bar.value() == 0
    panel.table.scrollToBottom()
    assert bar.value() > 0
    window.show_category("Vital signs")  # and so is another category
    assert bar.value() == 0
