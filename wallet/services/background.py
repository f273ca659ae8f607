"""One call run on a daemon thread while the caller goes on: its value or its exception later.

An open runs the IPFS fetch beside the chain check, and the access-log transaction beside
the validation. A daemon thread (not a pool) so a step the caller gave up on (a fetch
after the grant check refused the open) never keeps the process from exiting; the step
itself is bounded by its own time-out.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["Background"]

T = TypeVar("T")


class Background(Generic[T]):
    """``fn()`` started on a daemon thread named ``name`` as soon as this is built."""

    def __init__(self, fn: Callable[[], T], *, name: str) -> None:
        self._fn = fn
        self._done = threading.Event()
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def __repr__(self) -> str:
        return f"Background({self._thread.name}, done={self._done.is_set()})"

    def _run(self) -> None:
        try:
            self._value = self._fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller by result()
            self._error = exc
        finally:
            self._done.set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def result(self) -> T:
        """Wait for the call; its value, or raise what it raised."""
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]  # set when no error was raised

    def wait(self) -> None:
        """Wait for the call to end, whatever it gave."""
        self._done.wait()
