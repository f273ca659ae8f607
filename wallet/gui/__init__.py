"""The desktop app (PySide6): the only package that imports Qt.

Entry point: :func:`wallet.gui.main.run`. Windows and dialogs are thin adapters over
:mod:`wallet.services`; long work runs on worker threads (:mod:`wallet.gui.workers`).
"""

from .qt_compat import guard_none_refcount

guard_none_refcount()
