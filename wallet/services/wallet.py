"""The wallet use cases on a locked wallet: create, restore, unlock, settings.

:class:`WalletService` works on a locked wallet; unlocking returns an
:class:`UnlockedWallet` (:mod:`.unlocked_wallet`), which holds the keys and the open
record store until :meth:`UnlockedWallet.lock`. Its record import is in
:mod:`.record_imports` and its record browsing in :mod:`.record_browsing`; the names the
front ends and the other use cases import from here are re-exported.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import WalletError, WalletExists, WalletNotFound
from ..records.profiles import OWNER, check_profile_name
from ..records.store import STORE_FILE, RecordStore
from ..vault.keys import PHRASE_LENGTHS, Identity, WalletKeys, new_phrase, normalize_phrase
from ..vault.keystore import MIN_PASSPHRASE, Keystore, check_passphrase
from ..vault.remember import RememberedUnlock
from .context import WalletContext
from .reading import BROWSED_CATEGORIES
from .record_imports import FileOutcome
from .unlocked_wallet import ProfileView, UnlockedWallet

if TYPE_CHECKING:
    from .address_book import AddressBook
    from .network_status import ProfileRecords, WalletStatus

__all__ = ["CATEGORIES", "DELETE_CONFIRMATION", "MIN_PASSPHRASE", "OWNER", "PHRASE_LENGTHS", "FileOutcome",
           "ProfileView", "UnlockedWallet", "WalletService", "phrase_problem", "phrase_words"]


CATEGORIES = BROWSED_CATEGORIES  # what the front ends list: every category but the wallet's own activity


def phrase_problem(text: str) -> str | None:
    """Why ``text`` is not a valid BIP-39 recovery phrase (one sentence), or ``None``."""
    try:
        normalize_phrase(text)
    except WalletError as exc:
        return exc.user_message
    return None


def phrase_words() -> tuple[str, ...]:
    """The BIP-39 English word list (2048 words, sorted), for a word suggester."""
    from ..vault.keys import bip39_wordlist

    return bip39_wordlist()


DELETE_CONFIRMATION = "delete"  # what the user types to delete a wallet


class WalletService:
    def __init__(self, app: WalletContext) -> None:
        self.app = app

    def __repr__(self) -> str:
        return f"WalletService(home={self.app.home})"

    # --- without unlocking -------------------------------------------------------

    def exists(self) -> bool:
        return Keystore.exists(self.app.home)

    def identity(self) -> Identity:
        return Keystore.load(self.app.home).identity

    def record_count(self, passphrase: str | None = None) -> int | None:
        """How many health records the wallet holds, of every person in it: the rows
        ``records`` lists (:data:`~.reading.HEALTH_RECORDS`), never the wallet's own Consents
        and AuditEvents. 0 without a store; otherwise the store must be
        opened (it is encrypted as a whole, its size aside nothing shows without the keys),
        with ``passphrase`` or the remembered unlock. ``None`` when neither opens it.
        Raises :class:`~wallet.errors.WrongPassphrase` for a ``passphrase`` given that is wrong."""
        counted = self._record_counts(passphrase)
        return None if counted is None else counted[0]

    def _record_counts(self, passphrase: str | None) -> tuple[int, tuple[ProfileRecords, ...]] | None:
        """:meth:`record_count` and each profile's count (the owner's first), from one opening."""
        from .network_status import ProfileRecords

        if not (self.app.home / STORE_FILE).exists():
            if passphrase is not None:
                Keystore.load(self.app.home).unlock(passphrase)  # a wrong one is said, store or not
            return 0, (ProfileRecords(OWNER, 0),)
        from ..errors import KeyringUnavailable, WrongPassphrase

        wallet: UnlockedWallet | None = None
        if passphrase is not None:
            wallet = self.unlock(passphrase)
        elif self.remembers_unlock():
            with contextlib.suppress(WrongPassphrase, KeyringUnavailable):
                wallet = self.unlock_remembered()
        if wallet is None:
            return None
        from .reading import record_counts

        try:
            profiles = tuple(ProfileRecords(p.name, p.records) for p in wallet.profiles())
            return record_counts(wallet.store, None).total, profiles
        finally:
            wallet.lock()

    def address_book(self) -> AddressBook:
        """The names this home keeps for wallet addresses (see :mod:`.address_book`)."""
        from .address_book import AddressBook

        return AddressBook.load(self.app.home)

    def remembers_unlock(self) -> bool:
        """Whether the unlock is remembered in the OS keyring (the keyring itself is not asked)."""
        return Keystore.load(self.app.home).has_remembered_slot

    def status(self, passphrase: str | None = None, *, profile: str = OWNER) -> WalletStatus:
        """The wallet, its chain and its IPFS node; see :mod:`.network_status`. The record counts
        (every profile's, and ``profile``'s: the one the other commands work in) need the store
        opened: with ``passphrase`` or a remembered unlock, else they are ``None``.
        Raises :class:`~wallet.errors.RecordError` when the opened store has no ``profile``."""
        from ..errors import RecordError
        from .network_status import WalletStatus, chain_status, ipfs_status

        if not self.exists():
            raise WalletNotFound(f"No wallet in {self.app.home}; run 'health-wallet init' first.")
        profile = check_profile_name(profile)
        ident = self.identity()
        counted = self._record_counts(passphrase)
        total, profiles = (None, ()) if counted is None else counted
        if profiles and profile not in {p.name for p in profiles}:
            raise RecordError(f"No profile {profile!r}; this wallet has {', '.join(p.name for p in profiles)}.")
        return WalletStatus(str(self.app.home), ident.address, ident.encryption_key_hex, total,
                            chain_status(self.app), ipfs_status(self.app),
                            Keystore.load(self.app.home).has_remembered_slot, network=self.network_name(),
                            phrase_shown=self.phrase_shown(), profile=profile, profiles=profiles)

    def network_name(self) -> str:
        """The active network profile's name (``custom`` when ``chain.rpc`` names a node)."""
        from .networks import Networks

        return Networks(self.app).active_name()

    # --- sharing while locked ------------------------------------------------------

    @property
    def serving(self) -> bool:
        """Whether a locked wallet's IPFS node still serves what it shared (see
        :meth:`UnlockedWallet.lock` with ``keep_serving``)."""
        return self.app.serving is not None

    def stop_serving(self, *, wait: bool = True) -> None:
        """Stop the IPFS node a locked wallet left serving; nothing when there is none.
        With ``wait=False`` it stops on a background thread (the next node waits for it)."""
        node, self.app.serving = self.app.serving, None
        if node is None:
            return

        def close() -> None:
            with contextlib.suppress(WalletError):
                node.close()

        if wait:
            close()
        else:
            closing = threading.Thread(target=close, name="wallet-stop-serving")  # not daemon: exit waits
            closing.start()
            self.app.closing = closing

    # --- creating ----------------------------------------------------------------

    def new_phrase(self, words: int = 12) -> str:
        """A fresh recovery phrase, for a wizard that writes nothing until it is confirmed."""
        return new_phrase(words)

    def create(self, passphrase: str, *, words: int = 12, phrase: str | None = None) -> tuple[Identity, str]:
        """A new wallet; returns its identity and the recovery phrase.

        The record store is made first and the keystore last, so a failure leaves no
        wallet behind. The keystore says the phrase has not been shown yet: show it, then
        call :meth:`mark_phrase_shown`. Until then :meth:`status` and :meth:`phrase_shown`
        say so and :meth:`reveal_phrase` shows it after the passphrase (a crash between
        writing and showing never loses the phrase). Raises :class:`WalletExists` (also
        for a half-made wallet, saying what to do) and :class:`VaultError`.
        """
        check_passphrase(passphrase)
        keys = WalletKeys(phrase or new_phrase(words))
        self.check_new_home()
        self._open_store(keys).close()
        Keystore.create(self.app.home, keys, passphrase, kdf=self.app.kdf, phrase_shown=False)
        return keys.identity, keys.phrase

    def restore(self, phrase: str, passphrase: str) -> Identity:
        """A wallet from a recovery phrase the user typed (so it counts as shown)."""
        check_passphrase(passphrase)
        keys = WalletKeys(phrase)
        self.check_new_home(restoring=True)
        self._open_store(keys).close()  # a store of another phrase is refused before anything is written
        Keystore.create(self.app.home, keys, passphrase, kdf=self.app.kdf, phrase_shown=True)
        return keys.identity

    def check_new_home(self, *, restoring: bool = False) -> None:
        """Raise :class:`WalletExists`, saying what to do, unless a wallet can be made here.

        A record store without a keystore (a set-up that stopped half way) can only be
        restored from its phrase, which the store's key check confirms."""
        home = self.app.home
        if Keystore.exists(home):
            if not Keystore.load(home).phrase_shown:
                raise WalletExists(
                    f"A wallet already exists in {home}, but its recovery phrase was never shown (its creation "
                    "stopped early); run 'health-wallet show-phrase' to see it and write it down.")
            raise WalletExists(f"A wallet already exists in {home}; use another --home.")
        if not restoring and (home / STORE_FILE).exists():
            raise WalletExists(
                f"{home} holds a record store but no keystore, as an interrupted set-up leaves it: restore the "
                f"wallet with its recovery phrase ('health-wallet init --restore'), or, if it held nothing, delete "
                f"{home / STORE_FILE} and run init again.")

    def phrase_shown(self) -> bool:
        """Whether this wallet's recovery phrase has been shown since it was made (no unlock needed)."""
        return Keystore.load(self.app.home).phrase_shown

    def mark_phrase_shown(self) -> None:
        """Record that the recovery phrase returned by :meth:`create` has been shown to the user."""
        Keystore.load(self.app.home).mark_phrase_shown()

    def reveal_phrase(self, passphrase: str) -> str:
        """The recovery phrase, after the passphrase; marks it shown.

        For a wallet whose phrase was never shown, and for a user who wants to write it
        down again. Raises :class:`WrongPassphrase`.
        """
        keystore = Keystore.load(self.app.home)
        phrase = keystore.unlock(passphrase).phrase
        keystore.mark_phrase_shown()
        return phrase

    # --- unlocking ---------------------------------------------------------------

    def unlock(self, passphrase: str) -> UnlockedWallet:
        keys = Keystore.load(self.app.home).unlock(passphrase)
        return UnlockedWallet(self.app, keys, self._open_store(keys))

    def unlock_remembered(self) -> UnlockedWallet | None:
        keystore = Keystore.load(self.app.home)
        keys = self._remembered().unlock(keystore)
        if keys is None:
            return None
        return UnlockedWallet(self.app, keys, self._open_store(keys))

    def change_passphrase(self, old: str, new: str) -> None:
        Keystore.load(self.app.home).change_passphrase(old, new)

    def reset_passphrase(self, phrase: str, new_passphrase: str) -> Identity:
        """A forgotten passphrase: the recovery phrase proves the owner, and the keystore is
        sealed again under ``new_passphrase`` in one atomic write (records stay: they are
        keyed from the phrase). The remembered unlock is forgotten. Raises
        :class:`VaultError` for a phrase that is not valid or is another wallet's."""
        keys = WalletKeys(normalize_phrase(phrase))
        Keystore.reseal(self.app.home, keys, new_passphrase, kdf=self.app.kdf)
        with contextlib.suppress(WalletError):  # no keyring: nothing was remembered there
            self._remembered().forget(Keystore.load(self.app.home))
        return keys.identity

    def delete_wallet(self, confirmation: str) -> Path:
        """Delete this wallet's home folder and everything in it: the keys, every record and
        card, the list of shares, settings and this computer's IPFS and chain data. Lock the
        wallet first. ``confirmation`` must be :data:`DELETE_CONFIRMATION` (what the user
        typed). The keystore goes first, so a failure half way leaves no wallet that opens.
        Returns the folder removed. Raises :class:`InputRefused` for another confirmation,
        :class:`WalletNotFound`, and :class:`WalletError` when the folder is not a wallet's."""
        import shutil

        from ..errors import InputRefused
        from ..vault.keystore import KEYSTORE_FILE

        if confirmation.strip().lower() != DELETE_CONFIRMATION:
            raise InputRefused(f"Type {DELETE_CONFIRMATION} to delete the wallet; nothing was deleted.")
        home = self.app.home.resolve()
        if not Keystore.exists(home):
            raise WalletNotFound(f"No wallet in {home}; nothing was deleted.")
        if home == Path.home().resolve() or home.parent == home:
            raise WalletError(f"{home} is not a wallet's own folder; delete the wallet's files by hand.")
        with contextlib.suppress(WalletError):
            self._remembered().forget(Keystore.load(home))
        (home / KEYSTORE_FILE).unlink()
        try:
            shutil.rmtree(home)
        except OSError as exc:
            raise WalletError(f"The wallet's keys are deleted, but some files in {home} could not be "
                              f"removed ({exc.strerror}); delete that folder by hand.") from exc
        return home

    def remember_unlock(self, passphrase: str) -> None:
        keystore = Keystore.load(self.app.home)
        keystore.unlock(passphrase)  # wrong passphrase fails before the keyring is touched
        self._remembered().enable(keystore, passphrase)

    def forget_unlock(self) -> None:
        self._remembered().forget(Keystore.load(self.app.home))

    def _remembered(self) -> RememberedUnlock:
        return RememberedUnlock(self.app.home, backend=self.app.keyring_backend)

    def _open_store(self, keys: WalletKeys) -> RecordStore:
        return RecordStore(self.app.home / STORE_FILE, record_key=keys.symmetric_key("records"),
                           index_key=keys.symmetric_key("record-index"))
