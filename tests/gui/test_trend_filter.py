"""The trend chart follows the filter box: it draws the values of the rows the table shows,
on the whole series' axes, and says above the plot how many of the test's values these are."""

from __future__ import annotations

from PySide6.QtGui import QImage

from wallet.gui import records_panel
from wallet.gui.app_window import MainWindow

from .conftest import add_synthetic

GLUCOSE, HEMOGLOBIN = "http://loinc.org|2339-0", "http://loinc.org|718-7"
RECORDS = 400  # 100 values of each of four tests, one a day from 1990-01-01 to 1990-04-16


def _open_labs(qtbot, window: MainWindow, unlocked) -> records_panel.RecordsPanel:
    add_synthetic(unlocked, RECORDS)
    window.set_wallet(unlocked)
    window.show()
    window.show_category("Lab results")
    panel = window.panel
    qtbot.waitUntil(lambda: not panel.loading and panel.trend_chart.series is not None, timeout=30_000)
    return panel


def _choose(panel: records_panel.RecordsPanel, code: str) -> None:
    panel.trend_combo.setCurrentIndex(panel.trend_combo.findData(code))


def _filter(qtbot, panel: records_panel.RecordsPanel, text: str, note: str) -> None:
    """Type ``text`` in the filter box; wait for the table's full-text matches and the chart's ``note``."""
    panel.filter_edit.setText(text)
    qtbot.waitUntil(lambda: not panel.searching and panel.trend_chart.note == note, timeout=30_000)


def test_the_chart_draws_the_values_the_filtered_table_shows(qtbot, window: MainWindow, unlocked) -> None:
    panel = _open_labs(qtbot, window, unlocked)
    _choose(panel, GLUCOSE)
    full = panel.trend_chart.series
    assert full is not None and full.code == GLUCOSE and len(full.points) == 100 and panel.trend_chart.note == ""

    _filter(qtbot, panel, "1990-02", "Filtered by “1990-02”: 28 of 100 values")  # a month, as the date column shows it
    shown = {panel.model.summary_at(panel.proxy.mapToSource(panel.proxy.index(r, 0)).row()).id
             for r in range(panel.proxy.rowCount())}
    glucose_shown = [s for s in panel.model.rows() if s.id in shown and s.summary.code == GLUCOSE]
    part = panel.trend_chart.series
    assert part is not None and part.code == GLUCOSE
    assert len(part.points) == len(glucose_shown) == 28 and {p.when.month for p in part.points} == {2}
    assert (part.unit, part.low, part.high, part.title) == (full.unit, full.low, full.high, full.title)
    assert panel.trend_chart.note == "Filtered by “1990-02”: 28 of 100 values"
    assert "Filtered by" in panel.trend_chart.accessibleDescription()
    image = QImage(panel.trend_chart.size(), QImage.Format.Format_ARGB32)
    panel.trend_chart.render(image)  # paints the note and the part without error

    flagged = [p for p in full.points if p.flag == "H"]
    _filter(qtbot, panel, "high", f"Filtered by “high”: {len(flagged)} of 100 values")  # found by the full-text search
    assert panel.trend_chart.series is not None
    assert [p.when for p in panel.trend_chart.series.points] == [p.when for p in flagged]
    assert panel.trend_chart.note == f"Filtered by “high”: {len(flagged)} of 100 values"

    # the chosen test is filtered out: the chart shows one still listed
    _filter(qtbot, panel, "hemoglobin", "Filtered by “hemoglobin”: 100 of 100 values")
    assert panel.trend_combo.currentData() == HEMOGLOBIN and len(panel.trend_chart.series.points) == 100
    assert panel.trend_chart.note == "Filtered by “hemoglobin”: 100 of 100 values"

    _filter(qtbot, panel, "no such test anywhere", "Filtered by “no such test anywhere”: 0 of 100 values")
    assert panel.trend_chart.series is None and "No Hemoglobin values match the filter." in panel.trend_chart._message

    _filter(qtbot, panel, "", "")
    assert panel.trend_chart.series is not None and len(panel.trend_chart.series.points) == 100


def test_a_large_category_charts_what_its_store_search_finds(qtbot, window: MainWindow, unlocked,
                                                             monkeypatch) -> None:
    monkeypatch.setattr(records_panel, "IN_MEMORY_LIMIT", 100)  # 400 records stand for a million
    panel = _open_labs(qtbot, window, unlocked)
    assert panel.large
    _choose(panel, GLUCOSE)
    assert len(panel.trend_chart.series.points) == 100

    panel.filter_edit.setText("glucose high")
    found = unlocked.search("glucose high", category="Lab results", limit=1000)
    assert 0 < len(found) < 100
    qtbot.waitUntil(lambda: panel.trend_chart.series is not None and panel.trend_chart.note.endswith("values"),
                    timeout=30_000)
    assert sorted(p.when for p in panel.trend_chart.series.points) == sorted(
        p.when for p in panel.trend_chart.series.points if p.flag == "H")
    assert len(panel.trend_chart.series.points) == len(found)
    assert panel.trend_chart.note == f"Filtered by “glucose high”: {len(found)} of 100 values"

    _filter(qtbot, panel, "", "")
    assert len(panel.trend_chart.series.points) == 100


def test_a_filtered_trend_of_many_values_is_built_on_the_worker_thread(qtbot, window: MainWindow, unlocked,
                                                                       monkeypatch) -> None:
    monkeypatch.setattr(records_panel, "SYNC_TREND_VALUES", 10)  # 28 values stand for many thousands
    panel = _open_labs(qtbot, window, unlocked)
    _choose(panel, GLUCOSE)
    _filter(qtbot, panel, "1990-02", "Filtered by “1990-02”: 28 of 100 values")
    assert {p.when.month for p in panel.trend_chart.series.points} == {2}

    panel.filter_edit.setText("1990-03")
    panel.filter_edit.setText("1990-04")  # typed on before the first arrived: only the last one is drawn
    qtbot.waitUntil(lambda: panel.trend_chart.note.startswith("Filtered by “1990-04”"), timeout=30_000)
    assert {p.when.month for p in panel.trend_chart.series.points} == {4}
