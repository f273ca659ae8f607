"""Imported SMART Health Cards: each with a badge (Verified, Unverified, Expired, Revoked),
its issuer, dates and contents, and a QR code when the card fits one (version 22).

Cards are checked again each time the view loads (trust and expiry change over time):
:meth:`UnlockedWallet.health_cards` on a worker thread, which also draws the QR codes
with segno into PNG bytes in memory; the GUI thread only turns those into pixmaps.
Issuer names and URLs come from the cards, so they are shown as plain text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPixmap
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..events import CancelToken, ProgressSink
from ..services import UnlockedWallet
from .badges import PillLabel, hint_label, paint_pill
from .plain_text import plain_label, safe_tooltip
from .table_model import Index, RowsTableModel
from .workers import JobRunner, retire_runner

if TYPE_CHECKING:
    from ..services import HealthCard

__all__ = [
    "EMPTY_CARDS_TEXT",
    "Badge",
    "CardRow",
    "CardsModel",
    "CardsView",
    "ToneRole",
    "badge_for",
    "card_rows",
    "qr_png",
]

EMPTY_CARDS_TEXT = "No SMART Health Cards yet. Import a .smart-health-card file or its QR text (Ctrl+I)."
ToneRole = Qt.ItemDataRole.UserRole + 11


@dataclass(frozen=True)
class Badge:
    text: str
    tone: str
    explanation: str


def badge_for(card: HealthCard) -> Badge:
    """The badge of a checked card. An unknown issuer comes first: an unverified card's
    dates say nothing trustworthy."""
    if not card.verified:
        return Badge("Unverified", "warn", "The issuer is not in your trusted list, so who made the card is not "
                     "confirmed; the card is intact (its signature matches its key and nothing was changed).")
    if card.revoked:
        return Badge("Revoked", "bad", "The issuer has revoked this card.")
    if card.expired:
        return Badge("Expired", "muted", "Signed by a trusted issuer, but past its expiry date.")
    return Badge("Verified", "good", "Signed by a trusted issuer and not changed since.")


def qr_png(jws: str, *, scale: int = 3) -> bytes | None:
    """The card as one QR code (PNG bytes), or ``None`` when it is too large for version 22."""
    from ..services.cards import card_qr_png

    return card_qr_png(jws, scale=scale)


def _date(when: datetime | None) -> str:
    return when.strftime("%Y-%m-%d") if when is not None else ""


def _contents(bundle: dict[str, Any]) -> str:
    counts = Counter(str(e["resource"].get("resourceType")) for e in bundle.get("entry", [])
                     if isinstance(e, dict) and isinstance(e.get("resource"), dict))
    return ", ".join(f"{n} {t}" if n > 1 else t for t, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _patient(bundle: dict[str, Any]) -> str:
    for entry in bundle.get("entry", []):
        res = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(res, dict) and res.get("resourceType") == "Patient":
            for name in res.get("name") or []:
                if isinstance(name, dict):
                    text = name.get("text") or " ".join([*map(str, name.get("given") or []),
                                                         str(name.get("family") or "")]).strip()
                    if text:
                        return str(text)
    return ""


@dataclass(frozen=True)
class CardRow:
    """What the view shows of one card (all text from the card is untrusted)."""

    badge: Badge
    issuer: str  # the trusted name, or the card's own "iss" when unverified
    issuer_url: str
    issued: str
    expires: str
    contents: str
    patient: str
    kinds: str  # the card's vc.type beyond the health-card type, e.g. immunization
    qr: bytes | None = field(default=None, repr=False)


def card_rows(cards: Sequence[HealthCard], *, with_qr: bool = True) -> list[CardRow]:
    rows = []
    for card in cards:
        kinds = ", ".join(t.rsplit("#", 1)[-1] for t in card.types if not t.endswith("#health-card"))
        rows.append(CardRow(
            badge=badge_for(card),
            issuer=(card.issuer_name or card.issuer) if card.verified else card.issuer,
            issuer_url=card.issuer,
            issued=_date(card.nbf),
            expires=_date(card.exp),
            contents=_contents(card.fhir_bundle),
            patient=_patient(card.fhir_bundle),
            kinds=kinds,
            qr=qr_png(card.jws) if with_qr else None,
        ))
    return rows


# --- the model -------------------------------------------------------------------------


class CardsModel(RowsTableModel):
    """Cards as rows: badge, issuer, issued, contents. Display roles are plain text."""

    HEADERS = COLUMNS = ("Status", "Issuer", "Issued", "Contents")

    def row_at(self, row: int) -> CardRow:
        return self._rows[row]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.item(index)
        if row is None:
            return None
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (row.badge.text, row.issuer, row.issued, row.contents)[col]
        if role == Qt.ItemDataRole.ToolTipRole:
            return safe_tooltip((row.badge.explanation, row.issuer_url, f"Issued {row.issued}"
                                 + (f", expires {row.expires}" if row.expires else ""), row.contents)[col])
        if role == ToneRole:
            return row.badge.tone
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return (row.badge.text, row.issuer, row.issued, row.contents)[col]
        return None


class _BadgeDelegate(QStyledItemDelegate):
    """The status column: the word on its coloured pill."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        tone = index.data(ToneRole)
        text = index.data(Qt.ItemDataRole.DisplayRole)
        if not tone or not text:
            super().paint(painter, option, index)
            return
        # the selection background, without the text
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = option.widget
        style = widget.style() if widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        font = QFont(option.font)
        font.setBold(True)
        paint_pill(painter, option.rect.adjusted(6, 2, -4, -2), str(text), str(tone), font)

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        font = QFont(option.font)
        font.setBold(True)
        metrics = QFontMetrics(font)
        return QSize(metrics.horizontalAdvance(str(index.data() or "")) + 30, metrics.height() + 12)


# --- the view ----------------------------------------------------------------------------


class CardsView(QWidget):
    """The list of cards on the left, the chosen card with its QR code on the right."""

    loaded = Signal(int)  # number of cards, after each load
    failed = Signal(str)

    def __init__(self, wallet: UnlockedWallet | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._wallet: UnlockedWallet | None = None
        self._runner: JobRunner | None = None
        self.loading = False
        self.error = ""
        self.model = CardsModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(0, _BadgeDelegate(self.table))
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setAccessibleName("Health cards")
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(QFontMetrics(self.font()).height() + 14)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.setColumnWidth(1, 240)
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _prev: self._show_card(cur.row()))

        # the chosen card
        detail = QWidget(self)
        self.badge = PillLabel("", "muted", detail)
        self.explanation = plain_label("", detail)
        self.fields: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for key, title in (("issuer", "Issuer"), ("issuer_url", "Issuer address"), ("patient", "For"),
                           ("kinds", "Kind"), ("issued", "Issued"), ("expires", "Expires"), ("contents", "Contents")):
            label = plain_label("", detail)
            self.fields[key] = label
            form.addRow(title, label)
        self.form = form
        self.qr = QLabel(detail)
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.qr.setAccessibleName("QR code of the card")
        self.qr.setMinimumSize(240, 240)
        self.qr_note = hint_label("", detail)
        self.qr_note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        box = QVBoxLayout(detail)
        box.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignLeft)
        box.addWidget(self.explanation)
        box.addLayout(form)
        box.addSpacing(8)
        box.addWidget(self.qr, 1)
        box.addWidget(self.qr_note)
        self.detail = detail

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.table)
        splitter.addWidget(detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)

        self.empty = plain_label(EMPTY_CARDS_TEXT, self, selectable=False)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(splitter)
        self.splitter = splitter
        self.refresh_button = QPushButton("Check again", self)
        self.refresh_button.setToolTip("Check every card again against your trusted issuers and today's date")
        self.refresh_button.clicked.connect(self.refresh)
        self.status = hint_label("", self)
        top = QHBoxLayout()
        top.addWidget(self.status, 1)
        top.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)
        self._show_card(-1)
        if wallet is not None:
            self.set_wallet(wallet)

    def __repr__(self) -> str:
        return f"CardsView(cards={self.model.rowCount()})"

    # --- wallet -----------------------------------------------------------------------

    def set_wallet(self, wallet: UnlockedWallet | None) -> None:
        """Use ``wallet``; its cards are read and checked by :meth:`refresh` (when shown)."""
        self.clear()
        self._wallet = wallet
        self._runner = JobRunner("health-cards", self)

    def clear(self) -> None:
        """Forget the cards and stop the worker (before the wallet locks)."""
        retire_runner(self._runner)
        self._runner = None
        self._wallet = None
        self.loading = False
        self.model.set_rows([])
        self._show_card(-1)
        self.stack.setCurrentWidget(self.empty)

    def refresh(self) -> None:
        if self._wallet is None or self._runner is None or self.loading:
            return
        wallet = self._wallet

        def job(_progress: ProgressSink, _cancel: CancelToken) -> list[CardRow]:
            return card_rows(wallet.health_cards())

        self.loading = True
        self.status.setText("Checking the cards…")
        self._runner.submit(job, on_done=self._loaded, on_failed=self._failed)

    def _loaded(self, rows: list[CardRow]) -> None:
        self.loading = False
        self.error = ""
        self.model.set_rows(rows)
        self.stack.setCurrentWidget(self.splitter if rows else self.empty)
        verified = sum(1 for r in rows if r.badge.text == "Verified")
        self.status.setText(f"{len(rows)} card{'s' if len(rows) != 1 else ''}, {verified} verified. "
                            "Cards are checked against your trusted issuers each time they are shown." if rows else "")
        if rows:
            self.table.selectRow(0)
        self.loaded.emit(len(rows))

    def _failed(self, message: str) -> None:
        self.loading = False
        self.error = message
        self.status.setText(message)
        self.failed.emit(message)

    # --- the chosen card -------------------------------------------------------------

    def select_row(self, row: int) -> None:
        self.table.selectRow(row)

    def _show_card(self, row: int) -> None:
        if not 0 <= row < self.model.rowCount():
            self.badge.hide()
            self.explanation.clear()
            for label in self.fields.values():
                label.clear()
            self.qr.clear()
            self.qr_note.clear()
            return
        card = self.model.row_at(row)
        self.badge.set_status(card.badge.text, card.badge.tone)
        self.badge.show()
        self.explanation.setText(card.badge.explanation)
        values = {"issuer": card.issuer, "issuer_url": card.issuer_url if card.issuer_url != card.issuer else "",
                  "patient": card.patient, "kinds": card.kinds, "issued": card.issued, "expires": card.expires,
                  "contents": card.contents}
        for key, label in self.fields.items():
            label.setText(values[key])
            self.form.setRowVisible(label, bool(values[key]))
        if card.qr is not None:
            pixmap = QPixmap()
            pixmap.loadFromData(card.qr, "PNG")
            self.qr.setPixmap(pixmap)
            self.qr_note.setText("Scan with a SMART Health Card verifier app.")
        else:
            self.qr.clear()
            self.qr_note.setText("This card is too large for one QR code; share its .smart-health-card file instead.")

    @property
    def qr_pixmap(self) -> QPixmap | None:
        pixmap = self.qr.pixmap()
        return pixmap if pixmap is not None and not pixmap.isNull() else None
