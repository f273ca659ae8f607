"""IPFS: one protocol, an embedded Kubo node (default) and a Kubo RPC client.

Only ciphertext envelopes (:mod:`wallet.vault.stream`) pass through here.
"""

from __future__ import annotations

from .backend import DEFAULT_GET_TIMEOUT, IpfsBackend, NodeInfo, PinInfo
from .cid import Cid

__all__ = ["DEFAULT_GET_TIMEOUT", "Cid", "IpfsBackend", "NodeInfo", "PinInfo"]
