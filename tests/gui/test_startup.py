"""Opening the wallet loads only what the records screen needs.

In a fresh interpreter (the only place ``sys.modules`` says what start-up loaded): the
main window opens on a wallet with records and paints, and none of the sharing, card,
backup or export screens, nor the chain, IPFS, signing or QR libraries, has been
imported. Showing a tab then builds it. Speed itself is measured in
benchmarks/bench_gui_startup.py, not here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import PASSPHRASE

from .conftest import SMALL_PATIENT

REPO = Path(__file__).resolve().parents[2]

NOT_AT_START = (
    "wallet.gui.sharing_view", "wallet.gui.shared_with_me_view", "wallet.gui.access_log_view",
    "wallet.gui.share_dialog", "wallet.gui.cards_view", "wallet.gui.backups_view", "wallet.gui.export_dialog",
    "wallet.gui.verify_dialog", "wallet.gui.restore_backup_page", "wallet.gui.qr_widget",
    "wallet.records.importer", "wallet.chain", "wallet.ipfs", "wallet.share",
    "web3", "eth_account", "eth", "segno", "cffi", "Crypto", "PySide6.QtSvg", "html.parser",
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
