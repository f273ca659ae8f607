"""Composition root: the one place that picks real backends for a wallet home.

Tests build an :class:`App` with their own clock, keyring backend or environment;
production code calls :func:`build_app`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .clock import Clock, SystemClock
from .config import Config, resolve_home
from .vault.keystore import DEFAULT_KDF, LIGHT_KDF, KdfParams

__all__ = ["App", "build_app"]


@dataclass
class App:
    home: Path
    config: Config
    clock: Clock = field(default_factory=SystemClock)
    keyring_backend: Any = None  # None: the OS keyring, checked for security when used
    kdf: KdfParams = DEFAULT_KDF
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    extra_trusted_issuers: tuple[Any, ...] = ()  # SMART Health Card issuers trusted for this run (tests)

    def __repr__(self) -> str:
        return f"App(home={self.home})"


def build_app(home: str | os.PathLike[str] | None = None, *, environ: Mapping[str, str] | None = None,
              clock: Clock | None = None, keyring_backend: Any = None) -> App:
    env = os.environ if environ is None else environ
    resolved = resolve_home(home) if home or environ is None else resolve_home(env.get("HEALTH_WALLET_HOME"))
    kdf = LIGHT_KDF if env.get("HEALTH_WALLET_UNSAFE_LIGHT_KDF") == "1" else DEFAULT_KDF
    return App(
        home=resolved,
        config=Config.load(resolved, env),
        clock=clock or SystemClock(),
        keyring_backend=keyring_backend,
        kdf=kdf,
        environ=env,
    )
