"""The unlocked wallet: its keys, its open record store and the networks it started.

:class:`UnlockedWallet` is what :meth:`WalletService.unlock` returns; it holds the keys
and the open record store until :meth:`UnlockedWallet.lock`, starts the IPFS node and the
chain on first use, and knows the people (profiles) the wallet holds. Importing records
(:mod:`.record_imports`) and reading them (:mod:`.record_browsing`) are its parts.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import WalletError, WalletLocked
from ..records.profiles import OWNER, check_profile_name
from ..records.store import RecordStore
from ..vault.keys import Identity, WalletKeys
from ..vault.keystore import Keystore
from .context import WalletContext
from .reading import TRAIL_TYPES  # the wallet's own activity, the owner's
from .record_browsing import RecordBrowsing
from .record_imports import RecordImports

if TYPE_CHECKING:
    from ..chain.backend import ChainBackend
    from ..ipfs.backend import IpfsBackend
    from ..share.issuers import IssuerStore
    from ..share.shc import HealthCard
    from .address_book import AddressBook
    from .overview import HealthOverview
    from .reading import DisplayIndex

__all__ = ["ProfileView", "UnlockedWallet"]


@dataclass(frozen=True)
class ProfileView:
    """A profile as lists show it: ``patient`` is the person ("Jane Doe (born 1990-01-02)")."""

    name: str
    is_owner: bool
    patient: str
    records: int


class UnlockedWallet(RecordImports, RecordBrowsing):
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

    # --- profiles, addresses, cards ------------------------------------------------

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

    def overview(self, profile: str | None = None) -> HealthOverview:
        """The at-a-glance page's content (see :mod:`.overview`)."""
        from .overview import health_overview

        return health_overview(self, profile=self._profile_name(profile))
