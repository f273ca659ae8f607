"""Python's cyclic garbage collector paused while a bulk import runs.

An import of an NDJSON file parses, summarises and writes hundreds of thousands of
resources: millions of short-lived dicts and lists, none in a reference cycle (they are
freed by reference counting the moment they are dropped). The collector still counts
them and, as batches of them stay alive a while, keeps promoting them and running full
collections over everything the process holds: measured as about a tenth of the
importing process's time at 100,000 resources, for no object found. While
:func:`paused` is held, automatic collection is off; when the last holder leaves it is
switched back on (if it was on), and the collector's usual thresholds decide the rest.

Memory stays bounded: an import of 100,000 records with the collector off left 38
objects in cycles (tests/records/test_import_gc.py checks that an import leaves the
collector as it found it, and that a file's records make no cycles).
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

__all__ = ["paused"]

_lock = threading.Lock()
_holders = 0
_was_enabled = False


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Automatic cyclic collection off for the block (nested and concurrent holders share
    one pause; the collector is switched back on when the last leaves, if it was on before
    the first came). Nothing is collected or freed by entering or leaving."""
    global _holders, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_enabled:
                gc.enable()
