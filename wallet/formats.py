"""Versioned files and their step-wise upgrades.

Every file the wallet writes carries a format version. A :class:`FileFormat` names the
file, its ``current`` version and the ordered steps that bring an older file up to it:
``steps[0]`` is ``upgrade_v1_to_v2``, ``steps[1]`` is ``upgrade_v2_to_v3``, and so on
(the names are checked, so a list in the wrong order cannot be built). Reading a file
of version N < current runs the steps from N in order and writes the result back

- in one atomic replace for JSON documents (:func:`upgrade_json_document`,
  :func:`load_json_file`), or
- in one SQLite transaction for databases (:func:`upgrade_sqlite`), or
- by a new file written beside the old one and renamed over it, when a step changes
  what the file is (the record store becoming an encrypted database:
  :func:`migrate_file`, with a marker in the home's format record, ``formats.json``,
  so a crash at any point is finished or redone on the next open),

so a crash part-way leaves the old file exactly as it was (and the old release can
still read it). A file newer than ``current`` is refused with a one-line message:
this version of the app cannot know what it would lose by reading or rewriting it.

Adding a version: write ``upgrade_vN_to_vN1`` (it changes the document or the
database in place, never reads the clock or the network), append it to the format's
steps, bump ``current``, and add a fixture file of version N under ``tests/fixtures``
(the homes there were written by released versions) with a test that it opens with
nothing lost. Model: Electrum's wallet-file upgrades (``WalletDB.upgrade``), one
``convert_version_N`` per step, run in order on load.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from .atomicfile import replace_atomic, write_atomic
from .errors import WalletError

__all__ = [
    "HOME_FORMATS_FILE",
    "FileFormat",
    "FileMigration",
    "JsonDocument",
    "dump_json_document",
    "load_json_file",
    "migrate_file",
    "migration_lock",
    "pending_migration",
    "record_version",
    "recorded_version",
    "resume_migration",
    "upgrade_json_document",
    "upgrade_sqlite",
]

S = TypeVar("S")
JsonDocument = dict[str, Any]
_STEP_NAME = re.compile(r"upgrade_v(\d+)_to_v(\d+)$")


@dataclass(frozen=True)
class FileFormat(Generic[S]):
    """One versioned file: its name in messages, its current version, its upgrade steps.

    ``steps[i]`` upgrades version ``i + 1`` to ``i + 2`` in place (a JSON document as a
    ``dict``, or a ``sqlite3.Connection`` inside the upgrade's transaction) and must be
    named ``upgrade_v{i+1}_to_v{i+2}``. ``error`` is the domain error raised for a file
    this app cannot read (e.g. ``VaultError`` for the keystore), so callers keep
    catching what they caught before.
    """

    name: str
    current: int
    steps: tuple[Callable[[S], None], ...] = ()
    error: type[WalletError] = WalletError

    def __post_init__(self) -> None:
        if self.current < 1:
            raise ValueError("format versions start at 1")
        if len(self.steps) != self.current - 1:
            raise ValueError(f"{self.name}: version {self.current} needs {self.current - 1} upgrade steps, "
                             f"not {len(self.steps)}")
        for n, step in enumerate(self.steps, start=1):
            name = getattr(step, "__name__", "")
            match = _STEP_NAME.search(name)
            if match is None or (int(match[1]), int(match[2])) != (n, n + 1):
                raise ValueError(f"{self.name}: step {n} must be named upgrade_v{n}_to_v{n + 1}, not {name!r}")

    def check_version(self, version: object, where: str | Path) -> int:
        """``version`` as an int, or ``self.error`` when it is not one this app reads."""
        if isinstance(version, str) and version.isdigit():
            version = int(version)
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise self.error(f"The {self.name} {where} has an unknown format version {version!r}.")
        if version > self.current:
            raise self.error(
                f"The {self.name} {where} was written by a newer Health Wallet (version {version}; this app reads "
                f"up to {self.current}); update the app. Nothing was changed."
            )
        return version

    def pending(self, version: int) -> Sequence[Callable[[S], None]]:
        """The steps that bring ``version`` up to ``current``, in order."""
        return self.steps[version - 1 :]


# --- JSON documents ------------------------------------------------------------------


def upgrade_json_document(doc: Mapping[str, Any], fmt: FileFormat[JsonDocument], *, where: str | Path,
                          version_key: str = "version") -> tuple[JsonDocument, bool]:
    """``(document at fmt.current, whether it was upgraded)``; ``doc`` itself is never changed.

    Each step works on a copy; after step N the copy's ``version_key`` is set to N + 1,
    so a step changes only what its version changed. Raises ``fmt.error`` for an
    unknown or newer version.
    """
    version = fmt.check_version(doc.get(version_key), where)
    steps = fmt.pending(version)
    if not steps:
        return dict(doc), False
    work: JsonDocument = copy.deepcopy(dict(doc))
    for n, step in enumerate(steps, start=version):
        step(work)
        work[version_key] = n + 1
    return work, True


def dump_json_document(doc: Mapping[str, Any]) -> bytes:
    """The wallet's usual layout for a JSON file: two-space indent, UTF-8."""
    return json.dumps(doc, indent=2, ensure_ascii=False).encode("utf-8")


def load_json_file(path: Path, fmt: FileFormat[JsonDocument], *, dump: Callable[[JsonDocument], bytes] =
                   dump_json_document, mode: int = 0o600) -> JsonDocument | None:
    """Read a versioned JSON object file, upgrading it on disk (atomically) when it is older.

    Returns ``None`` when the file does not exist. Raises ``fmt.error`` when it is not
    readable JSON, not an object, or of an unknown or newer version; the file is then
    left unchanged.
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise fmt.error(f"The {fmt.name} {path} is unreadable: {exc}.") from exc
    if not isinstance(doc, dict):
        raise fmt.error(f"The {fmt.name} {path} has an unknown format.")
    upgraded, changed = upgrade_json_document(doc, fmt, where=path)
    if changed:
        write_atomic(path, dump(upgraded), mode=mode)
    return upgraded


# --- SQLite databases ---------------------------------------------------------------


def upgrade_sqlite(conn: sqlite3.Connection, fmt: FileFormat[sqlite3.Connection], *, where: str | Path,
                   read_version: Callable[[sqlite3.Connection], object],
                   write_version: Callable[[sqlite3.Connection, int], None]) -> int:
    """Bring an open database to ``fmt.current`` in ONE transaction; returns the version found.

    The transaction starts with ``BEGIN IMMEDIATE`` (no other writer can slip in
    between reading the version and writing the new one). Steps use ``conn.execute``
    only (``executescript`` would commit early). Any exception, or a crash, rolls the
    whole upgrade back: the file stays at the version it had. Raises ``fmt.error`` for
    an unknown or newer version.
    """
    if conn.in_transaction:
        raise RuntimeError("upgrade_sqlite needs a connection outside any transaction")
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = fmt.check_version(read_version(conn), where)
        steps = fmt.pending(version)
        for step in steps:
            step(conn)
        if steps:
            write_version(conn, fmt.current)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return version


# --- files replaced by a migration (the home's format record) ----------------------

HOME_FORMATS_FILE = "formats.json"
_HOME_FORMATS_NAME = "health-wallet/home-formats"
# Files a database leaves beside itself (WAL, its index, a rollback journal).
SIDE_FILES = ("-wal", "-shm", "-journal")


@dataclass(frozen=True)
class FileMigration:
    """A migration of ``path`` from ``from_version`` to ``to_version`` by replacement.

    The new file is written as ``partial`` beside it, then renamed over it."""

    path: Path
    from_version: int
    to_version: int

    @property
    def partial(self) -> Path:
        return self.path.with_name(f"{self.path.name}.v{self.to_version}-partial")


def _read_home_formats(home: Path) -> JsonDocument:
    """``formats.json`` of ``home``: ``{"format", "version": 1, "files": {name: {"version"}},
    "migrating": {name: {"from", "to"}}}``; an empty record when there is none.

    Raises :class:`WalletError` when it is not readable JSON of this shape."""
    path = Path(home) / HOME_FORMATS_FILE
    try:
        doc = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return {"format": _HOME_FORMATS_NAME, "version": 1, "files": {}, "migrating": {}}
    except (OSError, ValueError) as exc:
        raise WalletError(f"The home's format record {path} is unreadable: {exc}.") from exc
    if not (isinstance(doc, dict) and doc.get("format") == _HOME_FORMATS_NAME and doc.get("version") == 1
            and isinstance(doc.get("files"), dict) and isinstance(doc.get("migrating"), dict)):
        raise WalletError(f"The home's format record {path} has an unknown format; nothing was changed.")
    return doc


def _write_home_formats(home: Path, doc: JsonDocument) -> None:
    write_atomic(Path(home) / HOME_FORMATS_FILE, dump_json_document(doc), mode=0o600)


def recorded_version(path: Path) -> int | None:
    """The version the home's format record gives for ``path`` (a file a migration replaced)."""
    entry = _read_home_formats(Path(path).parent)["files"].get(Path(path).name)
    version = entry.get("version") if isinstance(entry, dict) else None
    return version if isinstance(version, int) and not isinstance(version, bool) else None


def record_version(path: Path, version: int) -> None:
    """Write ``version`` for ``path`` into the home's format record (atomically)."""
    home, name = Path(path).parent, Path(path).name
    doc = _read_home_formats(home)
    if doc["files"].get(name) != {"version": version} or name in doc["migrating"]:
        doc["files"][name] = {"version": version}
        doc["migrating"].pop(name, None)
        _write_home_formats(home, doc)


def pending_migration(path: Path) -> FileMigration | None:
    """The migration of ``path`` the home's format record says was started and not finished."""
    path = Path(path)
    entry = _read_home_formats(path.parent)["migrating"].get(path.name)
    if not isinstance(entry, dict):
        return None
    start, end = entry.get("from"), entry.get("to")
    if not (isinstance(start, int) and isinstance(end, int)):
        return None
    return FileMigration(path, start, end)


def _remove_partial(migration: FileMigration) -> None:
    for suffix in ("", *SIDE_FILES):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{migration.partial}{suffix}")


def resume_migration(path: Path, *, is_new: Callable[[Path], bool]) -> FileMigration | None:
    """Finish or undo a migration of ``path`` that a crash interrupted; returns it (or ``None``).

    When ``path`` already is the new file (``is_new(path)``: the rename happened), the
    record is completed; otherwise ``path`` is still the old file, complete, and the
    partial new file is removed so the migration can run again from the start."""
    migration = pending_migration(path)
    if migration is None:
        return None
    if Path(path).exists() and is_new(Path(path)):
        _remove_partial(migration)
        record_version(path, migration.to_version)
    else:
        _remove_partial(migration)
    return migration


def migrate_file(migration: FileMigration, build: Callable[[Path], None]) -> None:
    """Replace ``migration.path`` by the file ``build(partial)`` writes beside it.

    In order: the marker ``migrating`` in the home's format record (atomic write); any
    partial file an earlier attempt left is removed; ``build`` writes the new file
    complete and closes it; it is fsynced and renamed over the old one
    (:func:`~wallet.atomicfile.replace_atomic`); the record then names the new version and drops the
    marker. A crash before the rename leaves the old file as it was; after it, the new
    file is complete; :func:`resume_migration` finishes either case. The caller makes sure
    the old file has no side files (WAL) that would outlive it.
    """
    home, name = migration.path.parent, migration.path.name
    doc = _read_home_formats(home)
    doc["migrating"][name] = {"from": migration.from_version, "to": migration.to_version}
    _write_home_formats(home, doc)
    _remove_partial(migration)
    replace_atomic(migration.path, build, beside=migration.partial, leftovers=SIDE_FILES)
    record_version(migration.path, migration.to_version)


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _try_lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


@contextlib.contextmanager
def migration_lock(path: Path, *, timeout: float = 120.0) -> Iterator[None]:
    """Hold ``<path>.migrating-lock`` exclusively (flock / LockFileEx) while ``path`` migrates,
    so two programs opening an old home at once do not both migrate it. Check the file's
    state again once the lock is held: another program may have migrated it meanwhile.

    The lock file is removed when the migration is done (a process that waited on it then
    finds the migration finished). Raises :class:`WalletError` after ``timeout`` seconds."""
    lock = Path(f"{path}.migrating-lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                _try_lock(fd)
                break
            except OSError:
                if time.monotonic() >= deadline:
                    raise WalletError(f"{path} is being upgraded by another program; try again once it has "
                                      "finished.") from None
                time.sleep(0.05)
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                os.unlink(lock)
            with contextlib.suppress(OSError):
                _unlock(fd)
    finally:
        os.close(fd)
