"""The app's flow: first-run wizard or unlock, then the main window; locking on demand
(Ctrl+L) or after idle minutes, and unlocking again. A forgotten passphrase is replaced
with the recovery phrase's help; a deleted wallet brings back the first-run wizard.
The colours and text size of the home's settings apply before the first window shows."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QMessageBox

from ..errors import WalletError
from ..services import SETTINGS, Preferences, UnlockedWallet, WalletService
from .app_window import MainWindow
from .focus_ring import install_focus_ring
from .idle_lock import IdleLock
from .theme import apply_text_percent, apply_theme, scheme_for
from .tray import QuitChoice, SharingTray
from .unlock import UnlockDialog
from .workers import JobRunner, UnlockOutcome

if TYPE_CHECKING:  # a wallet that exists opens without loading the first-run wizard
    from .reset_passphrase import ResetPassphraseDialog
    from .wizard import FirstRunWizard

__all__ = ["WalletSession"]


def _idle_ms(service: WalletService) -> int:
    try:
        minutes = float(service.app.config.settings.lock_idle_minutes)
    except WalletError:  # a hand-edited settings file: the default applies until it is set again
        minutes = float(SETTINGS["lock.idle_minutes"][0])
    return int(max(0.0, minutes) * 60_000)


class WalletSession(QObject):
    """Owns the windows of one wallet home and the unlocked wallet, if any."""

    opened = Signal(object)  # the UnlockedWallet now shown
    locked = Signal()
    finished = Signal(int)  # exit code

    def __init__(self, service: WalletService, *, idle_ms: int | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = JobRunner("session", self)
        self.window: MainWindow | None = None
        self.wizard: FirstRunWizard | None = None
        self.unlock_dialog: UnlockDialog | None = None
        self.reset_dialog: ResetPassphraseDialog | None = None
        self.phrase_box: QMessageBox | None = None  # shows a phrase that was never shown
        self.wallet: UnlockedWallet | None = None
        self.tray: SharingTray | None = None  # from the first unlock on: keeps sharing after the window closes
        self.tray_available: bool | None = None  # None: ask the desktop (tests say)
        self.quit_asker: Callable[[QMessageBox], str] | None = None  # None: the quit question is modal (tests answer)
        self.idle = IdleLock(_idle_ms(service) if idle_ms is None else idle_ms, self)
        self.idle.idle.connect(self._idle_lock)
        self._address = ""
        self._remembered = False
        self._done = False
        self._fail_box: QMessageBox | None = None
        self.deleted_home: object = None  # the folder of a wallet deleted in this session
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    def __repr__(self) -> str:
        return f"WalletSession(home={self.service.app.home}, unlocked={self.wallet is not None})"

    # --- starting -------------------------------------------------------------------------

    def start(self) -> None:
        """The wizard for a new home; else the remembered unlock, else the unlock dialog.

        Raises :class:`~wallet.errors.WalletError` if the keystore cannot be read."""
        self.apply_preferences()
        if not self.service.exists():
            self._show_wizard()
            return
        self._address = self.service.identity().address
        self._remembered = self.service.remembers_unlock()
        if not self._remembered:
            self._show_unlock()
            return
        self.runner.submit(lambda _p, _c: self.service.unlock_remembered(), on_done=self._after_remembered,
                           on_failed=lambda message: self._show_unlock(message))

    def apply_preferences(self) -> None:
        """Show the home's colours and text size, and the focus ring."""
        app = QApplication.instance()
        if not isinstance(app, QApplication):
            return
        prefs = Preferences(self.service.app)
        apply_theme(app, scheme=scheme_for(prefs.theme))
        if prefs.text_percent != 100:
            apply_text_percent(app, prefs.text_percent)
        install_focus_ring(app)

    def _after_remembered(self, wallet: UnlockedWallet | None) -> None:
        if wallet is None:
            self._show_unlock()
        else:
            self._open(wallet)

    def _show_wizard(self) -> None:
        from .wizard import FirstRunWizard

        self.wizard = FirstRunWizard(self.service, self.runner)
        self.wizard.wallet_ready.connect(self._created)
        self.wizard.rejected.connect(lambda: self.finish(0))
        self.wizard.show()

    def _created(self, wallet: UnlockedWallet) -> None:
        self._address = wallet.identity.address
        wizard, self.wizard = self.wizard, None
        restored = wizard is not None and wizard.mode == "restore"
        if wizard is not None:
            wizard.deleteLater()
        self._open(wallet)
        if restored and self.window is not None:
            self.window.records_tools.show_restore(wallet)  # offer the latest backup on a new computer

    def _show_unlock(self, reason: str = "") -> None:
        if self.unlock_dialog is not None:
            self.unlock_dialog.deleteLater()
        dialog = UnlockDialog(self.service, self.runner, address=self._address, remembered=self._remembered,
                              reason=reason)
        dialog.unlocked.connect(self._unlocked)
        dialog.rejected.connect(self._unlock_cancelled)
        dialog.forgot.connect(self._show_reset)
        self.unlock_dialog = dialog
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    def _unlocked(self, outcome: UnlockOutcome) -> None:
        dialog = self.unlock_dialog
        if dialog is not None and not outcome.notice:
            self._remembered = dialog.remember.isChecked()
        self.unlock_dialog = None
        if dialog is not None:
            dialog.deleteLater()
        self._open(outcome.wallet)
        if outcome.notice and self.window is not None:
            self.window.show_notice(outcome.notice)

    def _show_reset(self) -> None:
        """The unlock window's "Forgot your passphrase?": the recovery phrase sets a new one."""
        from .reset_passphrase import ResetPassphraseDialog

        parent = self.unlock_dialog
        dialog = ResetPassphraseDialog(self.service, self.runner, parent)
        dialog.unlocked.connect(self._reset_done)
        self.reset_dialog = dialog
        dialog.open()

    def _reset_done(self, outcome: UnlockOutcome) -> None:
        self.reset_dialog = None
        self._remembered = False
        dialog, self.unlock_dialog = self.unlock_dialog, None
        if dialog is not None:
            dialog.hide()
            dialog.deleteLater()
        self._open(outcome.wallet)
        if outcome.notice and self.window is not None:
            self.window.show_notice(outcome.notice)

    def _unlock_cancelled(self) -> None:
        if self.wallet is None and not self._in_background():
            self.finish(0)

    # --- open and lock ------------------------------------------------------------------

    def _open(self, wallet: UnlockedWallet) -> None:
        self.wallet = wallet
        if self.window is None:
            self.window = MainWindow()
            self.window.lock_requested.connect(self.lock)
            self.window.quit_requested.connect(lambda: self.finish(0))
            self.window.close_guard = self._close_guard
            self._tray().watch_window(self.window)
            self.window.idle_minutes_changed.connect(self.set_idle_minutes)
            self.window.delete_wallet_requested.connect(self.delete_wallet)
        self.window.set_wallet(wallet)
        self._tray().set_wallet(wallet)
        self.window.show()
        self.window.raise_()
        self.window.activateWindow()
        self.idle.start()
        self.opened.emit(wallet)
        self._show_unshown_phrase(wallet)

    def _show_unshown_phrase(self, wallet: UnlockedWallet) -> None:
        """A wallet whose creation stopped before its phrase was shown shows it now, once."""
        phrase = wallet.unshown_phrase()
        if phrase is None or self.window is None:
            return
        box = QMessageBox(QMessageBox.Icon.Warning, "Write down your recovery phrase",
                          "This wallet's recovery phrase was never shown, because its creation stopped early. "
                          "Write these words down, in order, and keep them offline; it is shown only now:\n\n"
                          f"{phrase}\n\nAnyone with these words can open your records. Without them and the "
                          "passphrase, nobody can — not even you.", QMessageBox.StandardButton.Ok, self.window)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.finished.connect(lambda _result: wallet.mark_phrase_shown())
        self.phrase_box = box
        box.open()

    def set_idle_minutes(self, minutes: float) -> None:
        """Lock after ``minutes`` without use from now on (0: never)."""
        self.idle.set_timeout(int(max(0.0, minutes) * 60_000))

    def delete_wallet(self, confirmation: str) -> None:
        """Lock, delete the wallet's folder, then start again with the first-run wizard."""
        if self.wallet is None:
            return
        self._drop_wallet(keep_serving=False)
        self.service.stop_serving()  # a node kept serving from an earlier lock stops too
        if self.service.app.closing is not None:  # the nodes stop before their folders go
            self.service.app.closing.join(timeout=30)
        try:
            home = self.service.delete_wallet(confirmation)
        except WalletError as exc:
            if self.window is not None:
                self.window.hide()
            self._fail_box = QMessageBox(QMessageBox.Icon.Warning, "Health Wallet", exc.user_message,
                                         QMessageBox.StandardButton.Ok)
            self._fail_box.setTextFormat(Qt.TextFormat.PlainText)
            self._fail_box.exec()
            self.start()
            return
        if self.window is not None:
            self.window.hide()
        self._address = ""
        self._remembered = False
        self.deleted_home = home
        self._show_wizard()

    def _idle_lock(self) -> None:
        minutes = self.idle.timeout_ms / 60_000
        when = f"{minutes:g} minute{'s' if minutes != 1 else ''}" if minutes >= 1 else "a while"
        self.lock(reason=f"Locked after {when} without use.")

    def lock(self, reason: str = "", *, ask: bool = True) -> None:
        """Drop the keys and every record shown, then ask for the passphrase again (unless
        not ``ask``). With "keep sharing" on, the IPFS node goes on serving the shares."""
        if self.wallet is None:
            return
        self._drop_wallet()
        if self.window is not None:
            self.window.hide()
        if self.tray is not None:
            self.tray.set_wallet(None)
        self.locked.emit()
        if ask:
            self._show_unlock(reason if isinstance(reason, str) else "")

    # --- the tray: sharing after the window closes ----------------------------------------

    def _tray(self) -> SharingTray:
        if self.tray is None:
            self.tray = SharingTray(self.service, self, available=self.tray_available)
            self.tray.open_requested.connect(self._open_from_tray)
            self.tray.quit_requested.connect(self._quit_from_tray)
            self.tray.show()
        return self.tray

    def _keeps_serving(self) -> bool:
        return self.tray is not None and self.tray.keep_sharing and not self._done

    def _in_background(self) -> bool:
        return self._keeps_serving() and self.service.serving

    def _close_guard(self, quitting: bool) -> bool:
        """The window's close: to the background when keeping sharing; a quit asks first
        when a share depends on this computer (by the tray's latest reading)."""
        if self.tray is None:
            return True
        if not quitting and self.tray.keep_sharing:
            self._to_background()
            return False
        return self._may_quit()

    def _quit_from_tray(self) -> None:
        if self._may_quit():
            self.finish(0)

    def _may_quit(self) -> bool:
        if self.tray is None:
            return True
        parent = self.window if self.window is not None and self.window.isVisible() else None
        choice = self.tray.confirm_quit(parent, ask=self.quit_asker)
        if choice == QuitChoice.KEEP_SHARING:
            self._to_background()
        return choice == QuitChoice.QUIT

    def _to_background(self) -> None:
        """Lock, hide every window, keep the node serving; the tray icon brings it back."""
        if self.wallet is not None:
            self.lock(ask=False)
        if self.window is not None:
            self.window.hide()
        if self.unlock_dialog is not None:
            self.unlock_dialog.hide()
        if self.tray is not None:
            self.tray.tell_sharing_in_background()

    def _open_from_tray(self) -> None:
        if self.wallet is not None and self.window is not None:
            self.window.show()
            self.window.raise_()
            self.window.activateWindow()
        elif self.unlock_dialog is not None and self.unlock_dialog.isVisible():
            self.unlock_dialog.raise_()
            self.unlock_dialog.activateWindow()
        else:
            self._show_unlock()

    def _drop_wallet(self, *, keep_serving: bool | None = None) -> None:
        self.idle.stop()
        for _ in range(10):  # close dialogs left open over the window (reports, file dialogs)
            modal = QApplication.activeModalWidget()
            if modal is None or modal is self.unlock_dialog:
                break
            modal.close()
        if self.window is not None:
            self.window.clear()
        wallet, self.wallet = self.wallet, None
        if wallet is not None:
            # the window is already clear; the nodes stop in the background (the IPFS node
            # keeps serving instead when the patient keeps sharing after the window closes)
            wallet.lock(wait=False, keep_serving=self._keeps_serving() if keep_serving is None else keep_serving)

    # --- ending -------------------------------------------------------------------------

    def finish(self, code: int = 0) -> None:
        if self._done:
            return
        self.shutdown()
        self.finished.emit(code)

    def shutdown(self) -> None:
        """Lock and stop background threads (also on application quit)."""
        if self._done:
            return
        self._done = True
        self._drop_wallet()
        self.service.stop_serving(wait=False)
        if self.tray is not None:
            self.tray.shutdown()
        self.runner.shutdown()
        for widget in (self.window, self.wizard, self.unlock_dialog, self.reset_dialog):
            if widget is not None:
                widget.hide()
