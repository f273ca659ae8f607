"""Sharing in the desktop app: the models without widgets, then a patient and a doctor
(two main windows in one process) on a temporary embedded chain with two loopback-only
embedded Kubo nodes: publish the doctor's key, share through the dialog, open by token,
revoke after the confirmation, refused afterwards, the access log. Names typed by the
user ("<b>x</b>") show literally everywhere."""

from __future__ import annotations

import json
import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from eth_utils import to_checksum_address
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QLabel, QMessageBox

from tests.conftest import FIXTURES
from wallet.chain.grants import AccessGrant, GrantStatus, new_grant_id
from wallet.errors import ConfigError, ShareError
from wallet.gui.grant_models import (
    AccessLogModel,
    CategoryChoiceModel,
    GrantRole,
    GrantTableModel,
    RecordChoiceModel,
    shared_rows,
    status_text,
    until_text,
)
from wallet.gui.qr_widget import qr_pixmap, qr_png
from wallet.gui.share_dialog import CANNOT_UNSHARE, PUBLIC_LINK, SharePlan, confirm_text
from wallet.gui.sharing_view import revoke_question
from wallet.records.store import StoredSummary
from wallet.records.summary import summarize
from wallet.services import Sharing
from wallet.services.address_book import ADDRESS_BOOK_FILE, AddressBook
from wallet.services.sharing import GrantView

HOSTILE = "<b>x</b>"
PATIENT_FILE = FIXTURES / "synthea" / "Ned_Hintz_e4b9259d-0f54-48d1-a35d-b526729a4dfe.json"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
PATIENT = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
DOCTOR = to_checksum_address("0x" + "ab" * 20)
SHORT = f"{DOCTOR[:6]}…{DOCTOR[-4:]}"


def grant_view(*, expires: datetime, revoked: bool = False, accesses: int = 0, name: str | None = None,
               granted: datetime = NOW) -> GrantView:
    grant = AccessGrant(new_grant_id(DOCTOR), PATIENT, DOCTOR, expires, "bafy" + "a" * 55, b"k" * 92,
                        revoked=revoked, granted_at=granted, accesses=accesses,
                        last_access_at=NOW if accesses else None)
    return GrantView(grant, grant.status(NOW), grant.grantee, name)


def literal(tooltip: str) -> str:
    doc = QTextDocument()
    doc.setHtml(tooltip)
    return doc.toPlainText()


# --- models, no widgets -----------------------------------------------------------------


def test_until_and_status_words() -> None:
    assert until_text(NOW + timedelta(days=3, hours=2), NOW) == "in 3 days"
    assert until_text(NOW + timedelta(hours=5, minutes=10), NOW) == "in 5 hours"
    assert until_text(NOW + timedelta(seconds=30), NOW) == "in 1 minute"
    assert status_text(GrantStatus.ACTIVE, NOW + timedelta(days=3, hours=1), NOW) == "Active, expires in 3 days"
    assert status_text(GrantStatus.EXPIRED, NOW, NOW) == "Expired"
    assert status_text(GrantStatus.REVOKED, NOW + timedelta(days=1), NOW) == "Revoked"


def test_grant_table_model(qapp) -> None:
    active = grant_view(expires=NOW + timedelta(days=3, hours=1), name=HOSTILE, granted=NOW - timedelta(hours=1))
    expired = grant_view(expires=NOW - timedelta(days=1), accesses=2, granted=NOW - timedelta(days=9))
    revoked = grant_view(expires=NOW + timedelta(days=30), revoked=True, accesses=1, granted=NOW - timedelta(days=2))
    model = GrantTableModel()
    model.set_grants([expired, revoked, active], NOW)
    assert model.rowCount() == 3 and model.columnCount() == 5
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Doctor"
    rows = [[model.index(r, c).data() for c in range(5)] for r in range(3)]
    assert [r[1] for r in rows] == ["Active, expires in 3 days", "Revoked", "Expired"]  # newest first
    assert [r[3] for r in rows] == ["0", "1", "2"]
    assert rows[0][0] == f"{HOSTILE} ({SHORT})" and rows[2][0] == expired.counterpart == DOCTOR
    assert model.index(0, 0).data(GrantRole) is active
    assert literal(model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)) == f"{HOSTILE}\n{active.counterpart}"
    assert model.index(1, 1).data(Qt.ItemDataRole.ForegroundRole) is not None
    assert model.row_of(revoked.grant_id) == 1 and model.row_of("0x00") == -1
    # names from the address book fill in where the grant has none
    model.set_grants([expired], NOW, {DOCTOR.lower(): "nobody", DOCTOR: "Dr Quinn"})
    assert model.index(0, 0).data() == f"Dr Quinn ({SHORT})"
    received = GrantTableModel(received=True)
    assert received.headerData(0, Qt.Orientation.Horizontal) == "Patient"


def test_access_log_model(qapp) -> None:
    tx = "0x" + "12" * 32
    events = [
        {"source": "chain", "event": "accessed", "grant_id": "0x" + "cd" * 32, "at": "2025-03-01T12:00:00+00:00",
         "party": DOCTOR, "tx": tx, "block": 7},
        {"source": "local", "event": "Access granted", "at": "2025-03-01T11:00:00Z", "detail": HOSTILE, "id": "r1"},
    ]
    model = AccessLogModel()
    model.set_events(events, {DOCTOR: HOSTILE})
    assert model.rowCount() == 2
    first = [model.index(0, c).data() for c in range(6)]
    assert first[1] == "Opened" and first[2] == f"{HOSTILE} ({SHORT})" and first[5] == "On chain"
    assert first[4].startswith("0x12121212") and "…" in first[4]
    assert "block 7" in literal(model.index(0, 4).data(Qt.ItemDataRole.ToolTipRole))
    assert tx in literal(model.index(0, 4).data(Qt.ItemDataRole.ToolTipRole))
    second = [model.index(1, c).data() for c in range(6)]
    assert second[1] == "Access granted" and second[2] == HOSTILE and second[5] == "This wallet"
    assert second[0].startswith("Sat 01 Mar 2025")


def test_choice_models(qapp) -> None:
    cats = CategoryChoiceModel()
    cats.set_counts({"Conditions": 3, "Immunizations": 7})
    row = {cats.index(r).data(Qt.ItemDataRole.UserRole): r for r in range(cats.rowCount())}
    assert cats.index(row["Immunizations"]).data() == "Immunizations  (7)"
    assert not cats.flags(cats.index(row["Allergies"])) & Qt.ItemFlag.ItemIsEnabled
    assert not cats.setData(cats.index(row["Allergies"]), Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    cats.set_checked("Immunizations")
    cats.set_checked("Conditions")
    assert cats.checked == ["Conditions", "Immunizations"] and cats.checked_count == 10
    cats.set_checked("Conditions", False)
    assert cats.checked == ["Immunizations"]
    cats.set_counts({"Conditions": 3})  # the checked category emptied
    assert cats.checked == []

    rows = [StoredSummary(f"id{n}", summarize({"resourceType": "Condition", "id": f"c{n}",
                                               "code": {"text": f"Condition {n}"}})) for n in range(3)]
    recs = RecordChoiceModel()
    recs.set_rows(rows)
    recs.set_checked(2)
    recs.set_checked(0)
    assert recs.checked_ids == ["id0", "id2"]
    assert recs.index(1, 0).data() == "Condition 1" and recs.index(1, 1).data() == "Conditions"
    recs.set_rows(rows[:1])
    assert recs.checked_ids == ["id0"]

    shared = shared_rows([{"resourceType": "Condition", "code": {"text": "old"}, "onsetDateTime": "2001-01-01"},
                          {"resourceType": "Condition", "code": {"text": "new"}, "onsetDateTime": "2020-01-01"}])
    assert [(r.id, r.summary.title) for r in shared] == [("1", "new"), ("0", "old")]


def test_address_book(tmp_path: Path) -> None:
    book = AddressBook.load(tmp_path)
    assert book.contacts == []
    book.save_contact(f"  {HOSTILE}  ", DOCTOR)
    book.save_contact("Dr Adams", PATIENT.lower())
    path = tmp_path / ADDRESS_BOOK_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = AddressBook.load(tmp_path)
    assert [c.name for c in again.contacts] == [HOSTILE, "Dr Adams"]  # by name, stripped
    assert again.name_of(DOCTOR.lower()) == HOSTILE
    assert again.name_of(PATIENT) == "Dr Adams" and again.name_of("nonsense") is None
    again.save_contact("Dr Quinn", DOCTOR)  # renames
    assert AddressBook.load(tmp_path).name_of(DOCTOR) == "Dr Quinn"
    again.remove(PATIENT)
    assert list(AddressBook.load(tmp_path).names().values()) == ["Dr Quinn"]
    with pytest.raises(ShareError, match="not a wallet address"):
        again.save_contact("Dr Who", "0x1234")
    with pytest.raises(ShareError, match="name"):
        again.save_contact("   ", DOCTOR)
    doc = json.loads(path.read_text())
    doc["contacts"].append({"name": "broken"})  # one damaged entry does not lose the rest
    path.write_text(json.dumps(doc))
    assert len(AddressBook.load(tmp_path).contacts) == 1
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="unreadable"):
        AddressBook.load(tmp_path)


def test_qr_code_of_a_token(qapp) -> None:
    token = "hwshare:1:" + "A" * 400
    png = qr_png(token)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    pixmap = qr_pixmap(token, max_size=360)
    assert not pixmap.isNull() and pixmap.width() == pixmap.height() <= 360
    image = pixmap.toImage()
    assert image.pixelColor(0, 0).lightness() == 255  # the quiet zone is white
    # whole modules: the width is a multiple of the symbol's size in modules
    import segno

    modules = segno.make(token, error="m").symbol_size(scale=1)[0]
    assert pixmap.width() % modules == 0


def test_confirm_and_revoke_words_say_what_becomes_public() -> None:
    plan = SharePlan(("a", "b", "c"), (("Conditions", 2),), PATIENT, HOSTILE, NOW + timedelta(days=7), 52_000, True)
    text = confirm_text(plan)
    assert f"Share 2 records with {HOSTILE} ({PATIENT})" in text
    assert PUBLIC_LINK in text and "publicly linked" in text and "nothing there ties it to your wallet" in text
    assert CANNOT_UNSHARE in text and "cannot un-share" in text
    assert "about 52,000 gas" in text and "patient details" in text
    question = revoke_question(grant_view(expires=NOW + timedelta(days=1), accesses=2), HOSTILE)
    assert question.startswith(f"Revoke the share with {HOSTILE} (") and "cannot un-share" in question
    assert "opened it 2 times" in question


# --- a patient and a doctor on one machine -------------------------------------------------


@pytest.fixture
def windows(qtbot, open_wallet):
    """A patient's and a doctor's main window."""
    from wallet.gui.app_window import MainWindow

    patient = open_wallet("patient")
    patient.import_file(PATIENT_FILE)
    doctor = open_wallet("doctor")
    made = []
    for wallet in (patient, doctor):
        win = MainWindow()
        qtbot.addWidget(win)
        win.set_wallet(wallet)
        win.show()
        made.append(win)
    yield made
    for win in made:
        win.clear()


def test_share_open_revoke_through_the_windows(qtbot, windows, monkeypatch) -> None:
    patient_win, doctor_win = windows
    patient, doctor = patient_win.wallet, doctor_win.wallet
    wait = 30_000

    # the tabs and the Sharing menu
    tabs = patient_win.sections
    assert [tabs.tabText(n) for n in range(4)] == ["Records", "Sharing", "Shared with me", "Access log"]
    section = patient_win.sharing
    assert section.new_share_action.shortcut().toString() == "Ctrl+Shift+S"
    assert section.open_share_action.shortcut().toString() == "Ctrl+Shift+O"
    assert [a.shortcut().toString() for a in section.tab_actions] == ["Ctrl+1", "Ctrl+2", "Ctrl+3", "Ctrl+4"]
    menus = [a.text() for a in patient_win.menuBar().actions()]
    assert "&Sharing" in menus and menus[-1] == "&Help"

    # the doctor has not published a key yet: the dialog says so and refuses to go on
    doctor_view = doctor_win.sharing.shared_view
    doctor_win.sharing.show_tab(2)
    qtbot.waitUntil(lambda: doctor_view.key_registered is False, timeout=wait)
    assert doctor_view.publish_button.isVisible()

    section.new_share_action.trigger()
    assert tabs.currentWidget() is section.pages[0] and section.sharing_view.isVisible()
    dialog = section.sharing_view.dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.categories.count("Immunizations") == 7, timeout=wait)
    dialog.categories.set_checked("Immunizations")
    assert dialog.chosen_label.text() == "7 records chosen"
    dialog.name_edit.setText(HOSTILE)
    dialog.address_edit.setText(doctor.identity.address)
    qtbot.waitUntil(lambda: "not published" in dialog.gas_label.text(), timeout=wait)
    dialog.next()
    qtbot.waitUntil(lambda: dialog.choose_error.isVisible(), timeout=wait)
    assert dialog.step == 0 and "Publish my encryption key" in dialog.choose_error.text()

    # the doctor publishes the key
    doctor_view.publish_button.click()
    qtbot.waitUntil(lambda: doctor_view.key_registered is True, timeout=wait)
    assert doctor_view.publish_button.isHidden() and doctor.identity.address in doctor_view.key_label.text()

    # now the dialog estimates the gas, and the confirm step says plainly what happens
    dialog.address_edit.setText(doctor.identity.address.lower())
    qtbot.waitUntil(lambda: "about" in dialog.gas_label.text(), timeout=wait)
    assert "gas" in dialog.gas_label.text()
    dialog.presets["1 week"].setChecked(True)
    dialog.message_edit.setText("For <b>Tuesday</b>")  # sealed to the doctor; shown as plain text there
    dialog.next()
    qtbot.waitUntil(lambda: dialog.step == 1, timeout=wait)
    summary = dialog.summary.text()
    assert dialog.summary.textFormat() == Qt.TextFormat.PlainText
    assert f"Share 7 records with {HOSTILE} ({doctor.identity.address})" in summary
    assert "Immunizations: 7" in summary and "publicly linked" in summary and "cannot un-share" in summary
    plan = dialog.plan
    assert plan.expires_at == Sharing(patient).now() + timedelta(weeks=1)  # on the chain's clock, as grants expire

    dialog.next()  # Share
    qtbot.waitUntil(lambda: dialog.receipt is not None or dialog.confirm_error.isVisible(), timeout=60_000)
    assert dialog.receipt is not None, dialog.confirm_error.text()
    receipt = dialog.receipt
    assert receipt.records == 8  # the Patient goes along
    assert dialog.token.token == receipt.token and receipt.token.startswith("hwshare:2:")
    assert not dialog.token.qr.pixmap().isNull()
    assert dialog.next_button.text() == "Close" and HOSTILE in dialog.run_title.text()
    assert dialog.run_title.textFormat() == Qt.TextFormat.PlainText
    assert AddressBook.load(patient.app.home).name_of(doctor.identity.address) == HOSTILE
    dialog.token.copy()
    assert dialog.token.copied.text() == "Copied."

    # the grant shows, active, opened 0 times, with the name shown literally
    view = section.sharing_view
    qtbot.waitUntil(lambda: view.model.rowCount() == 1 and not view.loading, timeout=wait)
    row = [view.model.index(0, c).data() for c in range(5)]
    assert row[0].startswith(HOSTILE + " (") and row[1] == "Active, expires in 7 days" and row[3] == "0"
    assert view.current_grant().grant_id == receipt.grant_id  # selected after the share
    assert "Not opened yet." in view.detail.text() and receipt.grant_id in view.detail.text()
    dialog.next()  # Close
    assert not dialog.isVisible()

    # the next share offers the address book, names shown literally
    again = section.new_share()
    qtbot.waitUntil(lambda: again.contact_combo.count() == 2, timeout=wait)
    assert again.contact_combo.itemText(1).startswith(HOSTILE + " — ")
    again.contact_combo.setCurrentIndex(1)
    assert again.name_edit.text() == HOSTILE and again.address_edit.text() == doctor.identity.address
    assert "not encrypted" in again.name_edit.toolTip() and "never put on chain" in again.remember.toolTip()
    again.reject()
    assert not again.isVisible() and view.dialog is None

    # the token on demand, for the active grant
    view.show_token()
    token_dialog = view.token_dialog
    qtbot.waitUntil(lambda: token_dialog.token_widget.token.startswith("hwshare:2:"), timeout=wait)
    assert not token_dialog.token_widget.qr.pixmap().isNull()
    assert HOSTILE in token_dialog.heading.text() and token_dialog.heading.textFormat() == Qt.TextFormat.PlainText
    token_dialog.close()

    # the doctor pastes the token and opens it
    # Before opening: "Add to list" shows whose records these are and what, from the sealed label.
    doctor_view.token_edit.setPlainText(receipt.token)
    qtbot.waitUntil(lambda: doctor_view.keep_button.isEnabled(), timeout=wait)
    doctor_view.keep_button.click()
    qtbot.waitUntil(lambda: doctor_view.received.rowCount() == 1, timeout=wait)
    assert doctor_view.received.index(0, 0).data() == "Ned Hintz"  # a name, not a hex address
    assert doctor_view.received.index(0, 4).data() == "7 Immunizations"
    tip = doctor_view.received.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert "Message: For &lt;b&gt;Tuesday&lt;/b&gt;" in tip  # the patient's text, escaped
    assert doctor_view.progress_label.textFormat() == Qt.TextFormat.PlainText
    assert doctor_view.received.headerData(4, Qt.Orientation.Horizontal) == "What was shared"
    assert "Ned Hintz shared 7 Immunizations" in doctor_view.progress_label.text() and doctor_view.share is None

    doctor_view.token_edit.setPlainText(receipt.token[:40] + "\n" + receipt.token[40:])  # wrapped when pasted
    qtbot.waitUntil(lambda: doctor_view.open_button.isEnabled(), timeout=wait)
    doctor_view.open_button.click()
    qtbot.waitUntil(lambda: doctor_view.share is not None or doctor_view.message.isVisible(), timeout=60_000)
    assert doctor_view.share is not None, doctor_view.message.text()
    assert doctor_view.result_title.text() == "Ned Hintz — 8 records shared with you"
    assert "logged on chain" in doctor_view.result_line.text() and "not saved" in doctor_view.result_line.text()
    model = doctor_view.records_model
    assert model.rowCount() == 8
    titles = {model.summary_at(r).summary.resource_type for r in range(8)}
    assert titles == {"Immunization", "Patient"}
    doctor_view.select_record(0)
    shown = json.loads(doctor_view.detail.json_view.toPlainText())
    assert shown["resourceType"] in ("Immunization", "Patient")
    assert doctor.counts_by_type().get("Immunization", 0) == 0  # read-only: nothing stored
    qtbot.waitUntil(lambda: doctor_view.received.rowCount() == 1, timeout=wait)
    qtbot.waitUntil(lambda: doctor_view.received.index(0, 3).data() == "1", timeout=wait)
    assert doctor_view.received.index(0, 0).data() == "Ned Hintz"  # from the label sealed to this doctor

    # the patient sees the access
    view.refresh()
    qtbot.waitUntil(lambda: not view.loading and view.model.index(0, 3).data() == "1", timeout=wait)

    # revoke, after a confirmation that says it cannot un-share
    asked = []

    def answer(box: QMessageBox) -> QMessageBox.StandardButton:
        asked.append((box.text(), box.textFormat()))
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "exec", answer)
    assert not view.select_grant("0123abcd") and "No grant this wallet keeps" in view.status.text()
    view.table.clearSelection()
    assert view.select_grant(receipt.grant_id[-8:].upper())  # the end of the id, as the command line takes it
    assert view.current_grant().grant_id == receipt.grant_id
    view.select_grant(receipt.grant_id)
    assert view.revoke_button.isEnabled()
    view.revoke_button.click()
    (text, fmt), = asked
    assert "cannot un-share" in text and "opened it 1 time" in text
    assert "development chain" in text  # what revoking needs and costs here
    assert text.startswith(f"Revoke the share with {HOSTILE}")
    assert fmt == Qt.TextFormat.PlainText
    qtbot.waitUntil(lambda: view.model.rowCount() == 1 and view.model.index(0, 1).data() == "Revoked", timeout=wait)
    assert "Revoked (transaction" in view.status.text() and "cannot un-share" in view.status.text()
    view.select_grant(receipt.grant_id)
    assert not view.revoke_button.isEnabled() and not view.token_button.isEnabled()

    # opening again is refused, and says why
    doctor_view.open_share(receipt.token)
    qtbot.waitUntil(lambda: doctor_view.message.isVisible(), timeout=wait)
    assert "revoked" in doctor_view.message.text() and "could not be opened" in doctor_view.message.text()
    assert doctor_view.share is not None  # what was opened before stays until closed or locked
    qtbot.waitUntil(lambda: doctor_view.received.index(0, 1).data() == "Revoked", timeout=wait)
    with qtbot.waitSignal(doctor_view.open_failed, timeout=wait) as refused:
        doctor_view.open_share(receipt.grant_id[-8:])  # the end of the id names the same share
    assert "revoked" in refused.args[0]

    # the access log: share, opening and revocation on chain, with the name and transaction
    log = patient_win.sharing.log_view
    patient_win.sharing.show_tab(3)
    qtbot.waitUntil(lambda: not log.loading and log.model.rowCount() > 0, timeout=wait)
    chain_rows = [[log.model.index(r, c).data() for c in range(6)] for r in range(log.model.rowCount())
                  if log.model.event_at(r)["source"] == "chain"]
    assert [r[1] for r in chain_rows] == ["Revoked", "Opened", "Shared"]
    assert all(r[2].startswith(HOSTILE + " (") and r[4].startswith("0x") for r in chain_rows)
    assert log.model.rowCount() == 3 and "more from this wallet" in log.status.text()
    log.own_log.setChecked(True)
    assert log.model.rowCount() > 3
    local = [r for r in range(log.model.rowCount()) if log.model.event_at(r)["source"] == "local"]
    assert log.model.index(local[0], 5).data() == "This wallet"
    log.own_log.setChecked(False)
    log.table.selectRow(0)
    assert log.copy_button.isEnabled() and doctor.identity.address in log.detail.text()

    # every label that shows the name shows it as plain text
    for win in (patient_win, doctor_win):
        for label in win.findChildren(QLabel):
            if HOSTILE in label.text():
                assert label.textFormat() == Qt.TextFormat.PlainText, label.text()

    # the share and the revoke were kept as a consent and audit records: the counts follow
    assert patient_win.categories.count("Other") == patient.counts_by_category()["Other"]

    # locking drops what the doctor opened
    doctor_win.clear()
    assert doctor_view.share is None and doctor_view.records_model is None and not doctor_view.result.isVisible()


def test_specific_records_and_a_custom_expiry(qtbot, windows) -> None:
    patient_win, _doctor_win = windows
    patient = patient_win.wallet
    dialog = patient_win.sharing.new_share()
    qtbot.waitUntil(lambda: dialog.categories.count("Conditions") > 0, timeout=30_000)
    dialog.by_record.setChecked(True)
    qtbot.waitUntil(lambda: dialog.records.rowCount() > 0, timeout=30_000)
    assert all(r.summary.resource_type not in ("Consent", "AuditEvent") for r in dialog.records.rows())
    dialog.record_filter.setText("no such record at all")
    assert dialog.record_proxy.rowCount() == 0
    dialog.record_filter.clear()
    dialog.next()
    assert "Tick at least one record" in dialog.choose_error.text() and dialog.step == 0
    conditions = [n for n, r in enumerate(dialog.records.rows()) if r.summary.resource_type == "Condition"]
    for n in conditions[:2]:
        dialog.records.set_checked(n)
    assert dialog.chosen_label.text() == "2 records chosen"
    # a custom date; an address without a published key is refused, saying what to do
    dialog.address_edit.setText(PATIENT)
    dialog.custom.setChecked(True)
    assert dialog.expiry_text().startswith(str(datetime.now().year))
    dialog.next()
    qtbot.waitUntil(lambda: dialog.choose_error.isVisible(), timeout=30_000)
    assert "encryption key" in dialog.choose_error.text()
    dialog.address_edit.setText(patient.identity.address)
    dialog.next()
    qtbot.waitUntil(lambda: "own address" in dialog.choose_error.text(), timeout=30_000)
    dialog.reject()
    assert not dialog.isVisible()
    # locking closes an open dialog and forgets the shares shown
    dialog = patient_win.sharing.new_share()
    patient_win.clear()
    assert not dialog.isVisible() and patient_win.sharing.sharing_view.dialog is None
    assert not patient_win.sharing.new_share_action.isEnabled() and patient_win.sharing.new_share() is None


def test_the_doctor_can_cancel_opening_a_share(qtbot, windows) -> None:
    patient_win, doctor_win = windows
    patient, doctor = patient_win.wallet, doctor_win.wallet
    assert Sharing(doctor).register_key() is not None
    sharing = Sharing(patient)
    receipt = sharing.grant(doctor.identity.address, record_ids=sharing.choose_records(categories=["Immunizations"]),
                            expires_at=sharing.expires_at("1d"))
    doctor_win.sharing.show_tab(1)
    view = doctor_win.sharing.shared_view
    assert view.wallet is doctor and view._runner is not None

    # keep the view's worker busy, so the open is still queued when Cancel is pressed
    gate = threading.Event()
    view._runner.submit(lambda _p, _c: gate.wait(30))
    view.open_share(receipt.token)
    assert view.opening and not view.open_button.isEnabled()
    assert view.cancel_open_button.isVisibleTo(view) and view.cancel_open_button.isEnabled()
    qtbot.mouseClick(view.cancel_open_button, Qt.MouseButton.LeftButton)
    assert view.progress_label.text() == "Cancelling…" and not view.cancel_open_button.isEnabled()
    gate.set()
    qtbot.waitUntil(lambda: not view.opening, timeout=30_000)
    assert "cancelled" in view.message.text() and view.share is None and not view.progress_box.isVisibleTo(view)
    assert sharing.grants()[0].grant.accesses == 0  # nothing was logged on chain

    view.open_share(receipt.token)  # and it opens afterwards
    qtbot.waitUntil(lambda: view.share is not None, timeout=60_000)
    assert sharing.grants()[0].grant.accesses == 1
