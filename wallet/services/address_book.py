"""The address book: names the user gives to wallet addresses (doctors, patients).

One store per wallet home, shared by the desktop app and the command line
(``health-wallet address-book``, ``grant --to NAME``). Kept in ``address-book.json`` in
the wallet home, written atomically with mode 0600. The file is plain JSON, not
encrypted: a name is the user's own note on this computer, never put on chain or sent
to anyone. The GUI says so where names are typed. Format (``version`` 1)::

    {"version": 1, "contacts": [{"name": "Dr Quinn", "address": "0x…"}]}

Addresses are kept in EIP-55 checksum form; one name per address (saving again renames).
A name is resolved case-insensitively, ignoring runs of spaces; a name two contacts share
is refused as ambiguous rather than guessed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .. import untrusted
from ..atomicfile import write_atomic
from ..errors import ConfigError, InputRefused, InvalidAddress, ShareError

__all__ = ["ADDRESS_BOOK_FILE", "AddressBook", "Contact"]


def _address(text: str) -> str:
    """``text`` as an EIP-55 address, by the core's one parser; raises :class:`InvalidAddress`.
    (The chain package loads on first use, so the desktop app starts without it.)"""
    from ..chain.values import Address

    return Address.parse(text)

ADDRESS_BOOK_FILE = "address-book.json"
_VERSION = 1
MAX_NAME = 120


@dataclass(frozen=True)
class Contact:
    """A name for an address; built valid (checksum address, a short one-line name)."""

    name: str
    address: str

    def __post_init__(self) -> None:
        name = " ".join(str(self.name).split())
        if not name:
            raise ShareError("Give the contact a name.")
        if len(name) > MAX_NAME:
            raise ShareError(f"Names are at most {MAX_NAME} characters.")
        address = _address(self.address)  # InvalidAddress, a ShareError, with the one message
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "address", address)


class AddressBook:
    """The contacts of one wallet home, sorted by name."""

    def __init__(self, path: Path, contacts: list[Contact] | None = None) -> None:
        self.path = Path(path)
        self._by_address: dict[str, Contact] = {c.address: c for c in contacts or []}

    def __repr__(self) -> str:
        return f"AddressBook({self.path}, {len(self._by_address)} contacts)"

    @classmethod
    def load(cls, home: Path) -> AddressBook:
        """The address book of ``home`` (empty if there is none yet)."""
        path = Path(home) / ADDRESS_BOOK_FILE
        if not path.exists():
            return cls(path)
        try:
            doc = untrusted.loads(untrusted.read_bytes(path, max_bytes=untrusted.MAX_METADATA_BYTES),
                                  what="the file", parse_float=float)
        except InputRefused as exc:
            raise ConfigError(f"The address book {path} is unreadable: {exc.user_message}") from exc
        if not isinstance(doc, dict) or doc.get("version") != _VERSION or not isinstance(doc.get("contacts"), list):
            raise ConfigError(f"The address book {path} has an unknown format.")
        contacts = []
        for item in doc["contacts"]:
            try:
                contacts.append(Contact(item["name"], item["address"]))
            except (KeyError, TypeError, ShareError):
                continue  # one damaged entry does not lose the others
        return cls(path, contacts)

    @property
    def contacts(self) -> list[Contact]:
        return sorted(self._by_address.values(), key=lambda c: (c.name.casefold(), c.address))

    def name_of(self, address: str) -> str | None:
        try:
            contact = self._by_address.get(_address(address))
        except InvalidAddress:
            return None
        return contact.name if contact is not None else None

    def names(self) -> dict[str, str]:
        """Checksum address → name."""
        return {a: c.name for a, c in self._by_address.items()}

    def save_contact(self, name: str, address: str) -> Contact:
        """Add or rename a contact and write the file."""
        contact = Contact(name, address)
        self._by_address[contact.address] = contact
        self._write()
        return contact

    def remove(self, address: str) -> None:
        self._by_address.pop(Contact("x", address).address, None)
        self._write()

    def find(self, name_or_address: str) -> Contact | None:
        """The contact with this address, or with this name; ``None`` when there is none.

        Raises :class:`ShareError` when two contacts carry the name."""
        text = " ".join(str(name_or_address).split())
        try:
            return self._by_address.get(_address(text))
        except InvalidAddress:
            pass
        matches = [c for c in self._by_address.values() if c.name.casefold() == text.casefold()]
        if len(matches) > 1:
            raise ShareError(f"Several contacts are named {text!r}; use the address instead.")
        return matches[0] if matches else None

    def resolve(self, name_or_address: str) -> str:
        """A checksum address: the text itself when it is an address, else the address saved
        under that name. Raises :class:`ShareError` naming the problem (unknown or ambiguous
        name)."""
        text = " ".join(str(name_or_address).split())
        try:
            return _address(text)
        except InvalidAddress:
            if text.lower().startswith("0x") and " " not in text:
                raise  # the one message for a mistyped address
        contact = self.find(text)
        if contact is None:
            raise ShareError(f"{text!r} is neither a wallet address (0x followed by 40 hex digits) nor a name in "
                             "your address book ('health-wallet address-book list' shows them).")
        return contact.address

    def forget(self, name_or_address: str) -> Contact | None:
        """Remove the contact with this name or address; returns it (``None``: there was none)."""
        contact = self.find(name_or_address)
        if contact is not None:
            self._by_address.pop(contact.address, None)
            self._write()
        return contact

    def _write(self) -> None:
        doc = {"version": _VERSION, "contacts": [{"name": c.name, "address": c.address} for c in self.contacts]}
        write_atomic(self.path, json.dumps(doc, indent=2, ensure_ascii=False).encode(), mode=0o600)
