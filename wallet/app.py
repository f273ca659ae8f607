"""Composition root: the one place that picks real backends for a wallet home.

Tests build an :class:`App` with their own clock, keyring backend or environment;
production code calls :func:`build_app`. The use cases in :mod:`wallet.services` never
import this module: they are handed an ``App`` as a
:class:`wallet.services.context.WalletContext` (home, settings, clock, KDF, keyring and
the factories of the IPFS and chain backends), so tests can hand them another.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .clock import Clock, SystemClock
from .config import EMBEDDED, Config, resolve_home
from .vault.keystore import DEFAULT_KDF, LIGHT_KDF, KdfParams

if TYPE_CHECKING:
    from .chain.backend import ChainBackend
    from .chain.code_checks import CodeChecks
    from .chain.networks import NetworkProfile
    from .ipfs.backend import IpfsBackend
    from .share.issuers import TrustedIssuer

__all__ = ["App", "build_app", "default_chain", "default_ipfs", "embedded_chain_dir"]


@dataclass
class App:
    home: Path
    config: Config
    clock: Clock = field(default_factory=SystemClock)
    keyring_backend: Any = None  # None: the OS keyring, checked for security when used
    kdf: KdfParams = DEFAULT_KDF
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    extra_trusted_issuers: tuple[TrustedIssuer, ...] = ()  # SMART Health Card issuers trusted for this run (tests)
    ipfs_factory: Callable[[App], IpfsBackend] | None = None  # None: default_ipfs
    chain_factory: Callable[[App], ChainBackend] | None = None  # None: default_chain
    checked_code: CodeChecks | None = field(default=None, repr=False)  # made on first use: see code_checks
    network_chains: dict[tuple[str, int | None, tuple[str, ...]], ChainBackend] = field(
        default_factory=dict, repr=False)  # by profile: see connect_network
    networks_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    closing: threading.Thread | None = None  # a thread still stopping the nodes of a locked wallet
    serving: IpfsBackend | None = None  # the IPFS node a locked wallet left serving its shares

    def _settle(self) -> None:
        if self.closing is not None:
            self.closing.join()
            self.closing = None

    def make_ipfs(self) -> IpfsBackend:
        self._settle()  # the previous node must have let go of the repository
        return (self.ipfs_factory or default_ipfs)(self)

    def make_chain(self) -> ChainBackend:
        self._settle()
        return (self.chain_factory or default_chain)(self)

    @property
    def code_checks(self) -> CodeChecks:
        """The grants contracts this process found genuine, by endpoint (:mod:`wallet.chain.code_checks`);
        made on first use, so an app that never reaches a chain does not load the chain stack."""
        if self.checked_code is None:
            from .chain.code_checks import CodeChecks

            self.checked_code = CodeChecks()
        return self.checked_code

    def connect_network(self, profile: NetworkProfile) -> ChainBackend:
        """A backend on a network profile's first answering RPC endpoint (not the embedded one),
        kept for this process: the next call for the same profile (name, chain id and endpoints)
        gets it again, with its connection, chain id, checked contract and nonce book, instead of
        connecting again (on a remote endpoint, a round trip or more each time). Callers share
        it and do not close it (an RPC backend holds no file or process)."""
        from .chain.networks import connect_profile

        key = (profile.name, profile.chain_id, profile.rpc)
        with self.networks_lock:
            backend = self.network_chains.get(key)
            if backend is None:
                backend = self.network_chains[key] = connect_profile(profile, code_checks=self.code_checks)
            return backend

    def disconnect_network(self, name: str) -> None:
        """Forget the kept backend of the profile ``name`` (its endpoint failed)."""
        with self.networks_lock:
            for key in [k for k in self.network_chains if k[0] == name]:
                del self.network_chains[key]

    def make_embedded_chain(self) -> ChainBackend:
        """This computer's embedded chain, whatever network is active (a share made on it)."""
        from .chain.embedded import open_embedded_chain

        return open_embedded_chain(embedded_chain_dir(self), clock=self.clock)

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


def default_ipfs(app: App) -> IpfsBackend:
    """The node named by ``ipfs.api``: the embedded Kubo node, or a Kubo RPC API."""
    settings = app.config.settings
    if settings.ipfs_api == EMBEDDED:
        from .ipfs.kubo_embedded import EmbeddedKuboBackend, free_swarm_port

        port = settings.ipfs_swarm_port
        if port == 0:  # chosen once and kept, so peers can remember this node
            port = free_swarm_port()
            app.config.set("ipfs.swarm_port", port)
        return EmbeddedKuboBackend(app.home / "ipfs", swarm_port=port, loopback_only=settings.ipfs_loopback_only,
                                   bootstrap=settings.ipfs_bootstrap, mdns=settings.ipfs_mdns,
                                   peers=settings.ipfs_peers)
    from .ipfs.kubo_rpc import KuboRpcBackend

    return KuboRpcBackend(settings.ipfs_api)


def embedded_chain_dir(app: App) -> Path:
    """Shared by every wallet home of this user, so a patient and a doctor on one laptop meet."""
    override = app.environ.get("HEALTH_WALLET_CHAIN_DIR")
    if override:
        return Path(override).expanduser()
    if app.config.settings.chain_embedded_dir is not None:
        return app.config.settings.chain_embedded_dir
    from platformdirs import user_data_path

    return user_data_path("health-wallet", appauthor=False) / "embedded-chain"


def default_chain(app: App) -> ChainBackend:
    """The chain named by ``chain.rpc`` when it is set (or ``HEALTH_WALLET_CHAIN_RPC``),
    else by the home's active network profile (``health-wallet network use NAME``)."""
    settings = app.config.settings
    if settings.chain_rpc == EMBEDDED:
        from .chain.networks import NetworkBook, connect_profile

        profile = NetworkBook.load(app.home).active
        if not profile.is_embedded:
            return connect_profile(profile, contract_address=settings.chain_contract, code_checks=app.code_checks)
        from .chain.embedded import open_embedded_chain

        return open_embedded_chain(embedded_chain_dir(app), clock=app.clock)
    from .chain.rpc import connect_rpc

    return connect_rpc(settings.chain_rpc, contract_address=settings.chain_contract, code_checks=app.code_checks)
