"""One background job at a time, on a thread that exists only while the job runs.

For dialogs and pages that run a job now and then (export, verify, restore): an idle
dialog holds no thread, so closing or dropping it never leaves a thread running. While
a job runs, :meth:`SingleJob.stop` cancels it and waits for it to end.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject

from ..events import Progress
from .workers import JobFunction, JobRunner, Ticket

__all__ = ["SingleJob"]


class SingleJob:
    def __init__(self, name: str, owner: QObject) -> None:
        self._name = name
        self._owner = owner
        self._runner: JobRunner | None = None
        self._ticket: Ticket | None = None

    def __repr__(self) -> str:
        return f"SingleJob({self._name}, running={self.running})"

    @property
    def running(self) -> bool:
        return self._ticket is not None and self._ticket.running

    def start(self, fn: JobFunction, *, on_done: Callable[[Any], None] | None = None,
              on_failed: Callable[[str], None] | None = None,
              on_progress: Callable[[Progress], None] | None = None,
              on_cancelled: Callable[[str], None] | None = None) -> Ticket:
        """Run ``fn(progress, cancel)``; callbacks run on the GUI thread after the thread ended."""
        if self.running:
            raise RuntimeError(f"{self._name} is already running a job")
        runner = JobRunner(self._name, self._owner)

        def ending(callback: Callable[[Any], None] | None) -> Callable[[Any], None]:
            def call(value: Any) -> None:
                self._end(runner)
                if callback is not None:
                    callback(value)

            return call

        self._runner = runner
        self._ticket = runner.submit(fn, on_done=ending(on_done), on_failed=ending(on_failed),
                                     on_progress=on_progress, on_cancelled=ending(on_cancelled or on_failed))
        return self._ticket

    def cancel(self) -> None:
        if self._ticket is not None:
            self._ticket.cancel()

    def stop(self) -> None:
        """Cancel a running job and wait for its thread; its callbacks are dropped."""
        self.cancel()
        if self._runner is not None:
            self._end(self._runner)

    def _end(self, runner: JobRunner) -> None:
        runner.shutdown()
        runner.deleteLater()
        if self._runner is runner:
            self._runner = None
            self._ticket = None
