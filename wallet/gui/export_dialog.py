"""The Export dialog: a signed export of chosen records onto a USB stick.

Choose what (everything, some categories, or the records selected in the window),
choose where (the removable drives mounted now, or any folder), see the size needed
against the free space before anything is written, optionally seal the export with a
passphrase typed twice, then watch it being written, read back and verified. The last
page names the folder, the signer and the manifest's SHA-256 and says the drive can be
removed.

Drives come from a ``volumes`` callable (default :func:`removable_volumes`, over Qt's
``QStorageInfo.mountedVolumes()``), so tests and other platforms can pass their own.
The writing itself is :func:`wallet.services.export_records` on a worker thread.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from PySide6.QtCore import QStorageInfo, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QCloseEvent, QDesktopServices, QFontDatabase
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from ..events import CancelToken, Progress, ProgressSink
from ..services import CATEGORIES, UnlockedWallet, fhir_json_text, shown_category
from .badges import PillLabel, hint_label
from .icon import app_icon
from .plain_text import plain_label
from .progress import show_progress
from .single_job import SingleJob
from .sizes import human_bytes
from .theme import set_text_tone

if TYPE_CHECKING:
    from ..services import ExportResult

__all__ = [
    "MIN_EXPORT_PASSPHRASE",
    "SAFE_TO_REMOVE",
    "ExportDialog",
    "RecordSizes",
    "Volume",
    "ask_for_folder",
    "estimate_bytes",
    "removable_volumes",
    "space_text",
    "volume_for_folder",
]

MIN_EXPORT_PASSPHRASE = 8  # the sealing layer refuses shorter ones
SAFE_TO_REMOVE = "It is now safe to remove the drive."
NOT_EXPORTED_TYPES = ("AuditEvent", "Consent")  # the wallet's own notes stay in the wallet
GROWTH = 1.3  # the bundle's entries, signature and pretty names around each record's JSON
OVERHEAD = 128 * 1024  # provenance, how-to, manifest, its signature, block rounding, the drive's slack
REMOVABLE_ROOTS = ("/media", "/run/media", "/mnt", "/Volumes")
_PSEUDO_FS = {"tmpfs", "devtmpfs", "overlay", "squashfs", "proc", "sysfs", "autofs", "ramfs", "nsfs", "fuse.portal",
              "efivarfs", "cgroup", "cgroup2", "devpts", "tracefs", "debugfs"}
_REFRESH_MS = 3000


# --- drives -------------------------------------------------------------------------


@dataclass(frozen=True)
class Volume:
    """A mounted drive (or a folder) the export can go to."""

    path: str
    name: str
    free: int
    total: int = 0
    read_only: bool = False
    ready: bool = True
    is_root: bool = False
    fs_type: str = ""
    removable: bool = True  # False for a folder chosen by hand

    def __post_init__(self) -> None:
        if not self.path:
            raise ValueError("a volume has a path")
        if self.free < 0 or self.total < 0:
            raise ValueError("sizes are not negative")

    @property
    def label(self) -> str:
        """One line for the list: name, free space, where."""
        of = f" of {human_bytes(self.total)}" if self.total else ""
        return f"{self.name} — {human_bytes(self.free)} free{of}"


def _from_storage(info: QStorageInfo, *, removable: bool = True) -> Volume:
    root = info.rootPath()
    name = info.name() or info.displayName() or PurePath(root).name or root
    return Volume(path=root, name=name, free=max(0, info.bytesAvailable()), total=max(0, info.bytesTotal()),
                  read_only=info.isReadOnly(), ready=info.isReady(), is_root=info.isRoot(),
                  fs_type=bytes(info.fileSystemType().data()).decode("ascii", "replace"), removable=removable)


def looks_removable(volume: Volume, *, platform: str = sys.platform, system_drive: str | None = None) -> bool:
    """Ready, writable, not the system disk, and mounted where removable drives go."""
    if not volume.ready or volume.read_only or volume.is_root or volume.fs_type in _PSEUDO_FS:
        return False
    if platform.startswith("win"):
        drive = (system_drive or os.environ.get("SYSTEMDRIVE", "C:")).rstrip("\\/").upper()
        return not volume.path.upper().startswith(drive)
    path = volume.path.rstrip("/")
    return any(path.startswith(root + "/") for root in REMOVABLE_ROOTS)


def removable_volumes() -> list[Volume]:
    """The removable drives mounted now (what ``QStorageInfo.mountedVolumes()`` lists)."""
    volumes = [_from_storage(info) for info in QStorageInfo.mountedVolumes()]
    return sorted((v for v in volumes if looks_removable(v)), key=lambda v: (v.name.casefold(), v.path))


def volume_for_folder(folder: Path) -> Volume:
    """A hand-picked folder, with the free space of the drive it is on."""
    info = QStorageInfo(str(folder))
    return Volume(path=str(folder), name=Path(folder).name or str(folder), free=max(0, info.bytesAvailable()),
                  total=max(0, info.bytesTotal()), read_only=info.isReadOnly(), ready=info.isReady(),
                  fs_type=bytes(info.fileSystemType().data()).decode("ascii", "replace"), removable=False)


def ask_for_folder(parent: QWidget | None, title: str, start: str) -> Path | None:
    """The folder picker (replaced in tests)."""
    chosen = QFileDialog.getExistingDirectory(parent, title, start)
    return Path(chosen) if chosen else None


# --- size -------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordSizes:
    """Exportable records (id → (category, JSON bytes)) and the imported cards' sizes."""

    records: Mapping[str, tuple[str, int]] = field(default_factory=dict)
    card_bytes: int = 0
    cards: int = 0

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(CATEGORIES, 0)
        for category, _size in self.records.values():
            out[category] = out.get(category, 0) + 1
        return out

    def chosen(self, *, ids: Sequence[str] = (), categories: Sequence[str] = ()) -> tuple[int, int]:
        """(records, JSON bytes) of a choice; nothing chosen means everything."""
        if ids:
            rows = [self.records[i] for i in ids if i in self.records]
        elif categories:
            wanted = set(categories)
            rows = [r for r in self.records.values() if r[0] in wanted]
        else:
            rows = list(self.records.values())
        return len(rows), sum(size for _cat, size in rows)


def measure_records(wallet: UnlockedWallet, *, cancel: CancelToken | None = None) -> RecordSizes:
    """Read every record once (on a worker) for its category and JSON size."""
    records: dict[str, tuple[str, int]] = {}
    for n, row in enumerate(wallet.summaries()):
        if cancel is not None and n % 200 == 0:
            cancel.check()
        if row.summary.resource_type in NOT_EXPORTED_TYPES:
            continue
        size = len(fhir_json_text(wallet.record(row.id)).encode())
        records[row.id] = (shown_category(row.summary), size)  # as the window counts it
    cards = [data for data, _cards in wallet.card_files()]  # the shown profile's cards
    return RecordSizes(records, sum(len(c) for c in cards), len(cards))


def estimate_bytes(json_bytes: int, card_bytes: int = 0) -> int:
    """What the export will take on the drive: the records' JSON × 1.3, the cards, the rest."""
    return int(json_bytes * GROWTH) + card_bytes + OVERHEAD


def space_text(needed: int, volume: Volume | None) -> tuple[str, bool]:
    """The line shown before writing, and whether the export fits."""
    if volume is None:
        return f"Needs about {human_bytes(needed)}. Choose a drive or a folder.", False
    if volume.read_only:
        return f"{volume.name} is read-only; choose another drive.", False
    fits = volume.free >= needed
    text = f"Needs about {human_bytes(needed)}; {human_bytes(volume.free)} free on {volume.name}."
    if not fits:
        text += " Not enough space: free some space or choose another drive."
    return text, fits


# --- the dialog -------------------------------------------------------------------------


class ExportDialog(QDialog):
    """Emits :attr:`exported` with the :class:`~wallet.share.export.ExportResult`."""

    exported = Signal(object)

    PAGE_CHOOSE, PAGE_WRITING, PAGE_DONE = range(3)

    def __init__(self, wallet: UnlockedWallet, *, ids: Sequence[str] = (),
                 volumes: Callable[[], list[Volume]] = removable_volumes, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.wallet = wallet
        self.ids = tuple(ids)
        self._list_volumes = volumes
        self._job = SingleJob("export", self)  # measuring, then writing; no thread when idle
        self._sizes: RecordSizes | None = None
        self._folder: Path | None = None  # a folder picked by hand
        self._scan = SingleJob("drives", self)
        self._rescan = False
        self._select: str | None = None
        self._volumes: list[Volume] = []
        self.result: ExportResult | None = None  # type: ignore[assignment]  # shadows QDialog.result(); kept for callers
        self.error = ""
        self.setWindowTitle("Export records — Health Wallet")
        self.setWindowIcon(app_icon())
        self.setMinimumWidth(640)

        self.pages = QStackedWidget(self)
        self.pages.addWidget(self._build_choose())
        self.pages.addWidget(self._build_writing())
        self.pages.addWidget(self._build_done())
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)

        self._timer = QTimer(self)
        self._timer.setInterval(_REFRESH_MS)
        self._timer.timeout.connect(self.refresh_volumes)
        self._timer.start()
        self.refresh_volumes()
        self._start_measuring()
        self._update()

    def __repr__(self) -> str:
        return f"ExportDialog(page={self.pages.currentIndex()})"

    # --- construction -----------------------------------------------------------------

    def _build_choose(self) -> QWidget:
        page = QWidget(self)
        # what
        what = QGroupBox("What to export", page)
        self.everything = QRadioButton("Everything", what)
        self.some = QRadioButton("Only these categories:", what)
        self.selected = QRadioButton(f"The {len(self.ids):,} records selected in the window", what)
        self.selected.setVisible(bool(self.ids))
        group = QButtonGroup(self)
        for button in (self.everything, self.some, self.selected):
            group.addButton(button)
            button.toggled.connect(self._update)
        (self.selected if self.ids else self.everything).setChecked(True)
        self.categories = QListWidget(what)
        self.categories.setAccessibleName("Categories to export")
        self.categories.setMaximumHeight(150)
        counts = self.wallet.counts_by_category()
        for name in CATEGORIES:
            item = QListWidgetItem(name, self.categories)
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setCheckState(Qt.CheckState.Unchecked)
            self._set_count(item, counts.get(name, 0))
        self.categories.itemChanged.connect(self._update)
        self.cards_note = hint_label("", what)
        box = QVBoxLayout(what)
        box.addWidget(self.selected)
        box.addWidget(self.everything)
        box.addWidget(self.cards_note)
        box.addWidget(self.some)
        box.addWidget(self.categories)

        # where
        where = QGroupBox("Where to write it", page)
        self.volume_list = QListWidget(where)
        self.volume_list.setAccessibleName("Drives")
        self.volume_list.setMaximumHeight(120)
        self.volume_list.currentRowChanged.connect(self._update)
        self.no_drive = hint_label("No removable drive found. Plug in a USB stick, or choose a folder.", where)
        self.folder_button = QPushButton("Choose a folder…", where)
        self.folder_button.setToolTip("Write the export into any folder, e.g. on a drive not listed here")
        self.folder_button.clicked.connect(self.choose_folder)
        self.rescan_button = QPushButton("Look for drives again", where)
        self.rescan_button.clicked.connect(self.refresh_volumes)
        buttons = QHBoxLayout()
        buttons.addWidget(self.folder_button)
        buttons.addWidget(self.rescan_button)
        buttons.addStretch(1)
        box = QVBoxLayout(where)
        box.addWidget(self.volume_list)
        box.addWidget(self.no_drive)
        box.addLayout(buttons)

        # protection
        protect = QGroupBox("Protection", page)
        self.encrypt = QCheckBox("Encrypt the export with a passphrase", protect)
        self.encrypt.toggled.connect(self._update)
        self.first = QLineEdit(protect)
        self.first.setEchoMode(QLineEdit.EchoMode.Password)
        self.first.setAccessibleName("Export passphrase")
        self.second = QLineEdit(protect)
        self.second.setEchoMode(QLineEdit.EchoMode.Password)
        self.second.setAccessibleName("Repeat the export passphrase")
        self.first.textChanged.connect(self._update)
        self.second.textChanged.connect(self._update)
        self.match = plain_label("", protect, selectable=False)
        hint = hint_label("Whoever opens or verifies the export needs this passphrase; it is not your wallet's. "
                          "Without it, anyone holding the drive can read the records.", protect)
        self.passphrase_form = QWidget(protect)
        form = QFormLayout(self.passphrase_form)
        form.setContentsMargins(18, 0, 0, 0)
        form.addRow("Passphrase", self.first)
        form.addRow("Repeat it", self.second)
        form.addRow("", self.match)
        box = QVBoxLayout(protect)
        box.addWidget(self.encrypt)
        box.addWidget(self.passphrase_form)
        box.addWidget(hint)

        # size and go
        self.space = plain_label("", page)
        self.space.setAccessibleName("Space needed")
        self.space_pill = PillLabel("", "muted", page)
        self.problem = plain_label("", page)
        set_text_tone(self.problem, "error")
        self.problem.hide()
        self.export_button = QPushButton("Export", page)
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.start_export)
        close = QPushButton("Cancel", page)
        close.clicked.connect(self.reject)
        space_row = QHBoxLayout()
        space_row.addWidget(self.space_pill)
        space_row.addWidget(self.space, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(close)
        row.addWidget(self.export_button)

        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(what)
        layout.addWidget(where)
        layout.addWidget(protect)
        layout.addLayout(space_row)
        layout.addWidget(self.problem)
        layout.addLayout(row)
        return page

    def _build_writing(self) -> QWidget:
        page = QWidget(self)
        self.writing_title = plain_label("Writing the export…", page)
        font = self.writing_title.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.writing_title.setFont(font)
        self.step = plain_label("", page)
        self.bar = QProgressBar(page)
        self.bar.setRange(0, 0)
        self.bar.setTextVisible(False)
        note = hint_label("Do not remove the drive: the export is written, then read back and checked.", page)
        self.stop_button = QPushButton("Stop", page)
        self.stop_button.setToolTip("Stop the export; what was written is removed")
        self.stop_button.clicked.connect(self.cancel_export)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.stop_button)
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        layout.addWidget(self.writing_title)
        layout.addWidget(self.bar)
        layout.addWidget(self.step)
        layout.addWidget(note)
        layout.addStretch(2)
        layout.addLayout(row)
        return page

    def _build_done(self) -> QWidget:
        page = QWidget(self)
        self.done_pill = PillLabel("Written and verified", "good", page)
        self.safe = plain_label(SAFE_TO_REMOVE, page)
        font = self.safe.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.safe.setFont(font)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.done_fields: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for key, title in (("path", "Folder"), ("records", "Records"), ("signer", "Signed by"),
                           ("sha256", "Manifest SHA-256"), ("encrypted", "Encrypted")):
            label = plain_label("", page)
            if key in ("signer", "sha256", "path"):
                label.setFont(mono)
            self.done_fields[key] = label
            form.addRow(title, label)
        explain = hint_label("Anyone can check this export offline with Health Wallet (File > Verify an export) "
                             "or by following HOW-TO-VERIFY.txt in the folder. The SHA-256 above names this exact "
                             "export: note it if you want to tell it apart from others later.", page)
        self.open_button = QPushButton("Open the folder", page)
        self.open_button.clicked.connect(self._open_folder)
        close = QPushButton("Close", page)
        close.setDefault(True)
        close.clicked.connect(self.accept)
        row = QHBoxLayout()
        row.addWidget(self.open_button)
        row.addStretch(1)
        row.addWidget(close)
        layout = QVBoxLayout(page)
        layout.addWidget(self.done_pill, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addSpacing(6)
        layout.addWidget(self.safe)
        layout.addSpacing(10)
        layout.addLayout(form)
        layout.addSpacing(8)
        layout.addWidget(explain)
        layout.addStretch(1)
        layout.addLayout(row)
        return page

    @staticmethod
    def _set_count(item: QListWidgetItem, count: int) -> None:
        item.setText(f"{item.data(Qt.ItemDataRole.UserRole)} ({count:,})")
        flags = Qt.ItemFlag.ItemIsUserCheckable | (Qt.ItemFlag.ItemIsEnabled if count else Qt.ItemFlag.NoItemFlags)
        item.setFlags(flags)  # an empty category cannot be chosen
        if not count:
            item.setCheckState(Qt.CheckState.Unchecked)

    # --- drives -----------------------------------------------------------------------

    def refresh_volumes(self, *, select: str | None = None) -> None:
        """Look for drives again, on a worker (a slow or hung mount never freezes the
        window); a drive plugged in appears within seconds. Keeps the chosen one, or
        chooses ``select`` (a path) once it is listed."""
        if select is not None:
            self._select = select
        if self.pages.currentIndex() != self.PAGE_CHOOSE:
            return
        if self._scan.running:
            self._rescan = True  # once this scan ends
            return
        self._rescan = False
        listing, folder = self._list_volumes, self._folder

        def job(_progress: ProgressSink, _cancel: CancelToken) -> list[Volume]:
            volumes = list(listing())
            if folder is not None and folder.is_dir():  # a folder on a drive pulled out is not offered
                volumes.append(volume_for_folder(folder))
            return volumes

        self._scan.start(job, on_done=self._show_volumes, on_failed=self._show_problem)

    @property
    def scanning(self) -> bool:
        return self._scan.running or self._rescan

    def _show_volumes(self, volumes: list[Volume]) -> None:
        if self._rescan:
            self.refresh_volumes()
        select, self._select = self._select, None
        current = select or (self.destination.path if self.destination is not None else None)
        if volumes != self._volumes:
            self._volumes = volumes
            self.volume_list.blockSignals(True)
            self.volume_list.clear()
            icon_drive = self.style().standardIcon(QStyle.StandardPixmap.SP_DriveHDIcon)
            icon_folder = self.style().standardIcon(QStyle.StandardPixmap.SP_DirIcon)
            for volume in volumes:
                text = (f"{volume.label}\n{volume.path}" if volume.removable else
                        f"Folder {volume.path}\n{human_bytes(volume.free)} free on its drive")
                item = QListWidgetItem(icon_drive if volume.removable else icon_folder, text, self.volume_list)
                item.setToolTip(volume.path)
            self.volume_list.blockSignals(False)
        row = next((n for n, v in enumerate(volumes) if v.path == current), 0 if volumes else -1)
        if row != self.volume_list.currentRow():
            self.volume_list.setCurrentRow(row)
        self.no_drive.setVisible(not any(v.removable for v in volumes))
        self._update()

    @property
    def destination(self) -> Volume | None:
        row = self.volume_list.currentRow()
        return self._volumes[row] if 0 <= row < len(self._volumes) else None

    def choose_folder(self) -> None:
        start = self.destination.path if self.destination is not None else str(Path.home())
        folder = ask_for_folder(self, "Choose where to write the export", start)
        if folder is None:
            return
        self._folder = Path(folder)
        self.refresh_volumes(select=str(folder))

    # --- the choice -------------------------------------------------------------------

    def chosen_categories(self) -> list[str]:
        return [self.categories.item(n).data(Qt.ItemDataRole.UserRole) for n in range(self.categories.count())
                if self.categories.item(n).checkState() == Qt.CheckState.Checked]

    def choice(self) -> dict[str, list[str]]:
        """The keyword arguments for ``export_records``: ids, categories, or nothing (everything)."""
        if self.selected.isChecked() and self.ids:
            return {"ids": list(self.ids)}
        if self.some.isChecked():
            return {"categories": self.chosen_categories()}
        return {}

    @property
    def needed_bytes(self) -> int | None:
        if self._sizes is None:
            return None
        choice = self.choice()
        _n, json_bytes = self._sizes.chosen(ids=choice.get("ids", ()), categories=choice.get("categories", ()))
        cards = self._sizes.card_bytes if not choice else 0  # cards go with "everything"
        return estimate_bytes(json_bytes, cards)

    def _passphrase_problem(self) -> str | None:
        if not self.encrypt.isChecked():
            return None
        first, second = self.first.text(), self.second.text()
        if len(first) < MIN_EXPORT_PASSPHRASE:
            return f"Use at least {MIN_EXPORT_PASSPHRASE} characters."
        if not second:
            return "Type it again below."
        if first != second:
            return "The two passphrases differ."
        return None

    def _update(self) -> None:
        if not hasattr(self, "export_button"):
            return
        self.categories.setEnabled(self.some.isChecked())
        self.passphrase_form.setEnabled(self.encrypt.isChecked())
        problem = self._passphrase_problem()
        if not self.encrypt.isChecked():
            self.match.setText("")
        elif problem is None:
            set_text_tone(self.match, None)
            self.match.setText("They match.")
        else:
            set_text_tone(self.match, "error" if self.second.text() or self.first.text() else None)
            self.match.setText(problem)
        sizes = self._sizes
        if sizes is not None:
            total, _bytes = sizes.chosen()
            self.everything.setText(f"Everything ({total:,} records"
                                    + (f" and {sizes.cards} health card{'s' if sizes.cards != 1 else ''})"
                                       if sizes.cards else ")"))
            self.cards_note.setText("Imported SMART Health Cards are copied unchanged, so their issuers' "
                                    "signatures stay valid." if sizes.cards else "")
            self.cards_note.setVisible(bool(sizes.cards) and self.everything.isChecked())
        choice = self.choice()
        nothing = self.some.isChecked() and not choice.get("categories")
        if sizes is not None:
            count, _json = sizes.chosen(ids=choice.get("ids", ()), categories=choice.get("categories", ()))
            nothing = nothing or count == 0
        needed = self.needed_bytes
        volume = self.destination
        if needed is None:
            self.space.setText("Working out the size…")
            self.space_pill.set_status("…", "muted")
            fits = False
        else:
            text, fits = space_text(needed, volume)
            self.space.setText(text)
            self.space_pill.set_status("Fits" if fits else ("No space" if volume is not None else "Size"),
                                       "good" if fits else ("bad" if volume is not None else "muted"))
        if nothing and sizes is not None:
            self.space.setText("Nothing chosen: tick a category that holds records.")
        self.export_button.setEnabled(fits and not nothing and problem is None and not self._job.running)

    # --- measuring ----------------------------------------------------------------------

    def _start_measuring(self) -> None:
        wallet = self.wallet

        def job(_progress: ProgressSink, cancel: CancelToken) -> RecordSizes:
            return measure_records(wallet, cancel=cancel)

        self._job.start(job, on_done=self._measured, on_failed=self._show_problem)

    def _measured(self, sizes: RecordSizes) -> None:
        self._sizes = sizes
        counts = sizes.counts()
        for n in range(self.categories.count()):
            item = self.categories.item(n)
            self._set_count(item, counts.get(item.data(Qt.ItemDataRole.UserRole), 0))
        self._update()

    @property
    def measured(self) -> bool:
        return self._sizes is not None

    # --- writing ------------------------------------------------------------------------

    def start_export(self) -> None:
        volume = self.destination
        if volume is None or not self.export_button.isEnabled():
            return
        wallet, dest, choice = self.wallet, Path(volume.path), self.choice()
        secret = self.first.text() if self.encrypt.isChecked() else None

        def job(progress: ProgressSink, cancel: CancelToken) -> ExportResult:
            from ..services import export_records

            return export_records(wallet, dest, ids=choice.get("ids", ()), categories=choice.get("categories", ()),
                                  passphrase=secret, progress=progress, cancel=cancel)

        self.problem.hide()
        self.error = ""
        self.result = None
        self.writing_title.setText(f"Writing the export to {volume.name}…")
        self.step.setText("Signing the records")
        self.bar.setRange(0, 0)
        self.stop_button.setEnabled(True)
        self.pages.setCurrentIndex(self.PAGE_WRITING)
        self._job.start(job, on_done=self._written, on_failed=self._failed, on_progress=self._progress,
                        on_cancelled=self._cancelled)

    def cancel_export(self) -> None:
        if self._job.running:
            self._job.cancel()
            self.stop_button.setEnabled(False)
            self.step.setText("Stopping…")

    @property
    def exporting(self) -> bool:
        return self._job.running and self.pages.currentIndex() == self.PAGE_WRITING

    def _progress(self, progress: Progress) -> None:
        show_progress(self.bar, self.step, progress, running="", finished="")

    def _written(self, result: ExportResult) -> None:
        self.result = result
        self.first.clear()
        self.second.clear()
        volume = self.destination
        removable = volume is not None and volume.removable
        self.safe.setText(SAFE_TO_REMOVE if removable else
                          f"Export complete. If this folder is on a removable drive, {SAFE_TO_REMOVE[0].lower()}"
                          f"{SAFE_TO_REMOVE[1:]}")
        count = sum(result.resources.values())
        kinds = ", ".join(f"{n:,} {t}" for t, n in sorted(result.resources.items(), key=lambda kv: -kv[1])[:6])
        self.done_fields["path"].setText(str(result.path))
        self.done_fields["records"].setText(f"{count:,} ({kinds}{', …' if len(result.resources) > 6 else ''})")
        self.done_fields["signer"].setText(result.signer)
        self.done_fields["sha256"].setText(result.sha256)
        self.done_fields["encrypted"].setText("Yes: the passphrase is needed to open it" if result.encrypted else "No")
        self.pages.setCurrentIndex(self.PAGE_DONE)
        self._timer.stop()
        self.exported.emit(result)

    def _failed(self, message: str) -> None:
        self.error = message
        self.pages.setCurrentIndex(self.PAGE_CHOOSE)
        self._show_problem(message)
        self.refresh_volumes()

    def _cancelled(self, _message: str) -> None:
        self._failed("The export was stopped; nothing was left on the drive.")

    def _show_problem(self, message: str) -> None:
        self.problem.setText(message)
        self.problem.show()
        self._update()

    def _open_folder(self) -> None:
        if self.result is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.result.path)))

    # --- closing --------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop the workers (the export, if one runs, stops between files and removes what it wrote)."""
        self._timer.stop()
        self._job.stop()
        self._scan.stop()

    def done(self, code: int) -> None:
        if self.exporting:
            self.cancel_export()
        self.first.clear()
        self.second.clear()
        self.shutdown()
        super().done(code)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

