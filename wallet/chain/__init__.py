"""The chain: grants, the access log, published keys and the backup pointer.

``open_embedded_chain`` (the default: an in-process EVM persisted in a folder) and
``connect_rpc`` (any EVM JSON-RPC node) both return a :class:`ChainBackend`.
"""

from .backend import ChainBackend, Deployment, Signer, TxResult
from .embedded import open_embedded_chain
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
from .rpc import connect_rpc

__all__ = [
    "ChainBackend",
    "Deployment",
    "Signer",
    "TxResult",
    "AccessEvent",
    "AccessGrant",
    "EventKind",
    "GrantStatus",
    "new_grant_id",
    "grantee_of",
    "parse_grant_id",
    "grant_id_hex",
    "open_embedded_chain",
    "connect_rpc",
]
