"""A tab page whose view is built the first time it is shown or asked for.

The main window opens on the records; the Sharing, Shared with me, Access log, Health
cards and Backups tabs import their modules and build their widgets when the patient
first opens them (or a menu command needs them), so opening the wallet does not pay
for screens nobody has looked at yet.
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

__all__ = ["LazyTab"]


class LazyTab(QWidget):
    """Holds the view ``make(page)`` returns, made on first :attr:`view` access or show."""

    def __init__(self, make: Callable[[QWidget], Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._make = make
        self._view: Any = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    def __repr__(self) -> str:
        return f"LazyTab(built={self._view is not None})"

    @property
    def built(self) -> bool:
        return self._view is not None

    @property
    def view(self) -> Any:
        if self._view is None:
            self._view = self._make(self)
            self._layout.addWidget(self._view)
        return self._view

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt API
        view = self.view  # built before the page's first paint
        if not view.isVisible():  # Qt showed the page's children before this event
            view.show()
        super().showEvent(event)
