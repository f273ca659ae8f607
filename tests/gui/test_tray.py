"""The tray icon: sharing after the window closes, the question before quitting, and the
notices of a doctor's open or a share about to end. Offscreen Qt has no system tray, so
the session is told one is there (``tray_available``); everything else is real."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from PySide6.QtWidgets import QMessageBox

from tests.conftest import PASSPHRASE
from wallet.gui.session import WalletSession
from wallet.gui.tray import KEEP_TEXT, QuitChoice, SharingTray
from wallet.services import Sharing, WalletService
from wallet.services.availability import WatchedShare

from .conftest import SMALL_PATIENT

DOCTOR = "0x" + "ab" * 20


def _unlock(qtbot, session: WalletSession):
    session.start()
    session.unlock_dialog.passphrase.setText(PASSPHRASE)
    with qtbot.waitSignal(session.opened, timeout=10_000) as blocker:
        session.unlock_dialog.try_unlock()
    return blocker.args[0]


def _unopened(service: WalletService) -> WatchedShare:
    return WatchedShare(DOCTOR + "00" * 12, DOCTOR, "Dr Quinn", "bafy", service.app.clock.now() + timedelta(days=7),
                        0, "active")


@pytest.fixture
def session(qtbot, created_service):
    s = WalletSession(created_service, idle_ms=0)
    s.tray_available = True
    yield s
    s.shutdown()


def test_closing_the_window_locks_but_keeps_sharing(qtbot, session: WalletSession) -> None:
    service = session.service
    wallet = _unlock(qtbot, session)
    window, tray = session.window, session.tray
    assert tray is not None and tray.keep_sharing and tray.keep_action.text() == KEEP_TEXT
    node = wallet.ipfs(wait=None)

    with qtbot.waitSignal(session.locked, timeout=5000):
        window.close()  # the window's close button
    assert session.wallet is None and not window.isVisible() and window.wallet is None
    assert service.serving and service.app.serving is node  # the node goes on serving the ciphertext
    assert session.unlock_dialog is None or not session.unlock_dialog.isVisible()
    assert [t for t, _ in tray.messages] == ["Still sharing"]
    assert not session._done

    tray.open_requested.emit()  # the tray icon's "Open Health Wallet"
    assert session.unlock_dialog is not None and session.unlock_dialog.isVisible()
    session.unlock_dialog.passphrase.setText(PASSPHRASE)
    with qtbot.waitSignal(session.opened, timeout=10_000) as blocker:
        session.unlock_dialog.try_unlock()
    assert blocker.args[0].ipfs(wait=None) is node and not service.serving  # taken back, not a second node

    with qtbot.waitSignal(session.finished, timeout=5000):
        window.quit_action.trigger()  # nothing depends on this computer: no question
    assert session.wallet is None and not service.serving


def test_with_keep_sharing_off_closing_the_window_quits(qtbot, session: WalletSession) -> None:
    _unlock(qtbot, session)
    session.tray.keep_action.trigger()  # the tray menu's check box
    assert not session.tray.keep_sharing
    assert session.service.app.config.settings.sharing_keep_after_close is False  # kept in the home's settings
    with qtbot.waitSignal(session.finished, timeout=5000):
        session.window.close()
    assert not session.service.serving


def test_quit_asks_while_an_unopened_share_is_held_only_here(qtbot, session: WalletSession) -> None:
    _unlock(qtbot, session)
    tray = session.tray
    qtbot.waitUntil(lambda: not tray._runner.busy, timeout=10_000)  # the first reading is in
    tray.watch.update([_unopened(session.service)], now=session.service.app.clock.now())

    asked: list[QMessageBox] = []
    answers = [QuitChoice.CANCEL, QuitChoice.KEEP_SHARING, QuitChoice.QUIT]

    def ask(box: QMessageBox) -> str:
        asked.append(box)
        assert box.textFormat().name == "PlainText"
        assert {b.objectName() for b in box.buttons()} == {QuitChoice.CANCEL, QuitChoice.KEEP_SHARING,
                                                           QuitChoice.QUIT}
        return answers.pop(0)

    session.quit_asker = ask
    session.window.quit_action.trigger()  # Cancel: nothing changes
    assert "1 share nobody has opened yet is held only on this computer (Dr Quinn)" in asked[0].text()
    assert session.window.isVisible() and session.wallet is not None

    session.window.quit_action.trigger()  # Keep sharing in the background
    assert session.wallet is None and not session.window.isVisible() and session.service.serving

    with qtbot.waitSignal(session.finished, timeout=5000):
        tray.quit_requested.emit()  # the tray menu's Quit, then "Quit anyway"
    assert len(asked) == 3 and not session.service.serving


def test_without_a_tray_the_question_offers_no_background(qtbot, created_service) -> None:
    tray = SharingTray(created_service, available=False)
    try:
        assert not tray.keep_sharing  # nothing could bring a hidden window back
        tray.watch.update([_unopened(created_service)], now=created_service.app.clock.now())
        box = tray.quit_box(None, tray.watch.quit_warning() or "")
        assert {b.objectName() for b in box.buttons()} == {QuitChoice.CANCEL, QuitChoice.QUIT}
        assert tray.confirm_quit(None, ask=lambda b: QuitChoice.CANCEL) == QuitChoice.CANCEL
        tray.watch.update([], now=created_service.app.clock.now())
        assert tray.confirm_quit(None, ask=lambda b: pytest.fail("nothing to ask")) == QuitChoice.QUIT
    finally:
        tray.shutdown()


def test_notices_of_an_open_and_of_a_share_ending_soon(qtbot, open_wallet) -> None:
    patient, doctor = open_wallet("patient"), open_wallet("doctor")
    patient.import_file(SMALL_PATIENT)
    assert Sharing(doctor).register_key() is not None
    sharing = Sharing(patient)
    receipt = sharing.grant(doctor.identity.address, record_ids=sharing.choose_records(types=["Immunization"]),
                            expires_at=sharing.now() + timedelta(hours=12), grantee_name="Dr Quinn")

    tray = SharingTray(WalletService(patient.app), available=True, poll_ms=3_600_000)
    try:
        with qtbot.waitSignal(tray.notified, timeout=30_000) as first:
            tray.set_wallet(patient)
        assert first.args[0].kind == "expiring" and "Dr Quinn ends in about 12 hours" in first.args[0].text
        assert tray.watch.quit_warning() is not None

        Sharing(doctor).open(receipt.token, timeout=60)
        with qtbot.waitSignal(tray.notified, timeout=30_000) as opened:
            tray.poll()
        assert opened.args[0].kind == "opened"
        assert opened.args[0].text == "Dr Quinn opened the records you shared."
        assert ("A doctor opened your share", "Dr Quinn opened the records you shared.") in tray.messages
        assert tray.watch.quit_warning() is None
    finally:
        tray.shutdown()


def test_keep_sharing_is_a_settings_check_box_read_when_the_window_closes(qtbot, session: WalletSession) -> None:
    _unlock(qtbot, session)
    window = session.window
    window.open_settings("sharing")
    page = window.settings_dialog.sharing
    assert page.keep_sharing.text() == KEEP_TEXT and page.keep_sharing.isChecked()  # on by default
    assert "\n" not in page.keep_explain.text() and "locks the wallet" in page.keep_explain.text()

    page.keep_sharing.click()  # off in Settings, after the tray was made
    config = json.loads((session.service.app.home / "config.json").read_text())
    assert config["settings"]["sharing.keep_after_close"] is False  # saved like the other settings
    assert not session.tray.keep_sharing and not session.tray.keep_action.isChecked()  # the tray menu follows
    with qtbot.waitSignal(session.finished, timeout=5000):
        window.close()  # read at close: quits instead of sharing in the background
    assert not session.service.serving


def test_keep_sharing_turned_on_in_settings_keeps_serving_after_close(qtbot, session: WalletSession) -> None:
    session.service.app.config.set("sharing.keep_after_close", False)
    _unlock(qtbot, session)
    window = session.window
    window.open_settings("sharing")
    page = window.settings_dialog.sharing
    assert not page.keep_sharing.isChecked()  # the page shows the saved setting
    page.keep_sharing.click()
    assert session.service.app.config.settings.sharing_keep_after_close is True
    with qtbot.waitSignal(session.locked, timeout=5000):
        window.close()
    assert session.wallet is None and session.service.serving and not session._done
