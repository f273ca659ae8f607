"""Work off the GUI thread, OnionShare style: a QObject worker on a QThread that emits
progress, finished, failed or cancelled.

This module (with :mod:`wallet.gui.main`) is the only place in the GUI that catches
:class:`~wallet.errors.WalletError`; everywhere else the GUI shows the one-line
``user_message`` these signals carry.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from ..errors import Cancelled, KeyringUnavailable, WalletError
from ..events import CancelToken, Progress, ProgressSink
from ..services import UnlockedWallet, WalletService, phrase_problem

__all__ = ["JobRunner", "Ticket", "UnlockOutcome", "phrase_problem", "retire_runner", "unlock_job"]

log = logging.getLogger(__name__)

JobFunction = Callable[[ProgressSink, CancelToken], Any]
_PROGRESS_INTERVAL = 0.03  # seconds between progress signals of one job


@dataclass
class Ticket:
    """A submitted job: cancel it, or ask whether it is still running."""

    job_id: int
    cancel_token: CancelToken = field(default_factory=CancelToken)
    running: bool = True

    def cancel(self) -> None:
        self.cancel_token.cancel()


@dataclass
class _Callbacks:
    ticket: Ticket
    on_done: Callable[[Any], None] | None
    on_failed: Callable[[str], None] | None
    on_progress: Callable[[Progress], None] | None
    on_cancelled: Callable[[str], None] | None
    latest: str | None = None
    stale: bool = False  # a later job of the same ``latest`` key was submitted, or it was dropped


class _Worker(QObject):
    """Lives on the runner's thread; runs one job at a time."""

    progress = Signal(int, object)
    finished = Signal(int, object)
    failed = Signal(int, str)
    cancelled = Signal(int, str)

    @Slot(int, object, object)
    def execute(self, job_id: int, fn: JobFunction, token: CancelToken) -> None:
        last = [0.0]

        def sink(p: Progress) -> None:
            now = time.monotonic()
            if p.done >= p.total or now - last[0] >= _PROGRESS_INTERVAL:
                last[0] = now
                self.progress.emit(job_id, p)

        try:
            if token.cancelled:
                raise Cancelled()
            result = fn(sink, token)
        except Cancelled as exc:
            self.cancelled.emit(job_id, exc.user_message)
        except WalletError as exc:
            self.failed.emit(job_id, exc.user_message)
        except Exception as exc:
            log.exception("background job failed")
            self.failed.emit(job_id, f"Something went wrong ({type(exc).__name__}); nothing more was changed. "
                                     "Try again; if it happens again, quit Health Wallet and start it again.")
        else:
            self.finished.emit(job_id, result)


class JobRunner(QObject):
    """One background thread running submitted jobs in order.

    Callbacks run on the GUI thread. A job is ``fn(progress_sink, cancel_token)``.

    "Only the latest result counts": a job submitted with ``latest=KEY`` makes every
    earlier job of that key stale. A stale job is cancelled (one that checks its token
    stops early) and its callbacks never run, whatever it returns. :meth:`drop` makes the
    jobs of a key stale without submitting a new one (the view changed or emptied).
    """

    _submit = Signal(int, object, object)
    _ids = itertools.count(1)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs: dict[int, _Callbacks] = {}
        self._thread = QThread()
        self._thread.setObjectName(name)
        self._worker = _Worker()
        self._worker.moveToThread(self._thread)
        self._submit.connect(self._worker.execute)
        self._worker.progress.connect(self._on_progress)
        self._worker.finished.connect(self._on_finished)
        self._worker.failed.connect(self._on_failed)
        self._worker.cancelled.connect(self._on_cancelled)
        self._thread.start()

    def __repr__(self) -> str:
        return f"JobRunner({self._thread.objectName()}, pending={len(self._jobs)})"

    @property
    def busy(self) -> bool:
        return bool(self._jobs)

    @property
    def shut_down(self) -> bool:
        """True once :meth:`shutdown` has run: :meth:`submit` would raise."""
        return not self._thread.isRunning()

    def submit(self, fn: JobFunction, *, on_done: Callable[[Any], None] | None = None,
               on_failed: Callable[[str], None] | None = None,
               on_progress: Callable[[Progress], None] | None = None,
               on_cancelled: Callable[[str], None] | None = None, latest: str | None = None) -> Ticket:
        """Queue ``fn``; with ``latest`` only this job's result counts among the jobs of that key."""
        if not self._thread.isRunning():
            raise RuntimeError("this job runner was shut down")
        if latest is not None:
            self.drop(latest)
        ticket = Ticket(next(self._ids))
        self._jobs[ticket.job_id] = _Callbacks(ticket, on_done, on_failed, on_progress, on_cancelled, latest)
        self._submit.emit(ticket.job_id, fn, ticket.cancel_token)
        return ticket

    def drop(self, latest: str) -> None:
        """Cancel the pending jobs submitted with ``latest=latest`` and drop their results."""
        for cb in self._jobs.values():
            if cb.latest == latest and not cb.stale:
                cb.stale = True
                cb.ticket.cancel()

    def pending(self, latest: str) -> bool:
        """Whether a job of ``latest`` whose result still counts is queued or running."""
        return any(cb.latest == latest and not cb.stale for cb in self._jobs.values())

    def cancel_all(self) -> None:
        for cb in self._jobs.values():
            cb.ticket.cancel()

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """Cancel what is pending, let the running job end, stop the thread.

        Callbacks of jobs that end after this are dropped."""
        self.cancel_all()
        self._jobs.clear()
        self._thread.quit()
        self._thread.wait(timeout_ms)

    def _pop(self, job_id: int) -> _Callbacks | None:
        """The callbacks of a job that ended; ``None`` when they no longer count."""
        cb = self._jobs.pop(job_id, None)
        if cb is None:
            return None
        cb.ticket.running = False
        return None if cb.stale else cb

    @Slot(int, object)
    def _on_progress(self, job_id: int, progress: Progress) -> None:
        cb = self._jobs.get(job_id)
        if cb is not None and not cb.stale and cb.on_progress is not None:
            cb.on_progress(progress)

    @Slot(int, object)
    def _on_finished(self, job_id: int, result: Any) -> None:
        cb = self._pop(job_id)
        if cb is not None and cb.on_done is not None:
            cb.on_done(result)

    @Slot(int, str)
    def _on_failed(self, job_id: int, message: str) -> None:
        cb = self._pop(job_id)
        if cb is not None and cb.on_failed is not None:
            cb.on_failed(message)

    @Slot(int, str)
    def _on_cancelled(self, job_id: int, message: str) -> None:
        cb = self._pop(job_id)
        if cb is None:
            return
        if cb.on_cancelled is not None:
            cb.on_cancelled(message)
        elif cb.on_failed is not None:
            cb.on_failed(message)


def retire_runner(runner: JobRunner | None) -> None:
    """Shut ``runner`` down (see :meth:`JobRunner.shutdown`) and delete it once control
    returns to the event loop; ``None`` (no wallet open) is left alone."""
    if runner is not None:
        runner.shutdown()
        runner.deleteLater()


# --- jobs whose expected failures are part of the answer ----------------------


@dataclass(frozen=True)
class UnlockOutcome:
    """An unlocked wallet, and a notice to show if remembering the unlock failed."""

    wallet: UnlockedWallet
    notice: str = ""


def unlock_job(service: WalletService, passphrase: str, *, remember: bool | None = None) -> JobFunction:
    """Unlock; then remember (True), forget (False) or leave (None) the unlock in the
    OS keyring. A missing keyring is a notice, not a failure."""

    def run(_progress: ProgressSink, _cancel: CancelToken) -> UnlockOutcome:
        wallet = service.unlock(passphrase)
        notice = ""
        try:
            if remember is True:
                service.remember_unlock(passphrase)
            elif remember is False:
                service.forget_unlock()
        except KeyringUnavailable as exc:
            notice = exc.user_message
        return UnlockOutcome(wallet, notice)

    return run
