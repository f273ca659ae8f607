"""What the screenshot scripts share: let the event loop run, wait for a condition, and
save a widget's own rendering (``QWidget.grab()``) as ``<out>/<name>.png``."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["Shots"]


class Shots:
    """The event-loop helpers of one screenshot run over ``app``, saving into ``out``."""

    def __init__(self, app: Any, out: Path, *, timeout: float = 60) -> None:
        self.app = app
        self.out = out
        self.timeout = timeout
        out.mkdir(parents=True, exist_ok=True)

    def pump(self, seconds: float = 0.3) -> None:
        """Process events for ``seconds`` (layouts settle, workers report back)."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.app.processEvents()
            time.sleep(0.01)

    def wait(self, cond: Callable[[], Any], seconds: float | None = None) -> None:
        """Process events until ``cond()`` holds; stop the run if it does not in time."""
        end = time.monotonic() + (self.timeout if seconds is None else seconds)
        while not cond():
            if time.monotonic() > end:
                raise SystemExit("timed out")
            self.app.processEvents()
            time.sleep(0.01)

    def save(self, widget: Any, name: str, *, settle: bool = True) -> Path:
        """Grab ``widget`` into ``<out>/<name>.png`` (after letting it settle) and print the path."""
        if settle:
            self.pump()
        path = self.out / f"{name}.png"
        widget.grab().save(str(path))
        print(path)
        return path
