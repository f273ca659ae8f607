"""Guards against known defects of the Qt bindings, applied when ``wallet.gui`` loads.

PySide6 6.12.0 on Python 3.11 returns ``None`` from every void method without taking a
reference (Python 3.12 made ``None`` immortal, so the bindings no longer count it).
Each ``label.setText()`` or ``processEvents()`` then lowers ``None``'s reference count
by one, and after a few thousand calls Python aborts with "deallocating None". The
defect is detected by calling a void method and watching the count; if it is present,
``None`` is given a reference count it cannot use up, which is what Python 3.12 does.
Nothing is changed on a binding that counts correctly.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject

__all__ = ["guard_none_refcount", "none_refcount_defect"]

_PROBES = 64
_HEADROOM = 1 << 40


def none_refcount_defect() -> bool:
    """True if calling a void Qt method drops a reference to ``None``."""
    if sys.version_info >= (3, 12):
        return False  # None is immortal: a missing reference cannot hurt
    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(_PROBES):
        probe.setObjectName("probe")
    return before - sys.getrefcount(None) >= _PROBES // 2


def guard_none_refcount() -> bool:
    """Make ``None`` effectively immortal if the bindings miscount it; True if applied."""
    if not none_refcount_defect():
        return False
    import ctypes

    refcnt = ctypes.c_ssize_t.from_address(id(None))  # ob_refcnt, the first field of every object
    refcnt.value += _HEADROOM
    return True
