"""The wallet use cases: create, restore, unlock, settings, import and browse records.

:class:`WalletService` works on a locked wallet; unlocking returns an
:class:`UnlockedWallet`, which holds the keys and the open record store until
:meth:`UnlockedWallet.lock`.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import Cancelled, InvalidRecord, WalletError, WalletExists, WalletLocked, WalletNotFound
from ..events import CancelToken, ProgressSink
from ..records.profiles import OWNER, check_profile_name
from ..records.store import (
    SEARCH_COUNT_CAP,
    STORE_FILE,
    CappedCount,
    Page,
    PageKey,
    RecordStore,
    SearchPage,
    StoredSummary,
)
from ..vault.keys import PHRASE_LENGTHS, Identity, WalletKeys, new_phrase, normalize_phrase
from ..vault.keystore import MIN_PASSPHRASE, Keystore, check_passphrase
from ..vault.remember import RememberedUnlock
from .context import WalletContext
from .reading import BROWSED_CATEGORIES, TRAIL_TYPES  # TRAIL_TYPES: the wallet's own activity, the owner's

if TYPE_CHECKING:
    from ..chain.backend import ChainBackend
    from ..ipfs.backend import IpfsBackend
    from ..records.importer import ImportResult
    from ..records.parse import ParsedFile
    from ..share.issuers import IssuerStore
    from ..share.shc import HealthCard
    from .address_book import AddressBook
    from .cards import CardInput
    from .network_status import ProfileRecords, WalletStatus
    from .overview import HealthOverview
    from .reading import DisplayIndex, RecordCounts

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


@dataclass(frozen=True)
class ProfileView:
    """A profile as lists show it: ``patient`` is the person ("Jane Doe (born 1990-01-02)")."""

    name: str
    is_owner: bool
    patient: str
    records: int


@dataclass(frozen=True)
class FileOutcome:
    """The result of importing one file: a result or the error that rejected it."""

    path: Path
    result: ImportResult | None = None
    error: WalletError | None = None


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


class UnlockedWallet:
    """An unlocked wallet. Its repr shows no secret; :meth:`lock` drops the keys."""

    def __init__(self, app: WalletContext, keys: WalletKeys, store: RecordStore) -> None:
        self.app = app
        self._keys: WalletKeys | None = keys
        self.store = store
        self.address = keys.address  # checked against the keystore at unlock
        self._identity: Identity | None = None  # with the encryption key: derived on first use
        self._ipfs: IpfsBackend | None = None
        self._chain: ChainBackend | None = None
        self._backends_lock = threading.Lock()
        self._profile = OWNER
        self._displays: DisplayIndex | None = None

    def __repr__(self) -> str:
        return f"UnlockedWallet(address={self.address}, locked={self._keys is None})"

    @property
    def identity(self) -> Identity:
        """The wallet's address and X25519 encryption key. The key is derived when first
        asked for (sharing, the status bar's details), not at unlock: the window shows the
        address only. It stays readable after :meth:`lock`."""
        if self._identity is None:
            self._identity = self.keys.identity
        return self._identity

    @property
    def keys(self) -> WalletKeys:
        if self._keys is None:
            raise WalletLocked("The wallet is locked; unlock it first.")
        return self._keys

    def lock(self, *, wait: bool = True, keep_serving: bool = False) -> None:
        """Drop the keys, close the store and stop the nodes this wallet started.

        Stopping the embedded IPFS node takes Kubo a few seconds; with ``wait=False`` (the
        GUI's lock) the nodes stop on a background thread, and the next node of this app
        starts only once they have.

        With ``keep_serving`` a running IPFS node is not stopped: it stays with the app
        (``app.serving``) and keeps serving what was shared (it holds only ciphertext and
        no key), until the next unlock takes it back or
        :meth:`WalletService.stop_serving` stops it; a node not started yet is started.
        """
        if self._identity is None and self._keys is not None:
            self._identity = self._keys.identity  # the public identity outlives the keys
        self._keys = None
        with self._backends_lock:
            if keep_serving and self._ipfs is None:
                self._ipfs = self._start_serving()
            kept = self._ipfs if keep_serving else None
            backends = [b for b in (self._chain, self._ipfs) if b is not None and b is not kept]
            self._chain = self._ipfs = None
        if kept is not None:
            self.app.serving = kept
        self.store.close()

        def close_all() -> None:
            for backend in backends:
                with contextlib.suppress(WalletError):
                    backend.close()

        if wait or not backends:
            close_all()
        else:
            closing = threading.Thread(target=close_all, name="wallet-lock")  # not daemon: exit waits for it
            closing.start()
            self.app.closing = closing

    def _start_serving(self) -> IpfsBackend | None:
        """A node to keep serving after the lock, started now; ``None`` when it cannot start
        (another process holds it, or the settings are unreadable: nothing is served then)."""
        try:
            backend = self.app.make_ipfs()
            backend.start()
        except WalletError:
            return None
        return backend

    # --- the recovery phrase ---------------------------------------------------------

    def unshown_phrase(self) -> str | None:
        """The recovery phrase when it was never shown (the wallet's creation stopped before
        it was), else ``None``. Show it, then call :meth:`mark_phrase_shown`."""
        return None if Keystore.load(self.app.home).phrase_shown else self.keys.phrase

    def mark_phrase_shown(self) -> None:
        Keystore.load(self.app.home).mark_phrase_shown()

    # --- networks (started on first use) -------------------------------------------

    def ipfs(self, *, wait: float | None = 60.0) -> IpfsBackend:
        """This wallet's IPFS node, started in the background on first use.

        With ``wait`` (seconds) it returns once the node is ready; ``None`` returns at once.
        """
        self.keys  # noqa: B018 - fail if locked
        with self._backends_lock:
            if self._ipfs is None:
                kept, self.app.serving = self.app.serving, None  # a node kept serving while locked
                backend = kept if kept is not None else self.app.make_ipfs()
                backend.start()
                self._ipfs = backend
            backend = self._ipfs
        if wait is not None:
            backend.wait_ready(wait)
        return backend

    def running_ipfs(self) -> IpfsBackend | None:
        """This wallet's IPFS node if it was already started (:meth:`ipfs`), else ``None``: for
        what only refreshes from the node when it is there, and never waits for it."""
        with self._backends_lock:
            return self._ipfs

    def chain(self) -> ChainBackend:
        self.keys  # noqa: B018 - fail if locked
        with self._backends_lock:
            if self._chain is None:
                self._chain = self.app.make_chain()
            return self._chain

    # --- records -----------------------------------------------------------------

    def import_file(self, path: Path, *, profile: str | None = None, same_person: bool = False,
                    progress: ProgressSink | None = None, cancel: CancelToken | None = None) -> ImportResult:
        """Import one file, all or nothing: FHIR JSON, NDJSON, a ``.smart-health-card``
        file or ``shc:/`` QR text. Cards keep their original bytes for re-export.

        The file goes into ``profile`` (default: the owner's) only when it is that
        person's records, or creates the profile when it is new; otherwise it raises
        :class:`~wallet.errors.PatientMismatch` naming both people, unless ``same_person``
        (the user confirmed they are one). A file of several people raises
        :class:`~wallet.errors.InvalidRecord`.
        """
        self.keys  # noqa: B018 - fail if locked
        from .cards import read_card_input  # the card stack loads on first use

        path = Path(path)
        target = self._profile_name(profile)
        card = read_card_input(path, issuers=self.issuers(), now=self.app.clock.now())
        if card is not None:
            return self._import_card(card, path.name, progress, cancel, target, same_person)
        from ..records.importer import import_path

        return import_path(self.store, path, profile=target, check_person=True, same_person=same_person,
                           progress=progress, cancel=cancel)

    def _profile_name(self, profile: str | None) -> str:
        return self._profile if profile is None else check_profile_name(profile)

    @property
    def profile(self) -> str:
        """The profile that calls without ``profile=`` work in (the GUI's switcher sets it)."""
        return self._profile

    def use_profile(self, name: str) -> None:
        """Work in profile ``name`` from now on; raises :class:`RecordError` for an unknown one."""
        from ..errors import RecordError

        known = self.profile_names()
        if name not in known:
            raise RecordError(f"No profile {name!r}; this wallet has {', '.join(known)}.")
        self._profile = name

    def profiles(self) -> list[ProfileView]:
        """The people in this wallet, the owner first, with their record counts."""
        from .reading import record_counts

        profiles = self.store.profiles()
        return [ProfileView(p.name, p.is_owner, p.person_words(), record_counts(self.store, p.name).total)
                for p in profiles]

    def move_owner_records(self, name: str) -> str:
        """The records the owner's profile holds were someone else's (the user said so after
        the first import): move them into a new profile ``name`` with that person, and let
        the owner's profile name nobody until the next import. Returns the person moved."""
        from ..records.profiles import Profile

        owner = self.store.profiles()[0]
        target = Profile(check_profile_name(name), patient=owner.patient, references=owner.references)
        self.store.move_profile(OWNER, target, keep_types=TRAIL_TYPES)
        self._profile = target.name
        return target.describe()

    def profile_names(self) -> list[str]:
        """Names of the profiles, the owner's first (it exists even before the first import)."""
        return [p.name for p in self.profiles()]

    def address_book(self) -> AddressBook:
        """The names this home keeps for wallet addresses (see :mod:`.address_book`)."""
        from .address_book import AddressBook

        return AddressBook.load(self.app.home)

    def issuers(self) -> IssuerStore:
        from ..share.issuers import IssuerStore

        return IssuerStore.load(self.app.home, extra_trusted=self.app.extra_trusted_issuers)

    def health_cards(self, *, profile: str | None = None) -> list[HealthCard]:
        """The cards of one profile (default: the active one), checked again now (trust and
        expiry change over time). A card is a profile's when its Patient is that profile's;
        a card naming no Patient is the owner's."""
        return [card for _data, cards in self.card_files(profile=profile) for card in cards]

    def card_files(self, *, profile: str | None = None) -> list[tuple[bytes, list[HealthCard]]]:
        """The stored card files of one profile with their cards, as :meth:`health_cards` chooses."""
        from ..errors import ShareError
        from .cards import check_card_file

        name = self._profile_name(profile)
        patients = [self.store.get(i) for i in self.store.ids(types=["Patient"], profile=name)]
        issuers, now = self.issuers(), self.app.clock.now()
        chosen = []
        for data in self.store.cards():
            try:
                cards = check_card_file(data, issuers=issuers, now=now)
            except ShareError:
                continue
            named = [e["resource"] for c in cards for e in c.fhir_bundle.get("entry", [])
                     if isinstance(e, dict) and isinstance(e.get("resource"), dict)
                     and e["resource"].get("resourceType") == "Patient"]
            if all(p in patients for p in named) if named else name == OWNER:
                chosen.append((data, cards))
        return chosen

    def import_paths(self, paths: Iterable[Path], *, profile: str | None = None, same_person: bool = False,
                     progress: ProgressSink | None = None, cancel: CancelToken | None = None) -> list[FileOutcome]:
        """Import several files, each all-or-nothing; one bad file does not stop the rest. A
        folder stands for the health record files directly in it (:data:`RECORD_FILE_SUFFIXES`),
        as a FHIR Bulk Data export is delivered.

        Files that each hold one part of a multi-QR SMART Health Card are read together. The
        NDJSON files of a FHIR Bulk Data export are named by resource type (``Patient.ndjson``,
        ``Patient.000.ndjson``; Bulk Data Access IG, "Response - Complete Status"): the Patient
        files go first, so the person a folder holds is named by their Patient resource before
        the records that point to them. Outcomes come in the order the files were imported.
        """
        from .cards import is_qr_chunk

        paths = sorted(_files_of_folders(Path(p) for p in paths), key=lambda p: not _is_bulk_patient_file(p))
        chunks = [p for p in paths if p.is_file() and is_qr_chunk(p)]
        outcomes = []
        if chunks:
            outcomes.append(self._import_one(chunks[0], progress, cancel, chunks=chunks, profile=profile,
                                             same_person=same_person))
        for path in paths:
            if path not in chunks:
                outcomes.append(self._import_one(path, progress, cancel, profile=profile, same_person=same_person))
        return outcomes

    def _import_one(self, path: Path, progress: ProgressSink | None, cancel: CancelToken | None,
                    chunks: list[Path] | None = None, *, profile: str | None = None,
                    same_person: bool = False) -> FileOutcome:
        try:
            if path.is_dir():
                raise InvalidRecord(f"{path} is a folder with no health record files in it "
                                    f"({', '.join(RECORD_FILE_SUFFIXES)}); name the files to import.")
            if chunks:
                from .cards import read_qr_chunks

                card = read_qr_chunks(chunks, issuers=self.issuers(), now=self.app.clock.now())
                return FileOutcome(path, self._import_card(card, " + ".join(p.name for p in chunks), progress, cancel,
                                                           self._profile_name(profile), same_person))
            return FileOutcome(path, self.import_file(path, profile=profile, same_person=same_person,
                                                      progress=progress, cancel=cancel))
        except Cancelled:
            raise
        except WalletError as exc:
            return FileOutcome(path, error=exc)

    def import_card(self, card: CardInput, name: str, *, profile: str | None = None,
                    same_person: bool = False) -> ImportResult:
        """Import cards already read and checked (from a file or a SMART Health Link) into
        ``profile`` (default: the active one), with the person checks of :meth:`import_file`."""
        self.keys  # noqa: B018 - fail if locked
        return self._import_card(card, name, None, None, self._profile_name(profile), same_person)

    def import_document(self, parsed: ParsedFile, name: str, *, profile: str | None = None,
                        same_person: bool = False) -> ImportResult:
        """Import FHIR already parsed (from a SMART Health Link), as :meth:`import_file` does."""
        self.keys  # noqa: B018 - fail if locked
        from ..records.importer import import_parsed

        return import_parsed(self.store, parsed, name=name, profile=self._profile_name(profile), check_person=True,
                             same_person=same_person)

    def _import_card(self, card: CardInput, name: str, progress: ProgressSink | None,
                     cancel: CancelToken | None, profile: str = OWNER, same_person: bool = False) -> ImportResult:
        from ..records.importer import import_parsed
        from .cards import card_status

        return import_parsed(self.store, card.parsed, name=name, cards=(card.file_bytes,),
                             card_statuses=tuple(card_status(c) for c in card.cards), profile=profile,
                             check_person=True, same_person=same_person, progress=progress, cancel=cancel)

    def summaries(self, *, category: str | None = None, types: Iterable[str] | None = None,
                  since: str | None = None, limit: int = -1, offset: int = 0,
                  profile: str | None = None, text: str | None = None) -> list[StoredSummary]:
        """One profile's summaries (default: the active profile's), newest first. The wallet's
        own trail (:data:`TRAIL_TYPES`) is the owner's, whichever profile is active. ``text``:
        only records the full-text search finds for it (as :meth:`search`).

        ``category`` is a view of :mod:`.reading`: a category, ``ALL_RECORDS`` or
        ``HEALTH_RECORDS``; without ``category`` and ``types``, every stored row. Titles that
        are only a code, or a medication named by reference, are named from the wallet."""
        from ..records.summary import ACTIVITY
        from .reading import named_rows, view_query

        types = list(types) if types is not None else None
        if profile is None and ((types and set(types) <= set(TRAIL_TYPES)) or (category == ACTIVITY and not types)):
            profile = OWNER
        name = self._profile_name(profile)
        if types is None and category is not None:
            category, types = view_query(category)
            if types == []:
                return []
        rows = self.store.summaries(category=category, types=types, since=since, limit=limit, offset=offset,
                                    profile=name, text=text)
        return named_rows(self.store, rows, name, self._display_index())

    def _display_index(self) -> DisplayIndex:
        from .reading import DisplayIndex

        with self._backends_lock:
            if self._displays is None:
                self._displays = DisplayIndex(self.store)
            return self._displays

    def record_counts(self, profile: str | None = None) -> RecordCounts:
        """The counts every screen shows (see :func:`.reading.record_counts`)."""
        from .reading import record_counts

        return record_counts(self.store, self._profile_name(profile))

    def reference_names(self, resource: dict[str, Any], profile: str | None = None) -> dict[str, str]:
        """``reference`` → name for the references in ``resource`` (see :func:`.reading.reference_names`)."""
        from .reading import reference_names

        return reference_names(self.store, resource, self._profile_name(profile))

    def overview(self, profile: str | None = None) -> HealthOverview:
        """The at-a-glance page's content (see :mod:`.overview`)."""
        from .overview import health_overview

        return health_overview(self, profile=self._profile_name(profile))

    def record(self, rid: str, *, profile: str | None = None) -> dict[str, Any]:
        """One record of ``profile`` (default: the active one); another person's is not found.
        The wallet's own trail (Consents and AuditEvents of the owner) is found from any profile."""
        if profile is not None or self.store.get_summary(rid).resource_type not in TRAIL_TYPES:
            self.require_in_profile([rid], profile)
        return self.store.get(rid)

    def record_history(self, rid: str, *, profile: str | None = None) -> dict[str, Any]:
        """``{"current", "history", "deleted"}``: a record, its earlier versions newest first
        (by ``meta.lastUpdated``, then ``meta.versionId``, then the order they were kept),
        and whether its source deleted it."""
        from ..records.versions import history_order

        current = self.record(rid, profile=profile)
        versions = [resource for resource, _summary in self.store.versions(rid)]
        return {"current": current, "history": history_order(versions), "deleted": self.store.is_deleted(rid)}

    def require_in_profile(self, ids: Iterable[str], profile: str | None) -> None:
        """Raise :class:`RecordNotFound` for an id that is not a record of ``profile``."""
        from ..errors import RecordNotFound

        name = self._profile_name(profile)
        for rid in ids:
            if self.store.profile_of(rid) != name:
                raise RecordNotFound(f"No record {rid} in the profile '{name}'; list them with "
                                     f"'health-wallet records --profile {name}'.")

    def page(self, *, category: str | None = None, types: Iterable[str] | None = None, since: str | None = None,
             text: str | None = None, limit: int = 100, offset: int = 0, after: PageKey | None = None,
             profile: str | None = None) -> Page:
        """One page of one profile's summaries (default: the active profile), newest first, read
        through the store's indexes; see :meth:`RecordStore.page` (``text``: full-text search).
        ``category`` is a view as in :meth:`summaries`; rows are named as there."""
        from .reading import named_rows, view_query

        name = self._profile_name(profile)
        if types is None and category is not None:
            category, types = view_query(category)
        found = self.store.page(category=category, types=types, since=since, text=text, limit=limit, offset=offset,
                                after=after, profile=name)
        return Page(tuple(named_rows(self.store, list(found.rows), name, self._display_index())), found.next)

    def count(self, *, category: str | None = None, types: Iterable[str] | None = None, since: str | None = None,
              text: str | None = None, profile: str | None = None, cancel: CancelToken | None = None) -> int:
        """How many records :meth:`page` pages through with the same filters (``category``: a view).
        With ``text`` it reads every match (a worker thread's job; ``cancel`` stops it,
        :class:`Cancelled`); :meth:`capped_count` is bounded."""
        from .reading import view_query

        if types is None and category is not None:
            category, types = view_query(category)
        return self.store.count(category=category, types=types, since=since, text=text,
                                profile=self._profile_name(profile), cancel=cancel)

    def newest_per_code(self, category: str, *, among: int, profile: str | None = None) -> list[StoredSummary]:
        """The newest record of each code (else title) with a value or a detail among the newest
        ``among`` of one profile's (default: the active one's) ``category``, newest first, named
        as in :meth:`summaries`; see :meth:`RecordStore.newest_per_code`."""
        from .reading import named_rows

        name = self._profile_name(profile)
        rows = self.store.newest_per_code(category, name, among=among)
        return list(named_rows(self.store, rows, name, self._display_index()))

    def latest_by_title(self, category: str, *, profile: str | None = None) -> list[StoredSummary]:
        """The newest record of each title and status of one profile (default: the active one)
        in ``Medications``, ``Conditions`` or ``Allergies``, newest first, named as in
        :meth:`summaries`; see :meth:`RecordStore.latest_by_title` (``ValueError`` otherwise)."""
        from .reading import named_rows

        name = self._profile_name(profile)
        rows = self.store.latest_by_title(category, name)
        return list(named_rows(self.store, rows, name, self._display_index()))

    def matching_ids(self, text: str, *, category: str | None = None, profile: str | None = None) -> frozenset[str]:
        """Ids of one profile's records (default: the active one) that the full-text search
        finds for ``text`` (as :meth:`search`), in the view ``category`` (as in :meth:`summaries`).
        What a filter box over rows already read uses, so that it finds what ``records --search``
        finds (codes, displays, notes, narrative), not only the words its columns show."""
        from .reading import view_query

        types = None
        if category is not None:
            category, types = view_query(category)
        return frozenset(self.store.ids(category=category, types=types, text=text,
                                        profile=self._profile_name(profile)))

    def capped_count(self, *, category: str | None = None, types: Iterable[str] | None = None,
                     since: str | None = None, text: str | None = None, profile: str | None = None,
                     cap: int = SEARCH_COUNT_CAP) -> CappedCount:
        """:meth:`count`, exact up to ``cap`` records and ``1,000+`` above (time bounded by the
        cap); see :meth:`RecordStore.capped_count`. ``category``: a view as in :meth:`summaries`."""
        from .reading import view_query

        if types is None and category is not None:
            category, types = view_query(category)
        return self.store.capped_count(category=category, types=types, since=since, text=text,
                                       profile=self._profile_name(profile), cap=cap)

    def search_page(self, text: str, *, category: str | None = None, types: Iterable[str] | None = None,
                    since: str | None = None, limit: int = 200, profile: str | None = None,
                    cap: int | None = SEARCH_COUNT_CAP) -> SearchPage:
        """What the GUI's filter box shows first for ``text``: the newest ``limit`` matches of
        one profile (default: the active one), named as in :meth:`summaries`, and their count,
        exact up to ``cap`` (``None``: only the page's rows, see :meth:`RecordStore.search_page`;
        then :meth:`capped_count` counts them). The next rows are
        :meth:`summaries` with ``offset``; the exact count above the cap is :meth:`count`."""
        from .reading import named_rows, view_query

        name = self._profile_name(profile)
        if types is None and category is not None:
            category, types = view_query(category)
        found = self.store.search_page(text, category=category, types=types, since=since, profile=name,
                                       limit=limit, cap=cap)
        rows = tuple(named_rows(self.store, list(found.page.rows), name, self._display_index()))
        return SearchPage(Page(rows, found.page.next), found.count)

    def search(self, text: str, *, category: str | None = None, types: Iterable[str] | None = None,
               since: str | None = None, limit: int = 100, offset: int = 0,
               profile: str | None = None) -> list[StoredSummary]:
        """Records of one profile (default: the active one) whose words match ``text``: every
        word as a whole word (one ending in ``*``: as the start of a word; a filter box that
        searches as the user types adds it to the last word), in titles, codes and displays,
        values, notes or narrative; newest first. What the GUI's filter box and
        ``records --search`` call; see :meth:`RecordStore.search`. ``category``: a view as in
        :meth:`summaries`."""
        return list(self.page(category=category, types=types, since=since, text=text, limit=limit, offset=offset,
                              profile=profile).rows)

    def delete_record(self, rid: str, *, profile: str | None = None) -> None:
        """Delete one record of ``profile`` (default: the active one) from this wallet.
        Shares already given keep what they hold. Raises :class:`RecordNotFound`."""
        self.keys  # noqa: B018 - fail if locked
        self.require_in_profile([rid], profile)
        self.store.delete(rid)

    def counts_by_category(self, profile: str | None = None) -> dict[str, int]:
        """Records per browsed category (the wallet's own trail is not counted; see :mod:`.reading`)."""
        return dict(self.record_counts(profile).by_category)

    def counts_by_type(self, profile: str | None = None) -> dict[str, int]:
        return self.store.counts_by_type(self._profile_name(profile))


RECORD_FILE_SUFFIXES = (".json", ".ndjson", ".jsonl", ".smart-health-card", ".fhir")
"""The files a folder given to :meth:`UnlockedWallet.import_paths` stands for (the import dialog's filter)."""


def _files_of_folders(paths: Iterable[Path]) -> list[Path]:
    """``paths`` with each folder replaced by the health record files directly in it
    (:data:`RECORD_FILE_SUFFIXES`; hidden files and sub-folders left out), by name; a folder
    with none stays, so its import says so."""
    out: list[Path] = []
    for path in paths:
        if not path.is_dir():
            out.append(path)
            continue
        found = sorted(p for p in path.iterdir() if not p.name.startswith(".") and p.is_file()
                       and p.name.lower().endswith(RECORD_FILE_SUFFIXES))
        out.extend(found or [path])
    return out


def _is_bulk_patient_file(path: Path) -> bool:
    """``Patient.ndjson``, ``Patient.000.ndjson``: a Bulk Data export's file of Patient resources."""
    return path.suffix.lower() == ".ndjson" and path.name.split(".")[0] == "Patient"
