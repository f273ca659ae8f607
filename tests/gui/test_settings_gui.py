"""The Settings window's pages, the unlock window's forgotten-passphrase route, and
deleting the wallet: real wallets on disk, real widgets offscreen."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QCheckBox, QDialog, QLabel, QMessageBox

from tests.conftest import PASSPHRASE
from wallet.errors import InputRefused, VaultError, WrongPassphrase
from wallet.gui.settings_data import DeleteWalletDialog
from wallet.gui.settings_dialog import PAGES, SettingsDialog
from wallet.gui.settings_networks import choose_network
from wallet.gui.theme import is_dark, text_percent
from wallet.gui.tray import KEEP_TEXT
from wallet.services import Networks, Preferences, WalletService

NEW_PASSPHRASE = "a brand new passphrase"


@pytest.fixture
def settings(qtbot, unlocked, themed_app):
    dialog = SettingsDialog(unlocked)
    qtbot.addWidget(dialog)
    dialog.show()
    yield dialog
    dialog.shutdown()


def test_every_page_opens_by_name(settings: SettingsDialog) -> None:
    for key in PAGES:
        settings.show_page(key)
        assert settings.current_page == key
        assert settings.stack.currentWidget().widget() is settings.pages[key]


def test_keep_sharing_is_on_the_sharing_page_with_its_key_and_default(settings: SettingsDialog, unlocked) -> None:
    assert PAGES.index("sharing") < PAGES.index("pinning")  # with the general pages, before the remote services
    assert [settings.page_list.item(n).text() for n in range(3)] == ["Security", "Appearance", "Sharing"]
    settings.show_page("sharing")
    page = settings.sharing
    assert page.keep_sharing.text() == KEEP_TEXT and page.keep_sharing.isChecked()  # on by default
    assert page.keep_sharing.isVisible() and "Pinning services" in page.pinning_hint.text()
    assert not settings.pinning.findChildren(QCheckBox)  # the pinning page is about remote services only
    page.keep_sharing.click()
    config = json.loads((unlocked.app.home / "config.json").read_text())
    assert config["settings"]["sharing.keep_after_close"] is False
    page.keep_sharing.click()
    assert unlocked.app.config.settings.sharing_keep_after_close is True and page.status.text() == ""


def test_change_passphrase_then_unlock_with_the_new_one(qtbot, settings: SettingsDialog, created_service) -> None:
    page = settings.security
    page.old.setText("not my passphrase")
    page.new.setText(NEW_PASSPHRASE)
    page.repeat.setText(NEW_PASSPHRASE + "x")
    assert not page.change_button.isEnabled() and "differ" in page.change_status.text()
    page.repeat.setText(NEW_PASSPHRASE)
    assert page.change_button.isEnabled()
    page.change_button.click()
    qtbot.waitUntil(lambda: "Type the passphrase you unlock with" in page.change_status.text(), timeout=10_000)
    assert created_service.unlock(PASSPHRASE) is not None  # a wrong current passphrase changes nothing

    page.old.setText(PASSPHRASE)
    page.new.setText(NEW_PASSPHRASE)
    page.repeat.setText(NEW_PASSPHRASE)
    page.change_button.click()
    qtbot.waitUntil(lambda: page.change_status.text().startswith("Passphrase changed"), timeout=10_000)
    assert page.old.text() == page.new.text() == ""
    with pytest.raises(WrongPassphrase):
        created_service.unlock(PASSPHRASE)
    wallet = created_service.unlock(NEW_PASSPHRASE)
    wallet.lock()


def test_idle_lock_setting_is_kept_and_announced(qtbot, settings: SettingsDialog, created_service) -> None:
    with qtbot.waitSignal(settings.idle_minutes_changed) as blocker:
        settings.security.idle.setValue(3)
    assert blocker.args == [3.0]
    assert Preferences(created_service.app).idle_minutes == 3
    settings.security.idle.setValue(0)
    assert settings.security.idle.text() == "Never" and Preferences(created_service.app).idle_minutes == 0


def test_recovery_phrase_only_after_the_passphrase(qtbot, settings: SettingsDialog, unlocked) -> None:
    page = settings.security
    page.phrase_passphrase.setText("wrong passphrase")
    page.reveal_button.click()
    qtbot.waitUntil(lambda: "Wrong passphrase" in page.phrase_status.text(), timeout=10_000)
    assert not page.words_shown
    page.phrase_passphrase.setText(PASSPHRASE)
    page.reveal_button.click()
    qtbot.waitUntil(lambda: page.words_shown, timeout=10_000)
    shown = [label.text().split(". ", 1)[1] for label in page.word_labels]
    assert shown == unlocked.keys.phrase.split()
    assert page.phrase_passphrase.text() == ""
    settings.show_page("appearance")  # leaving the page hides the words
    assert not page.words_shown


def test_theme_and_text_size_apply_and_are_kept(settings: SettingsDialog, created_service) -> None:
    app = QApplication.instance()
    page = settings.appearance
    page.theme_buttons["dark"].click()
    assert is_dark(app.palette()) and Preferences(created_service.app).theme == "dark"
    page.theme_buttons["light"].click()
    assert not is_dark(app.palette()) and Preferences(created_service.app).theme == "light"
    before = app.font().pointSizeF()
    try:
        page.text_size.setValue(150)
        assert text_percent(app) == 150 and Preferences(created_service.app).text_percent == 150
        assert app.font().pointSizeF() == pytest.approx(before * 1.5, rel=0.02)
    finally:
        page.set_text_percent(100)
    assert text_percent(app) == 100
    config = json.loads((created_service.app.home / "config.json").read_text())
    assert config["settings"]["ui.theme"] == "light" and config["settings"]["ui.text_percent"] == 100


def test_networks_page_adds_uses_and_removes(settings: SettingsDialog, created_service) -> None:
    page = settings.networks
    settings.show_page("networks")
    names = [p["name"] for p in page.profiles]
    assert "embedded" in names and "gnosis" in names
    assert next(p for p in page.profiles if p["active"])["name"] == "embedded"
    assert not page.add("Bad Name!", 5, ["https://rpc.example.org"])
    assert "Correct it" in page.status.text()
    assert page.add("my-clinic", 777, ["https://rpc.example.org"], "XDAI", "https://explorer.example.org")
    assert page.selected()["name"] == "my-clinic"
    assert page.use("my-clinic")
    assert Networks(created_service.app).active().name == "my-clinic"
    assert not page.remove_button.isEnabled()  # not the network in use
    assert page.use("embedded") and page.remove("my-clinic")
    assert "my-clinic" not in [p["name"] for p in page.profiles]


def test_network_picker_asks_only_when_several_match(qtbot, created_service) -> None:
    networks = Networks(created_service.app)
    networks.add("gnosis-mine", chain_id=100, rpc=["https://rpc.example.org"])
    matches = networks.matching(100)
    assert len(matches) == 2
    assert choose_network(None, matches[:1], 100) == matches[0].name
    assert choose_network(None, [], 100) is None

    def pick_second() -> None:
        picker = QApplication.activeModalWidget()
        assert isinstance(picker, QDialog)
        picker.group.button(1).setChecked(True)
        picker.accept()

    QTimer.singleShot(0, pick_second)
    assert choose_network(None, matches, 100) == matches[1].name


def test_issuers_page_trusts_and_stops_trusting(qtbot, settings: SettingsDialog, tmp_path: Path,
                                                monkeypatch) -> None:
    from tests.conftest import FIXTURES

    page = settings.issuers
    directory = page.table.rowCount()
    jwks = next(FIXTURES.rglob("jwks.json"), None)
    assert jwks is not None, "the fixtures hold an issuer key set"
    assert not page.trust("https://issuer.example.org", tmp_path / "missing.json", "Nowhere")
    assert "Nothing was added" in page.status.text()
    assert page.trust("https://spec.smarthealth.cards/examples/issuer", jwks, "Example Clinic")
    assert page.table.rowCount() == directory + 1
    row = next(r for r in range(page.table.rowCount()) if page.table.item(r, 0).text() == "Example Clinic")
    assert page.table.item(row, 2).text() == "you trusted it"
    page.table.selectRow(row)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    page.remove_selected()
    assert page.table.rowCount() == directory


def test_delete_wallet_needs_the_word_and_says_what_is_lost(qtbot, unlocked) -> None:
    dialog = DeleteWalletDialog(unlocked)
    qtbot.addWidget(dialog)
    lost = " ".join(label.text() for label in dialog.findChildren(QLabel))
    assert "records" in lost and "keys" in lost and "recovery phrase" in lost
    assert not dialog.delete_button.isEnabled()
    dialog.confirm.setText("yes")
    assert not dialog.delete_button.isEnabled()
    dialog.confirm.setText("delete")
    assert dialog.delete_button.isEnabled()


def test_delete_wallet_service_refuses_without_the_word(created_service: WalletService) -> None:
    with pytest.raises(InputRefused):
        created_service.delete_wallet("yes")
    assert created_service.exists()
    home = created_service.delete_wallet("delete")
    assert not home.exists() and not created_service.exists()


def test_session_deletes_the_wallet_and_starts_set_up_again(qtbot, created_service, themed_app) -> None:
    from wallet.gui.session import WalletSession

    session = WalletSession(created_service, idle_ms=0)
    try:
        session.start()
        session.unlock_dialog.passphrase.setText(PASSPHRASE)
        with qtbot.waitSignal(session.opened, timeout=10_000):
            session.unlock_dialog.try_unlock()
        session.window.open_settings("data")
        dialog = session.window.settings_dialog
        assert dialog.current_page == "data"
        dialog.data.delete_wallet_requested.emit("delete")
        assert session.wallet is None and not created_service.exists()
        assert session.wizard is not None and session.wizard.isVisible()
    finally:
        session.shutdown()


def test_forgot_passphrase_sets_a_new_one_with_the_phrase(qtbot, created_service, themed_app) -> None:
    from tests.conftest import ABANDON
    from wallet.gui.session import WalletSession

    phrase = created_service.unlock(PASSPHRASE)
    words = phrase.keys.phrase
    phrase.lock()
    session = WalletSession(created_service, idle_ms=0)
    try:
        session.start()
        session.unlock_dialog.forgot_link.linkActivated.emit("#forgot")
        reset = session.reset_dialog
        assert reset is not None and reset.isVisible()
        reset.phrase.setPlainText(ABANDON)  # a valid phrase, but another wallet's
        reset.first.setText(NEW_PASSPHRASE)
        reset.second.setText(NEW_PASSPHRASE)
        reset.ok.click()
        qtbot.waitUntil(lambda: "another wallet" in reset.error.text(), timeout=10_000)
        assert created_service.unlock(PASSPHRASE) is not None  # nothing changed
        typo = words.split()
        typo[6] = "zzzz"
        reset.phrase.setPlainText(" ".join(typo))
        assert "Word 7" in reset.phrase_message.text() and not reset.ok.isEnabled()
        reset.phrase.setPlainText(words)
        with qtbot.waitSignal(session.opened, timeout=10_000):
            reset.ok.click()
        assert session.wallet is not None
        with pytest.raises(WrongPassphrase):
            created_service.unlock(PASSPHRASE)
    finally:
        session.shutdown()
    created_service.unlock(NEW_PASSPHRASE).lock()


def test_reset_passphrase_refuses_another_wallets_phrase(created_service: WalletService) -> None:
    from tests.conftest import ABANDON

    with pytest.raises(VaultError, match="another wallet"):
        created_service.reset_passphrase(ABANDON, NEW_PASSPHRASE)
