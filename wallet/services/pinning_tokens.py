"""Where pinning services' access tokens are kept: the OS keyring, else sealed by the wallet's keys.

A token is a bearer secret (whoever holds it can pin and unpin on the user's account),
so it is never written to ``config.json``, ``pinning.json``, a log or a repr.

- With a secure OS keyring (the same check as remember-unlock,
  :func:`wallet.vault.remember.secure_backend`), each token is one keyring item:
  service ``health-wallet-pinning``, user ``<hash of the home>:<service name>``.
- Without one (headless servers, the ``null`` backend the tests use), the tokens are one
  JSON object sealed with AES-256-GCM under ``HKDF(seed, "health-wallet/pinning-tokens/v1")``
  in ``pinning-tokens.sealed`` in the home, bound to the wallet's address: only the
  recovery phrase (through the unlocked wallet) opens it. We keep this file next to the
  keystore rather than inside it: the keystore's format belongs to the vault and
  changes only with a migration, and a sealed file of its own needs none.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..atomicfile import write_atomic
from ..errors import DecryptionError, KeyringUnavailable, VaultError
from ..vault import aead
from ..vault.remember import secure_backend

if TYPE_CHECKING:
    from ..vault.keys import WalletKeys

__all__ = ["KEYRING", "SEALED", "TOKENS_FILE", "TokenStore"]

log = logging.getLogger(__name__)

KEYRING = "keyring"
SEALED = "sealed"
TOKENS_FILE = "pinning-tokens.sealed"
_SERVICE = "health-wallet-pinning"
_PURPOSE = "pinning-tokens"


class TokenStore:
    """Tokens of one wallet home. ``backend``: a keyring backend to use as is (tests), or
    ``None`` for the OS keyring when it is secure."""

    def __init__(self, home: Path, keys: WalletKeys, *, backend: Any = None) -> None:
        self.home = Path(home)
        self._keys = keys
        self._backend = backend

    def __repr__(self) -> str:
        return f"TokenStore({self.home}, tokens=<hidden>)"

    def _keyring(self) -> Any | None:
        if self._backend is not None:
            return self._backend
        try:
            return secure_backend()
        except KeyringUnavailable:
            return None

    def _user(self, name: str) -> str:
        return hashlib.sha256(str(self.home.resolve()).encode()).hexdigest()[:32] + ":" + name

    # --- the sealed file ---------------------------------------------------------------

    @property
    def _path(self) -> Path:
        return self.home / TOKENS_FILE

    def _sealed(self) -> dict[str, str]:
        try:
            blob = self._path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise VaultError(f"The pinning tokens in {self._path} cannot be read.") from exc
        key = self._keys.symmetric_key(_PURPOSE)
        try:
            doc = json.loads(aead.open_sealed(key, blob, purpose=_PURPOSE, aad=self._keys.identity.address.encode()))
        except (DecryptionError, ValueError) as exc:
            raise VaultError(f"The pinning tokens in {self._path} are damaged; remove and add the services again.") \
                from exc
        if not isinstance(doc, dict) or not all(isinstance(v, str) for v in doc.values()):
            raise VaultError(f"The pinning tokens in {self._path} are damaged; remove and add the services again.")
        return doc

    def _write_sealed(self, tokens: dict[str, str]) -> None:
        if not tokens:
            self._path.unlink(missing_ok=True)
            return
        key = self._keys.symmetric_key(_PURPOSE)
        blob = aead.seal(key, json.dumps(tokens).encode(), purpose=_PURPOSE,
                         aad=self._keys.identity.address.encode())
        write_atomic(self._path, blob, mode=0o600)

    # --- the API -----------------------------------------------------------------------

    def put(self, name: str, token: str) -> str:
        """Keep ``token`` for service ``name``; returns where (:data:`KEYRING` or :data:`SEALED`)."""
        ring = self._keyring()
        if ring is not None:
            try:
                ring.set_password(_SERVICE, self._user(name), token)
                return KEYRING
            except Exception:  # noqa: BLE001 - any backend's refusal (locked, denied) means: seal it instead
                log.info("the keyring refused the pinning token; sealing it in the home instead")
        tokens = self._sealed()
        tokens[name] = token
        self._write_sealed(tokens)
        return SEALED

    def get(self, name: str, where: str) -> str | None:
        if where == KEYRING:
            ring = self._keyring()
            if ring is None:
                return None
            try:
                value = ring.get_password(_SERVICE, self._user(name))
            except Exception:  # noqa: BLE001 - a locked or absent keyring: the token is not available now
                return None
            return value if isinstance(value, str) and value else None
        return self._sealed().get(name)

    def delete(self, name: str, where: str) -> None:
        if where == KEYRING:
            ring = self._keyring()
            if ring is not None:
                try:
                    ring.delete_password(_SERVICE, self._user(name))
                except Exception:  # noqa: BLE001 - already gone is what we want
                    log.debug("the keyring had no pinning token for %s", name)
            return
        tokens = self._sealed()
        if tokens.pop(name, None) is not None:
            self._write_sealed(tokens)
