"""The overview page: the record at a glance.

Active medications, current conditions, allergies, the latest vital signs and past
conditions, each a short list; choosing a line shows that record in the detail pane.
What goes in each list is decided in the core (:mod:`wallet.services.overview`); this
page only shows it. Lines are record text in item views, which never interpret markup.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QGroupBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ..services import HealthOverview, StoredSummary, local_text

__all__ = ["OverviewView", "overview_line"]

_SECTIONS = (
    ("active_medications", "Active medications", "No active medications."),
    ("current_conditions", "Current conditions", "No current conditions."),
    ("allergies", "Allergies", "No allergies recorded."),
    ("latest_vitals", "Latest vital signs", "No vital signs yet."),
    ("past_conditions", "Past conditions", "No past conditions."),
)
_SHOWN = 12  # lines per section before "and N more"


def overview_line(row: StoredSummary, section: str) -> str:
    """One line of a section: ``Metformin 500 mg — twice a day``, ``Weight: 72.5 kg — 2024-03-10``."""
    m = row.summary
    day = local_text(m.date)[:10] if m.date else ""
    if section == "latest_vitals":
        value = m.value_text or m.detail
        flag = f" ({m.flag_words.lower()})" if m.abnormal else ""
        return f"{m.title}: {value}{flag}" + (f" — {day}" if day else "")
    if section == "active_medications":
        detail = m.detail.removesuffix(m.status).rstrip(", ") if m.status else m.detail
        return m.title + (f" — {detail}" if detail else "") + (f" (since {day})" if day else "")
    if section in ("current_conditions", "past_conditions"):
        return m.title + (f" — since {day}" if day else "")
    if section == "allergies":
        return m.title + (f" — {m.detail}" if m.detail else "")
    return m.title


class OverviewView(QWidget):
    """Emits :attr:`selected` with the :class:`StoredSummary` of a chosen line."""

    selected = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = QLabel("Your record at a glance", self)
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.heading.setFont(font)
        self.status = QLabel(self)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setEnabled(False)
        self.status.setWordWrap(True)
        body = QWidget(self)
        grid = QGridLayout(body)
        grid.setContentsMargins(0, 0, 0, 0)
        self.lists: dict[str, QListWidget] = {}
        self.boxes: dict[str, QGroupBox] = {}
        self._empty_text = {key: empty for key, _title, empty in _SECTIONS}
        for n, (key, title, _empty) in enumerate(_SECTIONS):
            box = QGroupBox(title, body)
            items = QListWidget(box)
            items.setAccessibleName(title)
            items.setWordWrap(True)
            items.setTextElideMode(Qt.TextElideMode.ElideRight)
            items.setFrameShape(QFrame.Shape.NoFrame)
            items.itemActivated.connect(self._chosen)
            items.itemClicked.connect(self._chosen)
            inner = QVBoxLayout(box)
            inner.addWidget(items)
            grid.addWidget(box, n // 2, n % 2)
            self.lists[key] = items
            self.boxes[key] = box
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.status)
        layout.addWidget(scroll, 1)
        self.clear()

    def clear(self, message: str = "") -> None:
        for items in self.lists.values():
            items.clear()
        self.status.setText(message)

    def set_overview(self, overview: HealthOverview) -> None:
        """Show ``overview`` (from ``UnlockedWallet.overview``)."""
        for key, items in self.lists.items():
            items.clear()
            rows: tuple[StoredSummary, ...] = getattr(overview, key)
            for row in rows[:_SHOWN]:
                item = QListWidgetItem(overview_line(row, key), items)
                item.setData(Qt.ItemDataRole.UserRole, row)
                item.setToolTip("")  # item text is plain; no tooltip markup from records
            if len(rows) > _SHOWN:
                more = QListWidgetItem(f"… and {len(rows) - _SHOWN} more (see the category)", items)
                more.setFlags(Qt.ItemFlag.NoItemFlags)
            if not rows:
                empty = QListWidgetItem(self._empty_text[key], items)
                empty.setFlags(Qt.ItemFlag.NoItemFlags)
        n = overview.total
        self.status.setText(f"{n:,} record{'s' if n != 1 else ''} in this profile, insurance and billing included. "
                            "Choose a line to see it; the categories on the left list everything.")

    def _chosen(self, item: QListWidgetItem) -> None:
        row = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(row, StoredSummary):
            self.selected.emit(row)
