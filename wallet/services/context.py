"""What the use cases are handed: one wallet home and the backends chosen for it.

:class:`wallet.app.App` (the composition root) is the production implementation; the
services see only this protocol, so they never import ``wallet.app`` and a test can
hand them any object with these members.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..chain.backend import ChainBackend
    from ..chain.networks import NetworkProfile
    from ..clock import Clock
    from ..config import Config
    from ..ipfs.backend import IpfsBackend
    from ..share.issuers import TrustedIssuer
    from ..vault.keystore import KdfParams

__all__ = ["WalletContext"]


class WalletContext(Protocol):
    """A wallet home, its typed settings (``config.settings``), a clock, the KDF cost for
    new keystores, the keyring backend (``None``: the OS keyring), and factories that
    build its IPFS and chain backends (not started; the caller starts and closes them)."""

    home: Path
    config: Config
    clock: Clock
    kdf: KdfParams
    keyring_backend: Any
    extra_trusted_issuers: tuple[TrustedIssuer, ...]
    closing: threading.Thread | None  # backends of a locked wallet still stopping
    serving: IpfsBackend | None  # the IPFS node a locked wallet left serving (UnlockedWallet.lock(keep_serving=True))

    def make_ipfs(self) -> IpfsBackend:
        """A new IPFS backend as the settings name it, once earlier nodes have let go."""
        ...

    def make_chain(self) -> ChainBackend:
        """A new chain backend as the settings name it."""
        ...

    def connect_network(self, profile: NetworkProfile) -> ChainBackend:
        """A backend on a network profile's RPC endpoints (not the embedded network), kept
        for the process and shared: the caller does not close it."""
        ...

    def disconnect_network(self, name: str) -> None:
        """Forget the kept backend of the profile ``name`` (its endpoint failed): the next
        :meth:`connect_network` tries the profile's endpoints again."""
        ...

    def make_embedded_chain(self) -> ChainBackend:
        """This computer's embedded chain, whatever network the settings name."""
        ...
