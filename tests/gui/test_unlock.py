"""Unlocking, remember-unlock, locking on demand and after idle time."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

from tests.conftest import PASSPHRASE, MemoryKeyring
from wallet.app import build_app
from wallet.errors import WalletLocked
from wallet.gui.idle_lock import IdleLock
from wallet.gui.session import WalletSession
from wallet.gui.unlock import UnlockDialog
from wallet.gui.workers import JobRunner
from wallet.services import WalletService

from .conftest import SMALL_PATIENT


class RefusingKeyring(MemoryKeyring):
    """A keyring that refuses to store anything, like a locked or broken one."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise RuntimeError("the keyring is locked")


@pytest.fixture
def runner():
    r = JobRunner("test-unlock")
    yield r
    r.shutdown()


@pytest.fixture
def session(qtbot, created_service):
    s = WalletSession(created_service, idle_ms=0)
    yield s
    s.shutdown()


def test_wrong_then_right_passphrase(qtbot, created_service, runner) -> None:
    dialog = UnlockDialog(created_service, runner, address=created_service.identity().address, remembered=False)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.unlock_button.isEnabled()
    dialog.passphrase.setText("not the passphrase")
    assert dialog.unlock_button.isEnabled()
    qtbot.mouseClick(dialog.unlock_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=10_000)
    assert dialog.error.text().startswith("Wrong passphrase. Check Caps Lock and try again")
    assert "Forgot your passphrase?" in dialog.error.text()  # says what to do next
    assert dialog.isVisible() and dialog.outcome is None and not dialog.working
    assert dialog.passphrase.isEnabled() and dialog.passphrase.selectedText() == "not the passphrase"

    dialog.passphrase.setText(PASSPHRASE)
    with qtbot.waitSignal(dialog.unlocked, timeout=10_000) as blocker:
        qtbot.keyClick(dialog.passphrase, Qt.Key.Key_Return)
    outcome = blocker.args[0]
    try:
        assert outcome.notice == "" and outcome.wallet.identity == created_service.identity()
        assert not dialog.isVisible() and dialog.result() == UnlockDialog.DialogCode.Accepted
        assert dialog.passphrase.text() == ""
    finally:
        outcome.wallet.lock()


def test_remember_unlock_then_start_without_passphrase(qtbot, created_service, keyring_backend) -> None:
    first = WalletSession(created_service, idle_ms=0)
    first.start()
    dialog = first.unlock_dialog
    assert dialog is not None and not dialog.remember.isChecked()
    dialog.passphrase.setText(PASSPHRASE)
    dialog.remember.setChecked(True)
    with qtbot.waitSignal(first.opened, timeout=10_000):
        dialog.try_unlock()
    assert keyring_backend.items, "the remember key is in the keyring"
    first.finish()

    second = WalletSession(created_service, idle_ms=0)
    with qtbot.waitSignal(second.opened, timeout=10_000):
        second.start()
    assert second.unlock_dialog is None and second.window is not None and second.window.isVisible()
    # after a lock, the passphrase is asked again even though the unlock is remembered
    second.lock()
    assert second.unlock_dialog is not None and second.unlock_dialog.remember.isChecked()
    second.finish()


def test_keyring_refusal_is_a_notice_and_unlock_continues(qtbot, tmp_path, light_environ) -> None:
    service = WalletService(build_app(tmp_path / "home", environ=light_environ, keyring_backend=RefusingKeyring()))
    service.create(PASSPHRASE)
    service.mark_phrase_shown()
    session = WalletSession(service, idle_ms=0)
    session.start()
    session.unlock_dialog.passphrase.setText(PASSPHRASE)
    session.unlock_dialog.remember.setChecked(True)
    with qtbot.waitSignal(session.opened, timeout=10_000):
        session.unlock_dialog.try_unlock()
    box = session.window.report_box
    assert box is not None and "keyring refused" in box.text()
    assert session.wallet is not None
    session.finish()


def test_lock_on_demand_clears_everything(qtbot, session: WalletSession) -> None:
    session.start()
    session.unlock_dialog.passphrase.setText(PASSPHRASE)
    with qtbot.waitSignal(session.opened, timeout=10_000) as blocker:
        session.unlock_dialog.try_unlock()
    wallet = blocker.args[0]
    window = session.window
    window.import_files([SMALL_PATIENT])
    qtbot.waitUntil(lambda: window.last_import is not None, timeout=30_000)
    qtbot.waitUntil(lambda: window.overview.lists["latest_vitals"].count() > 0, timeout=10_000)
    assert window.categories.total > 0 and window.middle.currentWidget() is window.overview
    window.show_category("Lab results")
    assert window.panel.model is not None

    with qtbot.waitSignal(session.locked, timeout=5000):
        window.lock_action.trigger()  # Ctrl+L
    assert window.lock_action.shortcut().toString() == "Ctrl+L"
    assert not window.isVisible()
    assert window.panel.model is None and window.categories.total == 0 and window.wallet is None
    assert all(items.count() == 0 for items in window.overview.lists.values())
    assert window.detail.json_view.toPlainText() == ""
    with pytest.raises(WalletLocked):
        wallet.keys  # noqa: B018
    dialog = session.unlock_dialog
    assert dialog is not None and dialog.isVisible()

    dialog.passphrase.setText(PASSPHRASE)
    with qtbot.waitSignal(session.opened, timeout=10_000):
        dialog.try_unlock()
    assert window.isVisible() and window.categories.total > 0


def test_idle_lock_after_tiny_timeout(qtbot, created_service) -> None:
    session = WalletSession(created_service, idle_ms=300)
    try:
        session.start()
        session.unlock_dialog.passphrase.setText(PASSPHRASE)
        with qtbot.waitSignal(session.opened, timeout=10_000):
            session.unlock_dialog.try_unlock()
        assert session.idle.active
        with qtbot.waitSignal(session.locked, timeout=5000):
            pass
        assert session.wallet is None and not session.window.isVisible()
        assert "without use" in session.unlock_dialog.reason.text()
        assert not session.idle.active  # no idle timer while locked
    finally:
        session.shutdown()


def test_idle_timer_restarts_on_input(qtbot) -> None:
    idle = IdleLock(400)
    fired = []
    idle.idle.connect(lambda: fired.append(True))
    idle.start()
    target = QApplication.instance()
    for _ in range(6):  # 6 × 150 ms of typing: longer than the timeout, but never idle
        qtbot.wait(150)
        QApplication.sendEvent(target, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_A, Qt.KeyboardModifier.NoModifier))
    assert not fired
    qtbot.waitUntil(lambda: bool(fired), timeout=3000)
    idle.stop()
    never = IdleLock(0)
    never.start()
    assert not never.active
    never.stop()


def test_cancel_unlock_quits(qtbot, session: WalletSession) -> None:
    session.start()
    with qtbot.waitSignal(session.finished, timeout=5000) as blocker:
        session.unlock_dialog.reject()
    assert blocker.args == [0]


def test_a_phrase_never_shown_is_shown_once_after_the_passphrase(qtbot, gui_service) -> None:
    _identity, phrase = gui_service.create(PASSPHRASE)  # creation stopped before the phrase was shown
    assert not gui_service.phrase_shown()
    session = WalletSession(gui_service, idle_ms=0)
    session.start()
    session.unlock_dialog.passphrase.setText(PASSPHRASE)
    with qtbot.waitSignal(session.opened, timeout=10_000):
        session.unlock_dialog.try_unlock()
    box = session.phrase_box
    assert box is not None and box.isVisible() and phrase in box.text()
    assert box.textFormat() == Qt.TextFormat.PlainText
    box.accept()
    assert gui_service.phrase_shown()
    session.lock()
    session.phrase_box = None
    session.unlock_dialog.passphrase.setText(PASSPHRASE)
    with qtbot.waitSignal(session.opened, timeout=10_000):
        session.unlock_dialog.try_unlock()
    assert session.phrase_box is None  # once only
    session.shutdown()



def test_idle_lock_follows_the_setting_and_falls_back_on_a_damaged_value(qtbot, created_service) -> None:
    config = created_service.app.config
    config.set("lock.idle_minutes", 2.5)
    session = WalletSession(created_service)
    try:
        assert session.idle.timeout_ms == 150_000
    finally:
        session.shutdown()
    config.values["lock.idle_minutes"] = "soon"  # as a hand-edited settings file would load it
    session = WalletSession(created_service)
    try:
        assert session.idle.timeout_ms == 10 * 60_000  # the default
    finally:
        session.shutdown()
