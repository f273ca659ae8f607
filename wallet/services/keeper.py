"""``health-wallet keeper``: an always-on pinning service for people who run their own box.

It serves the IPFS Pinning Service API (:mod:`wallet.ipfs.pinning_server`) over the
home's own IPFS node (the embedded Kubo node unless ``ipfs.api`` names another), with
the access tokens of a tokens file (one per line). It needs no wallet in that home and
holds only what its clients pin: for Health Wallet, sealed ciphertext. Its pin list is
``keeper/pins.json`` in the home.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError, WalletError
from ..ipfs.backend import IpfsBackend
from ..ipfs.pinning_keeper import DEFAULT_PIN_TIMEOUT, Keeper, read_tokens_file
from ..ipfs.pinning_server import KeeperServer
from .context import WalletContext

__all__ = ["KeeperInfo", "KeeperRun", "parse_listen"]


@dataclass(frozen=True)
class KeeperInfo:
    """What a running keeper prints: its API ``endpoint`` URL, its node's ``peer_id`` and
    ``addresses`` (multiaddrs with ``/p2p/<peer id>``: the delegates clients dial)."""

    endpoint: str
    peer_id: str
    addresses: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {"endpoint": self.endpoint, "peer_id": self.peer_id, "addresses": list(self.addresses)}


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` or ``[IPv6]:PORT`` → ``(host, port)``; :class:`ConfigError` otherwise."""
    host, sep, port = text.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"--listen takes HOST:PORT (such as 127.0.0.1:8088), not {text!r}.")
    return host, int(port)


class KeeperRun:
    """One run of the keeper: :meth:`start` returns its :class:`KeeperInfo`, :meth:`stop` ends it."""

    def __init__(self, context: WalletContext, *, listen: str, tokens_file: Path,
                 pin_timeout: float = DEFAULT_PIN_TIMEOUT) -> None:
        self.context = context
        self.host, self.port = parse_listen(listen)
        self.tokens = read_tokens_file(Path(tokens_file))
        self.pin_timeout = pin_timeout
        self._ipfs: IpfsBackend | None = None
        self._keeper: Keeper | None = None
        self._server: KeeperServer | None = None

    def __repr__(self) -> str:
        return f"KeeperRun({self.context.home}, {self.host}:{self.port})"

    def start(self, *, wait: float = 60.0) -> KeeperInfo:
        ipfs = self.context.make_ipfs()
        self._ipfs = ipfs
        try:
            ipfs.start()
            node = ipfs.wait_ready(wait)
            self._keeper = Keeper(ipfs, self.context.home / "keeper", pin_timeout=self.pin_timeout)
            self._keeper.start()
            self._server = KeeperServer(self._keeper, self.tokens, host=self.host, port=self.port)
            endpoint = self._server.start()
        except BaseException:
            self.stop()
            raise
        return KeeperInfo(endpoint, node.peer_id, self._keeper.delegates)

    def stop(self) -> None:
        """Stop serving, stop pinning, stop the node (idempotent)."""
        if self._server is not None:
            with contextlib.suppress(Exception):
                self._server.stop()
            self._server = None
        if self._keeper is not None:
            self._keeper.stop()
            self._keeper = None
        if self._ipfs is not None:
            with contextlib.suppress(WalletError):
                self._ipfs.close()
            self._ipfs = None
