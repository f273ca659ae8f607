"""A wallet's keys, all derived from its BIP-39 recovery phrase.

- EVM account at ``m/44'/60'/0'/0/0`` (the address MetaMask shows for the phrase);
  it signs transactions and exports, so the signer *is* the on-chain identity.
- X25519 encryption key: HKDF(seed, "health-wallet/x25519/v1"); doctors' shares are
  wrapped to its public half, which the wallet publishes on chain.
- Symmetric keys for the record store and backups, each HKDF(seed, purpose), so the
  phrase alone restores everything.
- One secp256k1 key per grant at ``m/44'/60'/18519'/0/i`` (:data:`GRANT_KEY_ACCOUNT`):
  it signs that grant (EIP-712) and becomes the grant's patient on chain, so grants
  share no address with each other or with the main account. The hardened account
  18519' (0x4857, "HW") is one no wallet's account discovery reaches, so a grant key
  never doubles as an account the patient uses elsewhere. See ``docs/grant-keys.md``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from mnemonic import Mnemonic

from ..errors import VaultError
from . import aead
from .bip32 import derive_private_key, evm_address

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

__all__ = ["EVM_PATH", "GRANT_KEY_ACCOUNT", "PHRASE_LENGTHS", "Identity", "WalletKeys", "bip39_wordlist",
           "grant_key_path", "new_phrase", "normalize_phrase"]

EVM_PATH = "m/44'/60'/0'/0/0"
GRANT_KEY_ACCOUNT = "m/44'/60'/18519'/0"
MAX_GRANT_INDEX = 2**31 - 1  # non-hardened BIP-32 indices
_ENGLISH = Mnemonic("english")
# BIP-39: 128 to 256 bits of entropy in steps of 32, plus a checksum of entropy/32 bits,
# in 11-bit words: 12, 15, 18, 21 or 24 words.
PHRASE_LENGTHS = (12, 15, 18, 21, 24)
_LENGTHS_TEXT = "12, 15, 18, 21 or 24 words"


def bip39_wordlist() -> tuple[str, ...]:
    """The 2048 words of the BIP-39 English list, in its order (sorted)."""
    return tuple(_ENGLISH.wordlist)


def new_phrase(words: int = 12) -> str:
    """A fresh BIP-39 English phrase of ``words`` words (one of :data:`PHRASE_LENGTHS`).

    Raises :class:`VaultError` for another length.
    """
    if words not in PHRASE_LENGTHS:
        raise VaultError(f"A recovery phrase has {_LENGTHS_TEXT} (BIP-39); {words} was asked for.")
    return _ENGLISH.generate(words * 32 // 3)


def grant_key_path(index: int) -> str:
    """The BIP-32 path of grant key ``index`` (0, 1, 2…)."""
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index <= MAX_GRANT_INDEX:
        raise ValueError(f"a grant key index is an integer from 0 to {MAX_GRANT_INDEX}")
    return f"{GRANT_KEY_ACCOUNT}/{index}"


def normalize_phrase(phrase: str) -> str:
    """The phrase in BIP-39 normal form (NFKD, lower case, single spaces).

    Raises :class:`VaultError` naming the fault: a length other than :data:`PHRASE_LENGTHS`
    (saying how many words were given), a word outside the English list, or a checksum
    that does not match (BIP-39, "Generating the mnemonic").
    """
    words = unicodedata.normalize("NFKD", phrase).lower().split()
    normalized = " ".join(words)
    if len(words) not in PHRASE_LENGTHS:
        given = "one word" if len(words) == 1 else f"{len(words)} words"
        raise VaultError(f"A recovery phrase has {_LENGTHS_TEXT} (BIP-39); this one has {given}.")
    unknown = [(n, w) for n, w in enumerate(words, 1) if w not in _ENGLISH.wordlist]
    if unknown:
        n, word = unknown[0]
        more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
        raise VaultError(f"Word {n}, “{word}”, is not a recovery phrase word{more} (not BIP-39 English); check "
                         "its spelling against what you wrote down.")
    if not _ENGLISH.check(normalized):
        raise VaultError("The recovery phrase's checksum does not match; check the words and their order.")
    return normalized


@dataclass(frozen=True)
class Identity:
    """The public face of a wallet: safe to show, log and publish."""

    address: str
    encryption_key: bytes  # X25519 public key

    def __post_init__(self) -> None:
        if not (self.address.startswith("0x") and len(self.address) == 42):
            raise ValueError("address must be a 0x-prefixed 20-byte hex string")
        if len(self.encryption_key) != 32:
            raise ValueError("encryption key must be 32 bytes")

    @property
    def encryption_key_hex(self) -> str:
        return "0x" + self.encryption_key.hex()


@dataclass(frozen=True)
class WalletKeys:
    """Secret keys of an unlocked wallet. The repr never shows a secret."""

    phrase: str = field(repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "phrase", normalize_phrase(self.phrase))

    def __repr__(self) -> str:
        return f"WalletKeys(address={self.address}, secrets=<redacted>)"

    @cached_property
    def _seed(self) -> bytes:
        return Mnemonic.to_seed(self.phrase, passphrase="")

    @cached_property
    def _evm_private(self) -> bytes:
        return derive_private_key(self._seed, EVM_PATH)

    @cached_property
    def account(self) -> LocalAccount:  # for signing
        from eth_account import Account  # imported on first use: it costs ~0.5 s at start-up

        account: LocalAccount = Account.from_key(self._evm_private)
        return account

    @cached_property
    def encryption_private(self) -> bytes:
        return aead.derive_key(self._seed, "health-wallet/x25519/v1")

    @cached_property
    def address(self) -> str:
        """The EVM address (EIP-55 checksummed), without deriving the encryption key."""
        return evm_address(self._evm_private)

    @cached_property
    def identity(self) -> Identity:
        return Identity(self.address, aead.x25519_public(self.encryption_private))

    def grant_account(self, index: int) -> Any:
        """The per-grant signing key ``index`` as an ``eth_account`` ``LocalAccount``."""
        from eth_account import Account

        return Account.from_key(derive_private_key(self._seed, grant_key_path(index)))

    def grant_address(self, index: int) -> str:
        """The checksummed address of grant key ``index`` (what the contract stores as patient)."""
        return evm_address(derive_private_key(self._seed, grant_key_path(index)))

    def symmetric_key(self, purpose: str) -> bytes:
        """A 32-byte key for one purpose (``records``, ``backup``, ``record-index``...)."""
        return aead.derive_key(self._seed, f"health-wallet/{purpose}/v1")
