"""Network and IPFS status: how this wallet's chain and IPFS node are, as typed values.

Two questions, one module: :func:`chain_status` and :func:`ipfs_status` look without
unlocking or starting anything (``health-wallet status``); :func:`probe_network` asks
an unlocked wallet, starting its IPFS node in the background if asked (the desktop
app's status bar polls it on a worker thread).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from ..config import EMBEDDED
from ..errors import WalletError

if TYPE_CHECKING:
    from .context import WalletContext
    from .wallet import UnlockedWallet

__all__ = ["CHAIN_STATES", "IPFS_STATES", "ChainStatus", "IpfsStatus", "NetworkStatus", "ProfileRecords",
           "WalletStatus", "chain_status", "ipfs_status", "probe_network"]

IPFS_STATES = ("off", "starting", "running", "error")
CHAIN_STATES = ("off", "connected", "error")


@dataclass(frozen=True)
class ChainStatus:
    """The configured chain, looked at once: reachable with its identity, or the error."""

    rpc: str  # "embedded" or the JSON-RPC URL
    reachable: bool
    description: str = ""
    chain_id: int | None = None
    contract: str | None = None  # the grants contract's address, None when not deployed
    time: datetime | None = None  # the chain's clock (latest block)
    error: str = ""


@dataclass(frozen=True)
class IpfsStatus:
    """The configured IPFS node: the embedded one (``repo``) or a Kubo RPC endpoint."""

    api: str  # "embedded" or the Kubo RPC multiaddr
    backend: str  # "embedded Kubo node" or "Kubo RPC"
    running: bool
    repo: str | None = None
    swarm_port: int | None = None
    peer_id: str = ""
    addresses: tuple[str, ...] = ()
    error: str = ""

    @property
    def embedded(self) -> bool:
        return self.api == "embedded"


@dataclass(frozen=True)
class ProfileRecords:
    """A profile (one person in the wallet) and how many health records it holds."""

    name: str
    records: int

    def __post_init__(self) -> None:
        if self.records < 0:
            raise ValueError("a record count is not negative")


@dataclass(frozen=True)
class WalletStatus:
    """``health-wallet status``: the wallet (locked), its chain and IPFS node.

    ``records`` counts every profile's health records; ``profile`` is the one the
    other commands work in (``records``, ``export`` …), and ``profiles`` every profile
    with its count, the owner's first (empty, like ``records`` ``None``, when the store
    was not opened)."""

    home: str
    address: str
    encryption_key: str
    records: int | None  # None: the store is encrypted and was not opened (no passphrase given)
    chain: ChainStatus
    ipfs: IpfsStatus
    remember_unlock: bool
    network: str = "custom"  # the active network profile's name
    phrase_shown: bool = True  # False: the recovery phrase was never shown (init was interrupted)
    profile: str = "owner"  # the active profile's name
    profiles: tuple[ProfileRecords, ...] = ()

    def __post_init__(self) -> None:
        if self.profiles and self.profile not in {p.name for p in self.profiles}:
            raise ValueError("the active profile is one of the wallet's profiles")

    @property
    def profile_records(self) -> int | None:
        """The active profile's record count; ``None`` when the store was not opened."""
        return next((p.records for p in self.profiles if p.name == self.profile), None)

    @property
    def profile_position(self) -> int | None:
        """The active profile's place in :attr:`profiles` (1 = the owner's); ``None`` when unknown."""
        return next((n for n, p in enumerate(self.profiles, start=1) if p.name == self.profile), None)


@dataclass(frozen=True)
class NetworkStatus:
    """An unlocked wallet's IPFS node and chain, as the status bar shows them."""

    ipfs_backend: str  # "embedded node" or "Kubo RPC at /ip4/…"
    ipfs_state: str  # one of IPFS_STATES
    peers: int | None = None  # connected peers, when the backend can say
    peer_id: str = ""
    ipfs_detail: str = ""  # an error message, or where the node listens
    chain: str = ""  # "embedded chain" or the RPC URL
    chain_state: str = "off"  # one of CHAIN_STATES
    chain_id: int | None = None
    chain_detail: str = ""

    def __post_init__(self) -> None:
        if self.ipfs_state not in IPFS_STATES:
            raise ValueError(f"unknown IPFS state {self.ipfs_state!r}")
        if self.chain_state not in CHAIN_STATES:
            raise ValueError(f"unknown chain state {self.chain_state!r}")

    @classmethod
    def starting(cls, app: WalletContext) -> NetworkStatus:
        """What to show while the first probe of ``app``'s wallet opens the node."""
        return cls(ipfs_backend_name(app), "starting", ipfs_detail="Starting the node…", chain=chain_name(app))


def ipfs_backend_name(app: WalletContext) -> str:
    api = app.config.settings.ipfs_api
    return "embedded node" if api == EMBEDDED else f"Kubo RPC at {api}"


def _chain_setting(app: WalletContext) -> str:
    """``chain.rpc`` when set, else the active network profile's name (``embedded`` for the embedded chain)."""
    rpc = app.config.settings.chain_rpc
    if rpc != EMBEDDED:
        return rpc
    from ..chain.networks import NetworkBook

    return NetworkBook.load(app.home).active.name


def chain_name(app: WalletContext) -> str:
    rpc = _chain_setting(app)
    return "embedded chain" if rpc == EMBEDDED else rpc


def chain_status(app: WalletContext) -> ChainStatus:
    """Reachability and identity of ``app``'s chain (no unlock needed; connects once). ``rpc``
    is ``chain.rpc`` when set, else the active network profile's name."""
    rpc = _chain_setting(app)
    try:
        backend = app.make_chain()
        try:
            return ChainStatus(rpc, True, backend.describe(), backend.chain_id, backend.contract_address, backend.now())
        finally:
            backend.close()
    except WalletError as exc:
        return ChainStatus(rpc, False, error=exc.user_message)


def ipfs_status(app: WalletContext) -> IpfsStatus:
    """Which IPFS node ``app`` uses and whether it runs. The embedded node is not started
    for this: it runs while the wallet is open or ``serve`` runs. A Kubo RPC endpoint is
    asked (waiting at most 10 s)."""
    settings = app.config.settings
    api = settings.ipfs_api
    if api == EMBEDDED:
        from ..ipfs.kubo_embedded import node_in_use

        repo = app.home / "ipfs"
        return IpfsStatus(api, "embedded Kubo node", node_in_use(repo), repo=str(repo),
                          swarm_port=settings.ipfs_swarm_port or None)
    backend = app.make_ipfs()
    try:
        info = backend.wait_ready(10)
        return IpfsStatus(api, "Kubo RPC", True, peer_id=info.peer_id, addresses=tuple(info.addresses))
    except WalletError as exc:
        return IpfsStatus(api, "Kubo RPC", False, error=exc.user_message)
    finally:
        backend.close()


def _probe_ipfs(wallet: UnlockedWallet, ready_timeout: float, embedded: bool) -> tuple[str, int | None, str, str]:
    """(state, peers, peer id, detail) of the wallet's node, starting it if needed."""
    started = time.monotonic()
    try:
        backend = wallet.ipfs(wait=None)
        info = backend.wait_ready(ready_timeout)
    except WalletError as exc:
        waited = time.monotonic() - started >= ready_timeout * 0.95
        if embedded and waited:  # still booting: not a failure
            return "starting", None, "", "Starting the node…"
        return "error", None, "", exc.user_message
    peers = None
    connected = getattr(backend, "connected_peers", None)  # the embedded node can say; else node_info only
    if callable(connected):
        try:
            peers = len(connected())
        except WalletError:
            peers = None
    return "running", peers, info.peer_id, "\n".join(info.dial_addresses[:4])


def probe_network(wallet: UnlockedWallet, *, ready_timeout: float = 1.0, chain: bool = True,
                  start_node: bool = True) -> NetworkStatus:
    """How ``wallet``'s IPFS node (started if ``start_node``; waited for at most
    ``ready_timeout`` seconds) and chain are. Blocks on the network: run it on a worker."""
    app = wallet.app
    backend_name = ipfs_backend_name(app)
    state, peers, peer_id, detail = "off", None, "", ""
    if start_node:
        state, peers, peer_id, detail = _probe_ipfs(wallet, ready_timeout, backend_name == "embedded node")
    chain_state, chain_id, chain_detail = "off", None, ""
    if chain:
        try:
            backend = wallet.chain()
            chain_id = backend.chain_id
            chain_detail = backend.describe()
            backend.now()  # it answers, so it is reachable
            chain_state = "connected"
        except WalletError as exc:
            chain_state, chain_detail = "error", exc.user_message
    return NetworkStatus(backend_name, state, peers, peer_id, detail, chain_name(app), chain_state, chain_id,
                         chain_detail)
