"""``health-wallet keeper``: an always-on pinning service for people who run their own box.

It serves the IPFS Pinning Service API (:mod:`wallet.ipfs.pinning_server`) over the
home's own IPFS node (the embedded Kubo node unless ``ipfs.api`` names another), with
the access tokens of a tokens file (one per line). It needs no wallet in that home and
holds only what its clients pin: for Health Wallet, sealed ciphertext. Its pin list is
``keeper/pins.json`` in the home.

Served on a network address, the API should be HTTPS (:mod:`wallet.ipfs.keeper_tls`):
over plain HTTP the access tokens cross the network readable. ``tls="self-signed"``
keeps a certificate in ``keeper/tls/`` whose fingerprint clients pin; ``tls_cert`` and
``tls_key`` serve a certificate of the user's own.
"""

from __future__ import annotations

import contextlib
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError, WalletError
from ..ipfs.backend import IpfsBackend
from ..ipfs.keeper_tls import KeeperCertificate, self_signed_certificate, server_context, shown_fingerprint
from ..ipfs.pinning_keeper import DEFAULT_PIN_TIMEOUT, Keeper, read_tokens_file
from ..ipfs.pinning_server import KeeperServer
from .context import WalletContext

__all__ = ["KeeperInfo", "KeeperRun", "parse_listen"]


@dataclass(frozen=True)
class KeeperInfo:
    """What a running keeper prints: its API ``endpoint`` URL, its node's ``peer_id`` and
    ``addresses`` (multiaddrs with ``/p2p/<peer id>``: the delegates clients dial), the
    SHA-256 fingerprint of its TLS certificate (``tls_sha256``, 64 hex digits; ``None``
    over plain HTTP) and whether tokens would cross a network readable (``in_clear``:
    plain HTTP on an address other than loopback)."""

    endpoint: str
    peer_id: str
    addresses: tuple[str, ...]
    tls_sha256: str | None = None
    in_clear: bool = False

    def to_json(self) -> dict[str, object]:
        return {"endpoint": self.endpoint, "peer_id": self.peer_id, "addresses": list(self.addresses),
                "tls_sha256": self.tls_sha256}

    @property
    def shown_tls_sha256(self) -> str | None:
        """The fingerprint as people compare it (``AB:CD:…``), or ``None`` over plain HTTP."""
        return shown_fingerprint(self.tls_sha256) if self.tls_sha256 is not None else None


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


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
                 pin_timeout: float = DEFAULT_PIN_TIMEOUT, tls: str | None = None,
                 tls_cert: Path | None = None, tls_key: Path | None = None) -> None:
        """``tls``: ``None`` (plain HTTP) or ``"self-signed"``; ``tls_cert`` and ``tls_key``
        (PEM files, both or neither) serve a certificate of the user's own instead.
        :class:`ConfigError` for a bad listen address, tokens file or certificate."""
        self.context = context
        self.host, self.port = parse_listen(listen)
        self.tokens = read_tokens_file(Path(tokens_file))
        self.pin_timeout = pin_timeout
        if (tls_cert is None) != (tls_key is None):
            raise ConfigError("--tls-cert and --tls-key go together: the certificate and its private key.")
        if tls not in (None, "self-signed"):
            raise ConfigError(f"Unknown TLS choice {tls!r}.")
        self.certificate: KeeperCertificate | None = None
        if tls_cert is not None and tls_key is not None:
            self.certificate = KeeperCertificate.from_files(Path(tls_cert), Path(tls_key))
        elif tls == "self-signed":
            self.certificate = self_signed_certificate(self.context.home / "keeper" / "tls", self.host)
        self._ssl = server_context(self.certificate) if self.certificate is not None else None
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
            self._server = KeeperServer(self._keeper, self.tokens, host=self.host, port=self.port,
                                        ssl_context=self._ssl)
            endpoint = self._server.start()
        except BaseException:
            self.stop()
            raise
        return KeeperInfo(endpoint, node.peer_id, self._keeper.delegates,
                          self.certificate.fingerprint if self.certificate is not None else None,
                          self.certificate is None and not _is_loopback(self.host))

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
