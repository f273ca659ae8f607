"""The detail pane: one record in plain words, then all its fields, then its raw FHIR JSON.

The first tab reads like a patient's record: the title, category and date, then the
facts of its type (:func:`wallet.services.record_facts`: a medication's dose, how often,
since when, prescriber and reason; a lab value with its range, flag and date; a
condition's status and onset; a vaccine's date and dose number), references by name, and
the narrative or note. "All fields" is the field tree; "FHIR JSON" the record as stored.

Every value is record data, so it is shown as plain text: labels are ``Qt.PlainText``,
tree items and the JSON editor never interpret markup, narratives are reduced to text.

The window opens with no record chosen, so the tabs are made when the first record is
shown (or one of their parts is asked for); until then the pane is its one line of text.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

from ..services import StoredSummary, fhir_json_text, local_text, record_facts, type_words
from .plain_text import narrative_text, plain_label

if TYPE_CHECKING:  # the record's tabs load their widget classes when first made
    from PySide6.QtWidgets import QFormLayout, QPlainTextEdit, QTabWidget, QTreeWidget, QTreeWidgetItem

__all__ = ["DetailPane"]

_MAX_VALUE = 400  # characters of one field shown in the tree
_MAX_NOTE = 100_000  # characters of an attached plain-text note


def _notes(resource: dict[str, Any]) -> str:
    """Text of attached ``text/plain`` documents (e.g. clinical notes)."""
    out = []
    for content in resource.get("content") or []:
        att = (content or {}).get("attachment") or {}
        if str(att.get("contentType", "")).split(";")[0].strip() == "text/plain" and att.get("data"):
            try:
                out.append(base64.b64decode(att["data"], validate=False).decode("utf-8", "replace").strip())
            except (binascii.Error, ValueError):
                continue
    return "\n\n".join(out)[:_MAX_NOTE]


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else fhir_json_text(value)
    text = " ".join(text.split()) if len(text) < 2000 else text[:2000]
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


class DetailPane(QWidget):
    """``fields``: the fixed labels (``title``, ``category``, ``date``); ``facts``: the
    type's labelled lines of the record shown (label text → value label)."""

    tabs: QTabWidget
    fields: dict[str, QLabel]
    facts: dict[str, QLabel]
    narrative: QPlainTextEdit
    narrative_title: QLabel
    tree: QTreeWidget
    json_view: QPlainTextEdit
    _form: QFormLayout
    _RECORD_PARTS = frozenset({"tabs", "fields", "facts", "narrative", "narrative_title", "tree", "json_view",
                               "_form"})

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._built = False
        # Tab reaches the tabs right after the last stop inside this widget (the window's middle pane)
        self.tab_after: QWidget | None = None
        self._stack = QStackedWidget(self)
        self._empty = QLabel("Select a record to see its details.", self)
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty.setWordWrap(True)
        self._empty.setEnabled(False)
        self._stack.addWidget(self._empty)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._stack)
        self.clear()

    def __getattr__(self, name: str) -> Any:
        if name in DetailPane._RECORD_PARTS and not self.__dict__.get("_built", True):
            self._build_record_view()  # a part of the tabs asked for before the first record
            return getattr(self, name)
        raise AttributeError(name)

    def _build_record_view(self) -> None:
        from PySide6.QtGui import QFontDatabase
        from PySide6.QtWidgets import QFormLayout, QFrame, QPlainTextEdit, QScrollArea, QTabWidget, QTreeWidget

        self._built = True
        self.tabs = QTabWidget(self)
        # the record in plain words
        summary = QWidget(self)
        title = plain_label(parent=summary)
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        title.setFont(font)
        title.setAccessibleName("Record")
        subtitle = plain_label(parent=summary)
        subtitle.setEnabled(False)
        date = plain_label(parent=summary)
        self.fields = {"title": title, "category": subtitle, "date": date}
        form = self._form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.addRow("Date", date)
        self.facts = {}
        self.narrative = QPlainTextEdit(self)
        self.narrative.setReadOnly(True)
        self.narrative.setAccessibleName("Narrative")
        self.narrative.setMaximumHeight(140)
        self.narrative_title = QLabel("Narrative", self)
        box = QVBoxLayout(summary)
        box.addWidget(title)
        box.addWidget(subtitle)
        box.addSpacing(4)
        box.addLayout(form)
        box.addWidget(self.narrative_title)
        box.addWidget(self.narrative)
        box.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(summary)
        self.tabs.addTab(scroll, "Summary")
        # every field
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Field", "Value"])
        self.tree.setColumnWidth(0, 180)
        self.tree.setUniformRowHeights(True)
        self.tree.setAccessibleName("All fields")
        self.tabs.addTab(self.tree, "All fields")
        # JSON tab
        self.json_view = QPlainTextEdit(self)
        self.json_view.setReadOnly(True)
        self.json_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.json_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.json_view.setAccessibleName("FHIR JSON")
        self.tabs.addTab(self.json_view, "FHIR JSON")
        self._stack.addWidget(self.tabs)
        self._place_in_tab_order()

    def _place_in_tab_order(self) -> None:
        """Tab reaches the tabs after :attr:`tab_after`'s last stop, as when they were made
        with the window: made later, they would come last in its focus chain."""
        if self.tab_after is None:
            return
        before: QWidget | None = None
        stops: list[QWidget] = []
        widget = self.nextInFocusChain()
        while widget is not None and widget is not self:
            if widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
                if self.isAncestorOf(widget):
                    stops.append(widget)
                elif self.tab_after.isAncestorOf(widget):
                    before = widget
            widget = widget.nextInFocusChain()
        if before is not None:
            for first, second in pairwise([before, *stops]):
                QWidget.setTabOrder(first, second)

    def clear(self, message: str = "Select a record to see its details.") -> None:
        self._empty.setText(message)
        if self._built:
            for label in self.fields.values():
                label.clear()
            self._set_facts([])
            self.narrative.clear()
            self.tree.clear()
            self.json_view.clear()
        self._stack.setCurrentWidget(self._empty)

    def _set_facts(self, facts: list[tuple[str, str]]) -> None:
        while self._form.rowCount() > 1:  # row 0 is the date
            self._form.removeRow(1)
        self.facts = {}
        for label_text, text in facts:
            value = plain_label(text, self)
            name = QLabel(label_text, self)
            name.setTextFormat(Qt.TextFormat.PlainText)
            name.setBuddy(value)
            self._form.addRow(name, value)
            self.facts[label_text] = value

    def show_record(self, row: StoredSummary, resource: dict[str, Any], names: Mapping[str, str] | None = None) -> None:
        """Show one record; ``names`` maps references in it to names (``UnlockedWallet.reference_names``)."""
        m = row.summary
        self.fields["title"].setText(m.title)
        kind = type_words(m.resource_type)
        self.fields["category"].setText(m.category if m.category.casefold() == kind.casefold()
                                        else f"{m.category} · {kind}")
        local = local_text(m.date)
        self.fields["date"].setText(local if local == m.date or not local else f"{local} (as written: {m.date})")
        facts = record_facts(m, resource, names or {})
        # a type's own date line ("Since", "Date given", "Onset") says it better than "Date"
        self._form.setRowVisible(0, bool(m.date) and all(text != local for _label, text in facts))
        self._set_facts(facts)
        div = ((resource.get("text") or {}).get("div")) if isinstance(resource.get("text"), dict) else None
        text = narrative_text(div) if isinstance(div, str) else ""
        note = _notes(resource)
        if note:
            text = f"{text}\n\n{note}".strip() if text else note
        self.narrative.setPlainText(text)
        self.narrative.setMaximumHeight(380 if note else 140)  # a clinical note is the record itself
        self.narrative.setVisible(bool(text))
        self.narrative_title.setVisible(bool(text))
        self.narrative_title.setText("Note" if note and not div else "Narrative")
        self.tree.clear()
        self.tree.addTopLevelItems(self._items(resource))
        self.tree.expandToDepth(0)
        self.json_view.setPlainText(fhir_json_text(resource, indent=2))
        self._stack.setCurrentWidget(self.tabs)

    def _items(self, value: Any) -> list[QTreeWidgetItem]:
        from PySide6.QtWidgets import QTreeWidgetItem

        items = []
        entries = value.items() if isinstance(value, dict) else enumerate(value)
        for key, child in entries:
            if key == "text" and isinstance(child, dict) and "div" in child:
                child = {k: v for k, v in child.items() if k != "div"} | {"div": "(shown under Narrative)"}
            label = f"[{key}]" if isinstance(key, int) else str(key)
            if isinstance(child, (dict, list)) and child:
                item = QTreeWidgetItem([label, ""])
                item.addChildren(self._items(child))
            else:
                item = QTreeWidgetItem([label, _short(child)])
            items.append(item)
        return items
