"""The chain: grants, the access log, published keys and the backup pointer.

``open_embedded_chain`` (the default: an in-process EVM persisted in a folder) and
``connect_rpc`` (any EVM JSON-RPC node) both return a :class:`ChainBackend`. They load
the Ethereum stack on first use, and so does :mod:`.backend` (its signed-grant types
load the ABI codec), so importing this package or its light modules (e.g. for
:class:`Address` or :class:`GrantStatus`) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .grants import (
    AccessEvent,
    AccessGrant,
    EventKind,
    GrantStatus,
    grant_id_hex,
    grantee_of,
    new_grant_id,
    parse_grant_id,
)
from .values import Address, GrantId

if TYPE_CHECKING:
    from .backend import ChainBackend, Deployment, Signer, TxResult
    from .embedded import open_embedded_chain
    from .rpc import connect_rpc

__all__ = [
    "AccessEvent",
    "AccessGrant",
    "Address",
    "ChainBackend",
    "Deployment",
    "EventKind",
    "GrantId",
    "GrantStatus",
    "Signer",
    "TxResult",
    "connect_rpc",
    "grant_id_hex",
    "grantee_of",
    "new_grant_id",
    "open_embedded_chain",
    "parse_grant_id",
]

_LAZY = {"open_embedded_chain": ".embedded", "connect_rpc": ".rpc", "ChainBackend": ".backend",
         "Deployment": ".backend", "Signer": ".backend", "TxResult": ".backend"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(name)
