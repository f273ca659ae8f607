"""Atomic file writes: a new file written beside the old one, fsynced, renamed over it,
then the folder fsynced.

:func:`replace_atomic` is the one implementation: it takes a ``build`` that writes the
complete new file at a path beside the target (a SQLite database, a migrated store);
:func:`write_atomic` is the common case of a bytes value under a fresh temporary name.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["fsync_dir", "make_folder", "replace_atomic", "restrict_mode", "write_atomic"]

# What chmod says on a file system without Unix permissions: FAT/exFAT (a USB stick) answers
# EPERM for any mode it cannot represent, some network shares ENOTSUP/EOPNOTSUPP or EINVAL.
_MODES_NOT_KEPT = frozenset({errno.EPERM, errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP})


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


def restrict_mode(fd: int, mode: int) -> None:
    """Set the permissions of the open file ``fd`` to ``mode`` (e.g. ``0o600``: health data is
    for its owner only). A file system that cannot keep permissions (FAT on a USB stick)
    refuses; its files then have the permissions the drive gives every file, and the write
    goes on. Raises ``OSError`` for any other failure."""
    fchmod = getattr(os, "fchmod", None)
    if fchmod is None:  # Windows before Python 3.13: permissions are ACLs, inherited from the folder
        return
    try:
        fchmod(fd, mode)
    except OSError as exc:
        if exc.errno not in _MODES_NOT_KEPT:
            raise


def make_folder(path: Path, mode: int = 0o700) -> None:
    """Create the folder ``path`` and any missing parents, each with permissions ``mode``
    (less the umask); folders that exist are left as they are. Raises ``OSError``
    (``FileExistsError`` when ``path`` or a parent is a file)."""
    path = Path(path)
    try:
        os.mkdir(path, mode)
    except FileNotFoundError:
        if path.parent == path:
            raise
        make_folder(path.parent, mode)
        make_folder(path, mode)
    except FileExistsError:
        if not path.is_dir():
            raise


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


def write_atomic(path: Path, data: bytes, *, mode: int = 0o600, folder_mode: int = 0o700,
                 sync_folder: bool = True) -> None:
    """Replace ``path`` with ``data`` (file permissions ``mode``) so readers see the old or
    the new file, never half (:func:`replace_atomic`, through a fresh hidden temporary
    name). Missing folders on the way are created with ``folder_mode`` (:func:`make_folder`).
    On a file system that cannot keep permissions the file is written with the drive's
    (:func:`restrict_mode`). ``sync_folder=False`` skips the folder's fsync for a file whose
    rename may safely be lost in a power cut. Raises ``OSError``."""
    path = Path(path)
    make_folder(path.parent, folder_mode)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)

    def build(_beside: Path) -> None:
        with os.fdopen(fd, "wb") as fh:
            restrict_mode(fh.fileno(), mode)
            fh.write(data)

    replace_atomic(path, build, beside=Path(tmp), sync_folder=sync_folder)
