"""A thread that copies a store's WAL into its file after a large write
(:meth:`wallet.records.store.RecordStore._commit_large`), so the writer need not wait.

SQLite, "Write-Ahead Logging", section 4 "Checkpointing": a checkpoint copies committed
pages from the WAL into the database file; ``PRAGMA wal_checkpoint(PASSIVE)`` does so
without waiting for any reader or writer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

__all__ = ["WalCopier"]


class WalCopier:
    """Runs ``checkpoint`` on a thread of its own when asked (:meth:`request`): once per
    request, one at a time, a request made while it runs giving one more run after."""

    def __init__(self, checkpoint: Callable[[], None]) -> None:
        self._checkpoint = checkpoint
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._again = False

    def request(self) -> None:
        with self._lock:
            if self._thread is not None:
                self._again = True
                return
            self._thread = threading.Thread(target=self._run, name="store-checkpoint", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            self._checkpoint()
            with self._lock:
                if not self._again:
                    self._thread = None
                    return
                self._again = False

    def wait(self) -> None:
        """Return once no checkpoint runs or is due."""
        while True:
            with self._lock:
                thread = self._thread
            if thread is None:
                return
            thread.join()
