"""Settings ▸ Pinning services against a real keeper (offscreen Qt): add with a wrong and
a right token, check, remove after a confirmation."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTEST_QT_API", "pyside6")

import pytest
from PySide6.QtWidgets import QLineEdit

import wallet.gui  # noqa: F401 - applies the Qt binding guards before tests call Qt
from tests.pinning.conftest import KEEPER_TOKEN
from wallet.gui import settings_pinning
from wallet.gui.settings_dialog import SettingsDialog
from wallet.gui.settings_pinning import EXPLAIN, AddPinningServiceDialog
from wallet.services.pinning import PINNING_FILE, RemotePinning, origins_of, pin_remotely

pytestmark = pytest.mark.gui


@pytest.fixture
def open_settings(qtbot):
    """``open_settings(wallet)``: a Settings window on its Pinning services page, shut down after the test."""
    opened: list[SettingsDialog] = []

    def open_(wallet, page: str = "pinning") -> SettingsDialog:
        dialog = SettingsDialog(wallet)
        qtbot.addWidget(dialog)
        opened.append(dialog)
        dialog.show()
        dialog.show_page(page)
        return dialog

    yield open_
    for dialog in opened:
        dialog.shutdown()


def cells(page, row: int) -> list[str]:
    return [page.table.item(row, col).text() for col in range(page.table.columnCount())]


def test_add_check_and_remove_a_keeper(qtbot, open_wallet, open_settings, keeper, monkeypatch) -> None:
    wallet = open_wallet("patient")
    settings = open_settings(wallet)
    page = settings.pinning
    assert settings.current_page == "pinning" and page.table.rowCount() == 0
    assert "when your computer is off" in EXPLAIN
    assert not page.check_button.isEnabled() and not page.remove_button.isEnabled()
    assert page.detail.text().startswith("No pinning service yet. Choose “Add…”")

    page.add("Home", keeper.url, "not-the-keeper-token-0000")  # refused: nothing kept
    qtbot.waitUntil(lambda: not page.adding, timeout=30_000)
    assert "refused the access token" in page.status.text() and "Nothing was added" in page.status.text()
    assert page.table.rowCount() == 0 and RemotePinning(wallet).services() == []
    retry = page.add_dialog()  # trying again keeps what was typed, except the token
    assert (retry.name.text(), retry.url.text(), retry.token.text()) == ("Home", keeper.url, "")
    retry.deleteLater()

    page.add("Home", keeper.url, KEEPER_TOKEN)
    assert not page.add_button.isEnabled()  # one add at a time
    qtbot.waitUntil(lambda: not page.adding, timeout=30_000)
    assert page.status.text().startswith("Added Home."), page.status.text()
    assert page.add_dialog().name.text() == ""
    assert cells(page, 0) == ["Home", "Working", "0"]
    stored = (wallet.app.home / PINNING_FILE).read_text()
    assert "Home" in stored and KEEPER_TOKEN not in stored  # the token is kept by the service layer only

    cid = wallet.ipfs().add(os.urandom(2000))  # the keeper keeps one copy: the count follows
    held = pin_remotely(wallet, cid, origins_of(wallet), timeout=60)
    assert held and held[0].pinned, held
    page.check_button.click()
    assert cells(page, 0)[1] == "Checking…" and not page.check_button.isEnabled()
    qtbot.waitUntil(lambda: not page.checking, timeout=30_000)
    assert page.status.text() == "Home answers; it keeps 1 copy."
    assert cells(page, 0) == ["Home", "Working", "1"]

    # a Settings window opened later asks every service in the background, once its page shows
    again = open_settings(wallet, "security")
    assert not again.pinning.checking and cells(again.pinning, 0) == ["Home", "Not checked yet", ""]
    again.show_page("pinning")
    assert cells(again.pinning, 0)[1] == "Checking…"
    qtbot.waitUntil(lambda: not again.pinning.checking, timeout=30_000)
    assert cells(again.pinning, 0) == ["Home", "Working", "1"]

    asked: list[str] = []
    monkeypatch.setattr(settings_pinning, "confirm_remove", lambda _parent, name: (asked.append(name), False)[1])
    page.remove_button.click()
    assert asked == ["Home"] and page.table.rowCount() == 1  # a refusal keeps it
    monkeypatch.setattr(settings_pinning, "confirm_remove", lambda _parent, _name: True)
    page.remove_button.click()
    assert page.table.rowCount() == 0 and RemotePinning(wallet).services() == []
    assert page.status.text().startswith("Removed Home.")


def test_the_add_dialog_hides_the_token_and_needs_every_field(qtbot) -> None:
    dialog = AddPinningServiceDialog()
    qtbot.addWidget(dialog)
    ok = dialog.buttons.buttons()[0] if dialog.buttons.buttons()[0].text() == "Add service" else \
        dialog.buttons.buttons()[1]
    assert dialog.token.echoMode() == QLineEdit.EchoMode.Password
    dialog.name.setText("Home")
    dialog.url.setText("http://127.0.0.1:1")
    assert not ok.isEnabled()
    dialog.token.setText("a-token-of-some-length")
    assert ok.isEnabled()


def test_a_keeper_over_https_is_added_with_its_certificate_fingerprint(qtbot, open_wallet, open_settings, keeper,
                                                                        tmp_path) -> None:
    from wallet.ipfs.keeper_tls import self_signed_certificate, server_context, shown_fingerprint
    from wallet.ipfs.pinning_server import KeeperServer

    certificate = self_signed_certificate(tmp_path / "tls", "127.0.0.1")
    server = KeeperServer(keeper.keeper, [KEEPER_TOKEN], ssl_context=server_context(certificate))
    server.start()
    try:
        wallet = open_wallet("patient")
        page = open_settings(wallet).pinning
        page.add("Home", server.endpoint, KEEPER_TOKEN)  # no fingerprint: not trusted, not kept
        qtbot.waitUntil(lambda: not page.adding, timeout=30_000)
        assert "does not trust" in page.status.text() and page.table.rowCount() == 0
        assert page.add_dialog().fingerprint.accessibleName() == "Certificate fingerprint"

        page.add("Home", server.endpoint, KEEPER_TOKEN, shown_fingerprint(certificate.fingerprint))
        qtbot.waitUntil(lambda: not page.adding, timeout=30_000)
        assert page.status.text().startswith("Added Home."), page.status.text()
        assert [s.certificate_sha256 for s in RemotePinning(wallet).services()] == [certificate.fingerprint]
    finally:
        server.stop()
