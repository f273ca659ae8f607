"""Write a signed export folder onto a drive, safely.

:func:`write_export` builds every file in memory, then

1. removes leftovers of earlier interrupted exports (:func:`cleanup_leftovers`);
2. checks the drive has room for the export (a clear message before any write);
3. writes each file into ``<dest>/.health-export-partial-<random>/`` (a name that
   never looks complete), fsyncing each file and then the folder;
4. renames the folder to ``health-export-<UTC time>`` and fsyncs ``dest``;
5. drops the files from the page cache where the OS allows it, reads everything
   back from the drive and verifies it (:func:`~wallet.share.verify.verify_export`),
   and only then returns: the caller can tell the user it is safe to remove the drive.

A drive that fills up, turns read-only or disappears at any point raises
:class:`~wallet.errors.ExportError` with the reason; the partial folder is removed
(or, if the drive is gone, removed by the next export). A read-back that does not
verify removes the final folder and raises as well.

The partial folder is locked (``flock``) while it is written, so a second export to
the same drive never removes a folder another one is still writing.
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import shutil
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eth_keys import keys as eth_keys

from ..atomicfile import fsync_dir
from ..clock import Clock
from ..errors import DecryptionError, ExportError, ShareError
from ..events import CancelToken, ProgressSink, report
from ..records import fhir_json
from ..records.bundle import collection_bundle
from .export_howto import HOWTO_TEXT
from .export_layout import (
    BUNDLE_FILE,
    EXPORT_PREFIX,
    HOWTO_FILE,
    MANIFEST_FILE,
    MANIFEST_SIG_FILE,
    PARTIAL_PREFIX,
    PROVENANCE_FILE,
    SEALED_FILE,
    card_file_name,
    manifest_bytes,
)
from .export_sealing import seal_files
from .jws import sign_detached
from .shc import parse_card_file
from .signed_bundle import account_identifier, signed_bundle_bytes
from .verify import verify_export

if TYPE_CHECKING:
    from ..vault.keys import WalletKeys

try:  # POSIX; elsewhere exports are not locked against each other
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["ExportResult", "build_export_files", "cleanup_leftovers", "write_export"]

_BLOCK = 4096
_SLACK = 64 * 1024


@dataclass(frozen=True)
class ExportResult:
    """A written, read-back and verified export."""

    path: Path
    files: tuple[str, ...]
    sha256: str  # SHA-256 of the manifest (SHA256SUMS): one digest naming the whole export
    signer: str
    encrypted: bool
    resources: Mapping[str, int] = field(default_factory=dict)
    bytes_written: int = 0

    def __post_init__(self) -> None:
        if len(self.sha256) != 64 or not self.files:
            raise ValueError("an export result names its files and manifest digest")


def _iso(when: datetime) -> str:
    return when.isoformat(timespec="seconds").replace("+00:00", "Z")


def _provenance(bundle: dict[str, Any], address: str, cards: Sequence[str], now: datetime) -> dict[str, Any]:
    patients = [e["resource"] for e in bundle["entry"] if e["resource"].get("resourceType") == "Patient"]
    who: dict[str, Any] = {"identifier": account_identifier(address), "display": f"Account {address}"}
    if len(patients) == 1 and isinstance(patients[0].get("id"), str):
        who["reference"] = f"Patient/{patients[0]['id']}"
    return {
        "resourceType": "Provenance",
        "id": str(uuid.uuid4()),
        "target": [{"reference": f"Bundle/{bundle['id']}", "display": BUNDLE_FILE}],
        "recorded": _iso(now),
        "activity": {"text": "Signed export of the patient's records by the patient, for offline verification"},
        "agent": [{
            "type": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                "code": "author",
                "display": "Author",
            }]},
            "who": who,
        }],
        "entity": [{"role": "source", "what": {"display": name}} for name in cards] or None,
    }


def build_export_files(
    *,
    resources: Sequence[dict[str, Any]],
    source_urls: Sequence[str] | None = None,
    cards: Sequence[bytes],
    private_key: bytes,
    address: str,
    now: datetime,
) -> dict[str, bytes]:
    """The plain export's files (name → bytes), signed; nothing is written."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    for i, res in enumerate(resources):
        if not isinstance(res, dict) or not isinstance(res.get("resourceType"), str):
            raise ExportError(f"Record {i + 1} is not a FHIR resource; nothing was exported.")
    bundle = collection_bundle(resources, now=now, source_urls=source_urls)
    bundle["timestamp"] = _iso(now)
    urls = [e["fullUrl"] for e in bundle["entry"]]
    if len(set(urls)) != len(urls):
        raise ExportError("Two of the chosen records have the same id; nothing was exported.")
    files: dict[str, bytes] = {}
    card_names = []
    for i, data in enumerate(cards, start=1):
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError("cards are the original .smart-health-card file bytes")
        try:
            parse_card_file(bytes(data))
        except ShareError as exc:
            raise ExportError(f"Health card {i} is not a valid .smart-health-card file: {exc.user_message}") from exc
        name = card_file_name(i)
        files[name] = bytes(data)
        card_names.append(name)
    signer = eth_keys.PrivateKey(private_key)  # its public key derived once for both signatures
    try:  # canonicalised once: the signed bytes are the file's bytes
        signed = signed_bundle_bytes(bundle, private_key=signer, when=now)
    except ShareError as exc:
        raise ExportError(f"{exc.user_message} Nothing was exported.") from exc
    provenance = {k: v for k, v in _provenance(bundle, address, card_names, now).items() if v is not None}
    files[BUNDLE_FILE] = signed + b"\n"
    files[PROVENANCE_FILE] = _json_bytes(provenance)
    files[HOWTO_FILE] = HOWTO_TEXT.encode("ascii")
    manifest = manifest_bytes(files)
    files[MANIFEST_FILE] = manifest
    files[MANIFEST_SIG_FILE] = sign_detached(manifest, private_key=signer).encode("ascii")
    return files


def _json_bytes(doc: dict[str, Any]) -> bytes:
    try:
        return (fhir_json.dumps(doc) + "\n").encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise ExportError(f"A record holds a value JSON cannot represent ({exc}); nothing was exported.") from exc


# --- writing ---------------------------------------------------------------------


def _os_message(exc: OSError, dest: Path, needed: int) -> str:
    code = exc.errno
    if code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return (f"The drive at {dest} ran out of space (the export needs about {_mb(needed)}); "
                "free some space or use another drive.")
    if code == errno.EROFS:
        return f"The drive at {dest} is read-only (is its write-protect switch on?); nothing was exported."
    if code in (errno.EACCES, errno.EPERM):
        return f"This app may not write to {dest}; choose another folder."
    if code in (errno.ENOENT, errno.ENODEV, errno.ENXIO, errno.EIO, errno.ESTALE, errno.ENOTDIR, errno.ENOTCONN):
        return (f"The drive at {dest} was removed or stopped responding while the export was written; "
                "reconnect it and export again.")
    return f"Writing the export to {dest} failed: {exc.strerror or exc}."


def _mb(n: int) -> str:
    return f"{max(n, 1) / 1_000_000:.1f} MB"


def _needed_bytes(files: Mapping[str, bytes]) -> int:
    return sum(-(-len(d) // _BLOCK) * _BLOCK + _BLOCK for d in files.values()) + _BLOCK + _SLACK


def _write_file(path: Path, data: bytes) -> None:
    """Write a new file readable by its owner only (0600: it is health data); a drive that
    cannot keep permissions (FAT) ignores the mode and gives the file its own."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)


def _drop_cached(path: Path) -> None:
    """Ask the OS to forget cached pages so the read-back comes from the drive."""
    if not hasattr(os, "posix_fadvise"):
        return
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    except OSError:
        pass
    finally:
        os.close(fd)


def _lock(path: Path) -> int | None:
    """An exclusive ``flock`` on the folder; ``None`` where folders cannot be locked.

    Raises :class:`BlockingIOError` only when another process holds the lock.
    """
    if fcntl is None:
        return None
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise
    except OSError:  # e.g. a file system without locks
        os.close(fd)
        return None
    return fd


def _remove_tree(path: Path) -> bool:
    try:
        shutil.rmtree(path)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return True


def cleanup_leftovers(dest_dir: Path) -> list[Path]:
    """Remove unfinished exports (``.health-export-partial-*``) in ``dest_dir``.

    Folders still being written by another export (locked) are kept. Returns what
    was removed; errors are ignored (the next export tries again).
    """
    removed: list[Path] = []
    try:
        entries = list(os.scandir(dest_dir))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(PARTIAL_PREFIX) or not entry.is_dir(follow_symlinks=False):
            continue
        path = Path(entry.path)
        try:
            lock = _lock(path)
        except BlockingIOError:
            continue  # another export is still writing it
        try:
            if _remove_tree(path):
                removed.append(path)
        finally:
            if lock is not None:
                os.close(lock)
    if removed:
        fsync_dir(Path(dest_dir))
    return removed


def _final_name(dest: Path, now: datetime) -> Path:
    base = f"{EXPORT_PREFIX}{now.strftime('%Y%m%dT%H%M%SZ')}"
    candidate = dest / base
    n = 2
    while candidate.exists():
        candidate = dest / f"{base}-{n}"
        n += 1
    return candidate


def write_export(
    dest_dir: Path,
    *,
    resources: Sequence[dict[str, Any]],
    source_urls: Sequence[str] | None = None,
    cards: Sequence[bytes] = (),
    keys: WalletKeys,
    clock: Clock,
    passphrase: str | None = None,
    progress: ProgressSink | None = None,
    cancel: CancelToken | None = None,
) -> ExportResult:
    """Write a signed (optionally encrypted) export of ``resources`` and ``cards`` into
    a new folder inside ``dest_dir``; return after it was read back and verified.

    ``source_urls``: each resource's fullUrl in the Bundle it was imported from (``""``
    when none), kept so that references resolve in the export as they did there
    (:func:`~wallet.records.bundle.collection_bundle`).
    ``keys``: the unlocked wallet's keys (its EVM account signs). ``cards``: original
    ``.smart-health-card`` file bytes, copied unchanged. ``progress`` is called after
    each file and before the read-back; ``cancel`` is checked between files.
    """
    dest = Path(dest_dir)
    if not dest.is_dir():
        raise ExportError(f"The folder {dest} does not exist; is the drive connected?")
    address = keys.account.address
    now = clock.now()
    plain = build_export_files(resources=resources, source_urls=source_urls, cards=cards,
                               private_key=bytes(keys.account.key),
                               address=address, now=now)
    manifest_digest = hashlib.sha256(plain[MANIFEST_FILE]).hexdigest()
    if passphrase is not None:
        try:
            files = {SEALED_FILE: seal_files(plain, passphrase), HOWTO_FILE: plain[HOWTO_FILE]}
        except ShareError as exc:
            raise ExportError(exc.user_message) from exc
    else:
        files = plain
    total_steps = len(files) + 2
    needed = _needed_bytes(files)

    cleanup_leftovers(dest)
    try:
        free = shutil.disk_usage(dest).free
    except OSError as exc:
        raise ExportError(_os_message(exc, dest, needed)) from exc
    if free < needed:
        raise ExportError(f"The drive at {dest} has {_mb(free)} free but the export needs about {_mb(needed)}; "
                          "free some space or use another drive.")

    partial = dest / f"{PARTIAL_PREFIX}{secrets.token_hex(8)}"
    final: Path | None = None
    lock: int | None = None
    try:
        try:
            os.mkdir(partial, 0o700)  # the owner's only, as its files
            lock = _lock(partial)
            for done, name in enumerate(sorted(files), start=1):
                if cancel is not None:
                    cancel.check()
                _write_file(partial / name, files[name])
                report(progress, done, total_steps, f"Wrote {name}")
            fsync_dir(partial)
            if cancel is not None:
                cancel.check()
            final = _final_name(dest, now)
            os.rename(partial, final)
            fsync_dir(dest)
            report(progress, len(files) + 1, total_steps, "Reading the export back from the drive")
            for name in files:
                _drop_cached(final / name)
            verified = verify_export(final, passphrase=passphrase, expected_signer=address)
        except OSError as exc:
            raise ExportError(_os_message(exc, dest, needed)) from exc
        except (ShareError, DecryptionError) as exc:
            if isinstance(exc, ExportError):
                raise
            if final is not None and not final.is_dir():
                raise ExportError(_os_message(FileNotFoundError(errno.ENOENT, "gone"), dest, needed)) from exc
            raise ExportError(
                f"The export read back from {dest} does not match what was written ({exc.user_message}); "
                "it was removed. The drive may be failing; try another one."
            ) from exc
        if verified.manifest_sha256 != manifest_digest:
            raise ExportError(f"The export read back from {dest} differs from what was written; it was removed.")
    except BaseException as exc:
        leftover = _discard(partial, final)
        if isinstance(exc, ExportError) and leftover is not None:
            later = ("the next export removes it" if leftover.name.startswith(PARTIAL_PREFIX)
                     else "delete it: it was not verified")
            raise ExportError(f"{exc.user_message} An unfinished folder ({leftover.name}) is left on the drive; "
                              f"{later}.") from exc
        raise
    finally:
        if lock is not None:
            os.close(lock)
    report(progress, total_steps, total_steps, "Export verified; the drive can be removed safely")
    return ExportResult(
        path=final,
        files=tuple(sorted(files)),
        sha256=manifest_digest,
        signer=address,
        encrypted=passphrase is not None,
        resources=dict(sorted(Counter(r["resourceType"] for r in resources).items())),
        bytes_written=sum(len(d) for d in files.values()),
    )


def _discard(partial: Path, final: Path | None) -> Path | None:
    """Remove a failed export; return the folder left behind, if any."""
    target = partial
    if final is not None:
        try:  # make it look unfinished first, in case removal stops half-way
            os.rename(final, partial)
        except OSError:
            target = final
    return None if _remove_tree(target) else target
