"""A tab page whose view is built the first time it is shown or asked for.

The main window opens on the records; the Sharing, Shared with me, Access log, Health
cards and Backups tabs import their modules and build their widgets when the patient
first opens them (or a menu command needs them), so opening the wallet does not pay
for screens nobody has looked at yet.

The views follow the tab protocol of the main window: ``set_wallet(wallet)``,
``clear()`` before the wallet locks, and ``refresh()`` when the tab is shown. The page
keeps the wallet it was given and hands it to the view when the view is made.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

from ..services import UnlockedWallet

__all__ = ["LazyTab", "WalletView"]


class WalletView(Protocol):
    """A tab's view: a widget that shows one unlocked wallet."""

    def set_wallet(self, wallet: UnlockedWallet) -> None: ...

    def clear(self) -> None: ...

    def refresh(self) -> None: ...

    def isVisible(self) -> bool: ...

    def show(self) -> None: ...


V = TypeVar("V", bound=QWidget)


class LazyTab(QWidget, Generic[V]):
    """Holds the view ``make(page)`` returns, made on first :attr:`view` access or show."""

    def __init__(self, make: Callable[[QWidget], V], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._make = make
        self._view: V | None = None
        self._wallet: UnlockedWallet | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    def __repr__(self) -> str:
        return f"LazyTab(built={self._view is not None})"

    @property
    def built(self) -> bool:
        return self._view is not None

    @property
    def view(self) -> V:
        """The view (a :class:`WalletView` widget), built on first use."""
        if self._view is None:
            self._view = self._make(self)
            self._layout.addWidget(self._view)
            if self._wallet is not None:
                self._tab().set_wallet(self._wallet)
        return self._view

    def _tab(self) -> WalletView:
        view = self.view
        assert hasattr(view, "set_wallet"), f"{type(view).__name__} is not a wallet view"
        return view  # type: ignore[return-value]  # checked above: every view made here is a WalletView

    def set_wallet(self, wallet: UnlockedWallet) -> None:
        self._wallet = wallet
        if self._view is not None:
            self._tab().set_wallet(wallet)

    def clear(self) -> None:
        self._wallet = None
        if self._view is not None:
            self._tab().clear()

    def refresh(self) -> None:
        """Read again (building the view first) while a wallet is open."""
        if self._wallet is not None:
            self._tab().refresh()

    def showEvent(self, event: QShowEvent) -> None:
        view = self.view  # built before the page's first paint
        if not view.isVisible():  # Qt showed the page's children before this event
            view.show()
        super().showEvent(event)
