"""The list-with-buttons layout the Settings pages for card issuers, networks and pinning
services share.

A :class:`SettingsTablePage` is, top to bottom: a one-paragraph explanation, a read-only
table with one row selected at a time, an optional detail line about the selected row,
a row of buttons and a status line (:meth:`SettingsTablePage.say`). Cells are plain
text; their tooltips go through :func:`~wallet.gui.plain_text.safe_tooltip` unless the
page gives its own. :func:`confirm` is the Yes/No question asked before removing an entry.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .plain_text import plain_label, safe_tooltip
from .theme import set_text_tone

__all__ = ["SettingsTablePage", "confirm"]


def confirm(parent: QWidget | None, title: str, question: str) -> bool:
    """Ask ``question`` with Yes and No; ``True`` for Yes."""
    return QMessageBox.question(parent, title, question) == QMessageBox.StandardButton.Yes


class SettingsTablePage(QWidget):
    """Explanation, table, a detail line about the selected row (optional), buttons and status line.

    ``headers`` name the columns; columns in ``stretch`` share the spare width, the
    others fit their contents. A subclass makes its buttons, then calls
    :meth:`place_buttons`; it defines ``_selection`` (run whenever the selected row
    changes) and fills rows with :meth:`set_row`."""

    def __init__(self, parent: QWidget | None, *, explain: str, headers: Sequence[str], accessible_name: str,
                 stretch: Collection[int], detail: bool) -> None:
        super().__init__(parent)
        self.explain = plain_label(explain, self, selectable=False)
        self.table = QTableWidget(0, len(headers), self)
        self.table.setHorizontalHeaderLabels(list(headers))
        self.table.setAccessibleName(accessible_name)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        for col in range(len(headers)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch if col in stretch
                                        else QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._selection)
        self.detail = plain_label("", self)
        self.detail.setVisible(detail)
        self.status = plain_label("", self)

    def _selection(self) -> None:
        """Enable the buttons that fit the selected row (each page defines it)."""

    def place_buttons(self, *buttons: QPushButton) -> QVBoxLayout:
        """Lay the page out with ``buttons`` in a row under the table (and detail line);
        the page's layout, for anything a page shows under its status line."""
        row = QHBoxLayout()
        for button in buttons:
            row.addWidget(button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.explain)
        layout.addWidget(self.table, 1)
        if not self.detail.isHidden():
            layout.addWidget(self.detail)
        layout.addLayout(row)
        layout.addWidget(self.status)
        return layout

    def set_row(self, row: int, cells: Sequence[str], *, tooltip: str | None = None, data: object = None) -> None:
        """Fill table row ``row`` with ``cells``; every cell's tooltip is ``tooltip`` (default:
        the cell's own text, shown literally) and its user data ``data``."""
        for col, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setToolTip(safe_tooltip(text) if tooltip is None else tooltip)
            if data is not None:
                item.setData(Qt.ItemDataRole.UserRole, data)
            self.table.setItem(row, col, item)

    def say(self, text: str, tone: str | None) -> None:
        """Show ``text`` on the status line in ``tone`` (``"error"``, ``"success"`` or ``None``)."""
        set_text_tone(self.status, tone)
        self.status.setText(text)

