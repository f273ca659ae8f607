"""FHIR validation of an opened share's entries on both CPUs: a second process the running wallet keeps warm.

Validation (``fhir.resources``) is most of what opening a large share costs once its
bytes have arrived, and it stays on the open's critical path: every record the doctor
sees passes the input gate and FHIR validation first, and a share refused there logs no
access. On a computer with two usable CPUs, a wallet that opened a large share
(:data:`LARGE` entries or more) starts a second Python process from the same
installation (:meth:`EnvelopeValidator.start`), which loads the FHIR models once and then
waits. For each later large share, :func:`validated_entries`:

1. hands that process the plaintext (:meth:`EnvelopeValidator.begin`); it reads it
   through the same input gate (:func:`wallet.share.protocol.gated_document`) while this
   process does the same;
2. this process validates the Bundle's entries from the first onwards, the other process
   from the last backwards (:func:`wallet.records.validate.validate_resource`, exactly as
   :func:`wallet.records.validate.validate_file` does), answering every :data:`STEP`
   entries with how far down it got and the lowest entry it found at fault;
3. the two meet where their checked ranges touch: every entry is checked by one process
   (an entry near the meeting point may be checked by both). This process stops at its
   first fault (every earlier entry has passed: it is the first); else the first fault is
   the other process's lowest one. Either way the message is the one
   :func:`validate_file` gives (``the shared bundle entry[12] (Observation/…): …``).

Nothing waits for the other process: when it is starting, busy with another open, slow,
or has stopped, this process checks the entries it has not answered for, so the result is
always the same, only sooner with two CPUs. Where it cannot help (one usable CPU, a
frozen app) it is never started; while every CPU is busy (:func:`cpu_to_spare`) it is not
given the share, as it would only take CPU time from the open.

Messages between the processes are pickles over the child's own pipes: both ends are
this program (nothing from outside is unpickled; the plaintext travels as bytes, read by
the child through the input gate).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

from ..errors import InvalidRecord
from ..records.parse import Located
from ..records.validate import in_file, validate_resource

__all__ = ["LARGE", "STEP", "EnvelopeValidator", "cpu_to_spare", "parallel_possible", "validated_entries"]

LARGE = 200
"""Entries from which a share is validated on both CPUs (below, splitting costs more than it saves)."""

STEP = 8
"""Entries between two answers of the validating process, and between two looks at them here."""

_HEADER = struct.Struct(">I")
_MAX_MESSAGE = 256 * 1024 * 1024
_READY, _JOB, _CANCEL, _CHECKED = "ready", "job", "cancel", "checked"

# Resource types whose FHIR models the validating process loads before it says it is ready
# (the types a patient's record most often holds; any other type is loaded when first met).
_WARM_TYPES = (
    "AllergyIntolerance", "Bundle", "CarePlan", "CareTeam", "Claim", "Condition", "Device", "DiagnosticReport",
    "DocumentReference", "Encounter", "ExplanationOfBenefit", "Goal", "ImagingStudy", "Immunization", "Location",
    "Medication", "MedicationAdministration", "MedicationRequest", "MedicationStatement", "Observation",
    "Organization", "Patient", "Practitioner", "PractitionerRole", "Procedure", "Provenance", "SupplyDelivery",
)


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


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def cpu_to_spare() -> bool:
    """Whether a CPU is free for the other process now: the last minute's load average
    (runnable tasks, this wallet's included) is under the usable CPUs less one. When every
    CPU is busy, the second process only takes time from this one (measured: the open
    got slower), so the work stays here. ``True`` where the load is not known."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return True
    return load < _usable_cpus() - 1


def parallel_possible() -> bool:
    """Whether a second process can run beside this one: two CPUs usable, not a frozen app."""
    return not getattr(sys, "frozen", False) and _usable_cpus() >= 2


class _Job:
    """One share's entries as the validating process answers for them: it has checked
    every entry from :attr:`low` to the last, and :attr:`fault` is the lowest of them at
    fault (its index and message), if any. ``low`` only goes down."""

    __slots__ = ("count", "fault", "id", "low")

    def __init__(self, job_id: int) -> None:
        self.id = job_id
        self.count: int | None = None  # the entries the other process found (None: not said yet)
        self.low: int | None = None  # None: nothing answered yet
        self.fault: tuple[int, str] | None = None


class EnvelopeValidator:
    """The validating process of one running wallet (kept on its :class:`wallet.app.App`),
    used by one open at a time; ``checked_there``: entries it answered for this session. Its
    answers are read by the open as it goes (:meth:`progress`), not by a thread of their own:
    a thread woken for each answer would take the interpreter from the open each time."""

    def __init__(self, process: subprocess.Popen[bytes], *, only_where_it_helps: bool = True) -> None:
        self._process: subprocess.Popen[bytes] | None = process
        self._only_where_it_helps = only_where_it_helps  # False: given every share, whatever the load
        self._lock = threading.Lock()  # held by the open using the process
        self._reading = threading.Lock()  # held while its answers are read
        self._jobs = 0
        self._job: _Job | None = None
        self._ready = False
        self._stopped = False
        self._inbox = bytearray()  # answers read, not yet taken
        self._answers = process.stdout.fileno() if process.stdout is not None else -1
        if self._answers >= 0:
            os.set_blocking(self._answers, False)  # read as the open goes, never waited for (no reading thread)
        self.checked_there = 0

    def __repr__(self) -> str:
        return f"EnvelopeValidator(ready={self.ready}, alive={self.alive})"

    @classmethod
    def start(cls, *, only_where_it_helps: bool = True) -> EnvelopeValidator | None:
        """Start the process (it loads the FHIR models, then says it is ready); ``None`` where
        it cannot start, or cannot help (see the module docs) unless not ``only_where_it_helps``."""
        if only_where_it_helps and not parallel_possible():
            return None
        root = str(Path(__file__).resolve().parents[2])  # the folder holding the wallet package
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
        try:
            process = subprocess.Popen([sys.executable, "-m", "wallet.share.envelope_validator"],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                       env=env, cwd=root)
        except OSError:
            return None
        with contextlib.suppress(ImportError, OSError, AttributeError, ValueError):
            import fcntl  # Linux: a share's plaintext fits the pipe, so sending it does not wait for the reader

            fcntl.fcntl(process.stdin.fileno() if process.stdin else -1, 1031, 1 << 20)  # F_SETPIPE_SZ
        return cls(process, only_where_it_helps=only_where_it_helps)

    @property
    def alive(self) -> bool:
        return self._process is not None and not self._stopped

    @property
    def ready(self) -> bool:
        """Whether it loaded the models and is still running."""
        self._take_answers()
        return self._ready and self.alive

    def wait_ready(self, timeout: float) -> bool:
        """Wait until it is ready (at most ``timeout`` seconds); whether it is."""
        deadline = time.monotonic() + timeout
        while not self.ready and self.alive and (left := deadline - time.monotonic()) > 0:
            with contextlib.suppress(OSError, ValueError):
                select.select([self._answers], [], [], min(left, 0.5))
        return self.ready

    def _take_answers(self) -> None:
        """Take the answers that came, without waiting (each takes a few microseconds to read)."""
        if self._answers < 0 or self._stopped or not self._reading.acquire(blocking=False):
            return
        try:
            while True:
                try:
                    data = os.read(self._answers, 1 << 16)
                except BlockingIOError:
                    break
                except OSError:
                    data = b""
                if not data:
                    self._stopped = True  # it stopped: what it did not answer is checked here
                    break
                self._inbox += data
            while len(self._inbox) >= _HEADER.size:
                (size,) = _HEADER.unpack_from(self._inbox)
                if size > _MAX_MESSAGE:
                    self._stopped = True
                    break
                if len(self._inbox) < _HEADER.size + size:
                    break
                message = pickle.loads(bytes(self._inbox[_HEADER.size:_HEADER.size + size]))  # this program's child
                del self._inbox[:_HEADER.size + size]
                self._answer(message)
        except (pickle.UnpicklingError, ValueError, TypeError, EOFError):
            self._stopped = True
        finally:
            self._reading.release()

    def _answer(self, message: Any) -> None:
        if message[0] == _READY:
            self._ready = True
            return
        _kind, job_id, count, low, fault = message
        job = self._job
        if job is None or job.id != job_id:
            return  # an answer for an open that finished
        job.count = count
        if fault is not None:
            job.fault = fault
        if low is not None:
            self.checked_there += (job.low if job.low is not None else count) - low
            job.low = low

    def progress(self, job: _Job) -> None:
        """Bring ``job`` up to date with the answers that came."""
        if self._job is job:
            self._take_answers()

    def begin(self, plain: bytes) -> _Job | None:
        """Hand it a share's plaintext, when it is ready, no other open uses it and a CPU is
        free for it (:func:`cpu_to_spare`): the job to follow (finish it with :meth:`end`),
        else ``None``."""
        if self._only_where_it_helps and not cpu_to_spare():
            return None
        if not self.ready or not self._lock.acquire(blocking=False):
            return None
        self._jobs += 1
        job = self._job = _Job(self._jobs)
        try:
            assert self._process is not None and self._process.stdin is not None
            _write(self._process.stdin, (_JOB, job.id, plain))
        except (OSError, ValueError, AssertionError):
            self._job = None
            self._lock.release()
            self.close()
            return None
        return job

    def end(self, job: _Job) -> None:
        """The open needs no more answers for ``job``: the process stops checking it."""
        if self._job is job:
            self._job = None
            with contextlib.suppress(OSError, ValueError, AttributeError):
                assert self._process is not None and self._process.stdin is not None
                _write(self._process.stdin, (_CANCEL, job.id))
            self._lock.release()

    def close(self) -> None:
        """Stop the process (it also stops when this one exits: its input ends)."""
        process, self._process = self._process, None
        self._stopped = True
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


def validated_entries(items: tuple[Located, ...], *, name: str, job: _Job | None,
                      validator: EnvelopeValidator | None) -> None:
    """Validate every entry, as :func:`wallet.records.validate.validate_file` does its
    items, sharing the work with the validating process's ``job`` (see the module docs;
    ``None``: all here). Raises :class:`InvalidRecord` for the first entry at fault, with
    ``name`` and the entry's position, whichever process found it."""
    count = len(items)
    i = 0
    try:
        while True:
            low = count
            if job is not None and validator is not None:
                validator.progress(job)
            if job is not None and job.low is not None and job.count == count:
                low = job.low  # answered for from there on (a process that read the share otherwise is ignored)
            if i >= low:
                break
            for item in items[i:min(i + STEP, low)]:
                try:
                    validate_resource(item)
                except InvalidRecord as exc:
                    raise in_file(name, exc) from exc
            i = min(i + STEP, low)
        fault = job.fault if job is not None and job.count == count else None
        if fault is not None:
            raise InvalidRecord(fault[1])
    finally:
        if job is not None and validator is not None:
            validator.end(job)


# --- the validating process ---------------------------------------------------------


def _warm() -> None:
    from ..records.validate import _model

    for resource_type in _WARM_TYPES:
        with contextlib.suppress(InvalidRecord):
            _model(resource_type)


def _check(job_id: int, plain: bytes, cancelled: set[int], answer: Any) -> None:
    """Check a share's entries from the last one down, answering every :data:`STEP`."""
    from .protocol import ENVELOPE_NAME, gated_document

    try:
        _bundle, parsed = gated_document(plain)
    except InvalidRecord:
        answer((_CHECKED, job_id, -1, None, None))  # refused at the gate: this process's open says why
        return
    items = parsed.items
    count = len(items)
    fault: tuple[int, str] | None = None
    index = count
    while index > 0 and job_id not in cancelled:
        low = max(0, index - STEP)
        for k in range(index - 1, low - 1, -1):
            try:
                validate_resource(items[k])
            except InvalidRecord as exc:
                fault = (k, in_file(ENVELOPE_NAME, exc).user_message)  # the lowest so far: checked downwards
        index = low
        answer((_CHECKED, job_id, count, index, fault))


def _serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    """Answer shares until the wallet closes the pipe (or exits)."""
    import queue

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
            os._exit(0)  # the wallet stopped: so does this process, whatever it was doing

    threading.Thread(target=read, daemon=True).start()
    _warm()
    _write(stdout, (_READY,))
    while True:
        _kind, job_id, plain = inbox.get()
        if job_id not in cancelled:
            _check(job_id, plain, cancelled, lambda message: _write(stdout, message))


if __name__ == "__main__":
    # answers go out on a copy of standard output; what anything else might print goes to standard error
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    _serve(sys.stdin.buffer, answers)
