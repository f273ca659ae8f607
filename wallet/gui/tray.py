"""The system-tray icon: sharing that goes on after the window closes.

A doctor fetches a share from the patient's IPFS node unless a pinning service holds
it. With "Keep sharing after the window closes" (the setting
``sharing.keep_after_close``, on by default; in the tray menu and on Settings ▸ Sharing,
read when the window closes) closing the window locks the wallet, so
keys and records leave memory, but the node keeps serving the ciphertext; the tray icon
opens the wallet again or quits. Quitting while a share nobody has opened yet is held
only on this computer asks first (:meth:`SharingTray.confirm_quit`, by the latest reading:
taken every ``poll_ms`` and whenever the window becomes active, e.g. after sharing).

Every ``poll_ms`` the tray reads the issued shares through the services on a worker
thread (:mod:`wallet.services.availability`): with the wallet unlocked, every grant;
while locked and still serving, the grants it knew by id (public chain data). A
doctor's open or a share about to end becomes a tray message and :attr:`notified`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QMessageBox, QSystemTrayIcon, QWidget

from ..services import UnlockedWallet, WalletService
from ..services.availability import (
    ShareNotice,
    ShareWatch,
    WatchedShare,
    issued_shares,
    keep_sharing_after_close,
    refresh_shares,
    set_keep_sharing_after_close,
)
from .icon import app_icon
from .workers import JobRunner

__all__ = ["ACTIVATION_POLL_S", "KEEP_EXPLAIN", "KEEP_TEXT", "POLL_MS", "QuitChoice", "SharingTray"]

POLL_MS = 60_000
ACTIVATION_POLL_S = 5.0
KEEP_TEXT = "Keep sharing after the window closes"
KEEP_EXPLAIN = ("Closing the window locks the wallet, but this computer keeps serving your shares until you quit "
                "from the tray icon.")
IN_BACKGROUND = ("Health Wallet is locked and keeps sharing in the background, so doctors can open what you "
                 "shared. Open or quit it from this icon.")


class QuitChoice:
    """What the patient chose when asked before quitting."""

    QUIT = "quit"
    KEEP_SHARING = "keep-sharing"
    CANCEL = "cancel"


class SharingTray(QObject):
    """The tray icon of one wallet session, and the watch over its shares.

    ``available`` overrides whether the desktop shows tray icons (tests run offscreen,
    where none does)."""

    open_requested = Signal()
    quit_requested = Signal()
    notified = Signal(object)  # ShareNotice
    polled = Signal()  # a reading of the shares was taken (or failed)

    def __init__(self, service: WalletService, parent: QObject | None = None, *, poll_ms: int = POLL_MS,
                 available: bool | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.watch = ShareWatch()
        self.last_error = ""
        self._available = QSystemTrayIcon.isSystemTrayAvailable() if available is None else available
        self._wallet: UnlockedWallet | None = None
        self._runner = JobRunner("share-watch", self)
        self._told_background = False
        self._after_poll: list[Callable[[], None]] = []
        self._last_activation_poll = float("-inf")
        self.messages: list[tuple[str, str]] = []  # (title, text) of every tray message shown

        self.icon = QSystemTrayIcon(app_icon(), self)
        self.icon.setToolTip("Health Wallet")
        self.menu = QMenu()
        self.open_action = QAction("&Open Health Wallet", self)
        self.open_action.triggered.connect(self.open_requested)
        self.keep_action = QAction(KEEP_TEXT, self)
        self.keep_action.setCheckable(True)
        self.keep_action.setChecked(keep_sharing_after_close(service.app))
        self.keep_action.setToolTip("Closing the window locks the wallet; its IPFS node keeps serving your shares")
        self.keep_action.toggled.connect(self._keep_toggled)
        self.menu.aboutToShow.connect(self._read_keep_setting)  # the box shows a change made in Settings
        self.quit_action = QAction("&Quit", self)
        self.quit_action.triggered.connect(self.quit_requested)
        self.menu.addAction(self.open_action)
        self.menu.addAction(self.keep_action)
        self.menu.addSeparator()
        self.menu.addAction(self.quit_action)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        self.icon.messageClicked.connect(self.open_requested)  # a notice leads to the app

        self.timer = QTimer(self)
        self.timer.setInterval(max(1000, int(poll_ms)))
        self.timer.timeout.connect(self.poll)

    def __repr__(self) -> str:
        return f"SharingTray(available={self._available}, watch={self.watch!r})"

    # --- state --------------------------------------------------------------------------

    @property
    def available(self) -> bool:
        """Whether the desktop shows tray icons (without one, closing the window quits)."""
        return self._available

    @property
    def keep_sharing(self) -> bool:
        """Whether closing the window keeps sharing: the setting is on (read now, so a change
        made in Settings counts) and a tray icon can bring it back. The tray menu's check
        box follows the setting."""
        return self._available and self._read_keep_setting()

    def _read_keep_setting(self) -> bool:
        keep = keep_sharing_after_close(self.service.app)
        if self.keep_action.isChecked() != keep:
            self.keep_action.blockSignals(True)
            self.keep_action.setChecked(keep)
            self.keep_action.blockSignals(False)
        return keep

    def _keep_toggled(self, keep: bool) -> None:
        set_keep_sharing_after_close(self.service.app, keep)

    def show(self) -> None:
        if self._available:
            self.icon.show()
        self.timer.start()

    def hide(self) -> None:
        self.timer.stop()
        self.icon.hide()

    def set_wallet(self, wallet: UnlockedWallet | None) -> None:
        """The unlocked wallet to watch (``None``: locked; a serving node is watched by id)."""
        self._wallet = wallet
        self.icon.setToolTip("Health Wallet" if wallet is not None else
                             "Health Wallet — locked, sharing in the background" if self.service.serving
                             else "Health Wallet — locked")
        self.poll()

    def shutdown(self) -> None:
        self.hide()
        self._runner.shutdown()
        self._after_poll.clear()

    # --- polling ------------------------------------------------------------------------

    def poll(self, then: Callable[[], None] | None = None) -> None:
        """Read the shares again on the worker thread; ``then`` runs on the GUI thread after."""
        if then is not None:
            self._after_poll.append(then)
        if self._runner.shut_down:
            self._finish_poll()
            return
        if self._runner.pending("poll"):
            return  # the reading under way will run ``then``
        wallet, service, known = self._wallet, self.service, self.watch.shares

        def job(_progress: Any, _cancel: Any) -> list[WatchedShare] | None:
            if wallet is not None:
                return issued_shares(wallet)
            if service.serving and known:
                return refresh_shares(service.app, known)
            return None  # locked and nothing served from here: nothing to watch

        self._runner.submit(job, on_done=self._polled, on_failed=self._poll_failed, latest="poll")

    def _polled(self, shares: list[WatchedShare] | None) -> None:
        self.last_error = ""
        if shares is not None:
            for notice in self.watch.update(shares, now=self.service.app.clock.now()):
                self._notify(notice)
        self._finish_poll()

    def _poll_failed(self, message: str) -> None:
        self.last_error = message  # the chain may be unreachable for a while: the next poll tries again
        self._finish_poll()

    def _finish_poll(self) -> None:
        waiting, self._after_poll = self._after_poll, []
        self.polled.emit()
        for then in waiting:
            then()

    def _notify(self, notice: ShareNotice) -> None:
        self.message(notice.title, notice.text)
        self.notified.emit(notice)

    def message(self, title: str, text: str) -> None:
        """A tray balloon (plain text; a desktop without a tray shows nothing)."""
        self.messages.append((title, text))
        if self._available:
            self.icon.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 10_000)

    def tell_sharing_in_background(self) -> None:
        """Say once per session that closing the window did not stop sharing."""
        if not self._told_background:
            self._told_background = True
            self.message("Still sharing", IN_BACKGROUND)

    def watch_window(self, window: QWidget) -> None:
        """Read the shares again whenever ``window`` becomes active (at most every
        :data:`ACTIVATION_POLL_S` seconds): after the share dialog closes, before a quit."""
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.WindowActivate:
            now = time.monotonic()
            if now - self._last_activation_poll >= ACTIVATION_POLL_S:
                self._last_activation_poll = now
                self.poll()
        return False

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.open_requested.emit()

    # --- quitting -----------------------------------------------------------------------

    def quit_box(self, parent: QWidget | None, warning: str) -> QMessageBox:
        """The question asked before quitting while ``warning`` holds (plain text)."""
        box = QMessageBox(QMessageBox.Icon.Warning, "Quit Health Wallet?", "", QMessageBox.StandardButton.NoButton,
                          parent)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(warning)
        if self._available:
            keep = box.addButton("Keep sharing in the background", QMessageBox.ButtonRole.AcceptRole)
            keep.setObjectName(QuitChoice.KEEP_SHARING)
        quit_anyway = box.addButton("Quit anyway", QMessageBox.ButtonRole.DestructiveRole)
        quit_anyway.setObjectName(QuitChoice.QUIT)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        cancel.setObjectName(QuitChoice.CANCEL)
        box.setDefaultButton(cancel)
        return box

    def confirm_quit(self, parent: QWidget | None, ask: Callable[[QMessageBox], str] | None = None) -> str:
        """A :class:`QuitChoice`: ``quit`` at once when no share depends on this computer,
        else what the patient chose. ``ask`` shows the box and returns the chosen
        button's object name (default: a modal ``exec``)."""
        warning = self.watch.quit_warning()
        if warning is None:
            return QuitChoice.QUIT
        box = self.quit_box(parent, warning)
        try:
            if ask is not None:
                return ask(box)
            box.exec()
            clicked = box.clickedButton()
            return clicked.objectName() if clicked is not None else QuitChoice.CANCEL
        finally:
            box.deleteLater()
