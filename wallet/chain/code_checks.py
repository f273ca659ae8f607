"""Contract code this process has already checked, so a new connection does not check it again.

Before the wallet uses a grants contract it reads the runtime code at the address and
compares it with the committed artefact (:func:`~wallet.chain.canonical.identify_runtime`).
A second connection to the same endpoint (the app opening a share on another network, a
status check, a wallet unlocked again) would read the same code again. What was found to
be HealthGrants is remembered here, by endpoint, chain id and address, for as long as this
object lives (the app holds one per process: :class:`wallet.app.App`).

Why remembering is safe: HealthGrants has no ``SELFDESTRUCT`` and is deployed by CREATE2
from the committed init code (or, version 1, by CREATE), so the code at an address where
it was found cannot be replaced. Only positive answers are kept: an address without code,
or with other code, is read again every time, and an address on another endpoint or chain
is never answered from another's entry (the same address elsewhere can hold anything).
"""

from __future__ import annotations

import threading

__all__ = ["CodeChecks"]


class CodeChecks:
    """HealthGrants versions found at ``(endpoint, chain id, address)``; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._found: dict[tuple[str, int, str], int] = {}

    def __repr__(self) -> str:
        return f"CodeChecks({len(self._found)} contracts checked)"

    @staticmethod
    def _key(endpoint: str, chain_id: int, address: str) -> tuple[str, int, str]:
        return endpoint, int(chain_id), address.lower()

    def version(self, endpoint: str, chain_id: int, address: str) -> int | None:
        """The HealthGrants version found at ``address`` on this endpoint and chain, or
        ``None`` when it was not checked here (the caller reads the code)."""
        with self._lock:
            return self._found.get(self._key(endpoint, chain_id, address))

    def remember(self, endpoint: str, chain_id: int, address: str, version: int) -> None:
        """Keep that the code at ``address`` is HealthGrants ``version`` (1 or 2)."""
        if version not in (1, 2):
            raise ValueError("only a HealthGrants version (1 or 2) is remembered")
        with self._lock:
            self._found[self._key(endpoint, chain_id, address)] = version
