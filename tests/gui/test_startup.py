"""Opening the wallet loads only what the first screen needs.

In a fresh interpreter (the only place ``sys.modules`` says what start-up loaded): the
main window opens on a wallet with records and paints, and none of the sharing, card,
backup or export screens, nor the records page behind the overview, nor the chain, IPFS,
signing, PDF or QR libraries, has been imported. Showing a tab then builds it. The same
holds for the desktop app's own way in: the unlock window, the unlock, the main window
with its tray. The records page is made when a category is first shown, and Tab reaches
it from the categories as before. Speed itself is measured in
benchmarks/bench_gui_startup.py, not here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableView, QTreeWidget, QWidget

from tests.conftest import PASSPHRASE
from wallet.gui.app_window import MainWindow

from .conftest import SMALL_PATIENT

REPO = Path(__file__).resolve().parents[2]

NOT_AT_START = (
    "wallet.gui.sharing_view", "wallet.gui.shared_with_me_view", "wallet.gui.access_log_view",
    "wallet.gui.share_dialog", "wallet.gui.cards_view", "wallet.gui.backups_view", "wallet.gui.export_dialog",
    "wallet.gui.verify_dialog", "wallet.gui.restore_backup_page", "wallet.gui.qr_widget",
    "wallet.records.importer", "wallet.chain", "wallet.ipfs", "wallet.share",
    "web3", "eth_account", "eth", "segno", "cffi", "Crypto", "PySide6.QtSvg", "html", "html.parser",
    "eth_abi", "eth_utils", "fpdf", "pypdfium2", "qrcode", "ipfshttpclient", "joserfc",
    "wallet.gui.records_panel", "wallet.gui.trend_chart", "wallet.gui.table_view", "wallet.gui.settings_dialog",
    "wallet.gui.wizard", "wallet.gui.reset_passphrase", "wallet.services.sharing", "wallet.services.pinning",
    "wallet.services.network_status", "wallet.records.parse", "wallet.gui.models", "wallet.gui.table_model",
    "cryptography.hazmat.backends.openssl",  # the X25519 key is derived when sharing first needs it
)

CHILD = r"""
import json, os, sys
import wallet.gui
from PySide6.QtWidgets import QApplication
from wallet.app import build_app
from wallet.services import WalletService
from wallet.gui.app_window import MainWindow

app = QApplication([])
wallet = WalletService(build_app(os.environ["HOME_DIR"])).unlock(os.environ["PASSPHRASE"])
window = MainWindow()
window.set_wallet(wallet)
window.show()
import time
for _ in range(2000):  # the overview page is read on a worker: wait for it (bounded)
    app.processEvents()
    if window.overview.status.text() and not window.overview.status.text().startswith("Reading"):
        break
    time.sleep(0.005)
loaded_at_start = sorted(m for m in json.loads(os.environ["WATCH"]) if m in sys.modules)
rows = sum(items.count() for items in window.overview.lists.values() if items.item(0).flags())
window.sharing.show_tab(1)  # Ctrl+2: the Sharing tab
app.processEvents()
sharing_built = window.sharing.pages[0].built and window.sharing.sharing_view.isVisible()
other_tabs_built = [p.built for p in window.sharing.pages[1:]] + [window.records_tools.cards_page.built]
window.clear()
wallet.lock()
print(json.dumps({"loaded": loaded_at_start, "rows": rows, "sharing_built": sharing_built,
                  "sharing_module": "wallet.gui.sharing_view" in sys.modules, "others": other_tabs_built}))
"""


def test_main_window_opens_without_loading_other_screens(open_wallet, tmp_path: Path) -> None:
    wallet = open_wallet("startup")
    wallet.import_file(SMALL_PATIENT)
    home = wallet.app.home
    wallet.lock()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEALTH_WALLET_")}
    env.update({"QT_QPA_PLATFORM": "offscreen", "HEALTH_WALLET_UNSAFE_LIGHT_KDF": "1", "HOME": str(tmp_path),
                "HOME_DIR": str(home), "PASSPHRASE": PASSPHRASE, "WATCH": json.dumps(NOT_AT_START)})
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, cwd=REPO, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["rows"] > 0  # the records are on screen: the overview page lists some
    assert result["loaded"] == []
    assert result["sharing_built"] and result["sharing_module"]
    assert result["others"] == [False, False, False]


# The desktop app's way in (wallet.gui.main): the unlock window, then the main window and
# its tray. What is loaded is read when the main window first paints: the network status
# probe starts a moment after that, in the background. The unlock window draws the logo
# (QtSvg) and the tray keeps grant statuses (the chain package's value types): those load,
# the chain's backends and the Ethereum stack do not.
SESSION_NOT_AT_START = (
    *(m for m in NOT_AT_START if m not in ("wallet.chain", "PySide6.QtSvg")),
    "wallet.chain.backend", "wallet.chain.eip712", "wallet.chain.embedded", "wallet.chain.rpc",
    "wallet.chain.web3_backend",
)
SESSION_CHILD = r"""
import json, os, sys, time
import wallet.gui.main  # the entry point's own imports count too
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication
from wallet.app import build_app
from wallet.gui.session import WalletSession
from wallet.services import WalletService

watch = json.loads(os.environ["WATCH"])
app = QApplication([])
session = WalletSession(WalletService(build_app(os.environ["HOME_DIR"])), idle_ms=0)
session.tray_available = False
at_paint = []

class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and not at_paint:
            at_paint.append(sorted(m for m in watch if m in sys.modules))
        return False

spy = FirstPaint()
session.opened.connect(lambda _wallet: session.window.installEventFilter(spy))
session.start()
at_unlock_window = sorted(m for m in watch if m in sys.modules)
session.unlock_dialog.passphrase.setText(os.environ["PASSPHRASE"])
session.unlock_dialog.try_unlock()
deadline = time.monotonic() + 60
while not at_paint and time.monotonic() < deadline:
    app.processEvents()
    time.sleep(0.002)
shown = session.window is not None and session.window.isVisible()
session.shutdown()
print(json.dumps({"unlock_window": at_unlock_window, "painted": at_paint, "shown": shown}))
"""


def _home_with_records(open_wallet) -> Path:
    wallet = open_wallet("startup")
    wallet.import_file(SMALL_PATIENT)
    home = wallet.app.home
    wallet.lock()
    return home


def test_desktop_app_opens_without_loading_other_screens(open_wallet, tmp_path: Path) -> None:
    home = _home_with_records(open_wallet)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEALTH_WALLET_")}
    env.update({"QT_QPA_PLATFORM": "offscreen", "HEALTH_WALLET_UNSAFE_LIGHT_KDF": "1", "HOME": str(tmp_path),
                "HOME_DIR": str(home), "PASSPHRASE": PASSPHRASE, "WATCH": json.dumps(SESSION_NOT_AT_START)})
    out = subprocess.run([sys.executable, "-c", SESSION_CHILD], env=env, cwd=REPO, capture_output=True, text=True,
                         timeout=180)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["shown"]
    assert result["unlock_window"] == []
    assert result["painted"] == [[]]


def _tab_from(widget: QWidget) -> QWidget:
    """The widget Tab moves to from ``widget``: the next one in the focus chain that takes
    focus by Tab and is shown."""
    nxt = widget.nextInFocusChain()
    while nxt is not None and nxt is not widget:
        if nxt.focusPolicy() & Qt.FocusPolicy.TabFocus and nxt.isVisible() and nxt.isEnabled():
            return nxt
        nxt = nxt.nextInFocusChain()
    raise AssertionError("no tab stop after the widget")


def _tab_after(container: QWidget) -> QWidget:
    """Where Tab goes after the last widget inside ``container``."""
    last = container
    while last.nextInFocusChain() is not None and container.isAncestorOf(last.nextInFocusChain()):
        last = last.nextInFocusChain()
    return _tab_from(last)


def test_records_page_is_made_when_a_category_is_first_shown(qtbot, open_wallet) -> None:
    wallet = open_wallet("pages")
    wallet.import_file(SMALL_PATIENT)
    window = MainWindow()
    qtbot.addWidget(window)
    window.set_wallet(wallet)
    window.show()
    qtbot.waitUntil(lambda: window.overview.status.text() != "" and
                    not window.overview.status.text().startswith("Reading"), timeout=10_000)
    assert window.middle.currentWidget() is window.overview
    assert window.findChildren(QTableView) == []  # no records table until a category is shown
    assert window.findChildren(QTreeWidget) == []  # nor the detail's field tree until a record is
    overview_stop = _tab_from(window.category_view)  # on the overview page Tab goes to its lists
    assert overview_stop.parentWidget() is not None and window.overview.isAncestorOf(overview_stop)

    window.next_action.trigger()  # Ctrl+PgDown: the first category
    qtbot.waitUntil(lambda: window.panel.isVisible() and window.panel.table.model().rowCount() > 0, timeout=10_000)
    assert window.middle.currentWidget() is window.panel
    # Tab: categories → filter box → the records → … → the detail pane, as when the page was made at once
    assert _tab_from(window.category_view) is window.panel.filter_edit
    assert _tab_from(window.panel.filter_edit) is window.panel.table
    # then on past the (hidden) overview page to what follows it: the detail pane and the tabs
    stop = window.panel.table
    while window.panel.isAncestorOf(stop):
        stop = _tab_from(stop)
    assert stop is _tab_after(window.overview)

    window.panel.table.selectRow(0)  # a record: the detail pane makes its tabs, and Tab reaches them next
    qtbot.waitUntil(lambda: window.detail.tabs.isVisible() and window.detail.fields["title"].text() != "",
                    timeout=10_000)
    stop = window.panel.table
    while window.panel.isAncestorOf(stop):
        stop = _tab_from(stop)
    assert window.detail.isAncestorOf(stop)

    window.panel.filter_edit.setText("zzz-no-such-record")
    qtbot.keyClick(window.panel.filter_edit, Qt.Key.Key_Escape)  # Escape in the filter clears it
    assert window.panel.filter_edit.text() == ""
    window.clear()
    wallet.lock()
