"""The keystore file: the recovery phrase sealed under the patient's passphrase.

Layout (JSON, version 1)::

    {"format": "health-wallet-keystore", "version": 1,
     "address": "0x…", "encryption_key": "0x…",            # public, for status without unlock
     "kdf": {"name": "scrypt", "n": …, "r": 8, "p": 1, "salt": "<b64>"},
     "slots": {"passphrase": "<b64 sealed data key>",
               "remembered": "<b64 sealed data key>"},      # optional, see remember.py
     "secrets": "<b64 phrase sealed with the data key>",
     "phrase_shown": true}                                  # optional, see below

Versions are upgraded step by step on load (:data:`KEYSTORE_FORMAT`, :mod:`wallet.formats`);
version 1 is the only one so far. A keystore newer than this app is refused untouched.

A random *data key* seals the secrets; each slot seals the data key under one unlock
method (like LUKS key slots), so changing the passphrase rewrites one slot and
forgetting the remembered unlock deletes one. Written atomically with mode 0600.

``phrase_shown`` is ``false`` from the moment a new wallet's keystore is written until
the app has shown its recovery phrase (:meth:`Keystore.mark_phrase_shown`): a wallet
whose creation stopped in between says so, and shows the phrase once after the
passphrase. Keystores without the field (written before it existed, or restored from
a phrase the user typed) count as shown. Readers of version 1 ignore the field.
"""

from __future__ import annotations

import base64
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import untrusted
from ..atomicfile import write_atomic
from ..errors import (
    DecryptionError,
    InputRefused,
    KeystoreDamaged,
    VaultError,
    WalletExists,
    WalletNotFound,
    WrongPassphrase,
)
from ..formats import FileFormat, upgrade_json_document
from . import aead
from .keys import Identity, WalletKeys

__all__ = ["DEFAULT_KDF", "KEYSTORE_FILE", "KEYSTORE_FORMAT", "LIGHT_KDF", "MAX_SCRYPT_MEMORY", "MAX_SCRYPT_P",
           "KdfParams", "Keystore"]

KEYSTORE_FILE = "keystore.json"
FORMAT = "health-wallet-keystore"
VERSION = 1
MIN_PASSPHRASE = 8
# Upgrade steps upgrade_v1_to_v2, … go here, in order (each changes the document in place).
KEYSTORE_FORMAT: FileFormat[dict[str, Any]] = FileFormat("keystore", VERSION, (), error=VaultError)


MAX_SCRYPT_MEMORY = 1024 * 1024 * 1024
"""Most memory one scrypt derivation may take, in bytes (1 GiB): 128 · n · r (RFC 7914 §2).
The default costs 128 MiB; a keystore asking for more is refused, not obeyed."""

MAX_SCRYPT_P = 16
"""Most scrypt parallelisation (RFC 7914 ``p``); the work grows linearly with it."""


@dataclass(frozen=True)
class KdfParams:
    """scrypt costs (RFC 7914): ``n`` a power of two ≥ 1024, ``r`` ≥ 1, ``1 ≤ p ≤``
    :data:`MAX_SCRYPT_P`, and 128·n·r bytes within :data:`MAX_SCRYPT_MEMORY`."""

    n: int = 2**17
    r: int = 8
    p: int = 1

    def __post_init__(self) -> None:
        if any(isinstance(v, bool) or not isinstance(v, int) for v in (self.n, self.r, self.p)):
            raise ValueError("scrypt costs are integers")
        if self.n < 2**10 or self.n & (self.n - 1) or self.r < 1 or self.p < 1:
            raise ValueError("scrypt needs n a power of two >= 1024, r >= 1, p >= 1")
        if 128 * self.n * self.r > MAX_SCRYPT_MEMORY or self.p > MAX_SCRYPT_P:
            raise ValueError(f"scrypt costs beyond the caps (memory {MAX_SCRYPT_MEMORY // 2**20} MiB, "
                             f"p {MAX_SCRYPT_P})")


DEFAULT_KDF = KdfParams()
# For test suites and scripted demos only (HEALTH_WALLET_UNSAFE_LIGHT_KDF=1): the
# parameters are stored in the file, so a light keystore stays light until rewritten.
LIGHT_KDF = KdfParams(n=2**12)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise DecryptionError("The keystore is damaged.")
    try:
        return base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise DecryptionError("The keystore is damaged.") from exc


_KEYSTORE_LIMITS = untrusted.Limits(max_bytes=untrusted.MAX_METADATA_BYTES, max_depth=4, max_items=64)
_HEX_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_HEX_KEY = re.compile(r"0x[0-9a-fA-F]{64}")


def _check_fields(doc: dict[str, Any], path: Path) -> None:
    """Refuse a keystore whose fields are missing or mistyped, or whose KDF costs are beyond
    the caps (:class:`KdfParams`), before anything uses them. Raises :class:`KeystoreDamaged`."""

    def damaged(what: str) -> KeystoreDamaged:
        return KeystoreDamaged(f"The keystore {path} is damaged: {what}. Restore the wallet from its recovery "
                               "phrase into a new folder (health-wallet --home NEW init --restore).")

    if not isinstance(doc.get("address"), str) or not _HEX_ADDRESS.fullmatch(doc["address"]):
        raise damaged("its address is missing or not 0x and 40 hex digits")
    if not isinstance(doc.get("encryption_key"), str) or not _HEX_KEY.fullmatch(doc["encryption_key"]):
        raise damaged("its encryption_key is missing or not 0x and 64 hex digits")
    if not isinstance(doc.get("secrets"), str):
        raise damaged("its secrets are missing")
    slots = doc.get("slots")
    if not isinstance(slots, dict) or not isinstance(slots.get("passphrase"), str) \
            or not all(isinstance(v, str) for v in slots.values()):
        raise damaged("its passphrase slot is missing")
    kdf = doc.get("kdf")
    if not isinstance(kdf, dict) or kdf.get("name") != "scrypt" or not isinstance(kdf.get("salt"), str):
        raise damaged("its key derivation (kdf) is missing or not scrypt with a salt")
    for name, blob in [("salt", kdf["salt"]), ("secrets", doc["secrets"]), *slots.items()]:
        try:
            base64.b64decode(blob, validate=True)
        except ValueError as exc:
            raise damaged(f"its {name} is not base64") from exc
    try:
        KdfParams(n=kdf.get("n"), r=kdf.get("r"), p=kdf.get("p"))  # type: ignore[arg-type]
    except ValueError as exc:
        raise damaged(f"its kdf costs n={kdf.get('n')!r} r={kdf.get('r')!r} p={kdf.get('p')!r} are refused: {exc}") \
            from exc


def check_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise VaultError(f"Choose a passphrase of at least {MIN_PASSPHRASE} characters.")


@dataclass
class Keystore:
    path: Path
    doc: dict[str, Any] = field(repr=False)

    # --- creating and loading ------------------------------------------------

    @classmethod
    def exists(cls, home: Path) -> bool:
        return (Path(home) / KEYSTORE_FILE).exists()

    @classmethod
    def create(cls, home: Path, keys: WalletKeys, passphrase: str, *, kdf: KdfParams = DEFAULT_KDF,
               phrase_shown: bool = True) -> Keystore:
        """Write a new keystore for ``keys`` in ``home``; ``phrase_shown=False`` for a new
        phrase the user has not seen yet. Raises :class:`WalletExists`, :class:`VaultError`."""
        check_passphrase(passphrase)
        path = Path(home) / KEYSTORE_FILE
        if path.exists():
            raise WalletExists(f"A wallet already exists in {home}; use another --home.")
        Path(home).mkdir(parents=True, exist_ok=True, mode=0o700)
        data_key = aead.new_key()
        ident = keys.identity
        doc: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "address": ident.address,
            "encryption_key": ident.encryption_key_hex,
            "slots": {},
            "secrets": _b64(
                aead.seal(data_key, json.dumps({"phrase": keys.phrase}).encode(),
                          purpose="keystore-secrets", aad=ident.address.encode())
            ),
            "phrase_shown": bool(phrase_shown),
        }
        store = cls(path, doc)
        store._set_passphrase_slot(data_key, passphrase, kdf)
        store._write()
        return store

    @classmethod
    def reseal(cls, home: Path, keys: WalletKeys, passphrase: str, *, kdf: KdfParams = DEFAULT_KDF) -> Keystore:
        """Replace the keystore of ``home`` with one for the same ``keys`` under a new
        ``passphrase`` (the passphrase was forgotten; the recovery phrase proves the owner).

        The new file replaces the old one in one atomic rename; the remembered unlock is
        dropped. Raises :class:`WalletNotFound`, and :class:`VaultError` when ``keys`` are
        another wallet's (nothing changes then)."""
        check_passphrase(passphrase)
        old = cls.load(home)
        if old.doc.get("address") != keys.identity.address:
            raise VaultError("That recovery phrase belongs to another wallet, not this one; check the words "
                             "against what you wrote down when you made this wallet.")
        data_key = aead.new_key()
        ident = keys.identity
        doc: dict[str, Any] = {
            **{k: v for k, v in old.doc.items() if k not in ("slots", "secrets", "kdf")},
            "address": ident.address,
            "encryption_key": ident.encryption_key_hex,
            "slots": {},
            "secrets": _b64(
                aead.seal(data_key, json.dumps({"phrase": keys.phrase}).encode(),
                          purpose="keystore-secrets", aad=ident.address.encode())
            ),
            "phrase_shown": True,
        }
        store = cls(old.path, doc)
        store._set_passphrase_slot(data_key, passphrase, kdf)
        store._write()
        return store

    @classmethod
    def load(cls, home: Path) -> Keystore:
        path = Path(home) / KEYSTORE_FILE
        if not path.exists():
            raise WalletNotFound(f"No wallet in {home}; run 'health-wallet init' first.")
        try:
            doc = untrusted.loads(untrusted.read_bytes(path, max_bytes=untrusted.MAX_METADATA_BYTES),
                                  what="the file", limits=_KEYSTORE_LIMITS)
        except InputRefused as exc:
            raise KeystoreDamaged(f"The keystore {path} is unreadable: {exc.user_message}") from exc
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise VaultError(f"{path} is not a Health Wallet keystore.")
        doc, upgraded = upgrade_json_document(doc, KEYSTORE_FORMAT, where=path)
        _check_fields(doc, path)
        store = cls(path, doc)
        if upgraded:
            store._write()
        return store

    # --- public, no unlock needed -------------------------------------------

    @property
    def identity(self) -> Identity:
        return Identity(self.doc["address"], bytes.fromhex(self.doc["encryption_key"][2:]))

    @property
    def phrase_shown(self) -> bool:
        """Whether the recovery phrase has been shown (or typed) since the wallet was made."""
        return self.doc.get("phrase_shown") is not False

    @property
    def has_remembered_slot(self) -> bool:
        return "remembered" in self.doc["slots"]

    # --- unlocking -------------------------------------------------------------

    def unlock(self, passphrase: str) -> WalletKeys:
        return self._open_secrets(self._passphrase_data_key(passphrase))

    def unlock_with_remembered(self, remember_key: bytes) -> WalletKeys:
        blob = self.doc["slots"].get("remembered")
        if blob is None:
            raise VaultError("This wallet has no remembered unlock.")
        data_key = aead.open_sealed(remember_key, _unb64(blob), purpose="keystore-slot",
                                    aad=self._slot_aad("remembered"))
        return self._open_secrets(data_key)

    # --- changing --------------------------------------------------------------

    def change_passphrase(self, old: str, new: str, *, kdf: KdfParams | None = None) -> None:
        check_passphrase(new)
        data_key = self._passphrase_data_key(old)
        self._set_passphrase_slot(data_key, new, kdf or self._kdf_params())
        self._write()

    def mark_phrase_shown(self) -> None:
        """Record that the user has now seen the recovery phrase."""
        if not self.phrase_shown:
            self.doc["phrase_shown"] = True
            self._write()

    def add_remembered_slot(self, passphrase: str, remember_key: bytes) -> None:
        data_key = self._passphrase_data_key(passphrase)
        self.doc["slots"]["remembered"] = _b64(
            aead.seal(remember_key, data_key, purpose="keystore-slot", aad=self._slot_aad("remembered"))
        )
        self._write()

    def remove_remembered_slot(self) -> None:
        if self.doc["slots"].pop("remembered", None) is not None:
            self._write()

    # --- internals -------------------------------------------------------------

    def _slot_aad(self, slot: str) -> bytes:
        return f"{slot}|{self.doc['address']}".encode()

    def _kdf_params(self) -> KdfParams:
        k = self.doc["kdf"]
        return KdfParams(n=int(k["n"]), r=int(k["r"]), p=int(k["p"]))

    def _passphrase_data_key(self, passphrase: str) -> bytes:
        try:
            k = self.doc["kdf"]
            if k.get("name") != "scrypt":
                raise VaultError(f"Unknown key derivation {k.get('name')!r} in the keystore.")
            kek = aead.scrypt_key(passphrase, _unb64(k["salt"]), n=int(k["n"]), r=int(k["r"]), p=int(k["p"]))
            return aead.open_sealed(kek, _unb64(self.doc["slots"]["passphrase"]), purpose="keystore-slot",
                                    aad=self._slot_aad("passphrase"))
        except DecryptionError as exc:
            raise WrongPassphrase() from exc
        except (KeyError, TypeError, ValueError) as exc:
            raise VaultError("The keystore is damaged.") from exc

    def _open_secrets(self, data_key: bytes) -> WalletKeys:
        plain = aead.open_sealed(data_key, _unb64(self.doc["secrets"]), purpose="keystore-secrets",
                                 aad=self.doc["address"].encode())
        keys = WalletKeys(json.loads(plain)["phrase"])
        if keys.address != self.doc["address"]:
            raise VaultError("The keystore is damaged: its address does not match its keys.")
        return keys

    def _set_passphrase_slot(self, data_key: bytes, passphrase: str, kdf: KdfParams) -> None:
        salt = os.urandom(16)
        kek = aead.scrypt_key(passphrase, salt, n=kdf.n, r=kdf.r, p=kdf.p)
        self.doc["kdf"] = {"name": "scrypt", "n": kdf.n, "r": kdf.r, "p": kdf.p, "salt": _b64(salt)}
        self.doc["slots"]["passphrase"] = _b64(
            aead.seal(kek, data_key, purpose="keystore-slot", aad=self._slot_aad("passphrase"))
        )

    def _write(self) -> None:
        write_atomic(self.path, json.dumps(self.doc, indent=2).encode(), mode=0o600)
