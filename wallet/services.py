"""The use cases: the only API that ``wallet.cli`` and ``wallet.gui`` call.

:class:`WalletService` works on a locked wallet (create, restore, unlock, settings);
unlocking returns an :class:`UnlockedWallet`, which holds the keys and the open record
store until :meth:`UnlockedWallet.lock`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from .app import App
from .errors import Cancelled, InvalidRecord, WalletError, WalletLocked, WalletNotFound
from .events import CancelToken, ProgressSink
from .records.importer import ImportResult, import_file
from .records.store import STORE_FILE, RecordStore, StoredSummary, count_rows
from .records.summary import CATEGORIES
from .vault.keys import Identity, WalletKeys, new_phrase
from .vault.keystore import Keystore
from .vault.remember import RememberedUnlock

__all__ = ["WalletService", "UnlockedWallet", "FileOutcome", "CATEGORIES"]


@dataclass(frozen=True)
class FileOutcome:
    """The result of importing one file: a result or the error that rejected it."""

    path: Path
    result: ImportResult | None = None
    error: WalletError | None = None


class WalletService:
    def __init__(self, app: App) -> None:
        self.app = app

    def __repr__(self) -> str:
        return f"WalletService(home={self.app.home})"

    # --- without unlocking -------------------------------------------------------

    def exists(self) -> bool:
        return Keystore.exists(self.app.home)

    def identity(self) -> Identity:
        return Keystore.load(self.app.home).identity

    def record_count(self) -> int:
        return count_rows(self.app.home / STORE_FILE)

    def status(self) -> dict[str, Any]:
        if not self.exists():
            raise WalletNotFound(f"No wallet in {self.app.home}; run 'health-wallet init' first.")
        ident = self.identity()
        return {
            "home": str(self.app.home),
            "address": ident.address,
            "encryption_key": ident.encryption_key_hex,
            "records": self.record_count(),
            "chain": {"rpc": self.app.config.get("chain.rpc"), "contract": self.app.config.get("chain.contract") or None},
            "ipfs": {"api": self.app.config.get("ipfs.api")},
            "remember_unlock": Keystore.load(self.app.home).has_remembered_slot,
        }

    # --- creating ----------------------------------------------------------------

    def create(self, passphrase: str, *, words: int = 12) -> tuple[Identity, str]:
        """A new wallet; returns its identity and the recovery phrase (show it once)."""
        phrase = new_phrase(words)
        keys = WalletKeys(phrase)
        Keystore.create(self.app.home, keys, passphrase, kdf=self.app.kdf)
        self._open_store(keys).close()
        return keys.identity, phrase

    def restore(self, phrase: str, passphrase: str) -> Identity:
        keys = WalletKeys(phrase)
        Keystore.create(self.app.home, keys, passphrase, kdf=self.app.kdf)
        self._open_store(keys).close()
        return keys.identity

    # --- unlocking ---------------------------------------------------------------

    def unlock(self, passphrase: str) -> "UnlockedWallet":
        keys = Keystore.load(self.app.home).unlock(passphrase)
        return UnlockedWallet(self.app, keys, self._open_store(keys))

    def unlock_remembered(self) -> "UnlockedWallet | None":
        keystore = Keystore.load(self.app.home)
        keys = self._remembered().unlock(keystore)
        if keys is None:
            return None
        return UnlockedWallet(self.app, keys, self._open_store(keys))

    def change_passphrase(self, old: str, new: str) -> None:
        Keystore.load(self.app.home).change_passphrase(old, new)

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

    def __init__(self, app: App, keys: WalletKeys, store: RecordStore) -> None:
        self.app = app
        self._keys: WalletKeys | None = keys
        self.store = store
        self.identity = keys.identity

    def __repr__(self) -> str:
        return f"UnlockedWallet(address={self.identity.address}, locked={self._keys is None})"

    @property
    def keys(self) -> WalletKeys:
        if self._keys is None:
            raise WalletLocked("The wallet is locked; unlock it first.")
        return self._keys

    def lock(self) -> None:
        self._keys = None
        self.store.close()

    # --- records -----------------------------------------------------------------

    def import_file(self, path: Path, *, progress: ProgressSink | None = None,
                    cancel: CancelToken | None = None) -> ImportResult:
        self.keys  # noqa: B018 - fail if locked
        return import_file(self.store, Path(path), progress=progress, cancel=cancel)

    def import_paths(self, paths: Iterable[Path], *, progress: ProgressSink | None = None,
                     cancel: CancelToken | None = None) -> list[FileOutcome]:
        """Import several files, each all-or-nothing; one bad file does not stop the rest."""
        outcomes = []
        for path in map(Path, paths):
            try:
                if path.is_dir():
                    raise InvalidRecord(f"{path} is a folder; name the files to import.")
                outcomes.append(FileOutcome(path, self.import_file(path, progress=progress, cancel=cancel)))
            except Cancelled:
                raise
            except WalletError as exc:
                outcomes.append(FileOutcome(path, error=exc))
        return outcomes

    def summaries(self, *, category: str | None = None, types: Iterable[str] | None = None,
                  since: str | None = None, limit: int = -1, offset: int = 0) -> list[StoredSummary]:
        return self.store.summaries(category=category, types=types, since=since, limit=limit, offset=offset)

    def record(self, rid: str) -> dict[str, Any]:
        return self.store.get(rid)

    def counts_by_category(self) -> dict[str, int]:
        return self.store.counts_by_category()

    def counts_by_type(self) -> dict[str, int]:
        return self.store.counts_by_type()
