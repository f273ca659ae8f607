"""The use cases: the only API that ``wallet.cli`` and ``wallet.gui`` call."""

from .exports import export_records, verify_path
from .wallet import CATEGORIES, FileOutcome, UnlockedWallet, WalletService

__all__ = ["WalletService", "UnlockedWallet", "FileOutcome", "CATEGORIES", "export_records", "verify_path"]
