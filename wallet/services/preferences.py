"""The settings a person changes from the app's Settings window: idle lock, colours and
text size. They live in the home's ``config.json`` (:mod:`wallet.config`), so they apply
before the wallet is unlocked; a hand-edited value the app cannot use reads as the default.
"""

from __future__ import annotations

from typing import Any

from ..config import SETTINGS, TEXT_PERCENT_RANGE, THEMES
from ..errors import WalletError
from .context import WalletContext

__all__ = ["TEXT_PERCENT_RANGE", "THEMES", "Preferences"]


class Preferences:
    """Read and change the person-facing settings of one home (no unlock needed)."""

    def __init__(self, app: WalletContext) -> None:
        self.app = app

    def __repr__(self) -> str:
        return f"Preferences({self.app.home})"

    def _read(self, key: str) -> Any:
        try:
            settings = self.app.config.settings
        except WalletError:  # another setting is unreadable: this one may still be fine
            value = self.app.config.get(key)
            return value if _usable(key, value) else SETTINGS[key][0]
        return getattr(settings, key.replace(".", "_", 1))

    @property
    def idle_minutes(self) -> float:
        """Minutes without use before the app locks (0: never)."""
        return float(self._read("lock.idle_minutes"))

    def set_idle_minutes(self, minutes: float) -> None:
        """Raises :class:`ConfigError` for a negative number."""
        from ..errors import ConfigError

        if minutes < 0:
            raise ConfigError("The idle lock needs 0 (never) or a number of minutes.")
        self.app.config.set("lock.idle_minutes", int(minutes) if float(minutes).is_integer() else float(minutes))

    @property
    def theme(self) -> str:
        """``system``, ``light`` or ``dark``."""
        return str(self._read("ui.theme"))

    def set_theme(self, theme: str) -> None:
        self.app.config.set("ui.theme", theme)

    @property
    def text_percent(self) -> int:
        """Text size in percent of the system's (:data:`TEXT_PERCENT_RANGE`)."""
        return int(self._read("ui.text_percent"))

    def set_text_percent(self, percent: int) -> int:
        """Clamp ``percent`` into :data:`TEXT_PERCENT_RANGE`, keep it, and return it."""
        low, high = TEXT_PERCENT_RANGE
        value = max(low, min(high, int(percent)))
        self.app.config.set("ui.text_percent", value)
        return value


def _usable(key: str, value: Any) -> bool:
    if key == "ui.theme":
        return value in THEMES
    if key == "ui.text_percent":
        return isinstance(value, int) and not isinstance(value, bool) and \
            TEXT_PERCENT_RANGE[0] <= value <= TEXT_PERCENT_RANGE[1]
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0
