"""Remember-unlock through the OS keyring.

The keyring holds a random *remember key*, never the passphrase or a private key. The
keystore holds the data key sealed under it (the ``remembered`` slot). Either half
alone opens nothing. Insecure backends (plaintext files, the fail/null backends) are
refused: no fallback ever writes a secret in the clear.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import KeyringUnavailable, VaultError
from . import aead
from .keys import WalletKeys
from .keystore import Keystore

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

__all__ = ["RememberedUnlock", "secure_backend"]

log = logging.getLogger(__name__)

SERVICE = "health-wallet"
_INSECURE = (
    "keyring.backends.fail",
    "keyring.backends.null",
    "keyrings.alt.file",  # PlaintextKeyring, EncryptedKeyring: files we do not control
    "keyrings.alt.Gnome",
)


def secure_backend() -> KeyringBackend:
    """The active keyring backend, or :class:`KeyringUnavailable` if it is not secure."""
    try:
        import keyring
        from keyring.backends import chainer

        backend = keyring.get_keyring()
    except Exception as exc:  # keyring's backends raise their own types (D-Bus, Keychain): all mean "none"
        raise KeyringUnavailable("No OS keyring is available; remember-unlock stays off.") from exc
    candidates = backend.backends if isinstance(backend, chainer.ChainerBackend) else [backend]
    secure = [b for b in candidates if not type(b).__module__.startswith(_INSECURE)]
    if not secure:
        name = type(backend).__name__
        raise KeyringUnavailable(
            f"The keyring backend {name} is not a secure OS keyring; remember-unlock stays off."
        )
    return secure[0]


class RememberedUnlock:
    """Remember and forget the unlock of one wallet home."""

    def __init__(self, home: Path, *, backend: KeyringBackend | None = None) -> None:
        self.home = Path(home)
        self._backend = backend

    @property
    def backend(self) -> KeyringBackend:
        if self._backend is None:
            self._backend = secure_backend()
        return self._backend

    @property
    def _username(self) -> str:
        return hashlib.sha256(str(self.home.resolve()).encode()).hexdigest()[:32]

    def enable(self, keystore: Keystore, passphrase: str) -> None:
        remember_key = aead.new_key()
        try:
            self.backend.set_password(SERVICE, self._username, base64.b64encode(remember_key).decode())
        except KeyringUnavailable:
            raise
        except Exception as exc:  # any backend's own refusal (locked, denied, D-Bus gone) is the same to the user
            raise KeyringUnavailable(f"The OS keyring refused to store the unlock: {exc}.") from exc
        keystore.add_remembered_slot(passphrase, remember_key)

    def unlock(self, keystore: Keystore) -> WalletKeys | None:
        """The keys, or ``None`` when nothing is remembered (ask for the passphrase)."""
        if not keystore.has_remembered_slot:
            return None
        try:
            stored = self.backend.get_password(SERVICE, self._username)
        except KeyringUnavailable:
            return None
        except Exception:  # noqa: BLE001 - a locked or absent keyring means "ask"
            return None
        if not stored:
            return None
        try:
            return keystore.unlock_with_remembered(base64.b64decode(stored))
        except VaultError:
            return None

    def forget(self, keystore: Keystore) -> None:
        keystore.remove_remembered_slot()
        try:
            self.backend.delete_password(SERVICE, self._username)
        except Exception:  # already gone is fine; the remembered slot is removed either way
            log.debug("the keyring did not delete the remembered unlock", exc_info=True)
