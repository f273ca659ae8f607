"""FHIR validation of an NDJSON file's lines in a second process, beside its import.

Validation (``fhir.resources``) is most of an import's work. While the import reads each
line through the input gate, summarises it and writes it (in its own transaction), a
second Python process started from the same installation gets the same lines, in chunks
of :data:`CHUNK` in file order, and checks each one exactly as an import in one process
does: the input gate (:func:`wallet.records.parse.ndjson_line`), unsafe narratives
removed, then :func:`wallet.records.validate.validate_resource` (required codes, JSON
types, the FHIR R4 models). It answers each chunk with its first fault (the file's name,
the line and what is wrong) or none.

The import takes a chunk's resources only after the chunk passed
(:meth:`LineValidator.checked_items`): it parses its lines again (``json.loads`` directly,
as these bytes passed the gate: :func:`wallet.records.parse.ndjson_line`), summarises and
writes them, while the process checks the next chunks. When the answer the import needs
next has not come (the process is starting, or is behind), the import checks the next
chunk not yet sent itself, the same way, instead of waiting: the work is shared by both
processes whichever is faster. Chunks are taken in file order whichever process checked
them, so a bad line anywhere still leaves nothing imported (the file's transaction is
rolled back), and the message names the first bad line, as it does without the second
process. At most :data:`WINDOW` chunks wait for an answer and :data:`HERE_AHEAD` were
checked here ahead of one, so memory stays bounded whatever the file's size.

The process is started on the first large import and kept for the session (closed at
exit). Where it cannot help or cannot run (one CPU, a frozen app, a start that fails,
another import already using it) :func:`acquire` gives ``None`` and the import validates
in its own process. If the process stops mid-file, the chunks it had not answered and
all later ones are validated in this process: the result is the same, only slower.

Messages between the processes are pickles over the child's own pipes: both ends are this
program (nothing from outside is unpickled; the lines travel as bytes).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from .. import untrusted
from ..errors import InputRefused, InvalidRecord
from ..untrusted import KEEP_LIMITS
from .narrative import remove_unsafe_narratives
from .parse import BOM, Located, ndjson_line
from .validate import validate_resource

__all__ = ["CHUNK", "HERE_AHEAD", "WINDOW", "LineValidator", "acquire", "check_lines", "may_hold_narrative",
           "parallel_possible", "validated_lines"]

CHUNK = 500
"""Lines sent to the validating process at a time."""

WINDOW = 8
"""Most chunks waiting for the validating process's answer: more than a batch of the
import (:data:`wallet.records.importer.BATCH` resources), so the process has work while
the import writes one."""

HERE_AHEAD = 8
"""Most chunks the import checks itself while the answer it needs next has not come."""

_HEADER = struct.Struct(">I")
_MAX_MESSAGE = 256 * 1024 * 1024  # a chunk of lines at most: anything longer is not a message of this program
_CANCEL = "cancel"


def may_hold_narrative(source: str | None) -> bool:
    """Whether the JSON text ``source`` can hold a ``div`` member (a narrative): it must
    spell ``"div"`` or escape a character (``\\u0064iv``); ``None`` (no text): assume so."""
    return source is None or '"div"' in source or "\\u" in source


def checked(item: Located) -> tuple[Located, list[str]]:
    """``item`` with its unsafe narratives removed and the warnings saying so
    (:mod:`wallet.records.narrative`). Its :attr:`Located.source` (stored as the record's
    JSON) is kept only when it still is the resource's whole text and escapes no character
    (``\\u…``): other text is written again from the parsed resource, as it always was."""
    if not may_hold_narrative(item.source):
        return item, []
    warnings = remove_unsafe_narratives(item.resource, where=item.position)
    if item.source is not None:
        item = Located(item.position, item.resource, item.full_url, item.scope)
    return item, warnings


def validated_lines(name: str, first_no: int, lines: list[bytes]) -> tuple[list[tuple[Located, list[str]]], str | None]:
    """Lines ``first_no``, ``first_no + 1``… of the NDJSON file ``name`` checked as an import
    does: each resource through the input gate, its unsafe narratives removed (with the
    warnings saying so), validated; the resources before the first fault, and that fault's
    one-line message (naming the file and line) or ``None``."""
    out: list[tuple[Located, list[str]]] = []
    for no, raw in enumerate(lines, start=first_no):
        try:
            for item in ndjson_line(raw, no, name=name):
                item, warnings = checked(item)
                validate_resource(item)
                out.append((item, warnings))
        except InvalidRecord as exc:
            message = exc.user_message
            return out, message if message.startswith(name) else f"{name} {message}"
    return out, None


def check_lines(name: str, first_no: int, lines: list[bytes]) -> str | None:
    """Check lines ``first_no``, ``first_no + 1``… of the NDJSON file ``name`` as an import
    does; the first fault's one-line message (naming the file and line), or ``None``."""
    return validated_lines(name, first_no, lines)[1]


def parallel_possible() -> bool:
    """Whether a second process can run beside this one: two CPUs usable, not a frozen app."""
    if getattr(sys, "frozen", False):
        return False
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 1
    return usable >= 2


# --- this process's side -----------------------------------------------------------


def _write(stream: IO[bytes], message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _read(stream: IO[bytes]) -> Any:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError("the validating process stopped")
    (size,) = _HEADER.unpack(header)
    if size > _MAX_MESSAGE:
        raise EOFError("the validating process wrote something else than its answers")
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the validating process stopped")
    return pickle.loads(data)  # written by this program's own child (see the module docs)


class _Chunk:
    """Lines of one file sent or checked together, and where their check stands."""

    __slots__ = ("fault", "first", "items", "lines", "state")

    def __init__(self, first: int, lines: list[bytes], *, fault: str | None = None) -> None:
        self.first = first
        self.lines = lines
        self.state = _CHECKED if fault is not None else _UNCHECKED
        self.fault = fault
        self.items: list[tuple[Located, list[str]]] | None = None  # checked here: the resources and warnings

    def check_here(self, name: str) -> None:
        self.items, self.fault = validated_lines(name, self.first, self.lines)
        self.state = _CHECKED


_UNCHECKED, _SENT, _ANSWERED, _CHECKED = range(4)  # a chunk's states


class LineValidator:
    """The validating process, used by one import at a time (:func:`acquire`).

    For each file: :meth:`checked_items` over its lines, or :meth:`abandon` when the import
    stops before the end. ``here``: which chunks of a file (numbered from 0) this process
    checks whatever the other's progress (``None``: only those it would otherwise wait for);
    ``checked_here`` and ``checked_there``: chunks checked by each process this session."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process: subprocess.Popen[bytes] | None = process
        self._file = 0
        self._name = ""
        self._sent: deque[_Chunk] = deque()  # chunks sent, not yet answered, in file order
        self._answers: queue.SimpleQueue[tuple[int, str | None] | None] = queue.SimpleQueue()
        self.here: Callable[[int], bool] | None = None
        self.checked_here = 0  # chunks checked in this process, this session
        self.checked_there = 0  # chunks the validating process answered, this session
        threading.Thread(target=self._receive, args=(process.stdout,), daemon=True).start()

    @property
    def alive(self) -> bool:
        return self._process is not None

    def _receive(self, stream: IO[bytes] | None) -> None:
        """Move the process's answers to :attr:`_answers` as they come (``None``: it stopped)."""
        try:
            while stream is not None:
                self._answers.put(_read(stream))
        except (OSError, EOFError, ValueError, pickle.UnpicklingError):
            pass
        self._answers.put(None)
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()

    def checked_items(self, lines: Iterable[bytes], *, name: str) -> Iterator[tuple[Located, list[str]]]:
        """The resources of the NDJSON file ``name`` (its ``lines``), in file order, each with
        the warnings of its narrative check (:func:`checked`), each given only once its chunk
        passed the input gate and validation, in the other process or in this one.

        The other process is kept :data:`WINDOW` chunks ahead; when its answer for the next
        chunk due has not come, this process checks the next chunk not yet sent itself
        (at most :data:`HERE_AHEAD` ahead) instead of waiting. Whichever process checked
        it, a chunk's resources come only after every earlier chunk's, and the first fault
        of the file (a :class:`InvalidRecord` naming its line) is raised when its chunk is
        due: a fault found here in a later chunk never hides an earlier one found there.
        The same limit on lines as :func:`wallet.records.parse.stream_ndjson`."""
        self.abandon()  # what an earlier file left unanswered, if it was not given up
        self._file += 1
        file = self._file
        self._name = name
        reader = _ChunkReader(lines, name)
        pending: deque[_Chunk] = deque()  # read, not yet given, in file order
        number = 0  # chunks read so far
        try:
            while True:
                self._collect(block=False)
                while not reader.done and self._process is not None and len(self._sent) < WINDOW:
                    chunk = reader.next()
                    if chunk is None:
                        break
                    pending.append(chunk)
                    if chunk.state == _UNCHECKED and (self.here is None or not self.here(number)):
                        self._send(chunk)
                    elif chunk.state == _UNCHECKED:
                        chunk.check_here(name)
                        self.checked_here += 1
                    number += 1
                    if chunk.fault is not None:
                        reader.done = True  # nothing after a fault is needed
                if not pending:
                    chunk = reader.next()
                    if chunk is None:
                        break
                    pending.append(chunk)
                    number += 1
                head = pending[0]
                if head.state == _SENT:
                    if not reader.done and sum(c.items is not None for c in pending) < HERE_AHEAD:
                        chunk = reader.next()  # checked here rather than waiting for the answer
                        if chunk is not None:
                            if chunk.state == _UNCHECKED:
                                chunk.check_here(name)
                                self.checked_here += 1
                            pending.append(chunk)
                            number += 1
                            if chunk.fault is not None:
                                reader.done = True  # nothing after a fault is needed
                        continue
                    self._collect(block=True)
                    continue
                pending.popleft()
                if head.state == _UNCHECKED:
                    head.check_here(name)
                    self.checked_here += 1
                if head.fault is not None:
                    raise InvalidRecord(head.fault)
                if head.items is not None:
                    yield from head.items
                    continue
                for no, raw in enumerate(head.lines, start=head.first):
                    for item in ndjson_line(raw, no, name=name, passed_gate=True):
                        yield checked(item)
            if reader.count == 0:
                raise InvalidRecord(f"{name} is empty.")
        finally:
            if self._file == file:  # not yet given up, and no other file begun since
                self.abandon()

    def abandon(self) -> None:
        """The import stopped: the process skips the file's remaining chunks; their answers are read."""
        if self._process is not None and self._sent:
            try:
                assert self._process.stdin is not None
                _write(self._process.stdin, (_CANCEL, self._file))
            except (OSError, ValueError):
                self._lost()
        while self._sent and self._process is not None:
            answer = self._answers.get()
            if answer is None:
                self._lost()
                break
            if answer[0] == self._file:
                self._sent.popleft()
        self._sent.clear()

    def _send(self, chunk: _Chunk) -> None:
        if self._process is None:
            return  # checked here when it is due
        try:
            assert self._process.stdin is not None
            _write(self._process.stdin, (self._file, self._name, chunk.first, chunk.lines))
        except (OSError, ValueError):
            self._lost()
            return
        chunk.state = _SENT
        self._sent.append(chunk)

    def _collect(self, *, block: bool) -> None:
        """Take the answers that came (waiting for one when ``block``)."""
        while self._sent:
            try:
                answer = self._answers.get(block=block)
            except queue.Empty:
                return
            if answer is None:
                self._lost()
                return
            file, fault = answer
            if file != self._file:
                continue  # an answer for a file given up earlier
            chunk = self._sent.popleft()
            chunk.fault, chunk.state = fault, _ANSWERED
            self.checked_there += 1
            block = False

    def _lost(self) -> None:
        """The process stopped: what it had not answered is checked here, as is the rest."""
        for chunk in self._sent:
            chunk.state = _UNCHECKED
        self._sent.clear()
        self.close()

    def close(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        with contextlib.suppress(OSError, ValueError):
            if process.stdin is not None:
                process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class _ChunkReader:
    """A file's lines in chunks of :data:`CHUNK`, numbered from 1. A fault of the reading
    itself (more lines than the input gate allows, a file that cannot be read further)
    comes as a chunk holding only that fault, after the lines before it, and ends the file."""

    def __init__(self, lines: Iterable[bytes], name: str) -> None:
        self._lines = iter(lines)
        self._name = name
        self._no = 0  # lines read
        self._fault: str | None = None
        self.count = 0  # lines that are not blank
        self.done = False

    def next(self) -> _Chunk | None:
        """The next chunk, or ``None`` after the last."""
        if self._fault is not None:
            self.done = True
            return _Chunk(self._no + 1, [], fault=self._fault)
        if self.done:
            return None
        first = self._no + 1
        chunk: list[bytes] = []
        try:
            for raw in self._lines:
                if (raw[len(BOM):] if self._no == 0 and raw.startswith(BOM) else raw).strip():
                    self.count += 1
                    untrusted.check_count(self.count, what=self._name, unit="lines", max_items=KEEP_LIMITS.max_items)
                self._no += 1
                chunk.append(raw)
                if len(chunk) >= CHUNK:
                    return _Chunk(first, chunk)
        except InputRefused as exc:
            self._fault = exc.user_message
            return _Chunk(first, chunk) if chunk else self.next()
        self.done = True
        return _Chunk(first, chunk) if chunk else None


_shared: LineValidator | None = None
_shared_lock = threading.Lock()
_started = False


def _start() -> LineValidator | None:
    root = str(Path(__file__).resolve().parents[2])  # the folder holding the wallet package
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
    try:
        process = subprocess.Popen([sys.executable, "-m", "wallet.records.line_validator"],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                   env=env, cwd=root)
    except OSError:
        return None
    with contextlib.suppress(ImportError, OSError, AttributeError, ValueError):
        import fcntl  # Linux: a chunk fits the pipe, so sending it does not wait for the other side to read

        fcntl.fcntl(process.stdin.fileno() if process.stdin else -1, 1031, 1 << 20)  # F_SETPIPE_SZ
    return LineValidator(process)


@contextlib.contextmanager
def acquire() -> Iterator[LineValidator | None]:
    """The session's validating process for one import, started on first use; ``None`` when
    it cannot run (see the module docs) or another import is using it."""
    global _shared, _started
    if not parallel_possible() or not _shared_lock.acquire(blocking=False):
        yield None
        return
    try:
        if _shared is None or not _shared.alive:
            if _started and _shared is None:
                yield None  # it could not start: do not try on every file
                return
            _started = True
            _shared = _start()
            if _shared is not None:
                atexit.register(shutdown)
        if _shared is None:
            yield None
            return
        yield _shared
    finally:
        _shared_lock.release()


def shutdown() -> None:
    """Stop the validating process (at exit; an import started later starts it again)."""
    global _shared, _started
    with _shared_lock:
        if _shared is not None:
            _shared.close()
        _shared, _started = None, False


# --- the validating process ---------------------------------------------------------


def _serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    """Answer chunks until the import closes the pipe."""
    inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
    cancelled: set[int] = set()

    def read() -> None:
        try:
            while True:
                message = _read(stdin)
                if message[0] == _CANCEL:
                    cancelled.add(message[1])
                else:
                    inbox.put(message)
        except (EOFError, OSError):
            inbox.put(None)

    threading.Thread(target=read, daemon=True).start()
    failed: set[int] = set()
    while (message := inbox.get()) is not None:
        file, name, first, lines = message
        fault = None
        if file not in failed and file not in cancelled:
            fault = check_lines(name, first, lines)
            if fault is not None:
                failed.add(file)
        _write(stdout, (file, fault))


if __name__ == "__main__":
    # answers go out on a copy of standard output; what anything else might print goes to standard error
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    _serve(sys.stdin.buffer, answers)
