"""The main window: categories with counts, the records of the chosen one, the detail
pane, import (Ctrl+I, or drop files on the window) and lock (Ctrl+L). The sharing tabs
and the Sharing menu come from :mod:`wallet.gui.sharing_section`.

Settings (Ctrl+,) and Help (F1) open their own windows; Ctrl+plus, Ctrl+minus and
Ctrl+0 change the text size (kept as the ``ui.text_percent`` setting). The window never
opens larger than the screen's free area. Escape in the filter clears it, and the
filter is cleared when another category is chosen."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPalette,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QListView,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..errors import PatientMismatch, WalletError
from ..events import CancelToken, Progress, ProgressSink
from ..services import TEXT_PERCENT_RANGE, Preferences, StoredSummary, UnlockedWallet
from . import profile_switcher
from .actions import make_action
from .category_model import CategoryListModel, CountRole
from .clinic_section import ClinicSection
from .detail import DetailPane
from .export_backup_section import ExportBackupSection
from .icon import LogoLabel, lock_icon
from .import_panel import ImportBar, ImportReport, import_report
from .overview_view import OverviewView
from .profile_switcher import ProfileSwitcher
from .sharing_section import SharingSection
from .theme import apply_text_percent, fixed_font, text_percent
from .workers import JobRunner, Ticket, retire_runner

if TYPE_CHECKING:
    from PySide6.QtCore import QUrl

    from .records_panel import RecordsPanel

__all__ = ["EMPTY_WALLET_TEXT", "ZOOM_STEPS", "MainWindow", "fit_to_screen"]

ZOOM_STEPS = (50, 67, 75, 80, 90, 100, 110, 125, 150, 175, 200, 250, 300)  # text sizes, in percent

EMPTY_WALLET_TEXT = "No records yet — import a FHIR file (Ctrl+I) or drop one here."
FILE_FILTER = ("Health records (*.json *.ndjson *.jsonl *.smart-health-card *.fhir);;"
               "All files (*)")


class _CategoryDelegate(QStyledItemDelegate):
    """The category name, and its count right-aligned in a quieter colour."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        super().paint(painter, option, index)
        count = index.data(CountRole)
        if count is None:
            return
        painter.save()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.PlaceholderText
        painter.setPen(option.palette.color(role))
        rect = QRect(option.rect).adjusted(0, 0, -10, 0)
        painter.drawText(rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{count:,}")
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        hint = super().sizeHint(option, index)
        return QSize(hint.width() + 60, max(hint.height(), option.fontMetrics.height() + 12))


def fit_to_screen(window: QWidget, width: int, height: int) -> None:
    """Resize ``window`` to ``width`` × ``height``, or less so that it fits the free area
    of its screen (the panels and task bar left out), and keep it on that screen."""
    screen = window.screen() or QApplication.primaryScreen()
    if screen is None:
        window.resize(width, height)
        return
    area = screen.availableGeometry()
    frame = max(0, window.frameGeometry().height() - window.geometry().height())  # the title bar, once shown
    w = min(width, area.width())
    h = min(height, area.height() - frame)
    window.resize(max(w, 200), max(h, 200))
    if not area.contains(window.frameGeometry()):
        window.move(area.left() + max(0, (area.width() - w) // 2), area.top() + max(0, (area.height() - h) // 2))


class MainWindow(QMainWindow):
    lock_requested = Signal()
    quit_requested = Signal()
    import_finished = Signal(object)  # ImportReport, or str when cancelled or failed
    idle_minutes_changed = Signal(float)  # from the Settings window
    delete_wallet_requested = Signal(str)  # what the user typed to confirm

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Health Wallet")  # the icon is the application's (wallet.gui.main)
        self.setAcceptDrops(True)
        self.resize(1280, 780)
        self._fitted = False
        self._shown_category: str | None = None
        self.settings_dialog: QWidget | None = None
        self.help_window: QWidget | None = None
        self._wallet: UnlockedWallet | None = None
        self._reader: JobRunner | None = None
        self._detail_runner: JobRunner | None = None
        self._importer: JobRunner | None = None
        self._import_ticket: Ticket | None = None
        self.last_import: ImportReport | str | None = None
        self.pending_refusal: Any = None  # the first file refused as another person's, to place on request
        self.report_box: QMessageBox | None = None
        # (quitting) -> whether the window may close now; the session's tray decides (wallet.gui.tray)
        self.close_guard: Callable[[bool], bool] | None = None
        self._quitting = False

        self._build_actions()
        self._build_widgets()
        self.clear()

    # --- construction -----------------------------------------------------------------


    def _build_actions(self) -> None:
        def action(text: str, shortcut: QKeySequence | QKeySequence.StandardKey | str | None, slot: Any,
                   tip: str = "") -> QAction:
            return make_action(self, text, shortcut, slot, tip)

        self.import_action = action("&Import files…", "Ctrl+I", self.choose_files,
                                    "Import FHIR JSON, NDJSON or SMART Health Card files")
        self.lock_action = action("&Lock", "Ctrl+L", lambda: self.lock_requested.emit(),
                                  "Lock the wallet; the passphrase opens it again")
        self.quit_action = action("&Quit", QKeySequence.StandardKey.Quit, self.request_quit, "Lock and quit")
        self.filter_action = action("&Filter records", QKeySequence.StandardKey.Find, self.focus_filter,
                                    "Type to filter the records shown")
        self.refresh_action = action("&Refresh", QKeySequence.StandardKey.Refresh, self.refresh,
                                     "Read the counts and records again")
        self.overview_action = action("&Overview", "Alt+Home", lambda: self.show_category(None),
                                      "Your record at a glance")
        self.settings_action = action("&Settings…", "Ctrl+,", self.open_settings,
                                      "Passphrase, lock, colours, text size, networks, card issuers")
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.delete_record_action = action("&Delete record…", QKeySequence.StandardKey.Delete,
                                           self.delete_selected_record, "Delete the selected record from this wallet")
        self.delete_record_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.zoom_in_action = action("Zoom &in", QKeySequence.StandardKey.ZoomIn, lambda: self.zoom(1),
                                     "Larger text")
        self.zoom_in_action.setShortcuts([QKeySequence(QKeySequence.StandardKey.ZoomIn), QKeySequence("Ctrl+="),
                                          QKeySequence("Ctrl++")])
        self.zoom_out_action = action("Zoom &out", QKeySequence.StandardKey.ZoomOut, lambda: self.zoom(-1),
                                      "Smaller text")
        self.zoom_reset_action = action("&Actual size", "Ctrl+0", lambda: self.zoom(0), "Text at the system's size")
        self.guide_action = action("&User guide", QKeySequence.StandardKey.HelpContents, lambda: self.open_help(),
                                   "How to import, share, revoke and back up")
        self.guide_action.setShortcuts([QKeySequence(QKeySequence.StandardKey.HelpContents), QKeySequence("F1")])
        self.glossary_action = action("&Glossary", None, lambda: self.open_help("glossary"),
                                      "What the words in this app mean")
        self.next_action = action("&Next category", "Ctrl+PgDown", lambda: self._step_category(1))
        self.prev_action = action("&Previous category", "Ctrl+PgUp", lambda: self._step_category(-1))
        self.about_action = action("&About Health Wallet", None, self._about)

        bar = self.menuBar()
        m = bar.addMenu("&File")
        m.addAction(self.import_action)
        m.addSeparator()
        m.addAction(self.settings_action)
        m.addSeparator()
        m.addAction(self.lock_action)
        m.addAction(self.quit_action)
        m = bar.addMenu("&Edit")
        m.addAction(self.delete_record_action)
        m.addSeparator()
        m.addAction(self.settings_action)
        m = bar.addMenu("&View")
        m.addAction(self.overview_action)
        m.addAction(self.next_action)
        m.addAction(self.prev_action)
        m.addSeparator()
        m.addAction(self.filter_action)
        m.addAction(self.refresh_action)
        m.addSeparator()
        m.addAction(self.zoom_in_action)
        m.addAction(self.zoom_out_action)
        m.addAction(self.zoom_reset_action)
        self.help_menu = m = bar.addMenu("&Help")
        m.addAction(self.guide_action)
        m.addAction(self.glossary_action)
        m.addSeparator()
        m.addAction(self.about_action)

        tools = self.addToolBar("Main")
        tools.setObjectName("main-toolbar")
        tools.setMovable(False)
        tools.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.import_action.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_DialogOpenButton))
        tools.addAction(self.import_action)
        tools.addAction(self.lock_action)
        self.lock_action.setIcon(lock_icon())  # reads on the light and the dark palette
        tools.addSeparator()
        self.profile_switcher = ProfileSwitcher(self)
        self.profile_switcher.switched.connect(self.switch_profile)
        tools.addWidget(self.profile_switcher)

    def _build_widgets(self) -> None:
        self.categories = CategoryListModel(self)
        self.category_view = QListView(self)
        self.category_view.setModel(self.categories)
        self.category_view.setItemDelegate(_CategoryDelegate(self.category_view))
        self.category_view.setAccessibleName("Categories")
        self.category_view.setMinimumWidth(190)
        self.category_view.setMaximumWidth(280)
        self.category_view.selectionModel().currentChanged.connect(self._on_category)

        self._panel: RecordsPanel | None = None  # one category's records: built when first shown
        self.overview = OverviewView(self)
        self.overview.selected.connect(self._on_record)
        self.detail = DetailPane(self)
        self.middle = QStackedWidget(self)  # the overview page, or one category's records
        self.middle.addWidget(self.overview)
        self.detail.tab_after = self.middle  # the record's tabs, made with the first record shown

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.category_view)
        self.splitter.addWidget(self.middle)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 2)
        self.splitter.setSizes([210, 680, 390])
        self.splitter.setChildrenCollapsible(False)

        # shown while the wallet holds no record
        self.welcome = QWidget(self)
        logo = LogoLabel(96, self.welcome)
        logo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.welcome_label = QLabel(EMPTY_WALLET_TEXT, self.welcome)
        self.welcome_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.welcome_label.setWordWrap(True)
        font = self.welcome_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        self.welcome_label.setFont(font)
        hint = QLabel("FHIR R4 JSON (a Bundle or single resources), NDJSON, or SMART Health Card files. "
                      "Everything is encrypted on this computer.", self.welcome)
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setWordWrap(True)
        hint.setEnabled(False)
        self.welcome_button = QPushButton("Import files…", self.welcome)
        self.welcome_button.clicked.connect(self.choose_files)
        box = QVBoxLayout(self.welcome)
        box.addStretch(2)
        box.addWidget(logo)
        box.addSpacing(12)
        box.addWidget(self.welcome_label)
        box.addWidget(hint)
        box.addSpacing(12)
        box.addWidget(self.welcome_button, 0, Qt.AlignmentFlag.AlignHCenter)
        box.addStretch(3)

        self.pages = QStackedWidget(self)
        self.pages.addWidget(self.welcome)
        self.pages.addWidget(self.splitter)

        self.import_bar = ImportBar(self)
        self.import_bar.cancel_requested.connect(self.cancel_import)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.import_bar)
        # Records first; the sharing tabs (Sharing, Shared with me, Access log) follow
        self.sections = QTabWidget(self)
        self.sections.setDocumentMode(True)
        self.sections.addTab(self.pages, "Records")
        layout.addWidget(self.sections, 1)
        self.setCentralWidget(central)
        self.sharing = SharingSection(self, self.sections)
        self.records_tools = ExportBackupSection(self, self.sections)
        self.clinic = ClinicSection(self)  # the Clinic menu: printouts and SMART Health Links

        self.address_label = QLabel(self)
        self.address_label.setTextFormat(Qt.TextFormat.PlainText)
        self.address_label.setFont(fixed_font(self))
        self.address_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.address_label.setToolTip("This wallet's address: doctors grant and share with it")
        self.records_tools.network.add_detail(self.address_label, "Address")  # in the status details popup

    @property
    def panel(self) -> RecordsPanel:
        """One category's records (filter box, table, trend chart). The window opens on
        the overview page, so this page and its modules are made when first needed."""
        if self._panel is None:
            self._panel = self._make_panel()
        return self._panel

    def _make_panel(self) -> RecordsPanel:
        from .records_panel import RecordsPanel
        from .table_view import follow_font, keep_names_readable

        panel = RecordsPanel(self)
        panel.selected.connect(self._on_record)
        panel.filter_edit.installEventFilter(self)  # Escape clears it
        panel.filter_edit.setToolTip("Type to filter the records shown; Escape clears the filter")
        follow_font(panel.table, 8)
        keep_names_readable(panel.table)  # the name column keeps its room at 1024×700
        panel.table.addAction(self.delete_record_action)
        self.middle.addWidget(panel)
        # Tab goes from the categories into the records, then on to the overview and detail panes,
        # as when the page was made with the window: a page made later would come last
        stops: list[QWidget] = [self.category_view]
        widget = panel.nextInFocusChain()
        while widget is not None and widget is not panel and panel.isAncestorOf(widget):
            if widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
                stops.append(widget)
            widget = widget.nextInFocusChain()
        for before, after in pairwise(stops):
            QWidget.setTabOrder(before, after)
        return panel

    # --- wallet -----------------------------------------------------------------------

    @property
    def wallet(self) -> UnlockedWallet | None:
        return self._wallet

    def set_wallet(self, wallet: UnlockedWallet) -> None:
        """Show an unlocked wallet's records."""
        self.clear()
        self._wallet = wallet
        self._reader = JobRunner("records-reader", self)  # the detail and import threads start on first use
        self.address_label.setText(wallet.address)
        self.import_action.setEnabled(True)
        self.lock_action.setEnabled(True)
        self.settings_action.setEnabled(True)
        self.delete_record_action.setEnabled(True)
        self.profile_switcher.fill(wallet)
        self.refresh()
        self.sharing.set_wallet(wallet)
        self.records_tools.set_wallet(wallet)

    def clear(self) -> None:
        """Drop every record and stop background work (before the wallet locks)."""
        if self._import_ticket is not None:
            self._import_ticket.cancel()
        for runner in (self._importer, self._reader, self._detail_runner):
            retire_runner(runner)
        self._importer = self._reader = self._detail_runner = None
        self._import_ticket = None
        self.import_bar.finish()
        self.sharing.clear()
        self.records_tools.clear()
        self.clinic.clear()
        self._wallet = None
        if self._panel is not None:
            self._panel.clear()
        self.overview.clear()
        self.detail.clear()
        self.categories.set_counts({})
        self.profile_switcher.empty()
        self.pending_refusal = None
        self.address_label.clear()
        self.import_action.setEnabled(False)
        self.welcome_button.setEnabled(True)
        self.lock_action.setEnabled(False)
        self.settings_action.setEnabled(False)
        self.delete_record_action.setEnabled(False)
        self._shown_category = None
        if self.settings_dialog is not None:
            self.settings_dialog.shutdown()  # type: ignore[attr-defined]  # a SettingsDialog
            self.settings_dialog = None
        if self.help_window is not None:
            self.help_window.close()
        if self.report_box is not None:
            self.report_box.close()
            self.report_box = None
        self.pages.setCurrentWidget(self.welcome)

    def refresh(self) -> None:
        """Read the counts (one cheap query) and show the current category again."""
        if self._wallet is None or self._reader is None:
            return
        counts = self._wallet.counts_by_category()
        self.categories.set_counts(counts)
        if self.categories.total == 0:
            self.pages.setCurrentWidget(self.welcome)
            if self._panel is not None:
                self._panel.clear()
            self.detail.clear()
            self.statusBar().showMessage("")
            return
        self.pages.setCurrentWidget(self.splitter)
        row = self.category_view.currentIndex().row()
        category = self.categories.category_at(row) if row >= 0 else None
        self.show_category(category, force=True)

    # --- profiles ---------------------------------------------------------------------

    def switch_profile(self, name: str) -> None:
        """Show ``name``'s records: the categories, counts and lists are read again."""
        if self._wallet is None or name == self._wallet.profile:
            return
        self._wallet.use_profile(name)
        self.detail.clear()
        if self._panel is not None:
            self._panel.clear()
        self.profile_switcher.fill(self._wallet)
        self.refresh()

    def _ask_profile(self, person: str) -> str | None:
        return profile_switcher.ask_profile_name(self, person)

    def keep_refused_in_profile(self) -> None:
        """Import the refused file again, into a new profile the user names."""
        refusal = self.pending_refusal
        if refusal is None or self._wallet is None:
            return
        name = self._ask_profile(refusal.error.file_person)
        if name:
            self.pending_refusal = None
            self.import_files([refusal.path], profile=name)

    def import_refused_as_same_person(self) -> None:
        """The user says the refused file's person is the profile's: import it there."""
        refusal = self.pending_refusal
        if refusal is None or self._wallet is None:
            return
        self.pending_refusal = None
        self.import_files([refusal.path], profile=refusal.error.profile, same_person=True)

    def owner_is_someone_else(self) -> None:
        """After the first import: those records are another person's; keep them in a profile."""
        if self._wallet is None or self.importing:
            return
        owner = self._wallet.profiles()[0]
        name = self._ask_profile(owner.patient)
        if not name:
            return
        try:
            self._wallet.move_owner_records(name)
        except WalletError as exc:
            self._show_report("Health Wallet", exc.user_message, QMessageBox.Icon.Warning)
            return
        self.profile_switcher.fill(self._wallet)
        self.refresh()

    def show_category(self, category: str | None, *, force: bool = False) -> None:
        index = self.categories.index(self.categories.row_of(category))
        if self.category_view.currentIndex() != index:
            self.category_view.setCurrentIndex(index)  # calls _on_category
        elif force:
            self._load_category(category)

    def _on_category(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self._load_category(self.categories.category_at(current.row()))

    def _load_category(self, category: str | None) -> None:
        if self._wallet is None or self._reader is None:
            return
        self.detail.clear()
        if category is None:  # the overview page
            self.middle.setCurrentWidget(self.overview)
            self._load_overview()
            return
        from .table_view import fit_columns  # loaded with the records page

        self.middle.setCurrentWidget(self.panel)
        if category != self._shown_category:  # the filter does not follow you to another category
            self._shown_category = category
            self.panel.filter_edit.clear()
        self.panel.show_category(self._wallet, category, self.categories.count(category), self._reader)
        fit_columns(self.panel.table)

    def _load_overview(self) -> None:
        if self._wallet is None or self._reader is None:
            return
        wallet = self._wallet
        self.overview.clear("Reading your record…")
        self._reader.submit(lambda _p, _c: wallet.overview(), on_done=self.overview.set_overview,
                            on_failed=self.overview.clear, latest="overview")

    def _step_category(self, step: int) -> None:
        row = self.category_view.currentIndex().row()
        n = self.categories.rowCount()
        self.category_view.setCurrentIndex(self.categories.index((max(row, 0) + step) % n))

    def focus_filter(self) -> None:
        if self.pages.currentWidget() is self.splitter:
            self.panel.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
            self.panel.filter_edit.selectAll()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        panel = self._panel
        if (panel is not None and watched is panel.filter_edit and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent) and event.key() == Qt.Key.Key_Escape
                and panel.filter_edit.text()):
            panel.filter_edit.clear()
            return True
        return super().eventFilter(watched, event)

    # --- text size, screen ---------------------------------------------------------

    def zoom(self, step: int) -> int:
        """One size larger (``step`` 1), smaller (-1) or the system's (0); kept as the
        ``ui.text_percent`` setting when a wallet is open. Returns the percent now shown."""
        app = QApplication.instance()
        if not isinstance(app, QApplication):
            return 100
        now = text_percent(app)
        if step == 0:
            wanted = 100
        elif step > 0:
            wanted = next((z for z in ZOOM_STEPS if z > now), ZOOM_STEPS[-1])
        else:
            wanted = next((z for z in reversed(ZOOM_STEPS) if z < now), ZOOM_STEPS[0])
        wanted = max(TEXT_PERCENT_RANGE[0], min(TEXT_PERCENT_RANGE[1], wanted))
        apply_text_percent(app, wanted)
        if self._wallet is not None:
            try:
                Preferences(self._wallet.app).set_text_percent(wanted)
            except WalletError as exc:
                self.statusBar().showMessage(exc.user_message, 8000)
        self.statusBar().showMessage(f"Text size {wanted} %", 3000)
        return wanted

    def showEvent(self, event: QShowEvent) -> None:
        if not self._fitted:  # once: later the user's own size stands
            self._fitted = True
            fit_to_screen(self, self.width(), self.height())
            # a narrow window gives the records list the room and keeps the detail pane readable
            width = self.width() - 12  # the splitter is not laid out yet: the window's margins
            side = max(200, self.category_view.sizeHintForColumn(0) + 8)  # grows with the text size
            detail = max(240, int(width * 0.24))
            self.splitter.setSizes([side, max(300, width - side - detail), detail])
        super().showEvent(event)

    # --- settings, help ---------------------------------------------------------------

    def open_settings(self, page: str | None = None) -> None:
        """The Settings window (one at a time), at ``page`` if named."""
        if self._wallet is None:
            return
        from .settings_dialog import SettingsDialog

        dialog = self.settings_dialog
        if not isinstance(dialog, SettingsDialog):
            dialog = SettingsDialog(self._wallet, self)
            dialog.idle_minutes_changed.connect(self.idle_minutes_changed)
            dialog.delete_wallet_requested.connect(self.delete_wallet_requested)
            dialog.networks_changed.connect(self.sharing_changed)
            self.settings_dialog = dialog
        if page:
            dialog.show_page(page)
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    def sharing_changed(self) -> None:
        """Another network was chosen: the status bar says so at its next look."""
        self.records_tools.network.probe()

    def open_help(self, topic: str = "guide") -> None:
        """The user guide (or the glossary, ``topic="glossary"``) in a window of its own."""
        from .help_window import HelpWindow

        window = self.help_window
        if not isinstance(window, HelpWindow):
            window = HelpWindow(self)
            self.help_window = window
        window.show_topic(topic)
        window.show()
        window.raise_()
        window.activateWindow()

    def delete_selected_record(self) -> None:
        """Ask, then delete the record selected in the list."""
        row = self._panel.current_summary() if self._wallet is not None and self._panel is not None else None
        if row is None or self._wallet is None:
            self.statusBar().showMessage("Select a record in the list first, then delete it.", 6000)
            return
        title = row.summary.title or "this record"
        box = QMessageBox(QMessageBox.Icon.Warning, "Delete this record?", "", QMessageBox.StandardButton.Cancel,
                          self)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(f"Delete “{title}” ({row.summary.date or 'no date'}) from this wallet?")
        box.setInformativeText("It cannot be undone here; importing its file again brings it back. Doctors you "
                               "already shared it with keep what they have.")
        delete = box.addButton("Delete record", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        if box.clickedButton() is not delete or self._wallet is None:
            return
        try:
            self._wallet.delete_record(row.id)
        except WalletError as exc:
            self._show_report("Health Wallet", exc.user_message, QMessageBox.Icon.Warning)
            return
        self.detail.clear()
        self.refresh()
        self.statusBar().showMessage(f"Deleted “{title}”.", 6000)

    # --- detail -----------------------------------------------------------------------

    def _on_record(self, row: StoredSummary | None) -> None:
        if self._detail_runner is not None:
            self._detail_runner.drop("detail")
        if row is None or self._wallet is None:
            self.detail.clear()
            return
        if self._detail_runner is None:
            self._detail_runner = JobRunner("record-detail", self)
        wallet = self._wallet

        def done(found: tuple[dict[str, Any], dict[str, str]]) -> None:
            self.detail.show_record(row, *found)

        def failed(message: str) -> None:
            self.detail.clear(message)

        def job(_p: ProgressSink, _c: CancelToken) -> tuple[dict[str, Any], dict[str, str]]:
            resource = wallet.record(row.id)
            return resource, wallet.reference_names(resource)  # prescriber, performer… by name

        self._detail_runner.submit(job, on_done=done, on_failed=failed, latest="detail")

    # --- import -----------------------------------------------------------------------

    @property
    def importing(self) -> bool:
        return self._import_ticket is not None and self._import_ticket.running

    def choose_files(self) -> None:
        if self._wallet is None:
            return
        from PySide6.QtWidgets import QFileDialog  # its classes load when it is first opened

        paths, _ = QFileDialog.getOpenFileNames(self, "Import health records", str(Path.home()), FILE_FILTER)
        if paths and self._wallet is not None:  # the wallet may have locked meanwhile
            self.import_files([Path(p) for p in paths])

    def import_files(self, paths: Sequence[Path], *, profile: str | None = None, same_person: bool = False) -> None:
        """Import into ``profile`` (default: the profile shown); ``same_person`` when the user
        said the file's person is that profile's."""
        if self._wallet is None or not paths:
            return
        if self.importing:  # e.g. files dropped during an import
            self.statusBar().showMessage("An import is running; wait for it or cancel it first.", 5000)
            return
        wallet = self._wallet
        paths = [Path(p) for p in paths]

        def job(progress: ProgressSink, cancel: CancelToken) -> list:
            return wallet.import_paths(paths, profile=profile, same_person=same_person, progress=progress,
                                       cancel=cancel)

        if self._importer is None:
            self._importer = JobRunner("records-import", self)
        self.import_bar.start(len(paths))
        self.import_action.setEnabled(False)
        self.welcome_button.setEnabled(False)
        self._import_ticket = self._importer.submit(job, on_done=self._import_done, on_failed=self._import_failed,
                                                    on_progress=self._import_progress,
                                                    on_cancelled=self._import_cancelled)

    def cancel_import(self) -> None:
        if self._import_ticket is not None:
            self._import_ticket.cancel()

    def _import_progress(self, progress: Progress) -> None:
        self.import_bar.update_progress(progress)

    def _import_done(self, outcomes: list) -> None:
        report = import_report(outcomes)
        self._end_import(report)
        self._show_report("Import finished", report.text,
                          QMessageBox.Icon.Information if report.ok else QMessageBox.Icon.Warning)
        self.pending_refusal = next((o for o in outcomes if isinstance(o.error, PatientMismatch)), None)
        box = self.report_box
        if box is None:
            return
        if self.pending_refusal is not None:  # another person's file: where should it go?
            keep = box.addButton("Keep in a new profile…", QMessageBox.ButtonRole.ActionRole)
            keep.clicked.connect(self.keep_refused_in_profile)
            same = box.addButton("It is the same person", QMessageBox.ButtonRole.ActionRole)
            same.clicked.connect(self.import_refused_as_same_person)
        elif any(o.result is not None and o.result.new_profile and o.result.person and o.result.profile == "owner"
                 for o in outcomes):  # the first import names the owner: the user confirms or corrects
            other = box.addButton("Not me: someone else's…", QMessageBox.ButtonRole.ActionRole)
            other.clicked.connect(self.owner_is_someone_else)

    def _import_cancelled(self, message: str) -> None:
        text = "Import cancelled. The file being read was not saved; files finished before it stay imported."
        self._end_import(text)
        self.statusBar().showMessage(text, 8000)

    def _import_failed(self, message: str) -> None:
        self._end_import(message)
        self._show_report("Import failed", message, QMessageBox.Icon.Warning)

    def _end_import(self, outcome: ImportReport | str) -> None:
        self._import_ticket = None
        self.import_bar.finish()
        self.import_action.setEnabled(self._wallet is not None)
        self.welcome_button.setEnabled(True)
        self.last_import = outcome
        if self._wallet is not None:
            self.profile_switcher.fill(self._wallet)  # a new profile, new counts
        self.refresh()
        self.import_finished.emit(outcome)

    def _show_report(self, title: str, text: str, icon: QMessageBox.Icon) -> None:
        if self.report_box is not None:
            self.report_box.close()
        box = QMessageBox(icon, title, "", QMessageBox.StandardButton.Ok, self)
        box.setTextFormat(Qt.TextFormat.PlainText)  # file names and messages are not markup
        box.setStyleSheet("QLabel#qt_msgbox_label { min-width: 32em; }")  # long file names wrap less
        box.setText(text)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.open()
        self.report_box = box

    def show_notice(self, text: str) -> None:
        self._show_report("Health Wallet", text, QMessageBox.Icon.Information)

    # --- drag and drop ----------------------------------------------------------------

    @staticmethod
    def _local_files(urls: list[QUrl]) -> list[Path]:
        return [Path(u.toLocalFile()) for u in urls if u.isLocalFile()]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._wallet is not None and event.mimeData().hasUrls() and self._local_files(event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: Any) -> None:
        if self._wallet is not None and event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = self._local_files(event.mimeData().urls()) if event.mimeData().hasUrls() else []
        if paths and self._wallet is not None:
            event.acceptProposedAction()
            self.import_files(paths)
        else:
            event.ignore()

    # --- the rest -----------------------------------------------------------------------

    def _about(self) -> None:
        from .about import show_about

        show_about(self)

    def request_quit(self) -> None:
        """Quit (File ▸ Quit), as opposed to closing the window, which may keep sharing."""
        self._quitting = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        quitting, self._quitting = self._quitting, False
        if self.close_guard is not None and not self.close_guard(quitting):
            event.ignore()
            return
        event.accept()
        self.quit_requested.emit()
