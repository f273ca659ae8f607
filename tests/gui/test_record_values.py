"""The record table and trend series show values exactly as written, with their
comparator, and clinical times in local time with the zone named."""

from __future__ import annotations

import os
import time
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt

from wallet.gui.models import RecordTableModel, columns_for, trend_series
from wallet.records.store import StoredSummary
from wallet.records.summary import summarize


@pytest.fixture
def tokyo_time():
    """This computer's zone set to Asia/Tokyo (UTC+09:00) for the test."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Tokyo"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


def _row(i: int, value: str, when: str, comparator: str = "") -> StoredSummary:
    quantity = {"value": Decimal(value), "unit": "mmol/L", **({"comparator": comparator} if comparator else {})}
    obs = {"resourceType": "Observation", "status": "final", "code": {"coding": [{"system": "http://loinc.org",
           "code": "2345-7", "display": "Glucose"}]}, "effectiveDateTime": when, "valueQuantity": quantity,
           "referenceRange": [{"low": {"value": Decimal("3.90")}, "high": {"value": Decimal("6.10")}}]}
    return StoredSummary(f"id{i}", summarize(obs))


def test_table_shows_exact_values_and_local_times(qapp, tokyo_time) -> None:
    rows = [_row(1, "5.10", "2024-03-09T23:30:00-05:00"), _row(2, "1", "2024-03-10", comparator="<")]
    model = RecordTableModel(lambda limit, offset: rows[offset:], len(rows), columns=columns_for("Lab results"))
    model.fetchMore(model.index(0, 0).parent())
    cols = model.column_keys
    text = {(r, k): model.data(model.index(r, cols.index(k))) for r in range(2) for k in ("date", "value", "range")}
    assert text[0, "date"] == "2024-03-10 13:30 JST" and text[1, "date"] == "2024-03-10"
    assert text[0, "value"] == "5.10 mmol/L" and text[1, "value"] == "< 1 mmol/L"
    assert text[0, "range"] == "3.90–6.10 mmol/L"
    tip = model.data(model.index(0, cols.index("date")), Qt.ItemDataRole.ToolTipRole)
    assert "as written: 2024-03-09T23:30:00-05:00" in tip


def test_trend_points_say_the_value_as_written(qapp, tokyo_time) -> None:
    (series,) = trend_series([_row(1, "5.10", "2024-03-09T23:30:00-05:00"),
                              _row(2, "4.0", "2024-03-09T23:00:00Z"), _row(3, "1E+999999", "2024-03-11")]).values()
    assert [p.text for p in series.points] == ["2024-03-10 08:00 JST: 4.0 mmol/L", "2024-03-10 13:30 JST: 5.10 mmol/L"]
    assert series.range_text == "3.90–6.10"
