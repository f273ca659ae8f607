"""The first-run wizard asks before leaving, suggests phrase words and names a wrong
one; the main window zooms its text, fits the screen, and its filter is cleared by
Escape and on a change of category; the status bar says whether sharing works."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWizard

from tests.conftest import PASSPHRASE
from wallet.gui.app_window import MainWindow
from wallet.gui.status_bar import NetworkStatus, NetworkStatusWidget, sharing_text
from wallet.gui.theme import text_percent
from wallet.gui.wizard import FirstRunWizard
from wallet.gui.workers import JobRunner
from wallet.services import Preferences

from .conftest import SMALL_PATIENT


@pytest.fixture
def wizard(qtbot, gui_service):
    runner = JobRunner("test-wizard-leave")
    wiz = FirstRunWizard(gui_service, runner)
    qtbot.addWidget(wiz)
    wiz.show()
    yield wiz
    if wiz.leave_box is not None:
        wiz.leave_box.done(0)
    runner.shutdown()


def to_confirm_page(wizard: FirstRunWizard) -> list[str]:
    wizard.next()
    wizard.passphrase_page.first.setText(PASSPHRASE)
    wizard.passphrase_page.second.setText(PASSPHRASE)
    wizard.next()
    wizard.phrase_page.saved.setChecked(True)
    wizard.next()
    assert wizard.currentId() == FirstRunWizard.PAGE_CONFIRM
    return wizard.phrase.split()


def test_leaving_set_up_asks_first(qtbot, wizard: FirstRunWizard, gui_service) -> None:
    to_confirm_page(wizard)
    rejected = []
    wizard.rejected.connect(lambda: rejected.append(True))
    qtbot.keyClick(wizard, Qt.Key.Key_Escape)
    box = wizard.leave_box
    assert box is not None and box.isVisible() and wizard.isVisible()
    assert "new recovery phrase" in box.informativeText()
    assert box.defaultButton() is wizard.stay_button
    wizard.stay_button.click()
    assert wizard.isVisible() and wizard.leave_box is None and not rejected
    assert wizard.currentId() == FirstRunWizard.PAGE_CONFIRM  # nothing typed is lost

    wizard.button(QWizard.WizardButton.CancelButton).click()
    assert wizard.leave_box is not None
    wizard.leave_button.click()
    assert rejected and not wizard.isVisible() and not gui_service.exists()


def test_word_suggester_offers_phrase_words(qtbot, wizard: FirstRunWizard) -> None:
    to_confirm_page(wizard)
    edit = wizard.confirm_page.edits[0]
    completer = edit.completer()
    assert completer is wizard.confirm_page.completer
    completer.setCompletionPrefix("aba")
    suggestions = [completer.completionModel().index(r, 0).data() for r in range(completer.completionCount())]
    assert suggestions == ["abandon"]
    completer.setCompletionPrefix("zoo")
    assert completer.currentCompletion() == "zoo"
    completer.setCompletionPrefix("qqq")
    assert completer.completionCount() == 0


def test_a_wrong_word_is_named(qtbot, wizard: FirstRunWizard) -> None:
    words = to_confirm_page(wizard)
    page = wizard.confirm_page
    first, second = page.positions[0], page.positions[1]
    for pos, edit in zip(page.positions, page.edits, strict=True):
        edit.setText(words[pos])
    wrong = "zebra" if words[second] != "zebra" else "apple"
    page.edits[1].setText(wrong)
    assert page.message.text() == f"Word #{second + 1} is not “{wrong}”. Check that word in what you wrote down."
    page.edits[0].setText("x")
    assert f"Word #{first + 1} is not “x”." in page.message.text() and "those words" in page.message.text()


def test_restore_names_the_misspelled_word(qtbot, wizard: FirstRunWizard) -> None:
    wizard.start_page.restore.setChecked(True)
    wizard.next()
    words = ["abandon"] * 11 + ["about"]
    words[6] = "abandonn"
    wizard.restore_page.phrase.setPlainText(" ".join(words))
    assert "Word 7, “abandonn”, is not a recovery phrase word" in wizard.restore_page.message.text()


@pytest.fixture
def shown(qtbot, window: MainWindow, unlocked, themed_app):
    window.set_wallet(unlocked)
    window.show()
    window.import_files([SMALL_PATIENT])
    qtbot.waitUntil(lambda: window.last_import is not None and not window.importing, timeout=60_000)
    if window.report_box is not None:
        window.report_box.close()
    yield window
    QApplication.instance().setProperty("healthWalletBaseFontPt", None)


def test_zoom_in_out_and_back_is_kept(qtbot, shown: MainWindow, unlocked) -> None:
    app = QApplication.instance()
    base = app.font().pointSizeF()
    try:
        assert shown.zoom(1) == 110 and text_percent(app) == 110
        assert shown.zoom(1) == 125
        assert app.font().pointSizeF() == pytest.approx(base * 1.25, rel=0.02)
        assert Preferences(unlocked.app).text_percent == 125
        assert shown.zoom(-1) == 110
        shown.zoom_in_action.trigger()
        assert text_percent(app) == 125
        shown.zoom_out_action.trigger()
        shown.zoom_out_action.trigger()
        assert text_percent(app) == 100
        assert [s.toString() for s in shown.zoom_in_action.shortcuts()][:1] and \
            "Ctrl++" in [s.toString() for s in shown.zoom_in_action.shortcuts()]
        assert shown.zoom_reset_action.shortcut().toString() == "Ctrl+0"
        shown.zoom(1)
        shown.zoom_reset_action.trigger()
        assert text_percent(app) == 100 and Preferences(unlocked.app).text_percent == 100
        # the record table's rows follow the font
        shown.zoom(1)
        shown.zoom(1)
        shown.zoom(1)  # 150 %
        table = shown.panel.table
        assert table.verticalHeader().defaultSectionSize() >= table.fontMetrics().height() + 8
    finally:
        shown.zoom(0)


def test_window_fits_the_screen(qtbot, unlocked, themed_app) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    area = window.screen().availableGeometry()
    window.resize(area.width() + 500, area.height() + 500)
    window._fitted = False
    window.show()
    assert window.width() <= area.width() and window.height() <= area.height()
    window.clear()


def test_escape_clears_the_filter(qtbot, shown: MainWindow) -> None:
    shown.show_category("Conditions")
    edit = shown.panel.filter_edit
    edit.setText("no such condition")
    assert shown.panel.proxy.rowCount() == 0
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_Escape)
    assert edit.text() == "" and shown.panel.proxy.rowCount() > 0


def test_the_filter_resets_on_another_category(qtbot, shown: MainWindow) -> None:
    shown.show_category("Conditions")
    shown.panel.filter_edit.setText("diabetes")
    shown.refresh()  # the same category again (after an import): the filter stays
    assert shown.panel.filter_edit.text() == "diabetes"
    shown.show_category("Medications")
    assert shown.panel.filter_edit.text() == ""
    assert shown.panel.proxy.rowCount() == shown.categories.count("Medications")


def test_settings_and_help_open_from_the_menus(qtbot, shown: MainWindow) -> None:
    assert shown.settings_action.shortcut().toString() == "Ctrl+,"
    shown.settings_action.trigger()
    assert shown.settings_dialog is not None and shown.settings_dialog.isVisible()
    shown.guide_action.trigger()
    assert shown.help_window.isVisible() and shown.help_window.topic == "guide"
    assert "F1" in [s.toString() for s in shown.guide_action.shortcuts()]
    shown.glossary_action.trigger()
    assert shown.help_window.topic == "glossary"
    text = shown.help_window.glossary.toPlainText()
    for word in ("Share", "Grant", "Revoke", "Backup", "On chain", "Pinning", "Recovery phrase"):
        assert word in text


def test_status_bar_says_sharing_in_words(qtbot) -> None:
    assert sharing_text(None)[0] == "Sharing: off"
    running = NetworkStatus("embedded node", "running", peers=2, chain="embedded chain", chain_state="connected",
                            chain_id=31337)
    assert sharing_text(running)[:2] == ("Sharing: ready", "good")
    offline = NetworkStatus("embedded node", "error", ipfs_detail="no network")
    words, tone, advice = sharing_text(offline)
    assert (words, tone) == ("Sharing: offline", "bad") and "Check the internet connection" in advice
    widget = NetworkStatusWidget()
    qtbot.addWidget(widget)
    widget.show()
    widget._show(running)
    assert widget.sharing_pill.text() == "Sharing: ready"
    assert not widget.ipfs_label.isVisible() and not widget.chain_label.isVisible()  # behind "Details"
    widget.details_button.click()
    assert widget.ipfs_label.isVisible() and "id 31337" in widget.chain_label.text()


def test_the_address_hides_behind_details(qtbot, window: MainWindow, unlocked) -> None:
    window.set_wallet(unlocked)
    window.show()
    assert not window.address_label.isVisible()
    window.records_tools.network.details_button.click()
    assert window.address_label.isVisible() and window.address_label.text() == unlocked.identity.address


def test_leaving_from_the_welcome_page_needs_no_question(qtbot, wizard: FirstRunWizard) -> None:
    with qtbot.waitSignal(wizard.rejected, timeout=1000):
        wizard.reject()
    assert wizard.leave_box is None and not wizard.isVisible()


def test_focus_ring_follows_the_focus(qtbot, themed_app) -> None:
    from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget

    from wallet.gui.focus_ring import install_focus_ring

    follower = install_focus_ring(QApplication.instance())
    assert install_focus_ring(QApplication.instance()) is follower  # once per application
    host = QWidget()
    qtbot.addWidget(host)
    first, second = QLineEdit(host), QLineEdit(host)
    layout = QVBoxLayout(host)
    layout.addWidget(first)
    layout.addWidget(second)
    host.show()
    host.activateWindow()
    for edit in (first, second):
        edit.setFocus()
        qtbot.waitUntil(lambda edit=edit: follower.ring is not None and follower.ring.widget() is edit, timeout=2000)
        ring = follower.ring
        assert ring.isVisible() and ring.geometry().contains(edit.geometry())


def test_delete_a_record_after_asking(qtbot, shown: MainWindow, unlocked) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMessageBox

    shown.show_category("Conditions")
    qtbot.waitUntil(lambda: not shown.panel.loading, timeout=30_000)
    before = unlocked.counts_by_category()["Conditions"]
    shown.panel.select_row(0)
    chosen = shown.panel.current_summary()

    def answer(button_text: str) -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox) and chosen.summary.title in box.text()
        next(b for b in box.buttons() if b.text() == button_text).click()

    QTimer.singleShot(0, lambda: answer("Cancel"))
    shown.delete_record_action.trigger()
    assert unlocked.counts_by_category()["Conditions"] == before
    QTimer.singleShot(0, lambda: answer("Delete record"))
    shown.delete_record_action.trigger()
    assert unlocked.counts_by_category()["Conditions"] == before - 1
    assert shown.categories.count("Conditions") == before - 1


def test_restore_phrase_box_suggests_and_takes_a_word(qtbot, wizard: FirstRunWizard) -> None:
    wizard.start_page.restore.setChecked(True)
    wizard.next()
    edit = wizard.restore_page.phrase
    edit.setFocus()
    qtbot.keyClicks(edit, "abandon zo")
    assert edit.current_prefix() == "zo"
    completer = edit.completer
    assert completer.popup().isVisible()
    suggestions = [completer.completionModel().index(r, 0).data() for r in range(completer.completionCount())]
    assert suggestions == ["zone", "zoo"]
    qtbot.keyClick(completer.popup(), Qt.Key.Key_Return)  # the first suggestion
    assert edit.toPlainText() == "abandon zone "
    assert not completer.popup().isVisible() and edit.current_prefix() == ""
