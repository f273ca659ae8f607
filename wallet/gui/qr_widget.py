"""A share token as text (with Copy) and as a QR code, drawn in memory with segno."""

from __future__ import annotations

import io

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from .plain_text import plain_label

__all__ = ["TOKEN_NOTE", "TokenDialog", "TokenWidget", "qr_pixmap", "qr_png"]

TOKEN_NOTE = ("Give this token to the doctor, as text or by letting them scan the code. It holds no key and no "
              "record: only the doctor's wallet can open the share, and only while it is active. The doctor "
              "fetches the encrypted records from this computer, so keep Health Wallet open until they have.")


def qr_png(text: str, *, scale: int = 6, error: str = "m") -> bytes:
    """``text`` as a QR code, PNG bytes (black on white, a quiet zone of 4 modules)."""
    buf = io.BytesIO()
    import segno  # loaded when a token is shown, not at start-up

    segno.make(text, error=error).save(buf, kind="png", scale=scale, border=4)
    return buf.getvalue()


def qr_pixmap(text: str, *, max_size: int = 360) -> QPixmap:
    """The QR code of ``text`` at the largest whole-module scale that fits ``max_size``
    pixels (whole modules keep the code sharp for a phone's camera)."""
    import segno

    width = segno.make(text, error="m").symbol_size(scale=1, border=4)[0]
    pixmap = QPixmap()
    pixmap.loadFromData(qr_png(text, scale=int(max(2, min(6, max_size // width)))), "PNG")
    return pixmap


class TokenWidget(QWidget):
    """The token's QR code beside its text and a Copy button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.qr = QLabel(self)
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.qr.setAccessibleName("Share token as a QR code")
        self.qr.setStyleSheet("background: white; padding: 0px;")
        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        self.text.setAccessibleName("Share token")
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setMinimumWidth(300)
        self.text.setMaximumHeight(self.text.fontMetrics().lineSpacing() * 9 + 12)
        self.copy_button = QPushButton("Copy token", self)
        self.copy_button.setToolTip("Copy the token to the clipboard")
        self.copy_button.clicked.connect(self.copy)
        self.copied = plain_label("", self, selectable=False)
        self.copied.setEnabled(False)
        self.note = plain_label(TOKEN_NOTE, self, selectable=False)
        right = QVBoxLayout()
        right.addWidget(self.note)
        right.addWidget(self.text)
        row = QHBoxLayout()
        row.addWidget(self.copy_button)
        row.addWidget(self.copied, 1)
        right.addLayout(row)
        right.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.qr, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(right, 1)

    @property
    def token(self) -> str:
        return self.text.toPlainText()

    def set_token(self, token: str) -> None:
        self.text.setPlainText(token)
        self.copied.clear()
        if token:
            self.qr.setPixmap(qr_pixmap(token))
        else:
            self.qr.clear()

    def copy(self) -> None:
        clipboard = QGuiApplication.clipboard()
        if clipboard is not None and self.token:
            clipboard.setText(self.token)
            self.copied.setText("Copied.")


class TokenDialog(QDialog):
    """The token of one grant, shown on demand."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Share token")
        self.heading = plain_label(title, self)
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        self.token_widget = TokenWidget(self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.token_widget, 1)
        layout.addWidget(buttons)
        self.resize(820, 440)

    def set_token(self, token: str) -> None:
        self.token_widget.set_token(token)
