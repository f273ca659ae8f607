"""The embedded chain's files: a hash-chained block journal, its head, a writer lock, a state snapshot.

The journal is the chain. Its first line is a header; each further line is one block:
its timestamp, its signed raw transactions, the block hash they produced, their logs,
and ``prev``, the SHA-256 of the line before it (version 2). Replaying the transactions
at those timestamps rebuilds the chain exactly (the block hash proves it); the logs let
a reader answer event queries without executing anything.

    chain.journal    {"format": "health-wallet-embedded-chain", "version": 2, "chain_id": ...}
                     {"n": 1, "ts": 1700000000, "txs": ["0x02f8..."], "hash": "0x...", "logs": [...],
                      "prev": "<sha256 hex of the header line>"}
    chain.head       {"format": "health-wallet-embedded-chain-head", "version": 1, "lines": N,
                      "hash": "<sha256 hex of line N>"}: the last line a writer completed
    chain.lock       held exclusively by the one process appending a block
    state.snapshot   a cache of the EVM database at some block: open starts from it and
                     replays only the blocks after it; deleting it is always safe

Nothing is ever rolled back silently. A complete line that does not parse, or whose
``prev`` is not the hash of the line before it (a line dropped, inserted or edited), is
an error; so is a journal that ends before the line its head names or differs from it
there (lines dropped or edited at the end), and an empty or missing journal in a folder
where a chain existed (a head or a snapshot is there). Only bytes after the last newline
are forgiven: they are a writer's torn last line from a crash, ignored by readers and
replaced by the next append. The head is written after the line it names, so it never
names a line the journal lacks.

Several processes (a patient's and a doctor's wallet on one laptop) share one folder:
readers only read complete lines (the head first, then the journal); a writer takes the
lock, catches up, appends a block, fsyncs, then moves the head before it lets go.

Versions (:data:`JOURNAL_FORMAT`): 1 had no ``prev`` and no head; a version 1 journal is
rewritten as version 2 (one atomic replace, under the lock) when it is opened.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import struct
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..atomicfile import fsync_dir, write_atomic
from ..errors import ChainDamaged
from ..formats import FileFormat

__all__ = [
    "JOURNAL_FORMAT",
    "BlockRecord",
    "Journal",
    "JournalDamaged",
    "JournalHeader",
    "JournalTampered",
    "LockTimeout",
    "LogRecord",
    "read_snapshot",
    "read_snapshot_block",
    "write_snapshot",
]

FORMAT = "health-wallet-embedded-chain"
VERSION = 2
HEAD_FORMAT = "health-wallet-embedded-chain-head"
JOURNAL_FILE = "chain.journal"
HEAD_FILE = "chain.head"
LOCK_FILE = "chain.lock"
SNAPSHOT_FILE = "state.snapshot"
SNAPSHOT_MAGIC = b"HWCS\x01"


class JournalDamaged(ValueError):
    """A complete journal line that cannot be read."""


class JournalTampered(JournalDamaged):
    """Lines were dropped, inserted or edited, or the journal was emptied: never read past it."""


class JournalOutdated(Exception):
    """The journal is of an older version: :meth:`Journal.upgrade` it (under the lock) first."""


def line_hash(line: bytes) -> str:
    """SHA-256 (hex) of one journal line, without its newline: what the next line's ``prev`` holds."""
    return hashlib.sha256(line).hexdigest()


class LockTimeout(TimeoutError):
    pass


def _hex(data: bytes) -> str:
    return "0x" + bytes(data).hex()


def _unhex(text: str) -> bytes:
    if not isinstance(text, str) or not text.startswith("0x"):
        raise ValueError(f"not hex: {text!r}")
    return bytes.fromhex(text[2:])


@dataclass(frozen=True)
class JournalHeader:
    chain_id: int
    genesis_timestamp: int
    gas_limit: int
    fork: str

    def __post_init__(self) -> None:
        if self.chain_id <= 0 or self.genesis_timestamp <= 0 or self.gas_limit <= 0:
            raise ValueError("journal header values must be positive")

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, "version": VERSION, "chain_id": self.chain_id,
                           "genesis_timestamp": self.genesis_timestamp, "gas_limit": self.gas_limit,
                           "fork": self.fork}, sort_keys=True)

    @classmethod
    def from_json(cls, line: str, *, where: Path | str = JOURNAL_FILE) -> JournalHeader:
        """The header of a current journal; ``JournalOutdated`` for an older one, ``ChainDamaged`` for a newer."""
        doc = json.loads(line)
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise JournalDamaged("not an embedded chain journal")
        if JOURNAL_FORMAT.check_version(doc.get("version"), where) < VERSION:
            raise JournalOutdated(f"journal version {doc.get('version')}")
        return cls(int(doc["chain_id"]), int(doc["genesis_timestamp"]), int(doc["gas_limit"]), str(doc["fork"]))


@dataclass(frozen=True)
class LogRecord:
    tx_index: int
    address: bytes
    topics: tuple[bytes, ...]
    data: bytes


@dataclass(frozen=True)
class BlockRecord:
    number: int
    timestamp: int
    txs: tuple[bytes, ...]
    block_hash: bytes
    logs: tuple[LogRecord, ...] = ()

    def __post_init__(self) -> None:
        if self.number <= 0 or self.timestamp <= 0 or len(self.block_hash) != 32:
            raise ValueError("invalid block record")

    def to_json(self, prev: str) -> str:
        """The journal line of this block, chained to the line before it (``prev``: its :func:`line_hash`)."""
        return json.dumps({
            "n": self.number, "ts": self.timestamp, "txs": [_hex(t) for t in self.txs], "hash": _hex(self.block_hash),
            "logs": [[lg.tx_index, _hex(lg.address), [_hex(t) for t in lg.topics], _hex(lg.data)] for lg in self.logs],
            "prev": prev,
        }, separators=(",", ":"))

    @classmethod
    def from_json(cls, line: str) -> BlockRecord:
        doc = json.loads(line)
        if not isinstance(doc, dict):
            raise JournalDamaged("a block line is not a JSON object")
        logs = tuple(LogRecord(int(i), _unhex(a), tuple(_unhex(t) for t in topics), _unhex(d))
                     for i, a, topics, d in doc.get("logs", []))
        return cls(int(doc["n"]), int(doc["ts"]), tuple(_unhex(t) for t in doc["txs"]), _unhex(doc["hash"]), logs)


class _FileLock:
    """An exclusive advisory lock on a file, across processes (flock / LockFileEx)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    def acquire(self, timeout: float) -> None:
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + timeout
        delay = 0.001
        while True:
            try:
                _try_lock(fd)
                self._fd = fd
                return
            except OSError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise LockTimeout(f"{self._path} is held by another process") from None
                time.sleep(delay)
                delay = min(delay * 2, 0.005)  # short: a waiting writer gets in before the holder's next turn

    def release(self) -> None:
        if self._fd is not None:
            try:
                _unlock(self._fd)
            finally:
                os.close(self._fd)
                self._fd = None


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


def upgrade_v1_to_v2(lines: list[bytes]) -> None:
    """Journal 1 → 2: the header says version 2 and every block line gets ``prev``, the hash of
    the (upgraded) line before it. ``lines`` are the complete lines, without newlines."""
    header = json.loads(lines[0])
    header["version"] = 2
    lines[0] = json.dumps(header, sort_keys=True).encode("utf-8")
    for i in range(1, len(lines)):
        lines[i] = BlockRecord.from_json(lines[i].decode("utf-8")).to_json(line_hash(lines[i - 1])).encode("utf-8")


JOURNAL_FORMAT: FileFormat[list[bytes]] = FileFormat("embedded chain journal", VERSION, (upgrade_v1_to_v2,),
                                                     error=ChainDamaged)


@dataclass(frozen=True)
class JournalHead:
    """The last line a writer completed: how many lines the journal has at least, and that line's hash."""

    lines: int
    hash: str

    def __post_init__(self) -> None:
        if self.lines < 1 or len(self.hash) != 64:
            raise ValueError("invalid journal head")

    def to_json(self) -> bytes:
        return json.dumps({"format": HEAD_FORMAT, "version": 1, "lines": self.lines, "hash": self.hash},
                          sort_keys=True).encode()


class Journal:
    """Reads new blocks as other processes append them, checking the hash chain; appends under the lock."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / JOURNAL_FILE
        self.head_path = self.folder / HEAD_FILE
        self.snapshot_path = self.folder / SNAPSHOT_FILE
        self._lock = _FileLock(self.folder / LOCK_FILE)
        self._offset = 0  # bytes of complete lines consumed so far
        self._hashes: list[str] = []  # line_hash of every line consumed (index 0: the header)
        self._head_seen: JournalHead | None = None  # the head as read before the journal, last time
        self.header: JournalHeader | None = None

    @property
    def _line(self) -> int:
        return len(self._hashes)

    def lock(self, timeout: float) -> None:
        """Take the writer lock (``LockTimeout`` after ``timeout`` seconds)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock.acquire(timeout)

    def unlock(self) -> None:
        self._lock.release()

    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def has_news(self) -> bool:
        return self.size() > self._offset

    def create(self, header: JournalHeader) -> None:
        """Write the header of a new journal (the caller holds the lock; the file is empty)."""
        self._write(header.to_json())
        fsync_dir(self.folder)
        self.header = header

    # --- reading -----------------------------------------------------------------------

    def read_new(self) -> list[BlockRecord]:
        """Complete lines appended since the last call, parsed and checked; reads the header first.

        Raises ``JournalTampered`` when a line does not follow the one before it or the
        journal is empty where a chain existed, ``JournalDamaged`` for a line that does not
        parse, ``JournalOutdated`` for a journal of an older version, ``ChainDamaged`` for a
        newer one. A torn last line (no newline yet) is left for later.
        """
        self._head_seen = self._read_head()  # before the journal: a head never names a line not yet written
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self._offset)
                data = fh.read()
        except FileNotFoundError:
            data = b""
        end = data.rfind(b"\n")
        if end < 0:
            if self._offset == 0 and (self._head_seen is not None or self.snapshot_path.exists()):
                raise JournalTampered("its journal is empty or missing, but a chain was kept there")
            return []
        records = []
        for raw in data[: end + 1].splitlines(keepends=True):
            number = self._line + 1
            line = raw.rstrip(b"\n")
            try:
                text = line.decode("utf-8")
                if number == 1:
                    self.header = JournalHeader.from_json(text, where=self.path)
                else:
                    record = BlockRecord.from_json(text)
                    if json.loads(text).get("prev") != self._hashes[-1]:
                        raise JournalTampered(f"line {number} does not follow line {number - 1} "
                                              "(a line was dropped, inserted or edited)")
                    if record.number != number - 1:
                        raise JournalTampered(f"line {number} holds block {record.number}, not {number - 1}")
                    records.append(record)
            except (JournalDamaged, JournalOutdated):
                raise
            except (ValueError, KeyError, TypeError) as exc:
                raise JournalDamaged(f"line {number} of {self.path} is damaged: {exc}") from exc
            self._hashes.append(line_hash(line))
            self._offset += len(raw)
        return records

    def check_head(self) -> None:
        """``JournalTampered`` unless the lines read so far reach the head and match it there.

        Call after :meth:`read_new`: it compares against the head read at that time.
        A journal with blocks but no head at all is refused too (the head was deleted).
        """
        head = self._head_seen
        if head is None:
            if self._line > 1:
                raise JournalTampered(f"its head file {HEAD_FILE} is missing")
            return
        if head.lines > self._line:
            raise JournalTampered(f"the journal ends at line {self._line}, but line {head.lines} was written "
                                  "(lines were dropped from its end)")
        if self._hashes[head.lines - 1] != head.hash:
            raise JournalTampered(f"line {head.lines} differs from the line that was written there (it was edited)")

    def _read_head(self) -> JournalHead | None:
        try:
            raw = self.head_path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise JournalDamaged(f"{self.head_path} cannot be read: {exc}") from exc
        try:
            doc = json.loads(raw)
            if not isinstance(doc, dict) or doc.get("format") != HEAD_FORMAT or doc.get("version") != 1:
                raise ValueError("not a journal head")
            return JournalHead(int(doc["lines"]), str(doc["hash"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise JournalTampered(f"its head file {HEAD_FILE} is damaged: {exc}") from exc

    # --- upgrading ---------------------------------------------------------------------

    def needs_upgrade(self) -> bool:
        """Whether the journal's header is of an older version (reads the first line only)."""
        try:
            with open(self.path, "rb") as fh:
                first = fh.readline()
        except FileNotFoundError:
            return False
        if not first.endswith(b"\n"):
            return False
        try:
            JournalHeader.from_json(first.decode("utf-8"), where=self.path)
        except JournalOutdated:
            return True
        except (ValueError, KeyError, TypeError):
            return False  # read_new reports it
        return False

    def upgrade(self) -> int:
        """Rewrite an older journal at the current version (the caller holds the lock); returns
        the version found. One atomic replace: a crash leaves the old journal whole."""
        data = self.path.read_bytes()
        complete = data[: data.rfind(b"\n") + 1]  # a torn last line is a crash's: dropped, as a writer would
        lines = complete.splitlines()
        try:
            header = json.loads(lines[0])
            if not isinstance(header, dict) or header.get("format") != FORMAT:
                raise JournalDamaged("not an embedded chain journal")
            version = JOURNAL_FORMAT.check_version(header.get("version"), self.path)
            steps = JOURNAL_FORMAT.pending(version)
            for step in steps:
                step(lines)
        except JournalDamaged:
            raise
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise JournalDamaged(f"{self.path} cannot be upgraded: {exc}") from exc
        if steps:
            head = self._read_head()  # an older journal put back over a newer one must not reset the head
            if head is not None and (head.lines > len(lines) or line_hash(lines[head.lines - 1]) != head.hash):
                raise JournalTampered(f"its journal of version {version} does not reach line {head.lines}, "
                                      "which was written (an older copy was put back)")
            # the head first: a crash before the journal's rename leaves the old journal, upgraded again next time
            write_atomic(self.head_path, JournalHead(len(lines), line_hash(lines[-1])).to_json())
            write_atomic(self.path, b"".join(line + b"\n" for line in lines))
        self._offset, self._hashes, self.header = 0, [], None
        return version

    # --- writing -----------------------------------------------------------------------

    def append(self, record: BlockRecord) -> None:
        """Append one block (the caller holds the lock and has read every line)."""
        self._write(record.to_json(self._hashes[-1]))

    def _write(self, line: str) -> None:
        encoded = line.encode("utf-8")
        payload = encoded + b"\n"
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            # Bytes past the last complete line are a crashed writer's torn line: drop them.
            if os.fstat(fd).st_size != self._offset:
                os.ftruncate(fd, self._offset)
            os.lseek(fd, self._offset, os.SEEK_SET)
            written = 0
            while written < len(payload):
                written += os.write(fd, payload[written:])
            os.fsync(fd)
        finally:
            os.close(fd)
        self._offset += len(payload)
        self._hashes.append(line_hash(encoded))
        # After the line is durable: the head never names a line the journal lacks. A head that
        # could not be moved, or whose rename a power cut undoes, stays behind, which is safe
        # (it only says "at least this far"), so the folder is not synced for it.
        with contextlib.suppress(OSError):
            write_atomic(self.head_path, JournalHead(self._line, self._hashes[-1]).to_json(), sync_folder=False)


def write_snapshot(path: Path, meta: dict[str, object], items: Iterable[tuple[bytes, bytes]]) -> None:
    """A key/value database image with a JSON header and a SHA-256 of its body."""
    body = bytearray()
    count = 0
    for key, value in items:
        body += struct.pack(">II", len(key), len(value))
        body += key
        body += value
        count += 1
    head = json.dumps({**meta, "count": count, "sha256": hashlib.sha256(body).hexdigest()}, sort_keys=True).encode()
    write_atomic(path, SNAPSHOT_MAGIC + struct.pack(">I", len(head)) + head + bytes(body))


def read_snapshot(path: Path) -> tuple[dict[str, object], dict[bytes, bytes]] | None:
    """The snapshot's header and database, or ``None`` when missing or damaged."""
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    try:
        if not blob.startswith(SNAPSHOT_MAGIC):
            return None
        at = len(SNAPSHOT_MAGIC)
        (head_len,) = struct.unpack_from(">I", blob, at)
        at += 4
        meta = json.loads(blob[at : at + head_len])
        at += head_len
        body = memoryview(blob)[at:]
        if hashlib.sha256(body).hexdigest() != meta.get("sha256"):
            return None
        db: dict[bytes, bytes] = {}
        pos = 0
        while pos < len(body):
            klen, vlen = struct.unpack_from(">II", body, pos)
            pos += 8
            db[bytes(body[pos : pos + klen])] = bytes(body[pos + klen : pos + klen + vlen])
            pos += klen + vlen
        if len(db) != meta.get("count"):
            return None
        return meta, db
    except (ValueError, struct.error, UnicodeDecodeError):
        return None


def read_snapshot_block(path: Path) -> int:
    """The block a snapshot holds, 0 if none (reads only its header)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(SNAPSHOT_MAGIC) + 4)
            if len(head) < len(SNAPSHOT_MAGIC) + 4 or not head.startswith(SNAPSHOT_MAGIC):
                return 0
            (length,) = struct.unpack(">I", head[len(SNAPSHOT_MAGIC):])
            return int(json.loads(fh.read(length)).get("block", 0))
    except (OSError, ValueError):
        return 0
