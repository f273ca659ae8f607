"""The detail pane, the overview page and the trend chart, offscreen: a record in plain
words with references by name, the record at a glance, lab values with their range and
flag, a chart that is honest about scale and not drawn for one value."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from tests.conftest import FIXTURES
from wallet.gui.detail import DetailPane
from wallet.gui.models import (
    DRAWN_BUCKETS,
    RecordTableModel,
    TrendPoint,
    TrendSeries,
    columns_for,
    trend_series,
    value_domain,
)
from wallet.gui.overview_view import overview_line
from wallet.gui.trend_chart import TrendChart
from wallet.records.store import StoredSummary
from wallet.records.summary import summarize

from .conftest import SMALL_PATIENT

REALWORLD = FIXTURES / "realworld"
HOSTILE = "<b>x</b><img src=http://example.invalid/t.png>"


def _row(res: dict, rid: str = "r1") -> StoredSummary:
    return StoredSummary(rid, summarize(res))


def test_detail_pane_reads_a_lab_value_with_comparator_range_and_flag(qtbot) -> None:
    pane = DetailPane()
    qtbot.addWidget(pane)
    res = json.loads((REALWORLD / "comparator-range-units" / "less-than.json").read_text("utf-8"))
    pane.show_record(_row(res), res)
    facts = {k: v.text() for k, v in pane.facts.items()}
    assert facts["Result"] == "< 5 mg/dL"
    assert facts["Reference range"] == "10–20 mg/dL"
    assert facts["Flag"] == "Low (outside the reference range)"
    assert facts["Code"] == "LOINC 2345-7"
    assert pane.fields["title"].text() == "Glucose D (<5)"
    assert [pane.tabs.tabText(n) for n in range(pane.tabs.count())] == ["Summary", "All fields", "FHIR JSON"]
    assert json.loads(pane.json_view.toPlainText())["id"] == "less-than"

    other = json.loads((REALWORLD / "comparator-range-units" / "range-other-unit.json").read_text("utf-8"))
    pane.show_record(_row(other), other)
    facts = {k: v.text() for k, v in pane.facts.items()}
    assert facts["Result"] == "5.5 mmol/L" and "Flag" not in facts
    assert facts["Reference range"] == "70–110 mg/dL (another unit: not compared with the result)"

    labs = json.loads((REALWORLD / "lab-flags" / "interpretation-vs-range.json").read_text("utf-8"))
    pane.show_record(_row(labs[2]), labs[2])
    assert pane.facts["Flag"].text() == "Critically high (as the lab reported it)"


def test_detail_pane_reads_a_medication_with_prescriber_and_reason_by_name(qtbot) -> None:
    pane = DetailPane()
    qtbot.addWidget(pane)
    res = {"resourceType": "MedicationRequest", "id": "rx", "status": "active", "intent": "order",
           "authoredOn": "2023-04-05", "requester": {"reference": "urn:uuid:doc"},
           "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                                     "code": "860975", "display": "Metformin 500 MG Oral Tablet"}]},
           "reasonReference": [{"reference": "Condition/c1"}],
           "dosageInstruction": [{"timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}},
                                  "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet"}}]}]}
    pane.show_record(_row(res), res, {"urn:uuid:doc": "Dr Jordan Example", "Condition/c1": "Diabetes"})
    facts = {k: v.text() for k, v in pane.facts.items()}
    assert facts == {"Dose": "1 tablet", "How often": "twice a day", "Since": "2023-04-05",
                     "Prescriber": "Dr Jordan Example", "Reason": "Diabetes", "Status": "active",
                     "Code": "RxNorm 860975"}
    assert "urn:uuid" not in " ".join(facts.values())


def test_detail_pane_reads_conditions_and_immunizations(qtbot) -> None:
    pane = DetailPane()
    qtbot.addWidget(pane)
    condition = {"resourceType": "Condition", "code": {"text": "Asthma"}, "onsetDateTime": "2010-02-03",
                 "clinicalStatus": {"coding": [{"code": "resolved"}]}, "abatementDateTime": "2015"}
    pane.show_record(_row(condition), condition)
    facts = {k: v.text() for k, v in pane.facts.items()}
    assert (facts["Status"], facts["Onset"], facts["Resolved"]) == ("past (resolved)", "2010-02-03", "2015")
    shot = {"resourceType": "Immunization", "status": "completed", "occurrenceDateTime": "2021-04-01",
            "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "207"}]},
            "protocolApplied": [{"doseNumberPositiveInt": 2, "seriesDosesPositiveInt": 2}], "lotNumber": "L1"}
    pane.show_record(_row(shot), shot)
    facts = {k: v.text() for k, v in pane.facts.items()}
    assert facts["Vaccine"] == "COVID-19 vaccine (Moderna)" and facts["Dose number"] == "2 of 2"
    assert facts["Date given"] == "2021-04-01" and facts["Code"] == "CVX 207"


def test_detail_pane_shows_record_text_literally(qtbot) -> None:
    pane = DetailPane()
    qtbot.addWidget(pane)
    res = {"resourceType": "MedicationStatement", "status": "active", "medicationCodeableConcept": {"text": HOSTILE},
           "dosage": [{"text": HOSTILE}], "informationSource": {"display": HOSTILE}}
    pane.show_record(_row(res), res)
    assert pane.fields["title"].text() == HOSTILE and pane.facts["Instructions"].text() == HOSTILE
    for label in pane.findChildren(QLabel):
        if HOSTILE in label.text():
            assert label.textFormat() == Qt.TextFormat.PlainText


def test_lab_table_shows_the_labs_words_and_colours_only_abnormal(qapp) -> None:
    labs = json.loads((REALWORLD / "lab-flags" / "interpretation-vs-range.json").read_text("utf-8"))
    rows = [_row(r, f"r{n}") for n, r in enumerate(labs)]
    model = RecordTableModel(lambda limit, offset: rows[offset:] if limit < 0 else rows[offset:offset + limit],
                             len(rows), columns=columns_for("Lab results"))
    model.fetch_all()
    flag = model.column_keys.index("flag")
    assert [model.index(r, flag).data() for r in range(3)] == ["High", "Normal", "Critically high"]
    colours = [model.index(r, flag).data(Qt.ItemDataRole.ForegroundRole) for r in range(3)]
    assert colours[0] is not None and colours[1] is None and colours[2] is not None


def _series(n: int, *, value=lambda i: 100.0 + (i % 7), low: float | None = 70.0,
            high: float | None = 110.0) -> TrendSeries:
    start = datetime(2000, 1, 1, tzinfo=UTC)
    points = tuple(TrendPoint(start + timedelta(hours=i), value(i), "H" if value(i) > 110 else "", f"v{i}")
                   for i in range(n))
    return TrendSeries("http://loinc.org|2345-7", "Glucose", "mg/dL", points, low, high)


def test_long_series_are_drawn_from_time_slices_and_keep_their_spikes() -> None:
    s = _series(100_000, value=lambda i: 500.0 if i == 54_321 else 90.0 + (i % 5))
    assert len(s.drawn) <= 3 * DRAWN_BUCKETS
    assert max(p.value for p in s.drawn) == 500.0 and min(p.value for p in s.drawn) == 90.0
    assert [p.when for p in s.drawn] == sorted(p.when for p in s.drawn)
    short = _series(50)
    assert short.drawn == short.points


def test_the_value_axis_is_honest() -> None:
    # a nearly flat series is not stretched to fill the chart
    lo, hi = value_domain([98.0, 98.5, 99.0], None, None)
    assert hi - lo >= 0.2 * 99.0
    # the reference range is always in view, and values of zero or more never get a negative axis
    lo, hi = value_domain([5.0, 6.0], 3.5, 5.1)
    assert lo <= 3.5 and hi >= 6.0 and lo >= 0
    lo, hi = value_domain([0.0, 1.0], None, None)
    assert lo == 0.0
    lo, hi = value_domain([-3.0, 2.0], None, None)
    assert lo < -3.0


def test_trend_series_uses_only_a_range_in_its_own_unit() -> None:
    base = {"resourceType": "Observation", "code": {"coding": [{"system": "http://loinc.org", "code": "2345-7"}]},
            "category": [{"coding": [{"code": "laboratory"}]}]}
    mmol = {**base, "effectiveDateTime": "2024-01-02", "valueQuantity": {"value": 5.5, "unit": "mmol/L"},
            "referenceRange": [{"low": {"value": 70, "unit": "mg/dL"}, "high": {"value": 110, "unit": "mg/dL"}}]}
    older = {**mmol, "effectiveDateTime": "2024-01-01", "valueQuantity": {"value": 5.0, "unit": "mmol/L"}}
    series = trend_series([_row(mmol, "a"), _row(older, "b")])["http://loinc.org|2345-7"]
    assert series.unit == "mmol/L" and series.low is None and series.high is None


def test_trend_chart_is_not_drawn_for_a_single_value(qtbot) -> None:
    chart = TrendChart()
    qtbot.addWidget(chart)
    chart.resize(600, 300)
    chart.set_series(_series(1))
    chart.grab()  # paints
    assert chart._plotted == [] and "one result so far" in chart._message
    chart.set_series(_series(100_000))
    chart.grab()
    assert 0 < len(chart._plotted) <= 3 * DRAWN_BUCKETS


def test_overview_lines_read_like_a_summary() -> None:
    med = _row({"resourceType": "MedicationRequest", "status": "active", "authoredOn": "2020-01-02",
                "medicationCodeableConcept": {"text": "Metformin 500 mg"},
                "dosageInstruction": [{"timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}}}]})
    assert overview_line(med, "active_medications") == "Metformin 500 mg — twice a day (since 2020-01-02)"
    bp = _row({"resourceType": "Observation", "category": [{"coding": [{"code": "vital-signs"}]}],
               "code": {"text": "Body weight"}, "effectiveDateTime": "2024-03-10",
               "valueQuantity": {"value": Decimal("72.50"), "unit": "kg"}})
    assert overview_line(bp, "latest_vitals") == "Body weight: 72.50 kg — 2024-03-10"


def test_overview_page_shows_the_record_at_a_glance(qtbot, window, unlocked) -> None:
    window.set_wallet(unlocked)
    window.show()
    window.import_files([SMALL_PATIENT])
    qtbot.waitUntil(lambda: window.last_import is not None and not window.importing, timeout=30_000)
    assert window.middle.currentWidget() is window.overview
    lists = window.overview.lists
    qtbot.waitUntil(lambda: lists["latest_vitals"].count() > 0, timeout=10_000)
    overview = unlocked.overview()
    assert lists["current_conditions"].item(0).text() == overview_line(overview.current_conditions[0],
                                                                       "current_conditions")
    counts = unlocked.record_counts()
    status = window.overview.status.text()
    assert f"{counts.total:,} records in this profile, insurance and billing included" in status
    assert counts.total > counts.clinical  # the sidebar's All records leaves insurance and billing out
    # choosing a line shows that record in the detail pane
    item = lists["current_conditions"].item(0)
    lists["current_conditions"].itemClicked.emit(item)
    title = overview.current_conditions[0].summary.title
    qtbot.waitUntil(lambda: window.detail.fields["title"].text() == title, timeout=5000)
    assert "Status" in window.detail.facts


def test_a_bound_is_kept_apart_from_a_measurement_in_the_trend() -> None:
    base = {"resourceType": "Observation", "code": {"coding": [{"system": "http://loinc.org", "code": "5048-4"}]},
            "category": [{"coding": [{"code": "laboratory"}]}]}
    rows = [_row({**base, "effectiveDateTime": "2024-01-01", "valueQuantity": {"value": 5, "comparator": "<",
                                                                              "unit": "/uL"}}, "a"),
            _row({**base, "effectiveDateTime": "2024-02-01", "valueQuantity": {"value": 7, "unit": "/uL"}}, "b")]
    points = trend_series(rows)["http://loinc.org|5048-4"].points
    assert [(p.comparator, p.value) for p in points] == [("<", 5.0), ("", 7.0)]
    assert points[0].text.endswith("< 5 /uL")  # the tooltip says what the record says


def test_a_trend_is_named_by_its_codes_display_not_a_records_text() -> None:
    labs = json.loads((REALWORLD / "lab-flags" / "interpretation-vs-range.json").read_text("utf-8"))
    series = trend_series([_row(res, f"r{i}") for i, res in enumerate(labs)])
    assert [s.title for s in series.values()] == ["Glucose [Mass/volume] in Serum or Plasma"]


def test_the_trend_follows_the_selected_rows_code(qtbot, window, unlocked) -> None:
    unlocked.import_file(SMALL_PATIENT)
    unlocked.import_file(REALWORLD / "lab-flags" / "interpretation-vs-range.json", same_person=True)
    window.set_wallet(unlocked)
    window.show()
    window.show_category("Lab results")
    qtbot.waitUntil(lambda: not window.panel.loading, timeout=30_000)
    panel = window.panel
    codes = {}
    for r in range(panel.proxy.rowCount()):
        s = panel.model.summary_at(panel.proxy.mapToSource(panel.proxy.index(r, 0)).row()).summary
        if s.value is not None and s.code:
            codes.setdefault(s.code, r)
    assert "http://loinc.org|2345-7" in codes and len(codes) > 1
    for code, row in codes.items():
        panel.select_row(row)
        assert panel.trend_chart.series is not None and panel.trend_chart.series.code == code
        assert "(lab:" not in panel.trend_chart.series.title and "(lab:" not in panel.trend_combo.currentText()
