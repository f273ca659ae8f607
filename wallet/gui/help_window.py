"""Help ▸ User guide (F1) and Help ▸ Glossary: the words of :mod:`wallet.gui.help_text`
in a window of their own, beside the main window."""

from __future__ import annotations

from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTabWidget, QTextBrowser, QVBoxLayout, QWidget

from .help_text import GLOSSARY, GUIDE

__all__ = ["TOPICS", "HelpWindow"]

TOPICS = ("guide", "glossary")


def _page(text: str, name: str, parent: QWidget) -> QTextBrowser:
    page = QTextBrowser(parent)
    page.setOpenExternalLinks(False)
    page.setMarkdown(text)  # the app's own text, not a record's
    page.setAccessibleName(name)
    return page


class HelpWindow(QDialog):
    """Not modal: read it while using the app."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Help — Health Wallet")
        self.tabs = QTabWidget(self)
        self.guide = _page(GUIDE, "User guide", self.tabs)
        self.glossary = _page(GLOSSARY, "Glossary", self.tabs)
        self.tabs.addTab(self.guide, "User guide")
        self.tabs.addTab(self.glossary, "Glossary")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(buttons)
        scale = max(1.0, QFontMetrics(self.font()).height() / 17)  # larger text: a larger window
        self.resize(int(640 * scale), int(560 * scale))

    def __repr__(self) -> str:
        return f"HelpWindow(topic={self.topic})"

    @property
    def topic(self) -> str:
        return TOPICS[max(0, self.tabs.currentIndex())]

    def show_topic(self, topic: str) -> None:
        """Show ``topic`` (one of :data:`TOPICS`)."""
        self.tabs.setCurrentIndex(TOPICS.index(topic) if topic in TOPICS else 0)
