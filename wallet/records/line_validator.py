"""FHIR validation of an NDJSON file's lines in a second process, beside its import.

Validation (``fhir.resources``) is most of an import's work. While the import reads each
line through the input gate, summarises it and writes it (in its own transaction), a
second Python process started from the same installation gets the same lines, in chunks
of :data:`CHUNK` in file order, and checks each one exactly as an import in one process
does: the input gate (:func:`wallet.records.parse.ndjson_line`), unsafe narratives
removed, then :func:`wallet.records.validate.validate_resource` (required codes, JSON
types, the FHIR R4 models). It answers each chunk with its first fault (the file's name,
the line and what is wrong) or none.

The import takes a line only after its chunk was answered without fault
(:meth:`LineValidator.passed`): it parses the line again (``json.loads`` directly, as
these bytes passed the gate: :func:`wallet.records.parse.ndjson_line`), summarises and
writes it, while the process checks the next chunks. So a bad line anywhere still leaves
nothing imported (the file's transaction is rolled back), and the message names the first
bad line, as it does without the second process. At most :data:`WINDOW` chunks are ahead
of the import, so memory stays bounded whatever the file's size.

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
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from ..errors import InvalidRecord
from .narrative import remove_unsafe_narratives
from .parse import Located, ndjson_line
from .validate import validate_resource

__all__ = ["CHUNK", "WINDOW", "LineValidator", "acquire", "check_lines", "may_hold_narrative", "parallel_possible"]

CHUNK = 500
"""Lines sent to the validating process at a time."""

WINDOW = 4
"""Most chunks waiting for their answer (the import waits when it is that far ahead)."""

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


def check_lines(name: str, first_no: int, lines: list[bytes]) -> str | None:
    """Check lines ``first_no``, ``first_no + 1``… of the NDJSON file ``name`` as an import
    does; the first fault's one-line message (naming the file and line), or ``None``."""
    for no, raw in enumerate(lines, start=first_no):
        try:
            for item in ndjson_line(raw, no, name=name):
                validate_resource(checked(item)[0])
        except InvalidRecord as exc:
            message = exc.user_message
            return message if message.startswith(name) else f"{name} {message}"
    return None


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


class LineValidator:
    """The validating process, used by one import at a time (:func:`acquire`).

    For each file: :meth:`passed` over its lines (each given back once its chunk passed),
    or :meth:`abandon` when the import stops before the end."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process: subprocess.Popen[bytes] | None = process
        self._file = 0
        self._name = ""
        self._waiting: deque[tuple[int, list[bytes]]] = deque()  # chunks sent, not yet answered

    @property
    def alive(self) -> bool:
        return self._process is not None

    def passed(self, lines: Iterable[bytes], *, name: str) -> Iterator[bytes]:
        """``lines`` of the file ``name`` in order, each given back only after the validating
        process found its chunk without fault: every line given back passed the input gate
        and validation. Raises :class:`InvalidRecord` with the first fault (naming the line);
        no line after it is given back. The process keeps :data:`WINDOW` chunks ahead of the
        caller, so both work at once."""
        self._file += 1
        self._name = name
        self._waiting.clear()
        chunk: list[bytes] = []
        first = 1
        for raw in lines:
            chunk.append(raw)
            if len(chunk) >= CHUNK:
                self._send(first, chunk)
                first, chunk = first + len(chunk), []
                if len(self._waiting) >= WINDOW:
                    yield from self._answer()
        if chunk:
            self._send(first, chunk)
        while self._waiting:
            yield from self._answer()

    def abandon(self) -> None:
        """The import stopped: the process skips the file's remaining chunks; their answers are read."""
        if self._process is not None and self._waiting:
            try:
                assert self._process.stdin is not None
                _write(self._process.stdin, (_CANCEL, self._file))
            except (OSError, ValueError):
                self._lost()
        while self._waiting and self._process is not None:
            try:
                assert self._process.stdout is not None
                file, _fault = _read(self._process.stdout)
            except (OSError, EOFError, pickle.UnpicklingError):
                self._lost()
                break
            if file == self._file:
                self._waiting.popleft()
        self._waiting.clear()

    def _send(self, first: int, chunk: list[bytes]) -> None:
        self._waiting.append((first, chunk))
        if self._process is None:
            return  # checked here when its answer is due
        try:
            assert self._process.stdin is not None
            _write(self._process.stdin, (self._file, self._name, first, chunk))
        except (OSError, ValueError):
            self._lost()

    def _answer(self) -> list[bytes]:
        """The oldest chunk waiting, once it passed; raises :class:`InvalidRecord` with its fault."""
        first, chunk = self._waiting[0]
        fault: str | None = None
        while self._process is not None:
            try:
                assert self._process.stdout is not None
                file, fault = _read(self._process.stdout)
            except (OSError, EOFError, pickle.UnpicklingError):
                self._lost()
                break
            if file == self._file:  # else an answer for a file given up earlier
                break
        if self._process is None:
            fault = check_lines(self._name, first, chunk)
        self._waiting.popleft()
        if fault is not None:
            self.abandon()
            raise InvalidRecord(fault)
        return chunk

    def _lost(self) -> None:
        """The process stopped: what it had not answered is checked here, as is the rest."""
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
        if process.stdout is not None:
            process.stdout.close()


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
