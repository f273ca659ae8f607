"""New SMART Health Link: what to share (the patient summary, or records of chosen
categories), passcode, expiry, label, where it will be hosted and the folder for its files;
then the link as text and QR code, with what revoking it can and cannot do."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ..services import CATEGORIES, UnlockedWallet
from ..services.links import CreatedLink, LinkSource, create_link
from .plain_text import plain_label
from .qr_widget import qr_pixmap
from .single_job import SingleJob

if TYPE_CHECKING:
    from .clinic_section import ClinicSection

__all__ = ["EXPIRY_CHOICES", "LINK_NOTE", "NewLinkDialog"]

EXPIRY_CHOICES = (("Never", None), ("1 day", timedelta(days=1)), ("7 days", timedelta(days=7)),
                  ("30 days", timedelta(days=30)), ("1 year", timedelta(days=365)))
LINK_NOTE = ("The link holds its own key: anyone who has it (and the passcode, if you set one) can read what it "
             "shares. The chain and your grants play no part.")


class NewLinkDialog(QDialog):
    def __init__(self, wallet: UnlockedWallet, parent: QWidget | None = None, *,
                 section: ClinicSection | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New SMART Health Link")
        self.wallet = wallet
        self.section = section
        self.made: CreatedLink | None = None
        self.problem = ""
        self.job = SingleJob("clinic-link", self)

        self.ips = QRadioButton("My patient summary (International Patient Summary)", self)
        self.chosen = QRadioButton("Records of these kinds:", self)
        self.ips.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.ips)
        group.addButton(self.chosen)
        self.kinds = {name: QCheckBox(name, self) for name in CATEGORIES}
        grid = QGridLayout()
        for n, kind in enumerate(self.kinds.values()):
            kind.setEnabled(False)
            grid.addWidget(kind, n // 3, n % 3)
        self.chosen.toggled.connect(self._choose_kinds)

        self.passcode = QLineEdit(self)
        self.passcode.setEchoMode(QLineEdit.EchoMode.Password)
        self.passcode.setPlaceholderText("optional; only 'serve --shl' can check it")
        self.passcode.setAccessibleName("Passcode")
        self.expiry = QComboBox(self)
        for text, _ in EXPIRY_CHOICES:
            self.expiry.addItem(text)
        self.expiry.setCurrentIndex(2)
        self.label = QLineEdit(self)
        self.label.setMaxLength(80)
        self.label.setPlaceholderText("for example: For Dr Ruiz, knee surgery")
        self.base_url = QLineEdit(self)
        self.base_url.setPlaceholderText("https://… where the files will be reachable")
        self.folder = QLineEdit(str(Path.home() / "SMART Health Link"), self)
        browse = QPushButton("Choose…", self)
        browse.clicked.connect(self._choose_folder)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Passcode:", self.passcode)
        form.addRow("Expires after:", self.expiry)
        form.addRow("Label:", self.label)
        form.addRow("Hosted at:", self.base_url)
        form.addRow("Files into:", folder_row)

        # the result
        self.qr = QLabel(self)
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.qr.setAccessibleName("The link as a QR code")
        self.qr.setStyleSheet("background: white;")
        self.link_text = QPlainTextEdit(self)
        self.link_text.setReadOnly(True)
        self.link_text.setAccessibleName("The link")
        self.link_text.setMaximumHeight(90)
        self.result_note = plain_label("", self)
        self.copy_button = QPushButton("Copy link", self)
        self.copy_button.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.link_text.toPlainText()))
        self.print_button = QPushButton("Print summary with this QR…", self)
        self.save_button = QPushButton("Save summary with this QR as PDF…", self)
        self.print_button.clicked.connect(lambda: self._summary_job("print"))
        self.save_button.clicked.connect(lambda: self._summary_job("save"))
        self.result_box = QWidget(self)
        result_layout = QVBoxLayout(self.result_box)
        result_layout.addWidget(self.qr)
        result_layout.addWidget(self.link_text)
        result_layout.addWidget(self.result_note)
        row = QHBoxLayout()
        for button in (self.copy_button, self.print_button, self.save_button):
            row.addWidget(button)
        result_layout.addLayout(row)
        self.result_box.hide()

        self.problem_label = plain_label("", self)
        self.problem_label.setStyleSheet("color: #b00000;")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.create_button = self.buttons.addButton("Create link", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.make_link)
        self.buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(self.ips)
        box.addWidget(self.chosen)
        box.addLayout(grid)
        box.addLayout(form)
        box.addWidget(plain_label(LINK_NOTE, self))
        box.addWidget(self.problem_label)
        box.addWidget(self.result_box)
        box.addWidget(self.buttons)

    def _choose_kinds(self, on: bool) -> None:
        for kind in self.kinds.values():
            kind.setEnabled(on)

    def _choose_folder(self) -> None:
        name = QFileDialog.getExistingDirectory(self, "Folder for the link's files", self.folder.text())
        if name:
            self.folder.setText(name)

    def source(self) -> LinkSource:
        if self.ips.isChecked():
            return LinkSource(ips=True)
        kinds = tuple(name for name, box in self.kinds.items() if box.isChecked())
        if not kinds:
            raise ValueError("Tick at least one kind of record to share.")
        return LinkSource(types=kinds)

    def make_link(self) -> None:
        """Check what was typed and make the link on a worker thread."""
        self.problem_label.setText("")
        try:
            source = self.source()
        except ValueError as exc:
            self._failed(str(exc))
            return
        delta = EXPIRY_CHOICES[self.expiry.currentIndex()][1]
        expires = self.wallet.app.clock.now() + delta if delta else None
        passcode = self.passcode.text() or None
        params: dict[str, Any] = {"base_url": self.base_url.text().strip(), "out": Path(self.folder.text().strip()),
                                  "passcode": passcode, "expires_at": expires, "label": self.label.text().strip()}
        self.create_button.setEnabled(False)
        self.job.start(lambda _p, _c: create_link(self.wallet, source, **params), on_done=self._made,
                       on_failed=self._failed)

    def _failed(self, message: str) -> None:
        self.problem = message
        self.problem_label.setText(message)
        self.create_button.setEnabled(True)

    def _made(self, made: CreatedLink) -> None:
        self.made = made
        self.qr.setPixmap(qr_pixmap(made.viewer_url, max_size=300))
        self.link_text.setPlainText(made.viewer_url)
        where = (f"Copy the files in {made.public_files[0].parent} to {self.base_url.text().strip()}."
                 if made.public_files else "Run 'health-wallet serve --shl HOST:PORT' behind that address: "
                 "only it can check a passcode.")
        self.result_note.setText(f"{where}\n{made.note}\nNothing can take back what a clinic already opened.")
        self.result_box.show()
        self.create_button.setEnabled(True)

    def _summary_job(self, how: str) -> None:
        if self.made is None or self.section is None:
            return
        job = self.section.summary_job(self.made.printed)
        if job is not None:
            job.print() if how == "print" else job.save()
