"""The use cases: the only API that ``wallet.cli`` and ``wallet.gui`` call.

The front ends import nothing else from the core (import-linter's forbidden contracts in
pyproject.toml check it): the value types they show are re-exported here, and so are the
domain values they parse from what users type (:class:`Address`, :class:`GrantId`,
:class:`Cid`, :class:`Duration`, :func:`parse_expiry`), so input is checked with the
core's one rule and message. The services are handed a :class:`WalletContext`; only the
front ends' entry points build the production one (``wallet.app.build_app``). Sharing,
backups, exports, verification and share planning load their networks and crypto stacks
on first use, and so do the address book, expiry parsing and the network status (the
window's status bar asks for it after its first paint), so importing this package stays
cheap for the GUI's start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..config import SETTINGS
from ..records.display_values import shown_detail, shown_number, shown_range, shown_unit, shown_value, ucum_forms
from ..records.facts import record_facts
from ..records.fhir_json import dumps as fhir_json_text
from ..records.instants import local_text, utc_text
from ..records.local_days import LocalSince, local_since
from ..records.search_text import spellings as search_spellings
from ..records.store import SEARCH_COUNT_CAP, CappedCount, Page, PageKey, SearchPage, StoredSummary
from ..records.summary import Summary, summarize
from .context import WalletContext
from .overview import HealthOverview
from .preferences import TEXT_PERCENT_RANGE, THEMES, Preferences
from .reading import (
    ALL_RECORDS,
    BROWSED_CATEGORIES,
    HEALTH_RECORDS,
    INSURANCE,
    INSURANCE_TYPES,
    RESOURCE_TYPES,
    TRAIL_TYPES,
    RecordCounts,
    named_within,
    names_within,
    shown_category,
    type_words,
)
from .wallet import (
    CATEGORIES,
    DELETE_CONFIRMATION,
    MIN_PASSPHRASE,
    OWNER,
    PHRASE_LENGTHS,
    FileOutcome,
    ProfileView,
    UnlockedWallet,
    WalletService,
    phrase_problem,
    phrase_words,
)

if TYPE_CHECKING:
    from ..chain.backend import Deployment, TxResult
    from ..chain.networks import NetworkProfile
    from ..chain.values import Address, GrantId
    from ..ipfs.cid import Cid
    from ..records.importer import ImportResult
    from ..share.export import ExportResult
    from ..share.shc import HealthCard
    from .address_book import ADDRESS_BOOK_FILE, AddressBook, Contact
    from .backups import BackupReceipt, Backups
    from .components import check_bundled_files, contract_compiler_version, kubo_library_path
    from .expiry import PRESETS, Duration, parse_expiry
    from .exports import export_records
    from .network_status import ChainStatus, IpfsStatus, NetworkStatus, WalletStatus, probe_network
    from .networks import Networks
    from .share_plan import SharePlan, plan_share
    from .sharing import GrantReceipt, GrantView, OpenedShare, RevokeReceipt, Sharing
    from .trusted_issuers import TrustedIssuer, distrust_issuer, trust_issuer, trusted_issuers
    from .verification import (
        CardVerificationError,
        Verification,
        VerifiedCardFile,
        VerifiedExportFolder,
        is_encrypted_export,
        verify_path,
    )

__all__ = [
    "ADDRESS_BOOK_FILE",
    "ALL_RECORDS",
    "BROWSED_CATEGORIES",
    "CATEGORIES",
    "DELETE_CONFIRMATION",
    "HEALTH_RECORDS",
    "INSURANCE",
    "INSURANCE_TYPES",
    "MIN_PASSPHRASE",
    "OWNER",
    "PHRASE_LENGTHS",
    "PRESETS",
    "RESOURCE_TYPES",
    "SEARCH_COUNT_CAP",
    "SETTINGS",
    "TEXT_PERCENT_RANGE",
    "THEMES",
    "TRAIL_TYPES",
    "Address",
    "AddressBook",
    "BackupReceipt",
    "Backups",
    "CappedCount",
    "CardVerificationError",
    "ChainStatus",
    "Cid",
    "Contact",
    "Deployment",
    "Duration",
    "ExportResult",
    "FileOutcome",
    "GrantId",
    "GrantReceipt",
    "GrantView",
    "HealthCard",
    "HealthOverview",
    "ImportResult",
    "IpfsStatus",
    "LocalSince",
    "NetworkProfile",
    "NetworkStatus",
    "Networks",
    "OpenedShare",
    "Page",
    "PageKey",
    "Preferences",
    "ProfileView",
    "RecordCounts",
    "RevokeReceipt",
    "SearchPage",
    "SharePlan",
    "Sharing",
    "StoredSummary",
    "Summary",
    "TrustedIssuer",
    "TxResult",
    "UnlockedWallet",
    "Verification",
    "VerifiedCardFile",
    "VerifiedExportFolder",
    "WalletContext",
    "WalletService",
    "WalletStatus",
    "check_bundled_files",
    "contract_compiler_version",
    "distrust_issuer",
    "export_records",
    "fhir_json_text",
    "is_encrypted_export",
    "kubo_library_path",
    "local_since",
    "local_text",
    "named_within",
    "names_within",
    "parse_expiry",
    "phrase_problem",
    "phrase_words",
    "plan_share",
    "probe_network",
    "record_facts",
    "search_spellings",
    "shown_category",
    "shown_detail",
    "shown_number",
    "shown_range",
    "shown_unit",
    "shown_value",
    "summarize",
    "trust_issuer",
    "trusted_issuers",
    "type_words",
    "ucum_forms",
    "utc_text",
    "verify_path",
]

_LAZY = {
    "ADDRESS_BOOK_FILE": ".address_book",
    "AddressBook": ".address_book",
    "Contact": ".address_book",
    "PRESETS": ".expiry",
    "Duration": ".expiry",
    "parse_expiry": ".expiry",
    "ChainStatus": ".network_status",
    "IpfsStatus": ".network_status",
    "NetworkStatus": ".network_status",
    "WalletStatus": ".network_status",
    "probe_network": ".network_status",
    "Address": "..chain.values",
    "GrantId": "..chain.values",
    "BackupReceipt": ".backups",
    "Networks": ".networks",
    "NetworkProfile": "..chain.networks",
    "ExportResult": "..share.export",
    "HealthCard": "..share.shc",
    "ImportResult": "..records.importer",
    "Backups": ".backups",
    "CardVerificationError": ".verification",
    "Cid": "..ipfs.cid",
    "Deployment": "..chain.backend",
    "GrantReceipt": ".sharing",
    "GrantView": ".sharing",
    "OpenedShare": ".sharing",
    "RevokeReceipt": ".sharing",
    "SharePlan": ".share_plan",
    "Sharing": ".sharing",
    "TrustedIssuer": ".trusted_issuers",
    "TxResult": "..chain.backend",
    "Verification": ".verification",
    "VerifiedCardFile": ".verification",
    "VerifiedExportFolder": ".verification",
    "check_bundled_files": ".components",
    "contract_compiler_version": ".components",
    "distrust_issuer": ".trusted_issuers",
    "export_records": ".exports",
    "is_encrypted_export": ".verification",
    "kubo_library_path": ".components",
    "plan_share": ".share_plan",
    "trust_issuer": ".trusted_issuers",
    "trusted_issuers": ".trusted_issuers",
    "verify_path": ".verification",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(name)
