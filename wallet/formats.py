"""Versioned files and their step-wise upgrades.

Every file the wallet writes carries a format version. A :class:`FileFormat` names the
file, its ``current`` version and the ordered steps that bring an older file up to it:
``steps[0]`` is ``upgrade_v1_to_v2``, ``steps[1]`` is ``upgrade_v2_to_v3``, and so on
(the names are checked, so a list in the wrong order cannot be built). Reading a file
of version N < current runs the steps from N in order and writes the result back

- in one atomic replace for JSON documents (:func:`upgrade_json_document`,
  :func:`load_json_file`), or
- in one SQLite transaction for databases (:func:`upgrade_sqlite`),

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

import copy
import json
import re
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from .atomicfile import write_atomic
from .errors import WalletError

__all__ = [
    "FileFormat",
    "JsonDocument",
    "dump_json_document",
    "load_json_file",
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
