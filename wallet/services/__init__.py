"""The use cases: the only API that ``wallet.cli`` and ``wallet.gui`` call.

The domain values that front ends parse from what users type (:class:`Address`,
:class:`GrantId`, :class:`Cid`, :class:`Duration`, :func:`parse_expiry`) are re-exported
here, so ``gui`` and ``cli`` check input with the core's one rule and message.

Sharing, backups and exports load their networks and crypto stacks on first use, so
importing this package stays cheap for the GUI's start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..records.fhir_json import dumps as fhir_json_text
from ..records.instants import local_text, utc_text
from .expiry import PRESETS, Duration, parse_expiry
from .wallet import CATEGORIES, OWNER, PHRASE_LENGTHS, FileOutcome, ProfileView, UnlockedWallet, WalletService

if TYPE_CHECKING:
    from ..chain.values import Address, GrantId
    from ..ipfs.cid import Cid
    from .backups import Backups
    from .exports import export_records, verify_path
    from .networks import Networks
    from .sharing import Sharing

__all__ = [
    "CATEGORIES",
    "OWNER",
    "PHRASE_LENGTHS",
    "PRESETS",
    "Address",
    "Backups",
    "Cid",
    "Duration",
    "FileOutcome",
    "GrantId",
    "Networks",
    "ProfileView",
    "Sharing",
    "UnlockedWallet",
    "WalletService",
    "export_records",
    "fhir_json_text",
    "local_text",
    "parse_expiry",
    "utc_text",
    "verify_path",
]

_LAZY = {
    "Address": "..chain.values", "GrantId": "..chain.values", "Cid": "..ipfs.cid", "Networks": ".networks",
    "Sharing": ".sharing", "Backups": ".backups", "export_records": ".exports", "verify_path": ".exports",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(name)
