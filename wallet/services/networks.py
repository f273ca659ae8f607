"""Network profiles as the CLI and GUI use them: list, choose, add, remove.

Choosing a profile clears ``chain.rpc`` and ``chain.contract`` from the home's settings
when they are set: both name one chain, and the profile now says which chain is used.
(``HEALTH_WALLET_CHAIN_RPC`` still overrides for one run.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..chain.networks import NetworkBook, NetworkProfile
from ..config import EMBEDDED
from ..errors import ConfigError
from .context import WalletContext

__all__ = ["NetworkChoice", "Networks"]

_CHAIN_SETTINGS = ("chain.rpc", "chain.contract")


@dataclass(frozen=True)
class NetworkChoice:
    """The profile now active and the settings that were cleared for it."""

    profile: NetworkProfile
    cleared: tuple[str, ...]


class Networks:
    """The network profiles of one home (no unlock needed)."""

    def __init__(self, app: WalletContext) -> None:
        self.app = app

    def __repr__(self) -> str:
        return f"Networks({self.app.home})"

    def _book(self) -> NetworkBook:
        return NetworkBook.load(self.app.home)

    def active(self) -> NetworkProfile:
        return self._book().active

    def active_name(self) -> str:
        """The network ``status`` reports: the active profile, or ``custom`` when ``chain.rpc`` overrides it."""
        if self.app.config.settings.chain_rpc != EMBEDDED:
            return "custom"
        return self._book().active.name

    def profiles(self) -> list[dict[str, Any]]:
        """``[{name, chain_id, rpc, active, currency, explorer, title, testnet, builtin}]``."""
        book = self._book()
        return [p.as_json(active=p.name == book.active_name) for p in book.profiles()]

    def matching(self, chain_id: int) -> list[NetworkProfile]:
        """Profiles for a share token's chain id (the GUI asks when several match)."""
        return self._book().by_chain_id(chain_id)

    def use(self, name: str) -> NetworkChoice:
        book = self._book().use(name)
        return NetworkChoice(book.active, self.app.config.unset(*_CHAIN_SETTINGS))

    def add(self, name: str, *, chain_id: int, rpc: list[str], currency: str | None = None,
            explorer: str | None = None) -> NetworkProfile:
        """Add a profile or override a built-in's RPC list; ``ConfigError`` for bad values."""
        try:
            profile = NetworkProfile(name=name.strip().lower(), chain_id=chain_id, rpc=tuple(rpc),
                                     currency=currency or "ETH", explorer=explorer or None)
        except ValueError as exc:
            raise ConfigError(f"The network profile is not valid: {exc}.") from exc
        return self._book().add(profile).get(profile.name)

    def remove(self, name: str) -> str:
        """Remove a user profile or a built-in's override; a one-line note of what happened."""
        _book, note = self._book().remove(name)
        return note
