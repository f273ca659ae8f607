"""The import bar (progress and Cancel) and the report shown when an import ends."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from ..events import Progress
from ..services import FileOutcome

__all__ = ["ImportBar", "ImportReport", "import_report"]


@dataclass(frozen=True)
class ImportReport:
    """What an import did, in words: a headline and one line per file."""

    ok: bool
    headline: str
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n".join((self.headline, "", *self.lines))


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def import_report(outcomes: Sequence[FileOutcome]) -> ImportReport:
    imported = [o for o in outcomes if o.result is not None]
    refused = [o for o in outcomes if o.error is not None]
    added = sum(o.result.total for o in imported if o.result is not None)
    lines: list[str] = []
    if imported:
        lines.append("Imported:")
        for o in imported:
            r = o.result
            assert r is not None
            bits = [_plural(r.total, "new record")]
            if r.already_held:
                bits.append(f"{r.already_held:,} already in the wallet")
            if r.repeated_in_file:
                bits.append(f"{r.repeated_in_file:,} repeated in the file")
            if r.warnings:
                bits.append(_plural(len(r.warnings), "warning"))
            lines.append(f"  {o.path.name}: {', '.join(bits)}")
            if r.new_profile and r.person:
                lines.append(f"      This wallet now holds the record of {r.person} as its owner."
                             if r.profile == "owner" else f"      New profile '{r.profile}' for {r.person}.")
            elif r.matched_by is not None and r.person:
                lines.append(f"      {r.person} is the profile '{r.profile}' ({r.matched_by.describe()}).")
            lines.extend(f"      {n}" for n in r.notes)
            lines.extend(f"      {w}" for w in r.warnings[:5])
            if len(r.warnings) > 5:
                lines.append(f"      … and {len(r.warnings) - 5} more")
    if refused:
        lines.append("Refused (nothing from these files was saved):")
        for o in refused:
            assert o.error is not None
            lines.append(f"  {o.path.name}: {o.error.user_message}")
    headline = f"Imported {_plural(added, 'record')} from {_plural(len(imported), 'file')}."
    if refused:
        headline += f" {_plural(len(refused), 'file')} refused."
    return ImportReport(not refused, headline, tuple(lines))


class ImportBar(QFrame):
    """Shown while importing: what is happening, a progress bar and Cancel."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel(self)
        self.label.setTextFormat(Qt.TextFormat.PlainText)  # file names are not markup
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.bar.setMaximumWidth(360)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setToolTip("Stop the import; the file being read is not saved")
        self.cancel_button.clicked.connect(self._cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.cancel_button)
        self.hide()

    def start(self, files: int) -> None:
        self.label.setText(f"Importing {_plural(files, 'file')}…")
        self.bar.setRange(0, 0)  # busy until the first progress report
        self.cancel_button.setEnabled(True)
        self.show()

    def update_progress(self, progress: Progress) -> None:
        if progress.message:
            self.label.setText(progress.message + "…")
        if progress.total:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(progress.fraction * 1000))

    def _cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self.label.setText("Cancelling…")
        self.cancel_requested.emit()

    def finish(self) -> None:
        self.hide()
