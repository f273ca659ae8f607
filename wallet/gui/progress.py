"""Showing a worker's :class:`~wallet.events.Progress` on a progress bar and a label."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QProgressBar

from ..events import Progress

__all__ = ["show_progress"]


def show_progress(bar: QProgressBar, label: QLabel, progress: Progress, *, running: str = "…",
                  finished: str = "…") -> None:
    """Move ``bar`` to ``progress`` when it has a total, and show its message in ``label``
    followed by ``running`` while steps remain, ``finished`` once done == total."""
    if progress.total:
        bar.setRange(0, progress.total)
        bar.setValue(progress.done)
    if progress.message:
        label.setText(progress.message + (running if progress.done < progress.total else finished))
