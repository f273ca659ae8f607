"""The export, verify, health-card and backup part of the main window.

Adds to the window:

- File menu, after Import: Export… (Ctrl+E), Verify an export… (Ctrl+Shift+V),
  Back up now (Ctrl+Shift+B), Restore records from a backup…;
- two tabs after the others: Health cards and Backups, with Ctrl+<n> shortcuts that
  continue the window's numbering;
- the IPFS and chain status at the left of the status bar's permanent widgets.

A tab is built and reads when it is first shown, never at unlock; the dialogs' modules
load when a dialog opens. The status widget starts this wallet's
IPFS node in the background when the wallet opens (shares are fetched from this
computer, so its node is online while the app is open) unless ``start_node=False``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu, QTabWidget, QWidget

from ..services import UnlockedWallet
from .actions import make_action
from .lazy_tab import LazyTab
from .status_bar import NetworkStatusWidget

if TYPE_CHECKING:
    from .backups_view import BackupsView
    from .cards_view import CardsView
    from .export_dialog import ExportDialog
    from .restore_backup_page import RestoreBackupDialog
    from .verify_dialog import VerifyDialog

__all__ = ["ExportBackupSection"]


class ExportBackupSection(QObject):
    def __init__(self, window: QMainWindow, tabs: QTabWidget, *, start_node: bool = True) -> None:
        super().__init__(window)
        self.window = window
        self.tabs = tabs
        self.start_node = start_node
        self._wallet: UnlockedWallet | None = None
        self.dialogs: list[Any] = []  # open dialogs, closed when the wallet locks
        self.cards_page = LazyTab(self._make_cards_view)
        self.backups_page = LazyTab(self._make_backups_view)
        self.cards_tab = tabs.addTab(self.cards_page, "Health cards")
        self.backups_tab = tabs.addTab(self.backups_page, "Backups")
        tabs.currentChanged.connect(self._tab_changed)
        self.network = NetworkStatusWidget(window)
        window.statusBar().insertPermanentWidget(0, self.network)
        self._build_actions()
        self._enable(False)

    def __repr__(self) -> str:
        return f"ExportBackupSection(open={self._wallet is not None})"

    # --- the tabs' views, built on first use ------------------------------------------------

    def _make_cards_view(self, page: QWidget) -> CardsView:
        from .cards_view import CardsView

        return CardsView(parent=page)

    def _make_backups_view(self, page: QWidget) -> BackupsView:
        from .backups_view import BackupsView

        view = BackupsView(parent=page)
        view.published.connect(lambda _receipt: self._records_changed())
        return view

    @property
    def cards_view(self) -> CardsView:
        return self.cards_page.view

    @property
    def backups_view(self) -> BackupsView:
        return self.backups_page.view

    @property
    def pages(self) -> tuple[LazyTab[CardsView], LazyTab[BackupsView]]:
        return (self.cards_page, self.backups_page)

    # --- actions --------------------------------------------------------------------------


    def _build_actions(self) -> None:
        w = self.window
        self.export_action = make_action(w, "&Export…", "Ctrl+E", self.export,
                                         "Write a signed export of your records onto a USB stick or a folder")
        self.verify_action = make_action(w, "&Verify an export…", "Ctrl+Shift+V", self.verify,
                                         "Check a signed export or a SMART Health Card file, offline")
        self.backup_action = make_action(w, "&Back up now", "Ctrl+Shift+B", self.back_up,
                                         "Lock every record with a key only your recovery phrase gives and keep "
                                         "it where a new computer finds it")
        self.restore_action = make_action(w, "&Restore records from a backup…", None, self.restore,
                                          "Fetch your latest backup and import its records")
        self.cards_action = make_action(w, "Show health cards", f"Ctrl+{self.cards_tab + 1}",
                                        lambda _checked=False: self.tabs.setCurrentIndex(self.cards_tab))
        self.backups_action = make_action(w, "Show backups", f"Ctrl+{self.backups_tab + 1}",
                                          lambda _checked=False: self.tabs.setCurrentIndex(self.backups_tab))
        bar = self.window.menuBar()
        file_menu = next((a.menu() for a in bar.actions() if a.text().replace("&", "") == "File"), None)
        if not isinstance(file_menu, QMenu):
            file_menu = bar.addMenu("&File")
        import_action = getattr(self.window, "import_action", None)
        actions = file_menu.actions()
        after = actions.index(import_action) + 1 if import_action in actions else 0
        before = actions[after] if after < len(actions) else None
        separator = QAction(self.window)
        separator.setSeparator(True)
        for action in (separator, self.export_action, self.verify_action, self.backup_action, self.restore_action):
            file_menu.insertAction(before, action)  # type: ignore[arg-type]  # None: append
        view_menu = next((a.menu() for a in bar.actions() if a.text().replace("&", "") == "View"), None)
        if isinstance(view_menu, QMenu):
            view_menu.addSeparator()
            view_menu.addAction(self.cards_action)
            view_menu.addAction(self.backups_action)
        self.file_menu = file_menu

    def _enable(self, on: bool) -> None:
        for action in (self.export_action, self.verify_action, self.backup_action, self.restore_action,
                       self.cards_action, self.backups_action):
            action.setEnabled(on)

    # --- wallet -----------------------------------------------------------------------------

    def set_wallet(self, wallet: UnlockedWallet) -> None:
        self._wallet = wallet
        for page in self.pages:
            page.set_wallet(wallet)
        self.network.start(wallet, start_node=self.start_node)
        self._enable(True)
        self._tab_changed(self.tabs.currentIndex())

    def clear(self) -> None:
        """Close the dialogs, stop every worker (before the wallet locks)."""
        for dialog in self.dialogs:
            dialog.close()  # each stops its job: export and verify wait for it, a restore cancels it
        self.dialogs.clear()
        self.network.stop()
        for page in self.pages:
            page.clear()
        self._wallet = None
        self._enable(False)

    def _tab_changed(self, n: int) -> None:
        page = self.tabs.widget(n)
        if page in self.pages:
            page.refresh()

    def _keep(self, dialog: Any) -> Any:
        self.dialogs = [d for d in self.dialogs if d.isVisible()]
        self.dialogs.append(dialog)
        return dialog

    def _records_changed(self) -> None:
        refresh = getattr(self.window, "refresh", None)
        if callable(refresh):
            refresh()  # an export, backup or restore added records or an audit note

    # --- commands ------------------------------------------------------------------------------

    def export(self) -> ExportDialog | None:
        if self._wallet is None:
            return None
        from .export_dialog import ExportDialog

        dialog = self._keep(ExportDialog(self._wallet, parent=self.window))
        dialog.exported.connect(lambda _result: self._records_changed())
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.open()
        return dialog

    def verify(self) -> VerifyDialog:
        from .verify_dialog import VerifyDialog

        app = self._wallet.app if self._wallet is not None else None
        dialog = self._keep(VerifyDialog(app, parent=self.window))
        dialog.show()
        dialog.choose_folder()
        return dialog

    def back_up(self) -> None:
        if self._wallet is None:
            return
        self.tabs.setCurrentWidget(self.backups_page)
        self.backups_view.back_up()

    def restore(self) -> RestoreBackupDialog | None:
        if self._wallet is None:
            return None
        return self.show_restore(self._wallet)

    def show_restore(self, wallet: UnlockedWallet) -> RestoreBackupDialog:
        """The restore page on its own (also after the first-run wizard restored a wallet)."""
        from .restore_backup_page import RestoreBackupDialog

        dialog = self._keep(RestoreBackupDialog(wallet, parent=self.window))
        dialog.restored.connect(lambda _cid, _result: self._records_changed())
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.open()
        return dialog
