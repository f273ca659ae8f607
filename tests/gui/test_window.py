"""The main window: import with progress, cancel, drop, refusals, browsing, details,
trends, hostile text shown literally, and 20,000 records without stalling."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QTextDocument
from PySide6.QtWidgets import QLabel

from tests.conftest import FIXTURES
from wallet.gui.app_window import EMPTY_WALLET_TEXT, MainWindow
from wallet.gui.models import ALL_RECORDS, OVERVIEW, CountRole
from wallet.services import CATEGORIES, INSURANCE

from .conftest import BIG_PATIENT, MANY, SMALL_PATIENT

HOSTILE = "<b>x</b><img src=http://example.invalid/track.png>"


def wait_import(qtbot, window: MainWindow, timeout: int = 30_000):
    qtbot.waitUntil(lambda: window.last_import is not None and not window.importing, timeout=timeout)
    return window.last_import


def wait_idle(qtbot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: not window.panel.loading, timeout=30_000)


def test_empty_wallet_invites_an_import(qtbot, window: MainWindow, unlocked) -> None:
    window.set_wallet(unlocked)
    window.show()
    assert window.windowTitle() == "Health Wallet"
    assert window.pages.currentWidget() is window.welcome
    assert window.welcome_label.text() == EMPTY_WALLET_TEXT
    assert window.import_action.shortcut().toString() == "Ctrl+I"
    assert window.address_label.text() == unlocked.identity.address


def test_import_synthea_patient_with_progress(qtbot, window: MainWindow, unlocked) -> None:
    window.set_wallet(unlocked)
    window.show()
    seen = []
    original = window.import_bar.update_progress
    window.import_bar.update_progress = lambda p: (seen.append(p), original(p))[1]
    window.import_files([SMALL_PATIENT])
    assert window.import_bar.isVisible() and window.import_bar.cancel_button.isEnabled()
    report = wait_import(qtbot, window)
    assert report.ok and "Imported" in report.headline and SMALL_PATIENT.name in report.text
    assert seen and seen[0].total > 0 and seen[-1].fraction == 1.0
    assert not window.import_bar.isVisible()
    assert window.report_box is not None and window.report_box.textFormat() == Qt.TextFormat.PlainText

    # counts per category, as the store has them, in the category list
    counts = unlocked.counts_by_category()
    assert sum(counts.values()) > 100
    for row, name in enumerate(window.categories.NAMES):
        shown = window.categories.data(window.categories.index(row), CountRole)
        assert shown == (sum(counts.values()) if name == OVERVIEW
                         else sum(counts.values()) - counts[INSURANCE] if name == ALL_RECORDS else counts[name])
    assert window.pages.currentWidget() is window.splitter
    assert window.middle.currentWidget() is window.overview  # the record at a glance comes first
    window.show_category(ALL_RECORDS)
    assert window.panel.category == ALL_RECORDS and window.panel.proxy.rowCount() > 0

    # importing it again adds nothing
    window.last_import = None
    window.import_files([SMALL_PATIENT])
    again = wait_import(qtbot, window)
    assert "Imported 0 records" in again.headline and "already in the wallet" in again.text
    assert unlocked.counts_by_category() == counts


def test_refused_files_are_listed_with_their_message(qtbot, window: MainWindow, unlocked, tmp_path: Path) -> None:
    window.set_wallet(unlocked)
    bad = FIXTURES / "invalid" / "fhir-not-json.json"
    window.import_files([bad, FIXTURES / "fhir-examples" / "Condition-example.json", tmp_path])
    report = wait_import(qtbot, window)
    assert not report.ok
    assert "1 file refused" not in report.headline and "2 files refused" in report.headline
    assert "Imported 1 record from 1 file." in report.headline
    refused = report.text.split("Refused", 1)[1]
    assert bad.name in refused and tmp_path.name in refused and "folder" in refused
    assert window.report_box.icon() == window.report_box.Icon.Warning
    assert window.report_box.text() == report.text


def test_cancel_import(qtbot, window: MainWindow, unlocked) -> None:
    window.set_wallet(unlocked)
    window.show()
    window.import_files([BIG_PATIENT])
    qtbot.waitUntil(lambda: window.import_bar.bar.maximum() > 0 or window.last_import is not None, timeout=20_000)
    qtbot.mouseClick(window.import_bar.cancel_button, Qt.MouseButton.LeftButton)
    outcome = wait_import(qtbot, window)
    assert isinstance(outcome, str) and "cancelled" in outcome
    assert "cancelled" in window.statusBar().currentMessage()
    assert sum(unlocked.counts_by_category().values()) == 0
    assert window.pages.currentWidget() is window.welcome


def test_cancel_before_the_worker_starts(qtbot, window: MainWindow, unlocked) -> None:
    window.set_wallet(unlocked)
    window.import_files([SMALL_PATIENT])
    window.cancel_import()
    assert isinstance(wait_import(qtbot, window), str)
    assert sum(unlocked.counts_by_category().values()) == 0


def test_drop_files_to_import(qtbot, window: MainWindow, unlocked) -> None:
    window.set_wallet(unlocked)
    window.show()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(FIXTURES / "fhir-examples" / "Observation-f001.json"))])
    # Qt delivers drop events only inside a real drag; call the handlers as that drag would
    enter = QDragEnterEvent(QPoint(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    window.dragEnterEvent(enter)
    assert enter.isAccepted()
    event = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    assert event.isAccepted()
    report = wait_import(qtbot, window)
    assert report.ok and "Observation-f001.json" in report.text
    assert window.categories.total == 1


def test_browse_category_details_and_trend(qtbot, window: MainWindow, unlocked) -> None:
    window.set_wallet(unlocked)
    window.show()
    window.import_files([SMALL_PATIENT])
    wait_import(qtbot, window)
    window.show_category("Lab results")
    wait_idle(qtbot, window)
    panel = window.panel
    assert panel.category == "Lab results" and panel.trend_box.isVisible()
    assert panel.model.fully_loaded and panel.proxy.rowCount() == unlocked.counts_by_category()["Lab results"]
    assert panel.trend_combo.count() > 0 and panel.trend_chart.series is not None
    # choose a measurement: the detail pane and the chart follow
    row = next(r for r in range(panel.proxy.rowCount()) if panel.model.summary_at(r).summary.value is not None)
    panel.select_row(row)
    chosen = panel.current_summary()
    qtbot.waitUntil(lambda: window.detail.fields["title"].text() == chosen.summary.title, timeout=5000)
    assert panel.trend_chart.series.code == chosen.summary.code
    resource = json.loads(window.detail.json_view.toPlainText(), parse_float=Decimal)  # decimals as written
    assert resource == unlocked.record(chosen.id)
    assert window.detail.tree.topLevelItemCount() > 3
    assert not window.detail.tabs.isHidden()
    window.grab()  # paints the chart without error
    # the filter
    panel.filter_edit.setText(chosen.summary.title)
    assert 0 < panel.proxy.rowCount() < panel.model.total or panel.proxy.rowCount() == panel.model.total
    panel.filter_edit.setText("no such test anywhere")
    qtbot.waitUntil(lambda: not panel.searching, timeout=10_000)  # the full-text search, on the worker
    assert panel.proxy.rowCount() == 0 and panel.stack.currentWidget() is panel.empty
    assert "no such test anywhere" in panel.empty.text()
    # every category opens; empty ones say so
    for name in CATEGORIES:
        window.show_category(name)
        wait_idle(qtbot, window)
        if unlocked.counts_by_category()[name] == 0:
            assert panel.stack.currentWidget() is panel.empty and "yet" in panel.empty.text()


def test_hostile_text_is_shown_literally(qtbot, window: MainWindow, unlocked, tmp_path: Path) -> None:
    narrative = ('<div xmlns="http://www.w3.org/1999/xhtml">&lt;b&gt;x&lt;/b&gt;&lt;img '
                 'src=http://example.invalid/track.png&gt;</div>')
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:0c6b5a52-0d1e-4a0e-9d6f-1a2b3c4d5e6f",
         "resource": {"resourceType": "Condition", "id": "hostile",
                      "subject": {"reference": "urn:uuid:5b2c8a4e-5d0b-4d2a-9a55-0f9e8d7c6b5a"},
                      "code": {"text": HOSTILE}, "onsetDateTime": "2020-01-02",
                      "text": {"status": "generated", "div": narrative}}},
        {"fullUrl": "urn:uuid:5b2c8a4e-5d0b-4d2a-9a55-0f9e8d7c6b5a",
         "resource": {"resourceType": "Patient", "id": "p", "name": [{"text": HOSTILE}]}},
    ]}
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(bundle))
    window.set_wallet(unlocked)
    window.show()
    window.import_files([path])
    assert wait_import(qtbot, window).ok
    window.show_category("Conditions")
    panel = window.panel
    assert panel.proxy.rowCount() == 1
    title_col = panel.model.column_keys.index("title")
    assert panel.proxy.index(0, title_col).data() == HOSTILE
    tip = panel.proxy.index(0, title_col).data(Qt.ItemDataRole.ToolTipRole)
    doc = QTextDocument()
    doc.setHtml(tip)
    assert doc.toPlainText() == HOSTILE and "<img" not in tip

    panel.select_row(0)
    label = window.detail.fields["title"]
    qtbot.waitUntil(lambda: label.text() == HOSTILE, timeout=5000)
    assert label.textFormat() == Qt.TextFormat.PlainText
    # what is drawn is the literal text: a plain label is as wide as the text, markup included
    twin = QLabel()
    twin.setFont(label.font())  # the title is set in a larger bold font
    twin.setTextFormat(Qt.TextFormat.PlainText)
    twin.setText(HOSTILE)
    assert label.fontMetrics().horizontalAdvance(HOSTILE) == twin.fontMetrics().horizontalAdvance(HOSTILE)
    assert window.detail.narrative.toPlainText() == HOSTILE
    for field in window.detail.fields.values():
        assert field.textFormat() == Qt.TextFormat.PlainText
    # every label in the window that shows record data is plain text
    for lab in window.findChildren(QLabel):
        if HOSTILE in lab.text():
            assert lab.textFormat() == Qt.TextFormat.PlainText
    # the patient's name, in All records
    window.show_category(ALL_RECORDS)
    texts = [panel.proxy.index(r, panel.model.column_keys.index("title")).data() for r in range(panel.proxy.rowCount())]
    assert texts.count(HOSTILE) == 2


def test_stays_responsive_with_20000_records(qtbot, window: MainWindow, many_wallet) -> None:
    """Behaviour, not timing (bench_gui_startup.py measures speed): pages load lazily and the
    full read runs on a worker while the GUI thread keeps handling events."""
    window.set_wallet(many_wallet)
    window.show()
    panel = window.panel
    assert window.categories.total == MANY
    window.show_category(ALL_RECORDS)
    assert panel.model.loaded <= 2 * 200, "the timeline loads lazily"

    # Lab results: the first page at once, the rest and the trend from a worker
    window.show_category("Lab results")
    assert panel.proxy.rowCount() >= 200 and panel.loading
    assert panel.model.loaded < MANY // 4, "the rest is still being read off the GUI thread"
    turns = 0
    while panel.loading:
        qtbot.wait(5)  # returns only if the event loop ran: the GUI thread is free
        turns += 1
    assert turns >= 1
    assert panel.model.fully_loaded and panel.proxy.rowCount() == MANY
    series = panel.trend_chart.series
    assert series is not None and series.high is not None and len(series.points) == MANY // 4
    window.grab()
    # sorting and filtering the whole category
    panel.table.sortByColumn(panel.model.column_keys.index("value"), Qt.SortOrder.DescendingOrder)
    panel.filter_edit.setText("glucose")
    assert panel.proxy.rowCount() == MANY // 4
    values = [panel.model.summary_at(panel.proxy.mapToSource(panel.proxy.index(r, 0)).row()).summary.value
              for r in range(panel.proxy.rowCount())]
    assert values == sorted(values, reverse=True)


def test_profile_switcher_keeps_each_person_apart(qtbot, window: MainWindow, unlocked, monkeypatch) -> None:
    from wallet.gui import profile_switcher

    child_file = FIXTURES / "synthea" / "Kermit_Trantow_f1a650a5-737e-4fd7-828e-03c3348b9524.json"
    window.set_wallet(unlocked)
    window.show()
    window.import_files([SMALL_PATIENT])
    first = wait_import(qtbot, window)
    assert "This wallet now holds the record of Chet Thompson (born 1939-01-27) as its owner." in first.text
    assert "Not me: someone else's…" in [b.text() for b in window.report_box.buttons()]
    switcher = window.profile_switcher
    assert switcher.count() == 1 and not switcher.isEnabled()
    owner_total = window.categories.total

    # another person's file is refused, naming both; the user keeps it in a new profile
    window.last_import = None
    window.import_files([child_file])
    refused = wait_import(qtbot, window)
    assert not refused.ok and "Kermit Trantow (born 1993-06-21)" in refused.text and "Chet Thompson" in refused.text
    assert window.categories.total == owner_total
    assert {"Keep in a new profile…", "It is the same person"} <= {b.text() for b in window.report_box.buttons()}
    monkeypatch.setattr(profile_switcher, "ask_profile_name", lambda _parent, person: "child")
    window.last_import = None
    window.keep_refused_in_profile()
    kept = wait_import(qtbot, window)
    assert kept.ok and "New profile 'child' for Kermit Trantow (born 1993-06-21)." in kept.text
    assert switcher.count() == 2 and switcher.isEnabled() and switcher.current_profile == "owner"
    assert window.categories.total == owner_total  # still the owner's records on screen

    # switching reloads the categories, counts and list for that person
    switcher.setCurrentIndex(switcher.findData("child"))
    assert unlocked.profile == "child"
    wait_idle(qtbot, window)
    assert window.categories.total == unlocked.store.count(profile="child") == 117
    window.show_category(ALL_RECORDS)
    wait_idle(qtbot, window)
    patients = [window.panel.model.summary_at(r).summary.title for r in range(window.panel.model.loaded)
                if window.panel.model.summary_at(r).summary.resource_type == "Patient"]
    assert patients == ["Kermit Trantow"]
    switcher.setCurrentIndex(switcher.findData("owner"))
    wait_idle(qtbot, window)
    assert window.categories.total == owner_total


def test_first_import_of_someone_else_moves_to_a_profile(qtbot, window: MainWindow, unlocked, monkeypatch) -> None:
    from wallet.gui import profile_switcher

    window.set_wallet(unlocked)
    window.import_files([SMALL_PATIENT])
    wait_import(qtbot, window)
    total = window.categories.total
    monkeypatch.setattr(profile_switcher, "ask_profile_name", lambda _parent, person: "dad")
    window.owner_is_someone_else()
    assert [(p.name, p.records) for p in unlocked.profiles()] == [("owner", 0), ("dad", total)]
    assert unlocked.profile == "dad" and window.profile_switcher.current_profile == "dad"
    assert window.categories.total == total


def test_no_view_widens_a_1024_wide_window(qtbot, themed_app, unlocked) -> None:
    from wallet.gui.theme import apply_theme

    apply_theme(themed_app)  # as the app starts: the theme's fonts and margins
    unlocked.import_file(BIG_PATIENT)
    window = MainWindow()
    qtbot.addWidget(window)
    window.set_wallet(unlocked)
    window.resize(1024, 700)
    window.show()
    try:
        for name in (ALL_RECORDS, OVERVIEW, *CATEGORIES):
            window.show_category(name)
            wait_idle(qtbot, window)
            qtbot.wait(10)  # let the layout settle
            assert window.width() <= 1024 and window.minimumSizeHint().width() <= 1024, name
    finally:
        window.clear()  # its reader threads stop here, not when the garbage collector finds them


def test_profile_switcher_names_a_person_without_a_name_in_words(qtbot, unlocked, tmp_path: Path) -> None:
    from wallet.gui.profile_switcher import ProfileSwitcher

    obs = {"resourceType": "Observation", "id": "o1", "status": "final", "code": {"text": "Weight"},
           "subject": {"reference": "Patient/p1"}}
    path = tmp_path / "obs.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": obs}]}))
    unlocked.import_paths([path])
    switcher = ProfileSwitcher()
    qtbot.addWidget(switcher)
    switcher.fill(unlocked)
    assert switcher.itemText(0) == "An unnamed patient, id p1 (1)"


def test_the_filter_finds_what_the_search_finds_in_a_small_category(qtbot, window: MainWindow, unlocked) -> None:
    window.set_wallet(unlocked)
    window.show()
    window.import_files([SMALL_PATIENT])
    wait_import(qtbot, window)
    window.show_category("Vital signs")
    wait_idle(qtbot, window)
    panel = window.panel
    assert panel.model.fully_loaded
    # blood pressure panels: "systolic" is a part's name, in no column of the row
    searched = {s.id for s in unlocked.search("systolic", category="Vital signs", limit=10_000)}
    assert searched and all("systolic" not in panel.model.haystack(r) for r in range(panel.model.rowCount())
                            if panel.model.summary_at(r).id in searched)
    def shown() -> set[str]:
        return {panel.model.summary_at(panel.proxy.mapToSource(panel.proxy.index(r, 0)).row()).id
                for r in range(panel.proxy.rowCount())}

    panel.filter_edit.setText("Sys")
    panel.filter_edit.setText("Systolic")
    # at once: the columns' text alone (no row shows "systolic"); the search runs on the worker thread,
    # and until it answers the table is not called empty
    assert panel.searching and shown() == set() and panel.stack.currentWidget() is panel.table
    assert "searching" in panel.status.text()
    qtbot.waitUntil(lambda: not panel.searching, timeout=10_000)
    assert shown() == searched and panel.stack.currentWidget() is panel.table
    assert panel.status.text().startswith(f"{len(searched):,} of ")
    # what is typed so far still narrows by the columns' text
    panel.filter_edit.setText("blood pres")
    qtbot.waitUntil(lambda: not panel.searching, timeout=10_000)
    assert panel.proxy.rowCount() >= len(searched)
    panel.filter_edit.setText("*")  # no word the search can use: the columns alone decide, no error
    qtbot.waitUntil(lambda: not panel.searching, timeout=10_000)
    assert panel.proxy.rowCount() == 0 and panel.stack.currentWidget() is panel.empty
    # a newer keystroke supersedes an older search: its matches never show
    panel.filter_edit.setText("Systolic")
    panel.filter_edit.setText("no such reading")
    qtbot.waitUntil(lambda: not panel.searching, timeout=10_000)
    qtbot.wait(50)  # let a late answer of the older search arrive, if it could
    assert panel.proxy.rowCount() == 0 and panel.stack.currentWidget() is panel.empty
