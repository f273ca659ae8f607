"""What the wallet needs from IPFS, as one protocol with two real implementations.

:class:`~wallet.ipfs.kubo_embedded.EmbeddedKuboBackend` runs Kubo in-process (the
default); :class:`~wallet.ipfs.kubo_rpc.KuboRpcBackend` talks to IPFS Desktop or
``ipfs daemon`` over the Kubo RPC API. Both store only ciphertext envelopes: nothing
here knows what the bytes mean.

Lifecycle: ``start()`` returns at once (the embedded node starts on a worker thread, so
a window never waits on it); ``wait_ready()`` blocks until the node answers and returns
its :class:`NodeInfo`, or raises. Every other call waits for readiness itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import BinaryIO, Protocol, runtime_checkable

from .cid import Cid

__all__ = ["DEFAULT_GET_TIMEOUT", "MAX_GET_BYTES", "Cid", "IpfsBackend", "NodeInfo", "PinInfo"]

DEFAULT_GET_TIMEOUT = 60.0

MAX_GET_BYTES = 640 * 1024 * 1024
"""Most bytes :meth:`IpfsBackend.get` returns (640 MiB): a sealed envelope of the largest
plaintext the wallet opens (512 MiB) with its chunk overhead. A CID chosen by someone
else may name anything; more than this is refused, never read into memory."""


@dataclass(frozen=True)
class NodeInfo:
    """Who a node is and where peers can reach it."""

    peer_id: str
    addresses: tuple[str, ...] = ()
    agent: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.peer_id, str) or not self.peer_id or any(c.isspace() for c in self.peer_id):
            raise ValueError("a node needs a peer id")
        if not all(isinstance(a, str) and a.startswith("/") for a in self.addresses):
            raise ValueError("node addresses are multiaddrs")

    @property
    def dial_addresses(self) -> tuple[str, ...]:
        """Addresses with ``/p2p/<peer id>`` appended: what another node can connect to."""
        suffix = f"/p2p/{self.peer_id}"
        return tuple(a if a.endswith(suffix) else a + suffix for a in self.addresses)


@dataclass(frozen=True)
class PinInfo:
    """A CID this node keeps (a recursive pin: the whole DAG below it)."""

    cid: Cid
    kind: str = "recursive"

    def __post_init__(self) -> None:
        if not isinstance(self.cid, Cid):
            raise ValueError("a pin needs a Cid")
        if self.kind not in ("recursive", "direct"):
            raise ValueError(f"unknown pin kind {self.kind!r}")


@runtime_checkable
class IpfsBackend(Protocol):
    """An IPFS node the wallet publishes to and fetches from.

    Errors: :class:`~wallet.errors.IpfsUnavailable` (node down, unreachable,
    incompatible), :class:`~wallet.errors.IpfsNotFound` (content not found in time),
    :class:`~wallet.errors.NodeInUse` (embedded: another process holds the node),
    :class:`~wallet.errors.IpfsError` for anything else.
    """

    @property
    def description(self) -> str:
        """One line for status output, e.g. ``embedded Kubo node`` or ``Kubo RPC at …``."""
        ...

    def start(self) -> None:
        """Begin starting (or checking) the node; returns without waiting."""
        ...

    def wait_ready(self, timeout: float = 30.0) -> NodeInfo:
        ...

    def add(self, source: bytes | BinaryIO | os.PathLike[str]) -> Cid:
        """Store bytes (in memory, an open binary file, or a file path) and pin them."""
        ...

    def get(self, cid: Cid, *, timeout: float = DEFAULT_GET_TIMEOUT) -> bytes:
        ...

    def pin(self, cid: Cid, *, timeout: float = DEFAULT_GET_TIMEOUT) -> None:
        """Keep ``cid`` (fetching it first if needed)."""
        ...

    def unpin(self, cid: Cid) -> None:
        """Stop keeping ``cid``; a CID that is not pinned is not an error."""
        ...

    def pins(self) -> tuple[PinInfo, ...]:
        ...

    def node_info(self) -> NodeInfo:
        ...

    def connect(self, address: str, *, timeout: float = 30.0) -> None:
        """Dial a peer by multiaddr (``…/p2p/<peer id>``)."""
        ...

    def close(self) -> None:
        ...
