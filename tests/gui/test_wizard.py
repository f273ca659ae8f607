"""The first-run wizard: create (with word confirmation) and restore."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QWizard

from tests.conftest import ABANDON, ABANDON_ADDRESS, PASSPHRASE
from wallet.gui.wizard import CONFIRM_WORDS, FirstRunWizard, passphrase_strength
from wallet.gui.workers import JobRunner
from wallet.vault.keys import normalize_phrase


@pytest.fixture
def wizard(qtbot, gui_service):
    runner = JobRunner("test-wizard")
    wiz = FirstRunWizard(gui_service, runner)
    qtbot.addWidget(wiz)
    wiz.show()
    yield wiz
    runner.shutdown()


def next_enabled(wiz: FirstRunWizard) -> bool:
    button = wiz.button(QWizard.WizardButton.CommitButton if wiz.currentPage().isCommitPage()
                        else QWizard.WizardButton.NextButton)
    return button.isEnabled()


def enter_passphrase(wiz: FirstRunWizard, first: str, second: str) -> None:
    page = wiz.passphrase_page
    page.first.setText(first)
    page.second.setText(second)


def test_create_wallet_with_word_confirmation(qtbot, wizard: FirstRunWizard, gui_service) -> None:
    assert wizard.currentId() == FirstRunWizard.PAGE_START
    wizard.next()
    assert wizard.currentId() == FirstRunWizard.PAGE_PASSPHRASE
    # too short, then different, then fine
    enter_passphrase(wizard, "short", "short")
    assert not next_enabled(wizard) and "Too short" in wizard.passphrase_page.strength.text()
    enter_passphrase(wizard, PASSPHRASE, PASSPHRASE + "x")
    assert not next_enabled(wizard) and "differ" in wizard.passphrase_page.match.text()
    enter_passphrase(wizard, PASSPHRASE, PASSPHRASE)
    assert next_enabled(wizard)
    wizard.next()

    assert wizard.currentId() == FirstRunWizard.PAGE_PHRASE
    words = wizard.phrase.split()
    assert len(words) == 12 and normalize_phrase(wizard.phrase) == wizard.phrase
    shown = [label.text().split(". ", 1)[1] for label in wizard.phrase_page.word_labels]
    assert shown == words
    assert not next_enabled(wizard)  # not until the words are written down
    wizard.phrase_page.saved.setChecked(True)
    assert next_enabled(wizard)
    assert not gui_service.exists()  # nothing written yet
    wizard.next()

    assert wizard.currentId() == FirstRunWizard.PAGE_CONFIRM
    page = wizard.confirm_page
    assert len(page.positions) == CONFIRM_WORDS == len(page.edits)
    assert not next_enabled(wizard)
    for pos, edit in zip(page.positions, page.edits, strict=True):
        edit.setText("zzz" if pos == page.positions[0] else words[pos])
    assert not next_enabled(wizard)
    assert f"#{page.positions[0] + 1}" in page.message.text()
    page.edits[0].setText(f"  {words[page.positions[0]].upper()} ")  # case and spaces do not matter
    assert next_enabled(wizard) and page.message.text() == ""
    assert wizard.button(QWizard.WizardButton.CommitButton).text() == "Create wallet"
    wizard.next()

    assert wizard.currentId() == FirstRunWizard.PAGE_FINISH
    qtbot.waitUntil(lambda: wizard.finish_page.done, timeout=20_000)
    assert gui_service.exists()
    assert wizard.button(QWizard.WizardButton.FinishButton).isEnabled()
    address = wizard.finish_page.address.text()
    assert address == gui_service.identity().address
    assert wizard.phrase == "" and wizard.passphrase == ""  # not kept once written
    with qtbot.waitSignal(wizard.wallet_ready, timeout=5000) as blocker:
        wizard.button(QWizard.WizardButton.FinishButton).click()
    wallet = blocker.args[0]
    try:
        assert wallet.identity.address == address
        assert wallet.keys.phrase == " ".join(words)  # the phrase shown is the wallet's
    finally:
        wallet.lock()
    gui_service.unlock(PASSPHRASE).lock()


def test_restore_wallet_from_known_phrase(qtbot, wizard: FirstRunWizard, gui_service) -> None:
    wizard.start_page.restore.setChecked(True)
    wizard.next()
    assert wizard.currentId() == FirstRunWizard.PAGE_RESTORE
    page = wizard.restore_page
    page.phrase.setPlainText("abandon abandon abandon")
    assert not next_enabled(wizard) and "this one has 3" in page.message.text()
    page.phrase.setPlainText(ABANDON.replace("about", "abandon"))  # bad checksum
    assert not next_enabled(wizard) and "checksum" in page.message.text()
    page.phrase.setPlainText(ABANDON.replace("about", "aboutt"))
    assert not next_enabled(wizard) and "not BIP-39" in page.message.text()
    page.phrase.setPlainText("  " + ABANDON.upper().replace(" ", "\n  ") + "\n")
    assert next_enabled(wizard) and page.message.text() == "The phrase is valid."
    wizard.next()

    assert wizard.currentId() == FirstRunWizard.PAGE_PASSPHRASE
    assert wizard.currentPage().isCommitPage()
    enter_passphrase(wizard, PASSPHRASE, PASSPHRASE)
    assert wizard.button(QWizard.WizardButton.CommitButton).text() == "Restore wallet"
    wizard.next()
    assert wizard.currentId() == FirstRunWizard.PAGE_FINISH
    qtbot.waitUntil(lambda: wizard.finish_page.done, timeout=20_000)
    assert wizard.finish_page.address.text() == ABANDON_ADDRESS
    assert gui_service.identity().address == ABANDON_ADDRESS
    with qtbot.waitSignal(wizard.wallet_ready, timeout=5000) as blocker:
        wizard.button(QWizard.WizardButton.FinishButton).click()
    blocker.args[0].lock()


def test_failure_is_shown_on_the_last_page(qtbot, wizard: FirstRunWizard, gui_service) -> None:
    gui_service.create(PASSPHRASE)  # another window made a wallet here meanwhile
    wizard.start_page.restore.setChecked(True)
    wizard.next()
    wizard.restore_page.phrase.setPlainText(ABANDON)
    wizard.next()
    enter_passphrase(wizard, PASSPHRASE, PASSPHRASE)
    wizard.next()
    qtbot.waitUntil(lambda: wizard.finish_page.failed, timeout=20_000)
    assert "already exists" in wizard.finish_page.status.text()
    assert not wizard.button(QWizard.WizardButton.FinishButton).isEnabled()


@pytest.mark.parametrize("text, score", [
    ("", 0), ("abc", 0), ("aaaaaaaaaaaaaaaaaaaa", 1), ("password", 1), ("Tr0ub4dor&3", 3), ("horse staple", 2),
    ("correct horse battery staple", 4), ("Paß wört Ünïcode 2024!", 4),
])
def test_passphrase_strength(text: str, score: int) -> None:
    assert passphrase_strength(text).score == score
