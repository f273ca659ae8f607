"""The profile switcher (whose records the window shows) and the name asked for a new
profile. The question is a module function so a test can answer it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QWidget

__all__ = ["ProfileSwitcher", "ask_profile_name"]


class ProfileSwitcher(QComboBox):
    """A combo of the wallet's profiles, the owner first; ``switched(name)`` when the user
    picks another. Filled from ``wallet.profiles()`` (one small query)."""

    switched = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Profile")
        self.setToolTip("Whose records are shown: the wallet's owner, or another person kept in this wallet")
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self._filling = False
        self.currentIndexChanged.connect(self._changed)

    def fill(self, wallet: Any) -> None:
        """Show ``wallet``'s profiles and select its active one."""
        self._filling = True
        try:
            self.clear()
            for view in wallet.profiles():
                person = view.patient[:1].upper() + view.patient[1:]  # "An unnamed patient, id p1"
                label = person if view.is_owner else f"{view.name}: {view.patient}"
                self.addItem(f"{label} ({view.records:,})", view.name)
            self.setCurrentIndex(max(self.findData(wallet.profile), 0))
            self.setEnabled(self.count() > 1)
        finally:
            self._filling = False

    def empty(self) -> None:
        self._filling = True
        try:
            self.clear()
            self.setEnabled(False)
        finally:
            self._filling = False

    @property
    def current_profile(self) -> str | None:
        data = self.currentData()
        return str(data) if data is not None else None

    def _changed(self, _index: int) -> None:
        if not self._filling and self.current_profile is not None:
            self.switched.emit(self.current_profile)


def ask_profile_name(parent: QWidget, person: str) -> str | None:
    """A name for a new profile holding ``person``'s records, or ``None`` when cancelled."""
    from PySide6.QtWidgets import QInputDialog, QLineEdit  # the dialog's classes load when it is first asked

    name, ok = QInputDialog.getText(parent, "New profile", f"A name for the profile of {person} (e.g. a first name):",
                                    QLineEdit.EchoMode.Normal, "")
    return name.strip() if ok and name.strip() else None
