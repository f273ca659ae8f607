"""Atomic file writes: a new file written beside the old one, fsynced, renamed over it,
then the folder fsynced.

:func:`replace_atomic` is the one implementation: it takes a ``build`` that writes the
complete new file at a path beside the target (a SQLite database, a migrated store);
:func:`write_atomic` is the common case of a bytes value under a fresh temporary name.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["fsync_dir", "replace_atomic", "write_atomic"]


def fsync_dir(path: Path) -> None:
    """Make a rename inside ``path`` durable (no-op where folders cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove(path: Path, suffixes: Sequence[str]) -> None:
    for suffix in ("", *suffixes):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{path}{suffix}")


def replace_atomic(path: Path, build: Callable[[Path], None], *, beside: Path, leftovers: Sequence[str] = (),
                   sync_folder: bool = True) -> None:
    """Replace ``path`` by the file ``build(beside)`` writes, so readers see the old or
    the new file, never half of one.

    ``beside`` is in ``path``'s folder (a rename never crosses file systems). After
    ``build`` returns, the file it closed is fsynced, the files named ``beside`` +
    each of ``leftovers`` (e.g. SQLite's ``-wal``) are removed as stale, it is renamed
    over ``path`` (``os.replace``) and, unless not ``sync_folder``, the folder is fsynced
    so the rename survives a power cut. On any error ``beside`` and its leftovers are
    removed, ``path`` is as it was, and the error propagates (``OSError`` or whatever
    ``build`` raised)."""
    path, beside = Path(path), Path(beside)
    try:
        build(beside)
        fd = os.open(beside, os.O_RDWR)  # writable: Windows refuses to flush a read-only handle
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        for suffix in leftovers:  # the new file was closed cleanly: a side file left now is stale
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{beside}{suffix}")
        os.replace(beside, path)
    except BaseException:
        _remove(beside, leftovers)
        raise
    if sync_folder:
        fsync_dir(path.parent)


def write_atomic(path: Path, data: bytes, *, mode: int = 0o600, sync_folder: bool = True) -> None:
    """Replace ``path`` with ``data`` (file permissions ``mode``) so readers see the old or
    the new file, never half (:func:`replace_atomic`, through a fresh hidden temporary
    name). ``sync_folder=False`` skips the folder's fsync for a file whose rename may
    safely be lost in a power cut. Raises ``OSError``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)

    def build(_beside: Path) -> None:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), mode)
            fh.write(data)

    replace_atomic(path, build, beside=Path(tmp), sync_folder=sync_folder)
