"""Typing a recovery phrase: a word suggester on the BIP-39 English list.

:func:`word_completer` serves one-word fields (the wizard's word check);
:class:`PhraseEdit` is a text box for the whole phrase that offers the words starting
with the one being typed (two letters or more) and puts the chosen word in its place.
"""

from __future__ import annotations

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtGui import QKeyEvent, QTextCursor
from PySide6.QtWidgets import QAbstractItemView, QCompleter, QPlainTextEdit, QWidget

from ..services import phrase_words

__all__ = ["PhraseEdit", "word_completer"]

MIN_PREFIX = 2


def word_completer(parent: QWidget) -> QCompleter:
    """Suggests recovery phrase words (the BIP-39 English list) that start with what is typed."""
    completer = QCompleter(QStringListModel(list(phrase_words()), parent), parent)
    completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    completer.setModelSorting(QCompleter.ModelSorting.CaseSensitivelySortedModel)  # the list is sorted
    completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
    completer.setMaxVisibleItems(8)
    return completer


class PhraseEdit(QPlainTextEdit):
    """A recovery phrase box with a word suggester (Enter or a click takes a word)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.completer = word_completer(self)
        self.completer.setWidget(self)
        self.completer.activated.connect(self.insert_word)
        popup = self.completer.popup()  # made by QCompleter now, so never None afterwards
        assert popup is not None
        self.popup: QAbstractItemView = popup

    def __repr__(self) -> str:
        return f"PhraseEdit(words={len(self.toPlainText().split())})"

    def current_prefix(self) -> str:
        """The part of the word before the cursor ("" between words)."""
        cursor = self.textCursor()
        before = self.toPlainText()[: cursor.position()]
        return "" if not before or before[-1].isspace() else before.split()[-1]

    def suggest(self) -> None:
        """Offer the words that start with the one being typed (as typing a letter does)."""
        self._suggest()

    def _suggest(self) -> None:
        prefix = self.current_prefix()
        popup = self.popup
        if len(prefix) < MIN_PREFIX:
            popup.hide()
            return
        self.completer.setCompletionPrefix(prefix.lower())
        count = self.completer.completionCount()
        if count == 0 or (count == 1 and self.completer.currentCompletion() == prefix.lower()):
            popup.hide()
            return
        popup.setCurrentIndex(self.completer.completionModel().index(0, 0))
        rect = self.cursorRect()
        rect.setWidth(popup.sizeHintForColumn(0) + popup.verticalScrollBar().sizeHint().width() + 12)
        self.completer.complete(rect)

    def insert_word(self, word: str) -> None:
        """Put ``word`` in place of the word being typed, then a space."""
        cursor = self.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.Left, QTextCursor.MoveMode.KeepAnchor,
                            len(self.current_prefix()))
        cursor.insertText(word + " ")
        self.setTextCursor(cursor)
        self.popup.hide()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.popup.isVisible() and event.key() in (
                Qt.Key.Key_Enter, Qt.Key.Key_Return, Qt.Key.Key_Escape, Qt.Key.Key_Tab, Qt.Key.Key_Backtab):
            event.ignore()  # the suggester takes these
            return
        super().keyPressEvent(event)
        if event.text().isalpha() or event.key() == Qt.Key.Key_Backspace:
            self._suggest()  # after the key: the cursor is past the letter typed
        elif event.text():
            self.popup.hide()
