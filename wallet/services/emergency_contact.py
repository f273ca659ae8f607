"""The emergency contact printed on the emergency card ("Name, phone"), kept in the home
sealed with a key derived from the wallet's keys (it is personal data: never in the clear
in ``config.json``)."""

from __future__ import annotations

from ..atomicfile import write_atomic
from ..errors import DecryptionError, WalletError
from ..vault import aead
from .wallet import UnlockedWallet

__all__ = ["MAX_CONTACT", "checked_contact", "load_emergency_contact", "save_emergency_contact"]

MAX_CONTACT = 120
_FILE = "emergency-contact.sealed"
_PURPOSE = "emergency-contact"


def _key(wallet: UnlockedWallet) -> bytes:
    return wallet.keys.symmetric_key(_PURPOSE)


def load_emergency_contact(wallet: UnlockedWallet) -> str:
    """The saved contact, or "" when none is saved. Raises :class:`~wallet.errors.WalletError`
    when the file is there but does not open with this wallet's keys."""
    path = wallet.app.home / _FILE
    if not path.exists():
        return ""
    try:
        return aead.open_sealed(_key(wallet), path.read_bytes(), purpose=_PURPOSE).decode("utf-8")
    except (OSError, UnicodeDecodeError, DecryptionError) as exc:
        raise WalletError(f"The saved emergency contact in {path} cannot be read; save it again.") from exc


def checked_contact(contact: str) -> str:
    """``contact`` trimmed, or :class:`~wallet.errors.WalletError` when it is longer than
    :data:`MAX_CONTACT` characters or not one line."""
    text = contact.strip()
    if len(text) > MAX_CONTACT:
        raise WalletError(f"The emergency contact is longer than {MAX_CONTACT} characters; shorten it.")
    if any(not ch.isprintable() for ch in text):
        raise WalletError("The emergency contact is one line: a name and a phone number.")
    return text


def save_emergency_contact(wallet: UnlockedWallet, contact: str) -> str:
    """Keep ``contact`` (one line, at most :data:`MAX_CONTACT` characters; "" forgets it) for
    the next card; returns it as kept. Raises :class:`~wallet.errors.WalletError` for a
    contact that is too long or has line breaks."""
    text = checked_contact(contact)
    path = wallet.app.home / _FILE
    try:
        if not text:
            path.unlink(missing_ok=True)
        else:
            write_atomic(path, aead.seal(_key(wallet), text.encode("utf-8"), purpose=_PURPOSE))
    except OSError as exc:
        raise WalletError(f"Cannot save the emergency contact: {exc.strerror or exc}.") from exc
    return text
