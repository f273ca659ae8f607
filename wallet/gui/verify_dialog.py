"""The Verify dialog: check an export folder or a ``.smart-health-card`` file, offline.

It needs no wallet: verification reads only the chosen path (an optional
:class:`~wallet.services.WalletContext` adds the wallet's trusted card issuers). The verdict is one
big word — VALID, UNVERIFIED (a card that is intact but whose issuer is not trusted here,
as import says it), INVALID, or NOT CHECKED when an encrypted export's passphrase was not
given — then the reason, the signer and the contents by type. A valid export's records
open read-only in :class:`BundleViewer`; nothing is added to any wallet.

Verification is :func:`wallet.services.verify_path` on a worker thread, once: it returns
the verified records with the verdict (or raises with the reason), so what is shown is
what was verified.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QCloseEvent, QFontDatabase, QFontMetrics
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..errors import VerificationError
from ..events import CancelToken, ProgressSink
from ..services import StoredSummary, Summary, named_within, names_within, summarize, utc_text
from .badges import PillLabel, hint_label, verdict_label
from .detail import DetailPane
from .icon import app_icon
from .models import RecordFilterProxy, RecordTableModel, columns_for
from .plain_text import plain_label
from .single_job import SingleJob

if TYPE_CHECKING:
    from ..services import Verification, WalletContext

__all__ = [
    "BundleViewer",
    "Verdict",
    "VerifyDialog",
    "VerifyOutcome",
    "ask_export_passphrase",
    "ask_for_card_file",
    "ask_for_export_folder",
    "bundle_rows",
    "verdict_for",
    "verify_job",
]

CARD_FILTER = "SMART Health Cards (*.smart-health-card);;All files (*)"


# --- what the verdict says -------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    word: str  # VALID, UNVERIFIED, INVALID, NOT CHECKED
    tone: str
    reason: str

    def __post_init__(self) -> None:
        if self.word not in ("VALID", "UNVERIFIED", "INVALID", "NOT CHECKED"):
            raise ValueError(f"unknown verdict {self.word!r}")


def verdict_for(result: Mapping[str, Any]) -> Verdict:
    """The verdict, in plain words, for what :func:`~wallet.services.verify_path` returned."""
    statuses = list(result.get("status") or [])
    if result.get("valid"):
        if result.get("kind") == "smart-health-card":
            who = result.get("issuer_name") or result.get("signer")
            reason = f"Issued and signed by {who}; the card was not changed."
            if "expired" in statuses:
                reason += " It has expired, so it may no longer be accepted."
        else:
            reason = "Signed by the account below, and nothing in it was changed, added or removed since."
        return Verdict("VALID", "good", reason)
    reason = str(result.get("reason") or "")
    if result.get("needs_passphrase"):
        return Verdict("NOT CHECKED", "muted", reason or "This export is encrypted; its passphrase is needed.")
    if "revoked" in statuses:
        reason = "The issuer has revoked this card."
    elif "unverified" in statuses or reason == "the issuer is not in the trusted list":
        # as import says it: the card is intact, only its issuer is unknown (INVALID is for a changed card)
        return Verdict("UNVERIFIED", "warn", "The card is intact (its signature matches its key), but its issuer "
                       "is not one this wallet trusts. Trust the issuer in Settings ▸ Card issuers if you know it.")
    return Verdict("INVALID", "bad", reason or "It could not be verified.")


@dataclass(frozen=True)
class VerifyOutcome:
    path: Path
    result: Mapping[str, Any]
    resources: Sequence[dict[str, Any]] = field(default=(), repr=False)
    rows: Sequence[StoredSummary] = field(default=(), repr=False)  # summaries of ``resources``, newest first

    @property
    def verdict(self) -> Verdict:
        return verdict_for(self.result)


def result_fields(result: Verification) -> dict[str, Any]:
    """What the dialog shows of a verified path, by field (the keys :func:`verdict_for` reads)."""
    from ..services import VerifiedCardFile

    if isinstance(result, VerifiedCardFile):
        return {"valid": True, "kind": result.kind, "signer": result.signer, "issuer_name": result.issuer_name,
                "status": list(result.status), "resources": dict(result.resources)}
    return {"valid": True, "kind": result.kind, "signer": result.signer,
            "signed_at": result.signed_at.isoformat() if result.signed_at else None,
            "encrypted": result.encrypted, "sha256": result.sha256, "resources": dict(result.resources)}


def error_fields(error: VerificationError) -> dict[str, Any]:
    """What the dialog shows of a path that did not verify."""
    from ..services import CardVerificationError

    fields: dict[str, Any] = {"valid": False, "reason": error.reason}
    if error.needs_passphrase:
        fields.update(needs_passphrase=True, encrypted=True)
    if isinstance(error, CardVerificationError):
        fields.update({k: v for k, v in result_fields(error.card).items() if k != "valid"})
    return fields


def verify_job(path: Path, *, app: WalletContext | None = None,
               passphrase: str | None = None) -> Callable[[ProgressSink, CancelToken], VerifyOutcome]:
    """A worker job: the verdict, and for a valid path the records it verified."""

    def run(_progress: ProgressSink, _cancel: CancelToken) -> VerifyOutcome:
        from ..services import verify_path

        target = Path(path)
        try:
            result = verify_path(target, app=app, passphrase=None if passphrase is None else (lambda: passphrase))
        except VerificationError as exc:
            return VerifyOutcome(target, error_fields(exc))
        resources = list(result.fhir_resources)
        return VerifyOutcome(target, result_fields(result), resources, bundle_rows(resources))

    return run


# --- pickers (replaced in tests) -------------------------------------------------------


def ask_for_export_folder(parent: QWidget | None, start: str) -> Path | None:
    chosen = QFileDialog.getExistingDirectory(parent, "Choose the export folder (health-export-…)", start)
    return Path(chosen) if chosen else None


def ask_for_card_file(parent: QWidget | None, start: str) -> Path | None:
    chosen, _ = QFileDialog.getOpenFileName(parent, "Choose a SMART Health Card file", start, CARD_FILTER)
    return Path(chosen) if chosen else None


def ask_export_passphrase(parent: QWidget | None, folder: Path) -> str | None:
    text, ok = QInputDialog.getText(parent, "Encrypted export",
                                    f"{folder.name} is encrypted. Its passphrase (not your wallet's):",
                                    QLineEdit.EchoMode.Password)
    return text if ok and text else None


# --- the dialog ----------------------------------------------------------------------------


class VerifyDialog(QDialog):
    """Emits :attr:`verified` with a :class:`VerifyOutcome`."""

    verified = Signal(object)

    def __init__(self, app: WalletContext | None = None, *, path: Path | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.outcome: VerifyOutcome | None = None
        self.viewer: BundleViewer | None = None
        self._job = SingleJob("verify", self)
        self.setWindowTitle("Verify an export — Health Wallet")
        self.setWindowIcon(app_icon())
        self.setMinimumWidth(620)

        intro = hint_label("Check a signed export folder or a SMART Health Card file. This works offline and "
                           "needs no wallet: nothing is sent anywhere and nothing is imported.", self)
        self.folder_button = QPushButton("Choose an export folder…", self)
        self.folder_button.clicked.connect(self.choose_folder)
        self.card_button = QPushButton("Choose a card file…", self)
        self.card_button.clicked.connect(self.choose_card)
        pick = QHBoxLayout()
        pick.addWidget(self.folder_button)
        pick.addWidget(self.card_button)
        pick.addStretch(1)
        self.path_label = plain_label("", self)
        self.path_label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))

        self.verdict = verdict_label(self)
        self.verdict.hide()
        self.reason = plain_label("", self)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.fields: dict[str, QLabel] = {}
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for key, title in (("kind", "What"), ("signer", "Signed by"), ("signed_at", "Signed on"),
                           ("encrypted", "Encrypted"), ("sha256", "Manifest SHA-256"), ("status", "Card status")):
            label = plain_label("", self)
            if key in ("signer", "sha256"):
                label.setFont(mono)
            self.fields[key] = label
            self.form.addRow(title, label)
        self.contents = QTreeWidget(self)
        self.contents.setHeaderLabels(["Contents", "Count"])
        self.contents.setRootIsDecorated(False)
        self.contents.setAccessibleName("Contents by type")
        self.contents.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.contents.header().setStretchLastSection(False)
        self.open_button = QPushButton("Open the records (read-only)…", self)
        self.open_button.clicked.connect(self.open_records)
        close = QPushButton("Close", self)
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        buttons.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(pick)
        layout.addWidget(self.path_label)
        layout.addSpacing(8)
        layout.addWidget(self.verdict, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.reason)
        layout.addLayout(self.form)
        layout.addWidget(self.contents, 10)
        layout.addStretch(1)  # takes the room when there are no contents to list
        layout.addLayout(buttons)
        self._show(None)
        if path is not None:
            self.verify(Path(path))

    def __repr__(self) -> str:
        return f"VerifyDialog(verdict={self.outcome.verdict.word if self.outcome else None})"

    # --- choosing -------------------------------------------------------------------------

    def _start_dir(self) -> str:
        return str(self.outcome.path.parent) if self.outcome is not None else str(Path.home())

    def choose_folder(self) -> None:
        folder = ask_for_export_folder(self, self._start_dir())
        if folder is not None:
            self.verify(folder)

    def choose_card(self) -> None:
        card = ask_for_card_file(self, self._start_dir())
        if card is not None:
            self.verify(card)

    @property
    def busy(self) -> bool:
        return self._job.running

    def verify(self, path: Path) -> None:
        """Check ``path``; an encrypted export asks for its passphrase first."""
        if self.busy:
            return
        path = Path(path)
        passphrase = None
        if path.is_dir() and _is_encrypted(path):
            passphrase = ask_export_passphrase(self, path)
        self.path_label.setText(str(path))
        self.verdict.set_status("Checking…", "muted")
        self.verdict.show()
        self.reason.setText("")
        self.folder_button.setEnabled(False)
        self.card_button.setEnabled(False)
        self.open_button.setEnabled(False)
        self._job.start(verify_job(path, app=self.app, passphrase=passphrase), on_done=self._done,
                        on_failed=lambda m: self._failed(path, m))

    def _done(self, outcome: VerifyOutcome) -> None:
        self.outcome = outcome
        self._show(outcome)
        self.verified.emit(outcome)

    def _failed(self, path: Path, message: str) -> None:
        self._done(VerifyOutcome(path, {"valid": False, "reason": message}))

    # --- showing ---------------------------------------------------------------------------

    def _show(self, outcome: VerifyOutcome | None) -> None:
        self.folder_button.setEnabled(True)
        self.card_button.setEnabled(True)
        self.contents.clear()
        for label in self.fields.values():
            label.clear()
        if outcome is None:
            self.verdict.hide()
            self.reason.setText("")
            self.open_button.setEnabled(False)
            for label in self.fields.values():
                self.form.setRowVisible(label, False)
            self.contents.hide()
            return
        verdict = outcome.verdict
        result = outcome.result
        self.verdict.set_status(verdict.word, verdict.tone)
        self.verdict.show()
        self.reason.setText(verdict.reason)
        card = result.get("kind") == "smart-health-card"
        values = {
            "kind": ("SMART Health Card file" if card else "Signed export folder") if result.get("kind") else "",
            "signer": (f"{result.get('issuer_name')} ({result.get('signer')})" if card and result.get("issuer_name")
                       else str(result.get("signer") or "")),
            "signed_at": str(result.get("signed_at") or "").replace("T", " ").replace("+00:00", " UTC"),
            "encrypted": ("Yes" if result.get("encrypted") else "No") if "encrypted" in result else "",
            "sha256": str(result.get("sha256") or ""),
            "status": ", ".join(result.get("status") or []),
        }
        for key, label in self.fields.items():
            label.setText(values[key])
            self.form.setRowVisible(label, bool(values[key]))
        counts: Mapping[str, int] = result.get("resources") or {}
        for rtype, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            item = QTreeWidgetItem([str(rtype), f"{n:,}"])
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.contents.addTopLevelItem(item)
        if counts:
            total = QTreeWidgetItem(["All records", f"{sum(counts.values()):,}"])
            total.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            font = total.font(0)
            font.setBold(True)
            total.setFont(0, font)
            total.setFont(1, font)
            self.contents.addTopLevelItem(total)
        self.contents.setVisible(bool(counts))
        self.open_button.setEnabled(bool(outcome.resources))

    def open_records(self) -> None:
        if self.outcome is None or not self.outcome.resources:
            return
        if self.viewer is not None:
            self.viewer.close()
        title = self.outcome.path.name
        self.viewer = BundleViewer(self.outcome.resources, rows=self.outcome.rows, title=title,
                                   signer=str(self.outcome.result.get("signer")), parent=self)
        self.viewer.show()

    # --- closing ---------------------------------------------------------------------------

    def shutdown(self) -> None:
        self._job.stop()

    def done(self, code: int) -> None:
        if self.viewer is not None:
            self.viewer.close()
        self.shutdown()
        super().done(code)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)


def _is_encrypted(path: Path) -> bool:
    from ..services import is_encrypted_export

    return is_encrypted_export(path)


# --- the read-only viewer ---------------------------------------------------------------


def _summary(resource: dict[str, Any]) -> Summary:
    try:
        return summarize(resource)
    except (ValueError, TypeError, KeyError, AttributeError):  # odd content still gets a row
        return Summary(str(resource.get("resourceType") or "Resource"), "Other", str(resource.get("resourceType")))


def bundle_rows(resources: Sequence[dict[str, Any]]) -> list[StoredSummary]:
    """One row per resource, newest first; the row id is the resource's position."""
    try:
        summaries = named_within(resources)  # a medication named by reference, a bare code named elsewhere
    except (ValueError, TypeError, KeyError, AttributeError):
        summaries = [_summary(res) for res in resources]
    rows = [StoredSummary(str(n), s) for n, s in enumerate(summaries)]
    rows.sort(key=lambda r: utc_text(r.summary.date), reverse=True)  # by instant
    return rows


class BundleViewer(QDialog):
    """Verified records, shown read-only: a filterable table of summaries and each
    record's fields and JSON. Nothing here writes anywhere."""

    def __init__(self, resources: Sequence[dict[str, Any]], *, rows: Sequence[StoredSummary] | None = None,
                 title: str = "", signer: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.resources = list(resources)
        self._names: dict[str, str] | None = None
        self.setWindowTitle(f"{title or 'Records'} — read-only")
        self.setWindowIcon(app_icon())
        self.resize(1100, 680)
        rows = list(rows) if rows is not None else bundle_rows(self.resources)

        def page(limit: int, offset: int) -> list[StoredSummary]:
            return rows[offset:offset + limit] if limit >= 0 else rows[offset:]

        self.model = RecordTableModel(page, len(rows), columns=columns_for(None), page_size=max(1, len(rows)),
                                      parent=self)
        self.model.fetch_all()
        self.proxy = RecordFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.setSortingEnabled(True)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setAccessibleName("Records in the export")
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(QFontMetrics(self.font()).height() + 8)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setColumnWidth(0, 92)
        self.table.setColumnWidth(1, 150)
        self.table.setColumnWidth(2, 230)
        self.table.selectionModel().currentRowChanged.connect(self._on_row)
        self.detail = DetailPane(self)
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText("Filter these records")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self.proxy.set_filter_text)
        banner_pill = PillLabel("Read-only", "muted", self)
        banner = hint_label(f"{len(rows):,} records from this export{f', signed by {signer}' if signer else ''}. "
                            "They are shown, not added to your wallet.", self)
        top = QHBoxLayout()
        top.addWidget(banner_pill)
        top.addWidget(banner, 1)
        top.addWidget(self.filter_edit)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setSizes([620, 480])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        if rows:
            self.table.selectRow(0)

    def select_row(self, row: int) -> None:
        self.table.selectRow(row)

    def _on_row(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            self.detail.clear()
            return
        row = self.model.summary_at(self.proxy.mapToSource(current).row())
        if self._names is None:  # references between the records, by name (read once, on first use)
            self._names = names_within(self.resources)
        self.detail.show_record(row, self.resources[int(row.id)], self._names)

    def json_text(self) -> str:
        return self.detail.json_view.toPlainText()

