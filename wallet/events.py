"""Progress and cancellation: how long work in the core talks to whoever runs it.

The core never knows whether a terminal or a Qt worker is listening; it calls a
:class:`ProgressSink` and checks a :class:`CancelToken` between steps.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from .errors import Cancelled

__all__ = ["NO_PROGRESS", "CancelToken", "Progress", "ProgressSink", "report"]


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    message: str = ""

    def __post_init__(self) -> None:
        if self.done < 0 or self.total < 0:
            raise ValueError("progress counts must be non-negative")

    @property
    def fraction(self) -> float:
        return 1.0 if self.total == 0 else min(1.0, self.done / self.total)


ProgressSink = Callable[[Progress], None]


def NO_PROGRESS(_progress: Progress) -> None:
    return None


class CancelToken:
    """Set from any thread; the worker raises :class:`Cancelled` at its next check."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled()


def report(sink: ProgressSink | None, done: int, total: int, message: str = "") -> None:
    if sink is not None:
        sink(Progress(done, total, message))
