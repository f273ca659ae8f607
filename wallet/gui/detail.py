"""The detail pane: one record's summary, narrative and fields, and its raw FHIR JSON.

Every value is record data, so it is shown as plain text: labels are ``Qt.PlainText``,
tree items and the JSON editor never interpret markup, narratives are reduced to text.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QStackedWidget,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..services import StoredSummary, fhir_json_text, local_text
from .plain_text import narrative_text, plain_label

__all__ = ["DetailPane"]

_MAX_VALUE = 400  # characters of one field shown in the tree
_MAX_NOTE = 100_000  # characters of an attached plain-text note
_SUMMARY_FIELDS = (("title", "What"), ("category", "Category"), ("resource_type", "Type"), ("date", "Date"),
                   ("detail", "Details"), ("range", "Reference range"), ("code", "Code"))


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
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._stack = QStackedWidget(self)
        self._empty = QLabel("Select a record to see its details.", self)
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty.setWordWrap(True)
        self._empty.setEnabled(False)
        self._stack.addWidget(self._empty)

        self.tabs = QTabWidget(self)
        # summary tab
        summary = QWidget(self)
        form = self._form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.fields: dict[str, QLabel] = {}
        for key, title in _SUMMARY_FIELDS:
            label = plain_label()
            self.fields[key] = label
            form.addRow(title, label)
        self.narrative = QPlainTextEdit(self)
        self.narrative.setReadOnly(True)
        self.narrative.setAccessibleName("Narrative")
        self.narrative.setMaximumHeight(140)
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Field", "Value"])
        self.tree.setColumnWidth(0, 180)
        self.tree.setUniformRowHeights(True)
        self.tree.setAccessibleName("All fields")
        self.narrative_title = QLabel("Narrative", self)
        box = QVBoxLayout(summary)
        box.addLayout(form)
        box.addWidget(self.narrative_title)
        box.addWidget(self.narrative)
        box.addWidget(QLabel("All fields", self))
        box.addWidget(self.tree, 1)
        self.tabs.addTab(summary, "Summary")
        # JSON tab
        self.json_view = QPlainTextEdit(self)
        self.json_view.setReadOnly(True)
        self.json_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.json_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.json_view.setAccessibleName("FHIR JSON")
        self.tabs.addTab(self.json_view, "FHIR JSON")
        self._stack.addWidget(self.tabs)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._stack)
        self.clear()

    def clear(self, message: str = "Select a record to see its details.") -> None:
        self._empty.setText(message)
        for label in self.fields.values():
            label.clear()
        self.narrative.clear()
        self.tree.clear()
        self.json_view.clear()
        self._stack.setCurrentWidget(self._empty)

    def show_record(self, row: StoredSummary, resource: dict[str, Any]) -> None:
        m = row.summary
        values = {
            "title": m.title, "category": m.category, "resource_type": m.resource_type,
            "date": m.date if local_text(m.date) == m.date else f"{local_text(m.date)} (as written: {m.date})",
            "detail": m.detail, "code": m.code,
            "range": "" if m.low is None and m.high is None else
            f"{'' if m.low is None else f'{m.low:g}'}–{'' if m.high is None else f'{m.high:g}'} {m.unit}".strip(),
        }
        for key, label in self.fields.items():
            label.setText(values.get(key, ""))
        for key in ("range", "code", "detail"):
            self._form.setRowVisible(self.fields[key], bool(values[key]))
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
