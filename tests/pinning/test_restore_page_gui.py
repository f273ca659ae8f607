"""The restore page asks nothing technical and says where the latest backup is held (offscreen Qt)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTEST_QT_API", "pyside6")

import pytest

import wallet.gui  # noqa: F401 - applies the Qt binding guards before tests call Qt
from tests.pinning.conftest import KEEPER_TOKEN
from tests.sharing.conftest import SMALL_PATIENT
from wallet.gui.backups_view import BackupsView
from wallet.gui.restore_backup_page import RestoreBackupDialog
from wallet.services import Backups
from wallet.services.pinning import RemotePinning

pytestmark = pytest.mark.gui


def open_page(qtbot, wallet) -> RestoreBackupDialog:
    dialog = RestoreBackupDialog(wallet, timeout=60)
    qtbot.addWidget(dialog, before_close_func=lambda d: d.panel.shutdown())
    dialog.show()
    return dialog


def test_the_page_says_the_backup_is_at_the_service_and_restores_from_it(qtbot, open_wallet, keeper) -> None:
    from wallet.vault.keys import new_phrase

    phrase = new_phrase()
    old = open_wallet("old-laptop", phrase)
    old.import_file(SMALL_PATIENT)
    RemotePinning(old).add("Home", keeper.url, KEEPER_TOKEN)
    view = BackupsView(old)  # backing up from the window says where the backup is held
    qtbot.addWidget(view, before_close_func=lambda v: v.clear())
    view.show()
    receipts = []
    view.published.connect(receipts.append)
    view.back_up()
    qtbot.waitUntil(lambda: bool(receipts) or "not made" in view.last_message, timeout=90_000)
    receipt = receipts[0]
    assert view.last_message.splitlines()[1] == "Your backup is kept at Home and on this computer."
    assert "Available without this computer: held by Home." in view.technical.text()
    qtbot.waitUntil(lambda: view.where.text() == "Your latest backup is kept at Home.", timeout=30_000)
    view.clear()
    old.lock()

    new = open_wallet("new-laptop", phrase)
    dialog = open_page(qtbot, new)
    panel = dialog.panel
    qtbot.waitUntil(lambda: panel.where.text() == "Your latest backup is kept at Home.", timeout=30_000)
    assert not panel.options.isVisible() and panel.restore_button.isEnabled()  # nothing technical asked
    panel.start()
    qtbot.waitUntil(lambda: panel.outcome is not None or bool(panel.error), timeout=90_000)
    assert not panel.error, panel.error
    assert panel.outcome[0] == receipt.cid


def test_a_backup_on_the_old_computer_only_says_so(qtbot, open_wallet) -> None:
    from wallet.vault.keys import new_phrase

    phrase = new_phrase()
    old = open_wallet("old-laptop", phrase)
    old.import_file(SMALL_PATIENT)
    Backups(old).publish()
    old.lock()

    new = open_wallet("new-laptop", phrase)
    dialog = open_page(qtbot, new)
    panel = dialog.panel
    qtbot.waitUntil(lambda: panel.where.text().startswith("Your latest backup is kept only on your old computer"),
                    timeout=30_000)
    panel.start()
    qtbot.waitUntil(lambda: bool(panel.error), timeout=90_000)
    assert panel.error.startswith("No holder of the backup is reachable")

    nobody = open_wallet("nobody")
    other = open_page(qtbot, nobody)
    page = other.panel
    qtbot.waitUntil(lambda: page.where.text() == "No backup of this wallet has been made yet.", timeout=30_000)
