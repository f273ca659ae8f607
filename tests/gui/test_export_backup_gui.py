"""Export to a drive, verify offline, card badges with QR codes, backups on IPFS with two
embedded loopback nodes, restore after a phrase restore, and the network status bar."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from tests.conftest import FIXTURES
from tests.gui.visible_text import visible_text
from wallet.app import build_app
from wallet.gui import backups_view, export_dialog, verify_dialog
from wallet.gui.backups_view import UNPIN_NOTE, BackupRow, BackupsView, backup_rows, unpin_text
from wallet.gui.cards_view import EMPTY_CARDS_TEXT, CardsView
from wallet.gui.export_dialog import (
    SAFE_TO_REMOVE,
    ExportDialog,
    RecordSizes,
    Volume,
    estimate_bytes,
    looks_removable,
    space_text,
)
from wallet.gui.restore_backup_page import RestoreBackupDialog, cid_problem, peer_problem
from wallet.gui.status_bar import NetworkStatus, NetworkStatusWidget, chain_text, ipfs_text
from wallet.gui.verify_dialog import VerifyDialog, verdict_for
from wallet.services import UnlockedWallet, verify_path
from wallet.share.issuers import TrustedIssuer
from wallet.vault.keys import new_phrase

SHC = FIXTURES / "smart-health-cards"
PATIENT = FIXTURES / "synthea" / "Ned_Hintz_e4b9259d-0f54-48d1-a35d-b526729a4dfe.json"
CARD = SHC / "example-00-e-file.smart-health-card"
BIG_CARD = SHC / "example-02-e-file.smart-health-card"
SPEC_ISS = "https://spec.smarthealth.cards/examples/issuer"
EXPORT_SECRET = "a long export passphrase"


def spec_issuer() -> TrustedIssuer:
    jwks = json.loads((SHC / "issuer" / ".well-known" / "jwks.json").read_text())
    return TrustedIssuer.from_jwks(SPEC_ISS, jwks, name="SMART Health Cards spec examples")


@pytest.fixture
def patient(open_wallet) -> UnlockedWallet:
    wallet = open_wallet("patient")
    wallet.import_file(PATIENT)
    wallet.import_file(CARD, same_person=True)  # the user confirmed: one profile
    return wallet


def _export_dialog(qtbot, wallet, monkeypatch, folder: Path) -> ExportDialog:
    """An export dialog with no drive plugged in, the folder picker answering ``folder``."""
    dialog = ExportDialog(wallet, volumes=lambda: [])
    qtbot.addWidget(dialog)
    monkeypatch.setattr(export_dialog, "ask_for_folder", lambda _parent, _title, _start: folder)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.measured and not dialog.scanning, timeout=20_000)
    assert dialog.no_drive.isVisible() and dialog.volume_list.count() == 0
    assert not dialog.export_button.isEnabled()  # nowhere to write yet
    dialog.choose_folder()
    qtbot.waitUntil(lambda: dialog.destination is not None, timeout=10_000)
    assert dialog.destination.path == str(folder) and not dialog.destination.removable
    return dialog


def _wait_export(qtbot, dialog: ExportDialog):
    qtbot.waitUntil(lambda: dialog.result is not None or bool(dialog.error), timeout=60_000)
    assert not dialog.error, dialog.error
    return dialog.result


# --- drives and size -------------------------------------------------------------------


def test_which_volumes_count_as_removable() -> None:
    stick = Volume("/media/ana/KINGSTON", "KINGSTON", free=14_000_000_000, total=16_000_000_000, fs_type="vfat")
    assert looks_removable(stick)
    assert looks_removable(Volume("/run/media/ana/USB", "USB", free=1, fs_type="exfat"))
    assert looks_removable(Volume("/Volumes/STICK", "STICK", free=1, fs_type="msdos"), platform="darwin")
    assert not looks_removable(Volume("/", "root", free=1, is_root=True, fs_type="ext4"))
    assert not looks_removable(Volume("/home", "home", free=1, fs_type="ext4"))
    assert not looks_removable(Volume("/media/ana/CD", "CD", free=0, read_only=True, fs_type="iso9660"))
    assert not looks_removable(Volume("/media/ana/X", "X", free=1, ready=False, fs_type="vfat"))
    assert not looks_removable(Volume("/mnt/wsl", "wsl", free=1, fs_type="tmpfs"))
    assert looks_removable(Volume("E:/", "STICK", free=1, fs_type="FAT32"), platform="win32", system_drive="C:")
    assert not looks_removable(Volume("C:/", "Windows", free=1, fs_type="NTFS"), platform="win32", system_drive="C:")
    assert stick.label == "KINGSTON — 14.0 GB free of 16.0 GB"


def test_size_needed_against_free_space() -> None:
    sizes = RecordSizes({"a": ("Lab results", 600_000), "b": ("Conditions", 400_000)}, card_bytes=2_000, cards=1)
    assert sizes.chosen() == (2, 1_000_000)
    assert sizes.chosen(categories=["Conditions"]) == (1, 400_000)
    assert sizes.chosen(ids=["a"]) == (1, 600_000)
    needed = estimate_bytes(1_000_000, 2_000)
    assert needed == int(1_000_000 * 1.3) + 2_000 + 128 * 1024
    stick = Volume("/media/ana/STICK", "STICK", free=52_700_000)
    text, fits = space_text(needed, stick)
    assert fits and text == "Needs about 1.4 MB; 52.7 MB free on STICK."
    text, fits = space_text(needed, Volume("/media/ana/TINY", "TINY", free=900_000))
    assert not fits and "900 KB free on TINY" in text and "Not enough space" in text
    assert space_text(needed, None) == ("Needs about 1.4 MB. Choose a drive or a folder.", False)


def test_the_dialog_shows_size_and_refuses_a_drive_too_small(qtbot, patient, tmp_path: Path) -> None:
    tiny = Volume(str(tmp_path), "TINY", free=10_000, total=20_000)
    roomy = Volume(str(tmp_path), "ROOMY", free=10**9, total=2 * 10**9)
    offered = [tiny]
    dialog = ExportDialog(patient, volumes=lambda: list(offered))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.measured and dialog.volume_list.count() == 1, timeout=20_000)
    assert dialog.volume_list.count() == 1 and "TINY — 10.0 KB free of 20.0 KB" in dialog.volume_list.item(0).text()
    assert "Needs about" in dialog.space.text() and "Not enough space" in dialog.space.text()
    assert not dialog.export_button.isEnabled() and dialog.space_pill.text() == "No space"
    assert "75 records and 1 health card" in dialog.everything.text()
    offered[:] = [roomy]  # a bigger stick is plugged in instead
    dialog.refresh_volumes()
    qtbot.waitUntil(lambda: "ROOMY" in dialog.volume_list.item(0).text(), timeout=10_000)
    assert "1.0 GB free on ROOMY" in dialog.space.text() and dialog.export_button.isEnabled()
    # choosing categories changes what is needed; choosing none refuses
    everything = dialog.needed_bytes
    dialog.some.setChecked(True)
    assert not dialog.export_button.isEnabled() and "Nothing chosen" in dialog.space.text()
    conditions = next(dialog.categories.item(n) for n in range(dialog.categories.count())
                      if dialog.categories.item(n).data(Qt.ItemDataRole.UserRole) == "Conditions")
    assert conditions.text() == "Conditions (3)"
    conditions.setCheckState(Qt.CheckState.Checked)
    assert dialog.export_button.isEnabled() and dialog.needed_bytes < everything
    assert dialog.choice() == {"categories": ["Conditions"]}
    dialog.reject()


# --- export and verify ----------------------------------------------------------------------


def test_export_to_a_chosen_folder_then_verify_valid_and_invalid(qtbot, patient, monkeypatch, tmp_path: Path) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    dialog = _export_dialog(qtbot, patient, monkeypatch, stick)
    assert "free on stick" in dialog.space.text() and dialog.export_button.isEnabled()
    steps = []
    original = dialog._progress
    dialog._progress = lambda p: (steps.append(p.message), original(p))[1]
    dialog.start_export()
    assert dialog.pages.currentIndex() == dialog.PAGE_WRITING
    result = _wait_export(qtbot, dialog)
    assert dialog.pages.currentIndex() == dialog.PAGE_DONE
    assert result.path.parent == stick and not result.encrypted
    assert dialog.done_fields["path"].text() == str(result.path)
    assert dialog.done_fields["signer"].text() == patient.identity.address
    assert dialog.done_fields["sha256"].text() == result.sha256
    assert SAFE_TO_REMOVE[1:] in dialog.safe.text()  # a hand-picked folder: "if … on a removable drive"
    assert steps and "verified" in steps[-1]  # progress is throttled; the last step always arrives
    check = verify_path(result.path)  # raises VerificationError when invalid
    assert check.signer == patient.identity.address and check.cards == 1
    dialog.accept()

    # the verify dialog, with no wallet: VALID, the signer and contents
    verify = VerifyDialog()
    qtbot.addWidget(verify)
    monkeypatch.setattr(verify_dialog, "ask_for_export_folder", lambda _parent, _start: result.path)
    verify.show()
    verify.choose_folder()
    qtbot.waitUntil(lambda: verify.outcome is not None, timeout=30_000)
    assert verify.verdict.text() == "VALID" and verify.verdict.tone == "good"
    assert verify.fields["signer"].text() == patient.identity.address
    assert verify.fields["sha256"].text() == result.sha256
    shown = {verify.contents.topLevelItem(n).text(0): verify.contents.topLevelItem(n).text(1)
             for n in range(verify.contents.topLevelItemCount())}
    assert shown["Observation"] == "35" and shown["All records"] == "75"
    for label in (*verify.fields.values(), verify.reason, verify.path_label, verify.verdict):
        assert label.textFormat() == Qt.TextFormat.PlainText  # file content is data, never markup
    # the records, read-only
    assert verify.open_button.isEnabled()
    verify.open_records()
    viewer = verify.viewer
    assert viewer is not None and viewer.model.rowCount() == 75
    viewer.select_row(0)
    row = viewer.model.summary_at(viewer.proxy.mapToSource(viewer.table.currentIndex()).row())
    assert json.loads(viewer.json_text()) == viewer.resources[int(row.id)]
    viewer.filter_edit.setText("Viral sinusitis")
    assert 1 <= viewer.proxy.rowCount() < 75

    # one byte changed: INVALID, and why
    bundle = result.path / "bundle.json"
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 0x01
    bundle.write_bytes(bytes(data))
    verify.verify(result.path)
    qtbot.waitUntil(lambda: not verify.busy, timeout=30_000)
    assert verify.verdict.text() == "INVALID" and verify.verdict.tone == "bad"
    assert "bundle.json was changed after the export was signed" in verify.reason.text()
    assert not verify.open_button.isEnabled() and not verify.contents.isVisible()
    verify.accept()


def test_encrypted_export_asks_twice_and_verify_asks_for_it(qtbot, patient, monkeypatch, tmp_path: Path) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    dialog = _export_dialog(qtbot, patient, monkeypatch, stick)
    dialog.encrypt.setChecked(True)
    assert dialog.passphrase_form.isEnabled() and not dialog.export_button.isEnabled()
    dialog.first.setText("short")
    assert "at least 8" in dialog.match.text()
    dialog.first.setText(EXPORT_SECRET)
    assert dialog.match.text() == "Type it again below." and not dialog.export_button.isEnabled()
    dialog.second.setText(EXPORT_SECRET + "x")
    assert dialog.match.text() == "The two passphrases differ." and not dialog.export_button.isEnabled()
    dialog.second.setText(EXPORT_SECRET)
    assert dialog.match.text() == "They match." and dialog.export_button.isEnabled()
    dialog.start_export()
    result = _wait_export(qtbot, dialog)
    assert result.encrypted and sorted(p.name for p in result.path.iterdir()) == ["HOW-TO-VERIFY.txt", "export.jwe"]
    assert dialog.done_fields["encrypted"].text().startswith("Yes")
    assert dialog.first.text() == "" and dialog.second.text() == ""  # not kept once written
    dialog.accept()

    asked: list[str] = []
    answers = iter([EXPORT_SECRET, "not the passphrase", None])

    def ask(_parent, folder: Path) -> str | None:
        asked.append(folder.name)
        return next(answers)

    monkeypatch.setattr(verify_dialog, "ask_export_passphrase", ask)
    verify = VerifyDialog(path=result.path)
    qtbot.addWidget(verify)
    qtbot.waitUntil(lambda: verify.outcome is not None, timeout=30_000)
    assert asked == [result.path.name]
    assert verify.verdict.text() == "VALID" and verify.fields["encrypted"].text() == "Yes"
    assert len(verify.outcome.resources) == 75
    verify.verify(result.path)
    qtbot.waitUntil(lambda: not verify.busy, timeout=30_000)
    assert verify.verdict.text() == "INVALID" and "Wrong passphrase" in verify.reason.text()
    verify.verify(result.path)  # the passphrase prompt is cancelled: not checked, not invalid
    qtbot.waitUntil(lambda: not verify.busy, timeout=30_000)
    assert verify.verdict.text() == "NOT CHECKED" and "passphrase" in verify.reason.text()
    assert len(asked) == 3
    verify.accept()


def test_an_export_error_is_shown_and_the_dialog_stays(qtbot, patient, monkeypatch, tmp_path: Path) -> None:
    gone = tmp_path / "unplugged"
    gone.mkdir()
    dialog = _export_dialog(qtbot, patient, monkeypatch, gone)
    gone.rmdir()  # the drive is pulled out before Export is pressed
    dialog.start_export()
    qtbot.waitUntil(lambda: bool(dialog.error), timeout=30_000)
    assert dialog.pages.currentIndex() == dialog.PAGE_CHOOSE
    assert "does not exist" in dialog.problem.text() and dialog.problem.isVisible()
    assert dialog.result is None
    dialog.reject()


def test_verdict_words() -> None:
    assert verdict_for({"valid": True, "kind": "export", "signer": "0xabc"}).word == "VALID"
    card = verdict_for({"valid": True, "kind": "smart-health-card", "signer": SPEC_ISS, "issuer_name": "Spec",
                        "status": ["expired"]})
    assert card.word == "VALID" and "Spec" in card.reason and "expired" in card.reason
    assert verdict_for({"valid": False, "kind": "smart-health-card", "status": ["revoked"], "reason": None}).reason \
        == "The issuer has revoked this card."
    untrusted = verdict_for({"valid": False, "reason": "the issuer is not in the trusted list"})
    assert untrusted.word == "UNVERIFIED" and "not one this wallet trusts" in untrusted.reason  # as import says
    assert untrusted.tone == "warn" and "intact" in untrusted.reason
    changed = verdict_for({"valid": False, "reason": "The card's signature does not match its key id (kid)"})
    assert changed.word == "INVALID" and changed.tone == "bad"
    assert verdict_for({"valid": False, "needs_passphrase": True, "reason": ""}).word == "NOT CHECKED"


def test_verify_a_card_file_with_and_without_trusted_issuers(qtbot, tmp_path: Path) -> None:
    untrusted = VerifyDialog(path=CARD)
    qtbot.addWidget(untrusted)
    qtbot.waitUntil(lambda: untrusted.outcome is not None, timeout=30_000)
    assert untrusted.verdict.text() == "UNVERIFIED" and "not one this wallet trusts" in untrusted.reason.text()
    assert not untrusted.open_button.isEnabled()
    untrusted.accept()

    app = build_app(tmp_path / "home", environ={"HOME": str(tmp_path)})
    app.extra_trusted_issuers = (spec_issuer(),)
    trusted = VerifyDialog(app, path=CARD)
    qtbot.addWidget(trusted)
    qtbot.waitUntil(lambda: trusted.outcome is not None, timeout=30_000)
    assert trusted.verdict.text() == "VALID"
    assert trusted.fields["signer"].text() == f"SMART Health Cards spec examples ({SPEC_ISS})"
    assert trusted.open_button.isEnabled() and len(trusted.outcome.resources) == 4
    trusted.accept()


# --- cards ------------------------------------------------------------------------------


def test_card_badges_issuer_and_qr(qtbot, open_wallet) -> None:
    wallet = open_wallet("cards", trusted=(spec_issuer(),))
    view = CardsView()
    qtbot.addWidget(view, before_close_func=lambda v: v.clear())
    view.set_wallet(wallet)
    view.refresh()
    qtbot.waitUntil(lambda: not view.loading, timeout=20_000)
    assert view.stack.currentWidget() is view.empty and view.empty.text() == EMPTY_CARDS_TEXT

    wallet.import_file(CARD)
    wallet.import_file(BIG_CARD)
    view.refresh()
    qtbot.waitUntil(lambda: not view.loading and view.model.rowCount() == 2, timeout=20_000)
    rows = [view.model.row_at(n) for n in range(2)]
    assert [r.badge.text for r in rows] == ["Verified", "Verified"]
    assert {r.issuer for r in rows} == {"SMART Health Cards spec examples"}
    small = next(n for n, r in enumerate(rows) if r.qr is not None)
    big = 1 - small
    assert rows[big].qr is None  # the large example does not fit one version-22 code
    view.select_row(small)
    assert view.badge.text() == "Verified" and view.badge.tone == "good"
    assert view.fields["issuer"].text() == "SMART Health Cards spec examples"
    assert view.fields["issuer_url"].text() == SPEC_ISS
    assert "Immunization" in view.fields["contents"].text()
    pixmap = view.qr_pixmap
    assert pixmap is not None and pixmap.width() == pixmap.height()
    modules = pixmap.width() // 3 - 2 * 4  # scale 3, a quiet zone of 4 modules
    assert (modules - 17) % 4 == 0 and 1 <= (modules - 17) // 4 <= 22  # a QR version of at most 22
    view.select_row(big)
    assert view.qr_pixmap is None and "too large for one QR code" in view.qr_note.text()

    # the same cards where the issuer is not trusted: unverified, the issuer's own URL
    wallet.app.extra_trusted_issuers = ()
    view.refresh()
    qtbot.waitUntil(lambda: not view.loading, timeout=20_000)
    view.select_row(0)
    assert view.model.row_at(0).badge.text == "Unverified" and view.badge.tone == "warn"
    assert view.fields["issuer"].text() == SPEC_ISS
    assert "not in your trusted list" in view.explanation.text()
    assert view.model.index(0, 0).data() == "Unverified"
    for label in (*view.fields.values(), view.explanation, view.badge, view.status):
        assert label.textFormat() == Qt.TextFormat.PlainText  # issuer names come from the cards
    view.grab()  # the badge delegate paints
    view.clear()


# --- backups ---------------------------------------------------------------------------------


def test_backup_rows_join_pins_and_notes() -> None:
    rows = backup_rows(
        ["bafyA", "bafyB", "bafyS", "bafyX"],
        backups=[("bafyA", "Backup of 75 records and 1 cards", "2026-01-02T10:00:00Z"),
                 ("bafyB", "Backup of 80 records and 1 cards", "2026-02-02T10:00:00Z"),
                 ("bafyOld", "Backup of 3 records and 0 cards", "2025-01-01T10:00:00Z")],
        shares=[("bafyS", "Access for Dr Who (active, until 2026-03-01)", "2026-01-15T10:00:00Z")],
    )
    assert [r.cid for r in rows] == ["bafyB", "bafyS", "bafyA", "bafyOld", "bafyX"]
    assert rows[0].latest and not rows[2].latest
    assert rows[1].kind == "share" and rows[4].kind == "other"
    assert not rows[3].pinned and rows[3].kind == "backup"  # unpinned, still listed


def test_unpin_confirmation_text() -> None:
    latest = BackupRow("bafyB", "backup", "Backup of 80 records", "2026-02-02T10:00:00Z", latest=True)
    text = unpin_text(latest)
    assert text.startswith("Remove “Backup of 80 records” (made 2026-02-02 10:00:00 UTC) from this computer?")
    assert UNPIN_NOTE in text and "does not erase copies kept elsewhere" in text
    assert "bafyB" not in text and "IPFS" not in text and "unpin" not in text.lower()
    assert "latest backup" in text
    share = unpin_text(BackupRow("bafyS", "share", "Access for Dr Who"))
    assert UNPIN_NOTE in share and "Revoking the grant is what stops access" in share


def test_back_up_list_unpin_and_restore_on_a_new_laptop(qtbot, open_wallet, monkeypatch) -> None:
    phrase = new_phrase()
    old = open_wallet("old-laptop", phrase)
    old.import_file(PATIENT)
    old.import_file(CARD, same_person=True)  # the user confirmed: one profile
    view = BackupsView(old)
    qtbot.addWidget(view, before_close_func=lambda v: v.clear())
    view.show()
    assert view.model.rowCount() == 0 and not view.listing  # nothing read (no node started) until shown
    view.refresh()
    qtbot.waitUntil(lambda: not view.listing, timeout=60_000)
    assert view.model.rowCount() == 0 and view.empty.isVisible()
    assert not view.details.isVisible() and not view.message.isVisible()  # nothing behind Details yet
    receipts = []
    view.published.connect(receipts.append)
    steps = []
    original = view._progress
    view._progress = lambda p: (steps.append(p.message), original(p))[1]
    view.back_up()
    assert view.bar.isVisible() and not view.backup_button.isEnabled()
    qtbot.waitUntil(lambda: bool(receipts) or "not made" in view.last_message, timeout=90_000)
    assert receipts, view.last_message
    receipt = receipts[0]
    assert receipt.records == 75 and receipt.cards == 1 and receipt.tx
    assert steps[0] == "Collecting the records" and steps[-1] == "Backed up"  # throttled in between
    assert view.last_message.splitlines()[0] == "Backed up 75 records and 1 card."
    assert view.last_message.splitlines()[1].startswith("Your backup is kept only on this computer")
    qtbot.waitUntil(lambda: not view.listing and view.model.rowCount() == 1, timeout=30_000)
    qtbot.waitUntil(lambda: view.where.text().startswith("Your latest backup is kept only on the computer that "
                                                         "made it."), timeout=30_000)  # read from the chain
    assert not view.where.isVisible()  # the message after backing up already says where it is kept
    seen = visible_text(view)  # the patient's screen: no machinery until Details is opened
    assert "Backup of 75 records" in seen and "Back up now" in seen
    for word in ("CID", "IPFS", "Unpin", "bafy", "0x", "chain"):
        assert word not in seen, (word, seen)
    view.details.button.click()
    seen = visible_text(view)
    assert f"CID {receipt.cid}" in seen and "Copy CID" in seen and "CID" in view.model.headerData(0, Qt.Horizontal)
    assert f"transaction {receipt.tx}" in view.technical.text()
    row = view.model.row_at(0)
    assert row.cid == receipt.cid and row.kind == "backup" and row.pinned and row.latest
    assert row.what == "Backup of 75 records and 1 cards"
    assert view.model.index(0, 4).data() == "Yes" and view.table.isColumnHidden(3)  # sizes unknown
    view.table.selectRow(0)
    view.copy_cid()
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text() == receipt.cid
    assert view.where.isVisible()  # another message: the line from the chain shows again

    # a new laptop restored from the phrase fetches the latest backup from the old one
    new = open_wallet("new-laptop", phrase)
    dialog = RestoreBackupDialog(new, timeout=60)
    qtbot.addWidget(dialog, before_close_func=lambda d: d.panel.shutdown())
    dialog.show()
    panel = dialog.panel
    panel.peer.setText("not an address")
    assert not panel.restore_button.isEnabled() and panel.input_problem.isVisible()
    panel.peer.setText(old.ipfs().node_info().dial_addresses[0])
    assert panel.restore_button.isEnabled()
    restored = []
    dialog.restored.connect(lambda cid, result: restored.append((cid, result)))
    panel.start()
    qtbot.waitUntil(lambda: panel.outcome is not None or bool(panel.error), timeout=90_000)
    assert not panel.error, panel.error
    cid, result = restored[0]
    assert cid == receipt.cid and result.total == 75
    assert panel.result.text().startswith("Restored 75 records from your backup")
    assert receipt.cid not in visible_text(panel) and not panel.technical.isVisible()
    panel.details.button.click()
    assert panel.technical.isVisible() and panel.technical.text() == f"Backup CID {receipt.cid}"
    counts = {panel.counts.topLevelItem(n).text(0): panel.counts.topLevelItem(n).text(1)
              for n in range(panel.counts.topLevelItemCount())}
    assert counts["Observation"] == "35"
    assert new.store.cards() == [CARD.read_bytes()]
    dialog.accept()

    # unpin: a refusal changes nothing; a yes unpins, and the backup stays listed
    asked = []
    monkeypatch.setattr(backups_view, "confirm_unpin", lambda _parent, text: (asked.append(text), False)[1])
    view.table.selectRow(0)
    view.unpin_selected()
    assert asked and UNPIN_NOTE in asked[0] and "latest backup" in asked[0]
    assert [str(p.cid) for p in old.ipfs().pins()] == [receipt.cid]
    monkeypatch.setattr(backups_view, "confirm_unpin", lambda _parent, _text: True)
    view.unpin_selected()
    qtbot.waitUntil(lambda: "Removed from this computer" in view.last_message and not view.listing
                    and view.model.rowCount() == 1 and not view.model.row_at(0).pinned, timeout=30_000)
    assert old.ipfs().pins() == ()
    assert view.model.index(0, 4).data() == "No (removed)" and not view.unpin_button.isEnabled()
    view.clear()


def test_restore_inputs() -> None:
    assert peer_problem("") is None
    assert peer_problem("/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWabc") is None
    assert "peer id" in peer_problem("/ip4/127.0.0.1/tcp/4001")
    assert "starts with /" in peer_problem("127.0.0.1:4001")
    assert cid_problem("") is None and "not an IPFS CID" in cid_problem("hello")
    assert cid_problem("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku") is None


# --- status bar ------------------------------------------------------------------------------


def test_status_texts() -> None:
    running = NetworkStatus("embedded node", "running", peers=2, peer_id="12D3KooWxyz", chain="embedded chain",
                            chain_state="connected", chain_id=31337)
    assert ipfs_text(running) == "embedded node · running · 2 peers"
    assert chain_text(running) == "embedded chain · id 31337"
    rpc = NetworkStatus("Kubo RPC at /ip4/127.0.0.1/tcp/5001", "running", peer_id="12D3KooWabcdefgh")
    assert ipfs_text(rpc) == "Kubo RPC at /ip4/127.0.0.1/tcp/5001 · running · node 12D3KooW…efgh"
    assert ipfs_text(NetworkStatus("embedded node", "starting")) == "embedded node · starting"
    with pytest.raises(ValueError):
        NetworkStatus("embedded node", "sleeping")


def test_status_bar_shows_the_embedded_node_running(qtbot, open_wallet) -> None:
    wallet = open_wallet("status")
    widget = NetworkStatusWidget(interval_ms=200, ready_timeout=0.5)
    qtbot.addWidget(widget, before_close_func=lambda w: w.stop())
    widget.show()
    seen: list[NetworkStatus] = []
    widget.changed.connect(seen.append)
    widget.start(wallet)
    qtbot.waitUntil(lambda: widget.status is not None and widget.status.ipfs_state == "running", timeout=60_000)
    status = widget.status
    assert status.ipfs_backend == "embedded node" and status.peers == 0 and status.peer_id
    assert widget.ipfs_label.text() == "embedded node · running · 0 peers"
    assert widget.ipfs_pill.tone == "good"
    assert status.chain_state == "connected" and widget.chain_label.text().startswith("embedded chain · id ")
    assert all(s.ipfs_state in ("starting", "running") for s in seen)
    # another node connects: the count follows
    other = open_wallet("peer")
    other.ipfs().connect(wallet.ipfs().node_info().dial_addresses[0])
    qtbot.waitUntil(lambda: widget.status.peers == 1, timeout=30_000)
    assert widget.ipfs_label.text().endswith("1 peer")
    widget.stop()
    assert widget.status is None and widget.ipfs_label.text() == "not started"


# --- the section in a window ------------------------------------------------------------------


def test_section_adds_menus_shortcuts_tabs_and_status(qtbot, open_wallet, monkeypatch, tmp_path: Path) -> None:
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QMainWindow, QTabWidget, QWidget

    from wallet.gui.export_backup_section import ExportBackupSection

    window = QMainWindow()
    window.import_action = QAction("&Import files…", window)
    lock = QAction("&Lock", window)
    file_menu = window.menuBar().addMenu("&File")
    file_menu.addAction(window.import_action)
    file_menu.addSeparator()
    file_menu.addAction(lock)
    window.menuBar().addMenu("&View")
    tabs = QTabWidget(window)
    tabs.addTab(QWidget(), "Records")
    window.setCentralWidget(tabs)
    refreshed = []
    window.refresh = lambda: refreshed.append(True)
    section = ExportBackupSection(window, tabs)
    qtbot.addWidget(window, before_close_func=lambda _w: section.clear())
    window.show()  # the status bar probes once it has been painted

    texts = [a.text() for a in file_menu.actions()]
    assert texts[:6] == ["&Import files…", "", "&Export…", "&Verify an export…", "&Back up now",
                         "&Restore records from a backup…"] and texts[-1] == "&Lock"
    shortcuts = {a.text(): a.shortcut().toString() for a in window.actions()}
    assert shortcuts["&Export…"] == "Ctrl+E" and shortcuts["&Verify an export…"] == "Ctrl+Shift+V"
    assert shortcuts["&Back up now"] == "Ctrl+Shift+B"
    assert shortcuts["Show health cards"] == "Ctrl+2" and shortcuts["Show backups"] == "Ctrl+3"
    assert [tabs.tabText(n) for n in range(tabs.count())] == ["Records", "Health cards", "Backups"]
    assert section.network.parent() is not None and not section.export_action.isEnabled()

    wallet = open_wallet("window", trusted=(spec_issuer(),))
    wallet.import_file(CARD)
    section.set_wallet(wallet)
    assert section.export_action.isEnabled()
    qtbot.waitUntil(lambda: section.network.status is not None and section.network.status.ipfs_state == "running",
                    timeout=60_000)
    section.cards_action.trigger()  # Ctrl+2: the cards are read when the tab is shown
    assert tabs.currentWidget() is section.cards_page and section.cards_view.isVisible()
    qtbot.waitUntil(lambda: section.cards_view.model.rowCount() == 1, timeout=20_000)

    stick = tmp_path / "stick"
    stick.mkdir()
    monkeypatch.setattr(export_dialog, "ask_for_folder", lambda _parent, _title, _start: stick)
    dialog = section.export()
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.measured, timeout=20_000)
    dialog.choose_folder()
    qtbot.waitUntil(lambda: dialog.destination is not None and dialog.export_button.isEnabled(), timeout=10_000)
    dialog.start_export()
    _wait_export(qtbot, dialog)
    assert refreshed  # the export's audit note: the window reads its counts again

    section.clear()  # the wallet locks
    assert not dialog.isVisible() and section.network.status is None and not section.export_action.isEnabled()
    assert section.cards_view.model.rowCount() == 0
