"""The one error tree of Health Wallet.

Every expected failure is a :class:`WalletError` carrying a ``user_message``: one
sentence that says what happened and what to do. Only ``wallet.cli.main`` and the
GUI worker layer catch these; everything else raises ``... from exc``.
"""

from __future__ import annotations

__all__ = [
    "Cancelled",
    "ChainDamaged",
    "ChainError",
    "ChainUnavailable",
    "ConfigError",
    "ContractMismatch",
    "DecryptionError",
    "ExportError",
    "GrantNotActive",
    "InputNotJson",
    "InputRefused",
    "InputTooDeep",
    "InputTooLarge",
    "InputTooSlow",
    "InputUnreadable",
    "InsufficientFunds",
    "InvalidAddress",
    "InvalidCid",
    "InvalidDuration",
    "InvalidGrantId",
    "InvalidRecord",
    "IpfsError",
    "IpfsNotFound",
    "IpfsUnavailable",
    "KeyNotRegistered",
    "KeyringUnavailable",
    "KeystoreDamaged",
    "NodeInUse",
    "PatientMismatch",
    "PinningServiceError",
    "RecordError",
    "RecordNotFound",
    "ShareError",
    "SignatureInvalid",
    "StoreUnreadable",
    "TransactionPending",
    "TransactionReverted",
    "VaultError",
    "VerificationError",
    "WalletError",
    "WalletExists",
    "WalletLocked",
    "WalletNotFound",
    "WrongPassphrase",
    "quoted",
]

_QUOTED = 60


def quoted(value: object) -> str:
    """``value`` quoted for a user message, cut to a readable length (it may be hostile input)."""
    if not isinstance(value, (str, bytes)):
        return f"a {type(value).__name__}"
    text = repr(value[:_QUOTED])
    return text + "…" if len(value) > _QUOTED else text


class WalletError(Exception):
    """Base of every expected failure; ``user_message`` is safe to show."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class ConfigError(WalletError):
    """The wallet's configuration is missing or invalid."""


class Cancelled(WalletError):
    """The user cancelled a long operation; nothing was changed."""

    def __init__(self, user_message: str = "Cancelled; nothing was changed.") -> None:
        super().__init__(user_message)


# --- untrusted input (wallet/untrusted.py) -----------------------------------


class InputRefused(WalletError):
    """Data from outside the wallet that the input gate refuses before any parser sees it."""


class InputTooLarge(InputRefused):
    """Beyond a size limit: bytes, entries in one array or object, or digits of a number."""


class InputTooDeep(InputRefused):
    """Nested deeper than any health record needs (a stack-exhaustion attack)."""


class InputTooSlow(InputRefused):
    """Reading took longer than its time budget."""


class InputNotJson(InputRefused):
    """Not strict JSON: syntax, encoding, duplicate keys or NaN/Infinity."""


class InputUnreadable(InputRefused):
    """Not a regular file (a folder, a device, a FIFO), missing, or not readable."""


# --- vault -------------------------------------------------------------------


class VaultError(WalletError):
    """Keys, keystore, passphrase, keyring."""


class WrongPassphrase(VaultError):
    def __init__(self, user_message: str = "Wrong passphrase; nothing was changed.") -> None:
        super().__init__(user_message)


class DecryptionError(VaultError):
    """Any failure to open sealed data: wrong key, tampering, truncation, bad header.

    One error for every cause, so callers cannot build an oracle on the difference.
    """

    def __init__(
        self,
        user_message: str = "The data could not be decrypted: wrong key or it was altered.",
    ) -> None:
        super().__init__(user_message)


class KeystoreDamaged(VaultError):
    """``keystore.json`` is unreadable: a field missing or of the wrong type, or a cost beyond the caps."""


class KeyringUnavailable(VaultError):
    """No secure OS keyring backend; remember-unlock stays off."""


class WalletNotFound(VaultError):
    """No wallet in this home."""


class WalletExists(VaultError):
    """A wallet already exists in this home."""


class WalletLocked(VaultError):
    """An operation needs the wallet unlocked."""


# --- records -----------------------------------------------------------------


class RecordError(WalletError):
    """FHIR parsing, validation and the record store."""


class InvalidRecord(RecordError):
    """Input that is not valid FHIR; the store is unchanged."""


class RecordNotFound(RecordError):
    pass


class StoreUnreadable(RecordError):
    """The record store cannot be read with this wallet's keys: damaged (a flipped byte, a
    truncated file, an overwritten header) or another wallet's. Nothing was changed."""


class PatientMismatch(RecordError):
    """A file for another person than the profile it would go into; nothing was imported.

    ``file_person`` and ``profile_person`` are the two people as sentences show them;
    ``profile`` is the profile's name; ``suggested`` a profile that holds the file's person.
    """

    def __init__(self, user_message: str, *, file_person: str, profile: str, profile_person: str,
                 suggested: str | None = None) -> None:
        super().__init__(user_message)
        self.file_person = file_person
        self.profile = profile
        self.profile_person = profile_person
        self.suggested = suggested


# --- ipfs --------------------------------------------------------------------


class IpfsError(WalletError):
    pass


class IpfsUnavailable(IpfsError):
    """The node is not running, unreachable or incompatible."""


class IpfsNotFound(IpfsError):
    """The content could not be found on the network in time."""


class NodeInUse(IpfsError):
    """Another process holds this wallet's embedded node."""


class PinningServiceError(IpfsError):
    """A remote pinning service (IPFS Pinning Service API) refused or failed a request.

    ``service`` names it as the user configured it; ``status`` is the HTTP status (``None``
    for a timeout or an unreachable service). The data this wallet shared stays valid.
    """

    def __init__(self, user_message: str, *, service: str = "", status: int | None = None) -> None:
        super().__init__(user_message)
        self.service = service
        self.status = status


class InvalidCid(IpfsError, ValueError):
    """Text that is not an IPFS content identifier (:class:`wallet.ipfs.cid.Cid`).

    Also a ``ValueError``: a CID from a node or an event is checked with the same rule.
    """


# --- chain -------------------------------------------------------------------


class ChainError(WalletError):
    pass


class ChainUnavailable(ChainError):
    pass


class ChainDamaged(ChainUnavailable):
    """The embedded chain's files were altered or damaged (a line dropped or edited, the journal
    emptied) or written by a newer version: the wallet stops rather than read an older chain."""


class TransactionReverted(ChainError):
    pass


class TransactionPending(ChainError):
    """Sent but not confirmed in time; it may still confirm (``tx_hash`` says which)."""

    def __init__(self, user_message: str, tx_hash: str = "") -> None:
        super().__init__(user_message)
        self.tx_hash = tx_hash


class InsufficientFunds(ChainError):
    pass


class GrantNotActive(ChainError):
    """The grant is expired, revoked or unknown."""


class KeyNotRegistered(ChainError):
    """The recipient has not published an encryption key on chain."""


class ContractMismatch(ChainError):
    """The code at the grants contract's address is not the Health Wallet grants contract."""


# --- share -------------------------------------------------------------------


class ShareError(WalletError):
    pass


class InvalidAddress(ShareError, ValueError):
    """Text that is not a wallet (EVM) address (:class:`wallet.chain.values.Address`).

    Also a ``ValueError``, so code checking addresses it got from a chain keeps one rule.
    """


class InvalidGrantId(ShareError, ValueError):
    """Text or bytes that are not a grant id (:class:`wallet.chain.values.GrantId`)."""


class InvalidDuration(ShareError, ValueError):
    """Text that is not a grant duration or expiry (:mod:`wallet.services.expiry`)."""


class SignatureInvalid(ShareError):
    pass


class VerificationError(ShareError):
    """An export folder or a health card file did not verify; ``reason`` says why.

    ``needs_passphrase``: the export is encrypted and no passphrase was given, so it was
    not checked at all (neither valid nor tampered).
    """

    def __init__(self, reason: str, *, needs_passphrase: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.needs_passphrase = needs_passphrase


class ExportError(ShareError):
    pass
