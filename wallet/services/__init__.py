"""The use cases: the only API that ``wallet.cli`` and ``wallet.gui`` call.

Sharing, backups and exports load their networks and crypto stacks on first use, so
importing this package stays cheap for the GUI's start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..records.fhir_json import dumps as fhir_json_text
from ..records.instants import local_text, utc_text
from .wallet import CATEGORIES, OWNER, FileOutcome, ProfileView, UnlockedWallet, WalletService

if TYPE_CHECKING:
    from .backups import Backups
    from .exports import export_records, verify_path
    from .networks import Networks
    from .sharing import Sharing

__all__ = [
    "CATEGORIES",
    "OWNER",
    "Backups",
    "FileOutcome",
    "Networks",
    "ProfileView",
    "Sharing",
    "UnlockedWallet",
    "WalletService",
    "export_records",
    "fhir_json_text",
    "local_text",
    "utc_text",
    "verify_path",
]

_LAZY = {"Networks": ".networks",
         "Sharing": ".sharing", "Backups": ".backups", "export_records": ".exports", "verify_path": ".exports"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(name)
