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
    "AccessEvent",
    "AccessGrant",
    "ChainBackend",
    "Deployment",
    "EventKind",
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
