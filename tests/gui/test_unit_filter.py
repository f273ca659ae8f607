"""The filter box finds a unit typed as the table shows it ("mmHg", "°C") in Synthea vitals
written in UCUM ("mm[Hg]", "Cel"), in a category read whole and in one searched in the store."""

from __future__ import annotations

import pytest

from tests.conftest import FIXTURES
from wallet.gui import records_panel
from wallet.gui.app_window import MainWindow

GUSTAVO = FIXTURES / "synthea" / "Gustavo_Mejía_59a8543c-e24f-4a01-b28b-47ccde6bc11d.json"


def _vitals(qtbot, window: MainWindow, unlocked) -> records_panel.RecordsPanel:
    unlocked.import_file(GUSTAVO)
    window.set_wallet(unlocked)
    window.show()
    window.show_category("Vital signs")
    panel = window.panel
    qtbot.waitUntil(lambda: not panel.loading and panel.model is not None and panel.model.total > 0, timeout=30_000)
    return panel


def _ids(panel: records_panel.RecordsPanel) -> set[str]:
    return {panel.model.summary_at(panel.proxy.mapToSource(panel.proxy.index(r, 0)).row()).id
            for r in range(panel.proxy.rowCount())}


def _shown(qtbot, panel: records_panel.RecordsPanel, text: str) -> set[str]:
    """Type ``text``; the ids of the rows the table shows once the store's matches are in."""
    panel.filter_edit.setText(text)
    qtbot.waitUntil(lambda: not panel.searching, timeout=30_000)
    if panel.large:
        qtbot.waitUntil(lambda: panel.model.total == panel.proxy.rowCount(), timeout=30_000)
    return _ids(panel)


def _written_in(unlocked, code: str) -> set[str]:
    """Vital signs whose unit or detail is written in UCUM ``code``."""
    return {r.id for r in unlocked.summaries(category="Vital signs")
            if r.summary.unit == code or f" {code}" in r.summary.detail}


def _check(qtbot, panel: records_panel.RecordsPanel, unlocked) -> None:
    pressure, temperature = _written_in(unlocked, "mm[Hg]"), _written_in(unlocked, "Cel")
    assert pressure and temperature
    assert _shown(qtbot, panel, "mmHg") == pressure == _shown(qtbot, panel, "mm[Hg]")
    assert temperature <= _shown(qtbot, panel, "°C")
    assert not (_shown(qtbot, panel, "°C") & pressure)
    shown_text = [panel.proxy.index(r, c).data() for r in range(panel.proxy.rowCount())
                  for c in range(panel.proxy.columnCount())]
    assert any("°C" in str(t) for t in shown_text)  # the rows found show the unit as typed


def test_a_unit_typed_as_shown_filters_a_category_read_whole(qtbot, window: MainWindow, unlocked) -> None:
    panel = _vitals(qtbot, window, unlocked)
    assert not panel.large
    panel.filter_edit.setText("mmHg")  # the rows' own text decides at once, before the store's matches arrive
    assert _ids(panel) == _written_in(unlocked, "mm[Hg]")
    _check(qtbot, panel, unlocked)


def test_a_unit_typed_as_shown_filters_a_category_searched_in_the_store(qtbot, window: MainWindow, unlocked,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(records_panel, "IN_MEMORY_LIMIT", 10)  # the vital signs count as too many to read whole
    panel = _vitals(qtbot, window, unlocked)
    assert panel.large
    _check(qtbot, panel, unlocked)
