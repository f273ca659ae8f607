"""Importing health record files into an unlocked wallet (a part of :class:`UnlockedWallet`).

:class:`RecordImports` holds the import methods of :class:`~.unlocked_wallet.UnlockedWallet`:
one file, several files and folders (a FHIR Bulk Data export's Patient files first), the
parts of a multi-QR SMART Health Card read together, cards and FHIR already read from a
SMART Health Link. :class:`FileOutcome` is one file's result.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import Cancelled, InvalidRecord, WalletError
from ..events import CancelToken, ProgressSink
from ..records.profiles import OWNER
from ..records.store import RecordStore
from .context import WalletContext

if TYPE_CHECKING:
    from ..records.importer import ImportResult
    from ..records.parse import ParsedFile
    from ..share.issuers import IssuerStore
    from ..vault.keys import WalletKeys
    from .cards import CardInput

__all__ = ["RECORD_FILE_SUFFIXES", "FileOutcome", "RecordImports"]


@dataclass(frozen=True)
class FileOutcome:
    """The result of importing one file: a result or the error that rejected it."""

    path: Path
    result: ImportResult | None = None
    error: WalletError | None = None


class RecordImports:
    """The import methods of :class:`~.unlocked_wallet.UnlockedWallet`, which provides what
    is declared here (the open store, the keys, the active profile, the trusted issuers)."""

    app: WalletContext
    store: RecordStore

    if TYPE_CHECKING:
        @property
        def keys(self) -> WalletKeys: ...

        def _profile_name(self, profile: str | None) -> str: ...

        def issuers(self) -> IssuerStore: ...

    def import_file(self, path: Path, *, profile: str | None = None, same_person: bool = False,
                    progress: ProgressSink | None = None, cancel: CancelToken | None = None) -> ImportResult:
        """Import one file, all or nothing: FHIR JSON, NDJSON, a ``.smart-health-card``
        file or ``shc:/`` QR text. Cards keep their original bytes for re-export.

        The file goes into ``profile`` (default: the owner's) only when it is that
        person's records, or creates the profile when it is new; otherwise it raises
        :class:`~wallet.errors.PatientMismatch` naming both people, unless ``same_person``
        (the user confirmed they are one). A file of several people raises
        :class:`~wallet.errors.InvalidRecord`.
        """
        self.keys  # noqa: B018 - fail if locked
        from .cards import read_card_input  # the card stack loads on first use

        path = Path(path)
        target = self._profile_name(profile)
        card = read_card_input(path, issuers=self.issuers(), now=self.app.clock.now())
        if card is not None:
            return self._import_card(card, path.name, progress, cancel, target, same_person)
        from ..records.importer import import_path

        return import_path(self.store, path, profile=target, check_person=True, same_person=same_person,
                           progress=progress, cancel=cancel)

    def import_paths(self, paths: Iterable[Path], *, profile: str | None = None, same_person: bool = False,
                     progress: ProgressSink | None = None, cancel: CancelToken | None = None) -> list[FileOutcome]:
        """Import several files, each all-or-nothing; one bad file does not stop the rest. A
        folder stands for the health record files directly in it (:data:`RECORD_FILE_SUFFIXES`),
        as a FHIR Bulk Data export is delivered.

        Files that each hold one part of a multi-QR SMART Health Card are read together. The
        NDJSON files of a FHIR Bulk Data export are named by resource type (``Patient.ndjson``,
        ``Patient.000.ndjson``; Bulk Data Access IG, "Response - Complete Status"): the Patient
        files go first, so the person a folder holds is named by their Patient resource before
        the records that point to them. Outcomes come in the order the files were imported.
        """
        from .cards import is_qr_chunk

        paths = sorted(_files_of_folders(Path(p) for p in paths), key=lambda p: not _is_bulk_patient_file(p))
        chunks = [p for p in paths if p.is_file() and is_qr_chunk(p)]
        outcomes = []
        if chunks:
            outcomes.append(self._import_one(chunks[0], progress, cancel, chunks=chunks, profile=profile,
                                             same_person=same_person))
        for path in paths:
            if path not in chunks:
                outcomes.append(self._import_one(path, progress, cancel, profile=profile, same_person=same_person))
        return outcomes

    def _import_one(self, path: Path, progress: ProgressSink | None, cancel: CancelToken | None,
                    chunks: list[Path] | None = None, *, profile: str | None = None,
                    same_person: bool = False) -> FileOutcome:
        try:
            if path.is_dir():
                raise InvalidRecord(f"{path} is a folder with no health record files in it "
                                    f"({', '.join(RECORD_FILE_SUFFIXES)}); name the files to import.")
            if chunks:
                from .cards import read_qr_chunks

                card = read_qr_chunks(chunks, issuers=self.issuers(), now=self.app.clock.now())
                return FileOutcome(path, self._import_card(card, " + ".join(p.name for p in chunks), progress, cancel,
                                                           self._profile_name(profile), same_person))
            return FileOutcome(path, self.import_file(path, profile=profile, same_person=same_person,
                                                      progress=progress, cancel=cancel))
        except Cancelled:
            raise
        except WalletError as exc:
            return FileOutcome(path, error=exc)

    def import_card(self, card: CardInput, name: str, *, profile: str | None = None,
                    same_person: bool = False) -> ImportResult:
        """Import cards already read and checked (from a file or a SMART Health Link) into
        ``profile`` (default: the active one), with the person checks of :meth:`import_file`."""
        self.keys  # noqa: B018 - fail if locked
        return self._import_card(card, name, None, None, self._profile_name(profile), same_person)

    def import_document(self, parsed: ParsedFile, name: str, *, profile: str | None = None,
                        same_person: bool = False) -> ImportResult:
        """Import FHIR already parsed (from a SMART Health Link), as :meth:`import_file` does."""
        self.keys  # noqa: B018 - fail if locked
        from ..records.importer import import_parsed

        return import_parsed(self.store, parsed, name=name, profile=self._profile_name(profile), check_person=True,
                             same_person=same_person)

    def _import_card(self, card: CardInput, name: str, progress: ProgressSink | None,
                     cancel: CancelToken | None, profile: str = OWNER, same_person: bool = False) -> ImportResult:
        from ..records.importer import import_parsed
        from .cards import card_status

        return import_parsed(self.store, card.parsed, name=name, cards=(card.file_bytes,),
                             card_statuses=tuple(card_status(c) for c in card.cards), profile=profile,
                             check_person=True, same_person=same_person, progress=progress, cancel=cancel)


RECORD_FILE_SUFFIXES = (".json", ".ndjson", ".jsonl", ".smart-health-card", ".fhir")
"""The files a folder given to :meth:`UnlockedWallet.import_paths` stands for (the import dialog's filter)."""


def _files_of_folders(paths: Iterable[Path]) -> list[Path]:
    """``paths`` with each folder replaced by the health record files directly in it
    (:data:`RECORD_FILE_SUFFIXES`; hidden files and sub-folders left out), by name; a folder
    with none stays, so its import says so."""
    out: list[Path] = []
    for path in paths:
        if not path.is_dir():
            out.append(path)
            continue
        found = sorted(p for p in path.iterdir() if not p.name.startswith(".") and p.is_file()
                       and p.name.lower().endswith(RECORD_FILE_SUFFIXES))
        out.extend(found or [path])
    return out


def _is_bulk_patient_file(path: Path) -> bool:
    """``Patient.ndjson``, ``Patient.000.ndjson``: a Bulk Data export's file of Patient resources."""
    return path.suffix.lower() == ".ndjson" and path.name.split(".")[0] == "Patient"
