"""The wallet home and its settings.

A *home* is one wallet's data directory (``--home``, ``HEALTH_WALLET_HOME`` or the
platform's user data dir). Settings live in ``config.json`` inside it as dotted keys
(``chain.rpc``); a few environment variables override them for one run.

Code reads them typed, through :attr:`Config.settings` (a frozen :class:`Settings`,
e.g. ``config.settings.chain_rpc -> str``); :meth:`Config.get` by dotted key is for
the ``config`` command, which lists and prints them by name.

    {"version": 1, "settings": {"chain.rpc": "http://127.0.0.1:8545", "ipfs.mdns": false}}
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import untrusted
from .atomicfile import write_atomic
from .errors import ConfigError, InputRefused
from .formats import FileFormat, upgrade_json_document

__all__ = ["EMBEDDED", "ENV_OVERRIDES", "SETTINGS", "TEXT_PERCENT_RANGE", "THEMES", "Config", "Settings",
           "default_home", "resolve_home"]

CONFIG_FILE = "config.json"
CONFIG_VERSION = 1
EMBEDDED = "embedded"  # ipfs.api / chain.rpc: the node inside the app
# Older settings files are upgraded on load by these steps (upgrade_v1_to_v2, …, in order).
CONFIG_FORMAT: FileFormat[dict[str, Any]] = FileFormat("settings file", CONFIG_VERSION, (), error=ConfigError)

# key -> (default, description). Unknown keys are refused so typos are caught.
SETTINGS: dict[str, tuple[Any, str]] = {
    "lock.idle_minutes": (10, "lock the app after this many idle minutes (0 = never)"),
    "unlock.remember": (False, "remember the unlock in the OS keyring"),
    "ipfs.api": ("embedded", "'embedded' or the multiaddr of a Kubo RPC API"),
    "ipfs.swarm_port": (0, "swarm port of the embedded node (0 = choose one and keep it)"),
    "ipfs.mdns": (True, "local peer discovery for the embedded node"),
    "ipfs.bootstrap": (True, "dial the public bootstrap peers"),
    "ipfs.peers": ([], "multiaddrs to dial at start"),
    "ipfs.loopback_only": (False, "listen on 127.0.0.1 only (a node for this computer alone)"),
    "chain.rpc": ("embedded", "'embedded' or an EVM JSON-RPC URL"),
    "chain.contract": ("", "address of the grants contract on chain.rpc"),
    "chain.embedded_dir": ("", "shared state folder of the embedded chain (default: per user)"),
    "ui.theme": ("system", "the app's colours: 'system', 'light' or 'dark'"),
    "ui.text_percent": (100, "the app's text size in percent of the system's (50 to 300)"),
    "sharing.keep_after_close": (True, "closing the window locks the wallet but keeps sharing (system-tray icon)"),
}

THEMES = ("system", "light", "dark")
TEXT_PERCENT_RANGE = (50, 300)

ENV_OVERRIDES = {
    "HEALTH_WALLET_CHAIN_RPC": "chain.rpc",
    "HEALTH_WALLET_CHAIN_CONTRACT": "chain.contract",
    "HEALTH_WALLET_IPFS_API": "ipfs.api",
}


def default_home() -> Path:
    from platformdirs import user_data_path

    return user_data_path("health-wallet", appauthor=False)


def resolve_home(explicit: str | os.PathLike[str] | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get("HEALTH_WALLET_HOME")
    if env:
        return Path(env).expanduser().resolve()
    return default_home()


@dataclass(frozen=True)
class Settings:
    """The settings of one home, typed and checked when built (one field per key of
    :data:`SETTINGS`, named by it: ``chain.rpc`` → ``chain_rpc``)."""

    lock_idle_minutes: float  # 0: never
    unlock_remember: bool
    ipfs_api: str  # EMBEDDED or a Kubo RPC multiaddr
    ipfs_swarm_port: int  # 0: choose one and keep it
    ipfs_mdns: bool
    ipfs_bootstrap: bool
    ipfs_peers: tuple[str, ...]
    ipfs_loopback_only: bool
    chain_rpc: str  # EMBEDDED or an EVM JSON-RPC URL
    chain_contract: str | None  # None: none configured
    chain_embedded_dir: Path | None  # None: the per-user default
    ui_theme: str = "system"  # one of THEMES
    ui_text_percent: int = 100  # within TEXT_PERCENT_RANGE
    sharing_keep_after_close: bool = True  # the IPFS node keeps serving shares after the window closes

    @classmethod
    def from_values(cls, value_of: Mapping[str, Any]) -> Settings:
        """Settings from dotted keys (every key of :data:`SETTINGS`); :class:`ConfigError`
        names the first key whose value has the wrong type."""
        for key, (default, _) in SETTINGS.items():
            if not _is_like(key, value_of[key], default):
                raise ConfigError(f"Setting {key!r} needs a value like {default!r}, not {value_of[key]!r}; "
                                  f"set it again with 'health-wallet config set {key} …'.")
            _check_value(key, value_of[key])
        return cls(
            lock_idle_minutes=value_of["lock.idle_minutes"],
            unlock_remember=value_of["unlock.remember"],
            ipfs_api=value_of["ipfs.api"],
            ipfs_swarm_port=value_of["ipfs.swarm_port"],
            ipfs_mdns=value_of["ipfs.mdns"],
            ipfs_bootstrap=value_of["ipfs.bootstrap"],
            ipfs_peers=tuple(value_of["ipfs.peers"]),
            ipfs_loopback_only=value_of["ipfs.loopback_only"],
            chain_rpc=value_of["chain.rpc"],
            chain_contract=value_of["chain.contract"] or None,
            chain_embedded_dir=Path(value_of["chain.embedded_dir"]).expanduser() if value_of["chain.embedded_dir"]
            else None,
            ui_theme=value_of["ui.theme"],
            ui_text_percent=value_of["ui.text_percent"],
            sharing_keep_after_close=value_of["sharing.keep_after_close"],
        )


def _check_value(key: str, value: Any) -> None:
    """Refuse a value of the right type that the setting cannot take (:class:`ConfigError`)."""
    if key == "ui.theme" and value not in THEMES:
        raise ConfigError(f"Setting 'ui.theme' is one of {', '.join(THEMES)}, not {value!r}.")
    low, high = TEXT_PERCENT_RANGE
    if key == "ui.text_percent" and not low <= value <= high:
        raise ConfigError(f"Setting 'ui.text_percent' is a percentage from {low} to {high}, not {value!r}.")


_FRACTIONAL = frozenset({"lock.idle_minutes"})  # numbers that may have a fraction


def _is_like(key: str, value: Any, default: Any) -> bool:
    """Whether ``value`` has the JSON type of ``default`` (a bool is not a number; lists hold strings)."""
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, list):
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if key in _FRACTIONAL:
        return isinstance(value, (int, float))
    return isinstance(value, type(default))


@dataclass
class Config:
    """Settings of one home. ``get`` applies environment overrides; ``set`` persists."""

    home: Path
    values: dict[str, Any] = field(default_factory=dict)
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)

    @classmethod
    def load(cls, home: Path, environ: Mapping[str, str] | None = None) -> Config:
        path = Path(home) / CONFIG_FILE
        values: dict[str, Any] = {}
        if path.exists():
            try:
                doc = untrusted.loads(untrusted.read_bytes(path, max_bytes=untrusted.MAX_METADATA_BYTES),
                                      what="the file", parse_float=float)
            except InputRefused as exc:
                raise ConfigError(f"The settings file {path} is unreadable: {exc.user_message}") from exc
            if not isinstance(doc, dict):
                raise ConfigError(f"The settings file {path} has an unknown format.")
            doc, upgraded = upgrade_json_document(doc, CONFIG_FORMAT, where=path)
            if upgraded:
                write_atomic(path, json.dumps(doc, indent=2, sort_keys=True).encode())
            values = {k: v for k, v in doc.get("settings", {}).items() if k in SETTINGS}
        return cls(Path(home), values, os.environ if environ is None else environ)

    @property
    def settings(self) -> Settings:
        """Every setting, typed, with the environment's overrides applied."""
        return Settings.from_values({key: self.get(key) for key in SETTINGS})

    def get(self, key: str) -> Any:
        """One setting by dotted key, as JSON would hold it (for listing and printing)."""
        if key not in SETTINGS:
            raise ConfigError(f"Unknown setting {key!r}.")
        for env, target in ENV_OVERRIDES.items():
            if target == key and self.environ.get(env):
                return self.environ[env]
        if key == "ipfs.peers" and self.environ.get("HEALTH_WALLET_IPFS_PEERS"):
            extra = [p.strip() for p in self.environ["HEALTH_WALLET_IPFS_PEERS"].split(",")]
            return list(self.values.get(key, [])) + [p for p in extra if p]
        return self.values.get(key, SETTINGS[key][0])

    def set(self, key: str, value: Any) -> None:
        if key not in SETTINGS:
            raise ConfigError(f"Unknown setting {key!r}; known: {', '.join(sorted(SETTINGS))}.")
        default = SETTINGS[key][0]
        value = _coerce(key, value, default)
        if not _is_like(key, value, default):
            raise ConfigError(f"Setting {key!r} needs a value like {default!r}, not {value!r}.")
        _check_value(key, value)
        self.values[key] = value
        self.save()

    def unset(self, *keys: str) -> tuple[str, ...]:
        """Remove ``keys`` from the file (they fall back to their defaults); the ones that were set."""
        cleared = tuple(k for k in keys if k in self.values)
        if cleared:
            for key in cleared:
                del self.values[key]
            self.save()
        return cleared

    def save(self) -> None:
        doc = {"version": CONFIG_VERSION, "settings": self.values}
        write_atomic(self.home / CONFIG_FILE, json.dumps(doc, indent=2, sort_keys=True).encode())


def _coerce(key: str, value: Any, default: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        if isinstance(default, bool):
            if value.lower() in ("1", "true", "yes", "on"):
                return True
            if value.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(value)
        if isinstance(default, int):
            return int(value)
        if isinstance(default, list):
            return [v.strip() for v in value.split(",") if v.strip()]
    except ValueError as exc:
        raise ConfigError(f"Setting {key!r} needs a value like {default!r}, not {value!r}.") from exc
    return value
