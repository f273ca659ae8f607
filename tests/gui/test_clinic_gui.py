"""The Clinic menu offscreen: print and save the summary and the emergency card, make, list
and revoke SMART Health Links, and open a pasted or dropped link (asking its passcode)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication

from tests.clinic.patient import NAME, titles, write_patient
from tests.clinic.pdf_reader import read_pdf
from tests.conftest import PASSPHRASE, MemoryKeyring
from wallet.app import build_app
from wallet.services import WalletService
from wallet.services.clinic import emergency_card_pdf, summary_pdf
from wallet.services.links import shl_server


def printed(tmp_path: Path, doc, name: str) -> Path:
    """Print ``doc`` through Qt's print path onto a PDF printer; the file it wrote."""
    from wallet.gui.clinic_print import print_pdf

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / name))
    assert print_pdf(printer, doc) == doc.pages
    return tmp_path / name


def test_clinic_menu_follows_the_open_wallet(qtbot, window, unlocked, tmp_path: Path) -> None:
    menu = window.clinic.menu
    assert [a.text() for a in menu.actions() if not a.isSeparator()] == [
        "&Print patient summary…", "&Save patient summary as PDF…", "&Emergency card…",
        "&New SMART Health Link…", "SMART Health &Links…", "&Open a SMART Health Link…"]
    window.clinic._enable()
    assert not window.clinic.print_action.isEnabled() and window.clinic.new_link() is None
    unlocked.import_file(write_patient(tmp_path))
    window.set_wallet(unlocked)
    window.clinic._enable()
    assert all(a.isEnabled() for a in menu.actions() if not a.isSeparator())

    mime = QMimeData()
    mime.setText("from the clinic: shlink:/not-a-real-link")
    for event in (QDragEnterEvent(QPoint(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                                  Qt.KeyboardModifier.NoModifier),
                  QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                             Qt.KeyboardModifier.NoModifier)):
        QApplication.sendEvent(window, event)
        assert event.isAccepted()
    [dropped] = window.clinic.dialogs
    assert dropped.link.toPlainText() == "shlink:/not-a-real-link" and "damaged" in dropped.message.text()

    card = window.clinic.emergency_card()
    assert card.isVisible() and len(window.clinic.dialogs) == 2
    window.clear()  # as the wallet locks: no dialog keeps it
    assert window.clinic.dialogs == [] and not card.isVisible() and not dropped.isVisible()
    assert window.clinic.print_summary() is None and window.clinic.emergency_card() is None
    window.set_wallet(unlocked)

    job = window.clinic.summary_job()
    job.save(tmp_path / "summary.pdf")
    qtbot.waitUntil(lambda: job.saved is not None, timeout=30_000)
    assert NAME in read_pdf(tmp_path / "summary.pdf").words and job.document.pages >= 2


def test_printing_keeps_pages_and_real_sizes(qtbot, unlocked, tmp_path: Path) -> None:
    unlocked.import_file(write_patient(tmp_path))
    summary = read_pdf(printed(tmp_path, summary_pdf(unlocked), "summary-printed.pdf"))
    assert len(summary.pages) == summary_pdf(unlocked).pages
    assert [round(x) for x in summary.sizes_mm[0]] == [210, 297]
    card = read_pdf(printed(tmp_path, emergency_card_pdf(unlocked, contact="Ana, 600"), "card-printed.pdf"))
    assert len(card.pages) == 2
    assert all(abs(w - 85.6) < 0.5 and abs(h - 54) < 0.5 for w, h in card.sizes_mm)


def test_emergency_card_dialog_keeps_the_contact(qtbot, unlocked, tmp_path: Path) -> None:
    from wallet.gui.clinic_card_dialog import EmergencyCardDialog
    from wallet.services.emergency_contact import load_emergency_contact

    unlocked.import_file(write_patient(tmp_path))
    dialog = EmergencyCardDialog(unlocked)
    qtbot.addWidget(dialog)
    assert dialog.contact.text() == ""
    dialog.contact.setText("Ana Núñez, +34 600 000 000")
    dialog.link.setText("not a link")
    dialog.start("save", tmp_path / "bad.pdf")
    assert "Not a SMART Health Link" in dialog.problem_label.text() and not (tmp_path / "bad.pdf").exists()
    dialog.link.setText("")
    dialog.start("save", tmp_path / "card.pdf")
    qtbot.waitUntil(lambda: dialog.pdf.saved is not None, timeout=30_000)
    words = read_pdf(tmp_path / "card.pdf").words
    assert "Ana Núñez, +34 600 000 000" in words and titles("allergies")[0] in words
    assert load_emergency_contact(unlocked) == "Ana Núñez, +34 600 000 000"
    again = EmergencyCardDialog(unlocked)
    qtbot.addWidget(again)
    assert again.contact.text() == "Ana Núñez, +34 600 000 000"


def test_make_list_revoke_and_open_links(qtbot, unlocked, tmp_path: Path, light_environ) -> None:
    from wallet.gui.clinic_link_dialog import NewLinkDialog
    from wallet.gui.clinic_links_dialog import LinksDialog
    from wallet.gui.clinic_open_link import OpenLinkDialog

    unlocked.import_file(write_patient(tmp_path))
    server = shl_server(unlocked, "127.0.0.1", 0)
    server.start()
    try:
        base = f"http://{server.address}/shl"
        new = NewLinkDialog(unlocked)
        qtbot.addWidget(new)
        new.base_url.setText("ftp://nowhere")
        new.folder.setText(str(tmp_path / "u"))
        new.make_link()
        qtbot.waitUntil(lambda: bool(new.problem), timeout=30_000)
        assert "not an http(s) base URL" in new.problem_label.text() and new.made is None

        new.base_url.setText(base)
        new.label.setText("For Dr Ruiz")
        new.make_link()
        qtbot.waitUntil(lambda: new.made is not None, timeout=30_000)
        static = new.made
        assert static.payload.flag == "U" and "#shlink:/" in new.link_text.toPlainText()
        assert not new.qr.pixmap().isNull() and "cannot be revoked" in new.result_note.text()

        served = NewLinkDialog(unlocked)
        qtbot.addWidget(served)
        served.base_url.setText(base)
        served.folder.setText(str(tmp_path / "p"))
        served.passcode.setText("73 blue")
        served.chosen.setChecked(True)
        served.kinds["Allergies"].setChecked(True)
        served.make_link()
        qtbot.waitUntil(lambda: served.made is not None, timeout=30_000)
        assert served.made.payload.flag == "P" and "serve --shl" in served.result_note.text()

        links = LinksDialog(unlocked)
        qtbot.addWidget(links)
        assert links.model.rowCount() == 2
        assert links.model.data(links.model.index(0, 0)) == "For Dr Ruiz"
        assert links.model.data(links.model.index(1, 1)) == "passcode"
        links.address.setText("nowhere")
        links.serve_button.setChecked(True)
        assert "HOST:PORT" in links.message.text() and not links.serve_button.isChecked()
        links.address.setText("127.0.0.1:0")
        links.serve_button.setChecked(True)
        assert links.server is not None and "Serving on http://127.0.0.1:" in links.message.text()
        links.close()
        assert links.server is None
        links.table.selectRow(0)
        links.revoke_selected()
        assert "cannot be revoked" in links.message.text()
        assert links.model.data(links.model.index(0, 4)) == "revoked"

        clinic = WalletService(build_app(tmp_path / "clinic", environ=light_environ, keyring_backend=MemoryKeyring()))
        clinic.create(PASSPHRASE)
        doctor = clinic.unlock(PASSPHRASE)
        try:
            opener = OpenLinkDialog(doctor)
            qtbot.addWidget(opener)
            opener.link.setPlainText("hello")
            opener.open_link()
            assert "Not a SMART Health Link" in opener.message.text()

            asked: list[bool] = []
            opener.ask_passcode = lambda: asked.append(True) or None
            opener.link.setPlainText(f"Here you are: {served.made.viewer_url}")
            opener.open_link()
            assert asked and "needs its passcode" in opener.message.text()

            opener.ask_passcode = lambda: "73 blue"
            mime = QMimeData()
            mime.setText(served.made.payload.shlink)
            drop = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                              Qt.KeyboardModifier.NoModifier)
            opener.dropEvent(drop)
            qtbot.waitUntil(lambda: opener.outcomes is not None, timeout=30_000)
            [outcome] = opener.outcomes
            assert outcome.error is None and outcome.result.imported == {"AllergyIntolerance": 6}
            assert "6 records imported" in opener.message.text()
        finally:
            doctor.lock()
    finally:
        server.close()
