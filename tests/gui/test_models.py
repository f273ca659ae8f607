"""The item models, without widgets: categories, the lazily loaded record table over
20,000 records, sorting, the filter proxy, trend series."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtTest import QAbstractItemModelTester

from wallet.gui.models import (
    OVERVIEW,
    PAGE_SIZE,
    CategoryListModel,
    CountRole,
    RecordFilterProxy,
    RecordTableModel,
    SortRole,
    SummaryRole,
    columns_for,
    parse_when,
    trend_series,
)
from wallet.records.store import StoredSummary
from wallet.records.summary import Summary
from wallet.services import ALL_RECORDS, BROWSED_CATEGORIES, INSURANCE

from .conftest import LAB_CODES, MANY


def summary(i: int, *, title: str = "", date: str = "", value: float | None = None, code: str = "",
            unit: str = "mg/dL", low: float | None = None, high: float | None = None, flag: str = "") -> StoredSummary:
    return StoredSummary(f"id{i:05d}", Summary("Observation", "Lab results", title or f"Test {i}", "",
                                               date or f"2020-01-{1 + i % 28:02d}", code, value, unit, low, high, flag))


def test_category_model_counts(qapp) -> None:
    model = CategoryListModel()
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    assert model.rowCount() == 2 + len(BROWSED_CATEGORIES)  # Overview, All records, the categories
    assert model.data(model.index(0)) == OVERVIEW and model.category_at(0) is None
    assert model.category_at(1) == ALL_RECORDS and "Sharing and activity" not in model.NAMES
    model.set_counts({"Lab results": 7, "Conditions": 2, INSURANCE: 4, "Unknown": 99})
    assert model.total == 13 and model.count(ALL_RECORDS) == 9  # insurance is not in All records
    model.set_counts({"Lab results": 7, "Conditions": 2, "Unknown": 99})
    assert model.total == 9
    assert model.data(model.index(0), CountRole) == 9
    row = model.row_of("Lab results")
    assert model.data(model.index(row), CountRole) == 7
    assert model.data(model.index(row), Qt.ItemDataRole.AccessibleTextRole) == "Lab results, 7 records"
    assert model.category_at(row) == "Lab results"


def test_table_lazy_loading_over_20000_records(qapp, many_wallet) -> None:
    counts = many_wallet.counts_by_category()
    assert counts["Lab results"] == MANY
    model = RecordTableModel.for_wallet(many_wallet, "Lab results", counts["Lab results"])
    assert model.rowCount() == 0 and model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert model.rowCount() == PAGE_SIZE and model.total == MANY and not model.fully_loaded
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 2 * PAGE_SIZE
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)  # fetches a page too
    # newest first, as the store orders them
    dates = [model.summary_at(r).summary.date for r in range(model.rowCount())]
    assert dates == sorted(dates, reverse=True)
    model.fetch_all()
    assert model.rowCount() == MANY and model.fully_loaded and not model.canFetchMore(QModelIndex())
    assert len({model.summary_at(r).id for r in range(MANY)}) == MANY


def test_table_sorting_is_in_python_and_keeps_lazy_order(qapp, many_wallet) -> None:
    model = RecordTableModel.for_wallet(many_wallet, "Lab results", MANY)
    model.fetchMore()
    cols = model.column_keys
    assert cols == columns_for("Lab results")
    value_col = cols.index("value")
    model.sort(value_col, Qt.SortOrder.AscendingOrder)
    assert not model.natural_order
    values = [model.summary_at(r).summary.value for r in range(model.rowCount())]
    assert values == sorted(values)
    # rows added while a custom order is active land in order
    model.fetchMore()
    values = [model.data(model.index(r, value_col), SortRole)[1] for r in range(model.rowCount())]
    assert values == sorted(values) and len(values) == 2 * PAGE_SIZE
    model.fetch_all()
    title_col = cols.index("title")
    model.sort(title_col, Qt.SortOrder.DescendingOrder)
    titles = [model.data(model.index(r, title_col)) for r in range(MANY)]
    assert titles == sorted(titles, key=str.casefold, reverse=True)
    # back to the store's order
    model.sort(cols.index("date"), Qt.SortOrder.DescendingOrder)
    assert model.natural_order
    dates = [model.summary_at(r).summary.date for r in range(MANY)]
    assert dates == sorted(dates, reverse=True)


def test_filter_proxy_matches_every_word(qapp) -> None:
    rows = [summary(i, title=["Glucose", "Hemoglobin A1c", "Cholesterol"][i % 3]) for i in range(30)]
    model = RecordTableModel(lambda limit, offset: rows[offset:None if limit < 0 else offset + limit], len(rows),
                             columns=columns_for("Lab results"), page_size=10)
    proxy = RecordFilterProxy()
    proxy.setSourceModel(model)
    QAbstractItemModelTester(proxy, QAbstractItemModelTester.FailureReportingMode.Fatal)
    model.fetch_all()
    assert proxy.rowCount() == 30
    proxy.set_filter_text("  hemoGLOBIN  a1c ")
    assert proxy.rowCount() == 10
    assert all("Hemoglobin" in proxy.data(proxy.index(r, 1)) for r in range(10))
    proxy.set_filter_text("glucose cholesterol")
    assert proxy.rowCount() == 0
    proxy.set_filter_text("")
    assert proxy.rowCount() == 30
    # sorting through the proxy sorts the source (in Python)
    proxy.sort(1, Qt.SortOrder.AscendingOrder)
    assert model.data(model.index(0, 1)) == "Cholesterol"
    assert proxy.data(proxy.index(0, 1), SummaryRole).summary.title == "Cholesterol"


def test_extend_from_skips_rows_already_loaded(qapp) -> None:
    rows = [summary(i) for i in range(50)]
    model = RecordTableModel(lambda limit, offset: rows[offset:None if limit < 0 else offset + limit], 50,
                             page_size=20)
    model.fetchMore()
    model.paused = True
    assert not model.canFetchMore()
    model.extend_from(0, rows)
    assert model.rowCount() == 50 and [model.summary_at(r).id for r in range(50)] == [r.id for r in rows]
    model.clear()
    assert model.rowCount() == 0 and model.total == 0


def test_tooltips_are_escaped_and_display_is_plain(qapp) -> None:
    from PySide6.QtGui import QTextDocument

    hostile = "<b>x</b><img src=http://example.invalid/a.png>"
    rows = [summary(0, title=hostile)]
    model = RecordTableModel(lambda limit, offset: rows[offset:], 1, columns=columns_for(None))
    model.fetchMore()
    col = model.column_keys.index("title")
    assert model.data(model.index(0, col)) == hostile
    tip = model.data(model.index(0, col), Qt.ItemDataRole.ToolTipRole)
    assert "<img" not in tip and "<b>" not in tip
    doc = QTextDocument()
    doc.setHtml(tip)
    assert doc.toPlainText() == hostile


def test_trend_series_groups_by_code_with_newest_range() -> None:
    rows = [
        summary(1, code="loinc|1", value=5.0, date="2020-03-01", low=3.0, high=6.0),
        summary(2, code="loinc|1", value=7.0, date="2020-01-01", low=3.0, high=5.5, flag="H"),
        summary(3, code="loinc|1", value=9.0, date="2020-02-01", unit="mmol/L"),  # another unit: left out
        summary(4, code="loinc|1", value=4.0, date="2020-02-15"),
        summary(5, code="loinc|2", value=1.0, date="2021"),
        summary(6, code="loinc|3", value=None, date="2020-01-01"),  # not numeric
        summary(7, code="", value=3.0, date="2020-01-01"),  # no code
        summary(8, code="loinc|4", value=3.0, date="not a date"),
    ]
    series = trend_series(rows)
    assert set(series) == {"loinc|1", "loinc|2"}
    s = series["loinc|1"]
    assert s.unit == "mg/dL"
    assert [p.value for p in s.points] == [7.0, 4.0, 5.0]
    assert (s.low, s.high) == (3.0, 6.0)
    assert s.points[0].flag == "H"
    assert series["loinc|2"].points[0].when.year == 2021


def test_trend_series_of_synthetic_labs(many_wallet) -> None:
    series = trend_series(many_wallet.summaries(category="Lab results", limit=4000))
    assert len(series) == len(LAB_CODES)
    glucose = series["http://loinc.org|2339-0"]
    assert (glucose.low, glucose.high) == (70.0, 110.0)
    assert len(glucose.points) == 1000
    assert all(a.when <= b.when for a, b in zip(glucose.points, glucose.points[1:], strict=False))


@pytest.mark.parametrize("text, year", [("2020", 2020), ("2020-05", 2020), ("2020-05-06", 2020),
                                        ("2020-05-06T07:08:09Z", 2020), ("2020-05-06T07:08:09+02:00", 2020)])
def test_parse_when(text: str, year: int) -> None:
    when = parse_when(text)
    assert when is not None and when.year == year and when.tzinfo is not None
    assert parse_when("") is None and parse_when("soon") is None
