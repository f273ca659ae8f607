"""The sharing part of the main window: three tabs beside Records (Sharing, Shared with
me, Access log) and the Sharing menu with its shortcuts.

    Ctrl+1 … Ctrl+4   Records, Sharing, Shared with me, Access log
    Ctrl+Shift+S      new share
    Ctrl+Shift+O      open a share (paste a token)

A tab is built when it is first shown (:class:`LazyTab`) and reads the chain then, on
its own worker thread, never at unlock: a wallet that does not share makes no network
call, and opening the wallet does not load the sharing screens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QTabWidget, QWidget

from ..services import UnlockedWallet
from .actions import make_action
from .lazy_tab import LazyTab

if TYPE_CHECKING:
    from .access_log_view import AccessLogView
    from .shared_with_me_view import SharedWithMeView
    from .sharing_view import SharingView

__all__ = ["SharingSection"]


class SharingSection(QObject):
    """Adds the sharing tabs to ``tabs`` (whose first tab is the records) and the
    Sharing menu to ``window``."""

    def __init__(self, window: QMainWindow, tabs: QTabWidget) -> None:
        super().__init__(window)
        self.window = window
        self.tabs = tabs
        self._wallet: UnlockedWallet | None = None
        self.pages: tuple[LazyTab[SharingView], LazyTab[SharedWithMeView], LazyTab[AccessLogView]] = (
            LazyTab(self._make_sharing_view), LazyTab(self._make_shared_view), LazyTab(self._make_log_view))
        tabs.addTab(self.pages[0], "Sharing")
        tabs.addTab(self.pages[1], "Shared with me")
        tabs.addTab(self.pages[2], "Access log")
        tabs.currentChanged.connect(self._tab_changed)
        self._build_actions()

    # --- the tabs' views, built on first use ------------------------------------------------

    def _make_sharing_view(self, page: QWidget) -> SharingView:
        from .sharing_view import SharingView

        view = SharingView(page)
        view.records_changed.connect(self._records_changed)
        return view

    def _make_shared_view(self, page: QWidget) -> SharedWithMeView:
        from .shared_with_me_view import SharedWithMeView

        return SharedWithMeView(page)

    def _make_log_view(self, page: QWidget) -> AccessLogView:
        from .access_log_view import AccessLogView

        return AccessLogView(page)

    @property
    def sharing_view(self) -> SharingView:
        return self.pages[0].view

    @property
    def shared_view(self) -> SharedWithMeView:
        return self.pages[1].view

    @property
    def log_view(self) -> AccessLogView:
        return self.pages[2].view


    def _build_actions(self) -> None:
        w = self.window
        self.new_share_action = make_action(w, "&New share…", "Ctrl+Shift+S", self.new_share,
                                            "Share records with a doctor until a time you choose")
        self.open_share_action = make_action(w, "&Open a share…", "Ctrl+Shift+O", self.open_share,
                                             "Open records a patient shared with you")
        self.publish_key_action = make_action(w, "&Publish my encryption key", None, self.publish_key,
                                              "Let patients share with this wallet (one transaction)")
        self.tab_actions = []
        for n in range(self.tabs.count()):
            name = self.tabs.tabText(n)
            action = make_action(w, f"Show {name.lower()}" if n else "Show records", f"Ctrl+{n + 1}",
                                 lambda _checked=False, n=n: self.show_tab(n))
            self.tab_actions.append(action)
        menu = self.window.menuBar().addMenu("&Sharing")
        menu.addAction(self.new_share_action)
        menu.addAction(self.open_share_action)
        menu.addAction(self.publish_key_action)
        menu.addSeparator()
        for action in self.tab_actions:
            menu.addAction(action)
        self.menu = menu
        bar = self.window.menuBar()
        help_menu = next((a for a in bar.actions() if a.text().replace("&", "") == "Help"), None)
        if help_menu is not None:  # keep Help last
            bar.removeAction(menu.menuAction())
            bar.insertMenu(help_menu, menu)
        # the record views' own shortcuts bring their tab forward
        for name in ("overview_action", "next_action", "prev_action", "filter_action", "import_action"):
            record_action = getattr(self.window, name, None)
            if isinstance(record_action, QAction):
                record_action.triggered.connect(lambda _checked=False: self.show_tab(0))

    # --- wallet -------------------------------------------------------------------------------

    def set_wallet(self, wallet: UnlockedWallet) -> None:
        self._wallet = wallet
        for page in self.pages:
            page.set_wallet(wallet)
        self._enable(True)
        self._tab_changed(self.tabs.currentIndex())

    def clear(self) -> None:
        self._wallet = None
        for page in self.pages:
            page.clear()
        self._enable(False)
        self.tabs.setCurrentIndex(0)

    def _enable(self, on: bool) -> None:
        for action in (self.new_share_action, self.open_share_action, self.publish_key_action):
            action.setEnabled(on)

    # --- navigation ---------------------------------------------------------------------------

    def show_tab(self, n: int) -> None:
        if 0 <= n < self.tabs.count():
            self.tabs.setCurrentIndex(n)

    def _tab_changed(self, n: int) -> None:
        page = self.tabs.widget(n)
        if page in self.pages:
            page.refresh()

    def new_share(self) -> Any:
        if self._wallet is None:
            return None
        self.tabs.setCurrentWidget(self.pages[0])
        return self.sharing_view.new_share()

    def open_share(self) -> None:
        if self._wallet is None:
            return
        self.tabs.setCurrentWidget(self.pages[1])
        self.shared_view.token_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def publish_key(self) -> None:
        if self._wallet is None:
            return
        self.tabs.setCurrentWidget(self.pages[1])
        self.shared_view.publish_key()

    def _records_changed(self) -> None:
        refresh = getattr(self.window, "refresh", None)
        if callable(refresh):
            refresh()  # the share or revoke added a consent or an audit record
