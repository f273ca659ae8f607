"""The embedded chain's files: an append-only block journal, a writer lock, a state snapshot.

The journal is the chain. Its first line is a header; each further line is one block:
its timestamp, its signed raw transactions, the block hash they produced and their logs.
Replaying the transactions at those timestamps rebuilds the chain exactly (the hash
proves it); the logs let a reader answer event queries without executing anything.

    chain.journal    {"format": "health-wallet-embedded-chain", "version": 1, "chain_id": ...}
                     {"n": 1, "ts": 1700000000, "txs": ["0x02f8..."], "hash": "0x...", "logs": [...]}
    chain.lock       held exclusively by the one process appending a block
    state.snapshot   a cache of the EVM database at some block: open starts from it and
                     replays only the blocks after it; deleting it is always safe

Several processes (a patient's and a doctor's wallet on one laptop) share one folder:
readers only read complete lines; a writer takes the lock, catches up, appends a
block and fsyncs before it lets go.
"""

from __future__ import annotations

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

__all__ = [
    "BlockRecord",
    "Journal",
    "JournalDamaged",
    "JournalHeader",
    "LockTimeout",
    "LogRecord",
    "read_snapshot",
    "read_snapshot_block",
    "write_snapshot",
]

FORMAT = "health-wallet-embedded-chain"
VERSION = 1
JOURNAL_FILE = "chain.journal"
LOCK_FILE = "chain.lock"
SNAPSHOT_FILE = "state.snapshot"
SNAPSHOT_MAGIC = b"HWCS\x01"


class JournalDamaged(ValueError):
    """A complete journal line that cannot be read."""


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
    def from_json(cls, line: str) -> JournalHeader:
        doc = json.loads(line)
        if doc.get("format") != FORMAT:
            raise JournalDamaged("not an embedded chain journal")
        if doc.get("version") != VERSION:
            raise JournalDamaged(f"journal version {doc.get('version')} is not supported")
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

    def to_json(self) -> str:
        return json.dumps({
            "n": self.number, "ts": self.timestamp, "txs": [_hex(t) for t in self.txs], "hash": _hex(self.block_hash),
            "logs": [[lg.tx_index, _hex(lg.address), [_hex(t) for t in lg.topics], _hex(lg.data)] for lg in self.logs],
        }, separators=(",", ":"))

    @classmethod
    def from_json(cls, line: str) -> BlockRecord:
        doc = json.loads(line)
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


class Journal:
    """Reads new blocks as other processes append them; appends under the lock."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / JOURNAL_FILE
        self.snapshot_path = self.folder / SNAPSHOT_FILE
        self._lock = _FileLock(self.folder / LOCK_FILE)
        self._offset = 0  # bytes of complete lines consumed so far
        self._line = 0  # lines consumed (0 = nothing, 1 = the header)
        self.header: JournalHeader | None = None

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

    def read_new(self) -> list[BlockRecord]:
        """Complete lines appended since the last call, parsed; reads the header first."""
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self._offset)
                data = fh.read()
        except FileNotFoundError:
            return []
        end = data.rfind(b"\n")
        if end < 0:
            return []
        records = []
        for raw in data[: end + 1].splitlines(keepends=True):
            self._line += 1
            try:
                line = raw.decode("utf-8")
                if self._line == 1:
                    self.header = JournalHeader.from_json(line)
                else:
                    records.append(BlockRecord.from_json(line))
            except JournalDamaged:
                raise
            except (ValueError, KeyError, TypeError) as exc:
                raise JournalDamaged(f"line {self._line} of {self.path} is damaged: {exc}") from exc
            self._offset += len(raw)
        return records

    def append(self, record: BlockRecord) -> None:
        """Append one block (the caller holds the lock and has read every line)."""
        self._write(record.to_json())

    def _write(self, line: str) -> None:
        payload = line.encode("utf-8") + b"\n"
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
        self._line += 1


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
