"""The address book store: one file per home, versioned, names resolved for the CLI and GUI."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from wallet.errors import ConfigError, ShareError
from wallet.services import ADDRESS_BOOK_FILE, AddressBook

QUINN = "0x" + "ab" * 20
HOUSE = "0x" + "cd" * 20


def test_round_trip_and_resolution(tmp_path: Path) -> None:
    book = AddressBook.load(tmp_path)
    assert book.contacts == []
    quinn = book.save_contact(" Dr   Quinn ", QUINN.upper().replace("0X", "0x"))
    book.save_contact("Dr House", HOUSE)

    again = AddressBook.load(tmp_path)
    assert [(c.name, c.address) for c in again.contacts] == [("Dr House", again.resolve(HOUSE)),
                                                              ("Dr Quinn", quinn.address)]
    doc = json.loads((tmp_path / ADDRESS_BOOK_FILE).read_text())
    assert doc["version"] == 1 and len(doc["contacts"]) == 2
    assert stat.S_IMODE((tmp_path / ADDRESS_BOOK_FILE).stat().st_mode) == 0o600

    assert again.resolve("dr quinn") == quinn.address  # by name, case and spaces ignored
    assert again.resolve(QUINN) == quinn.address  # an address stays itself
    with pytest.raises(ShareError, match="address book"):
        again.resolve("Dr Who")
    with pytest.raises(ShareError, match="not a wallet address"):
        again.resolve("0x1234")

    assert again.forget("DR HOUSE").address == again.resolve(HOUSE)
    assert again.forget("Dr House") is None
    assert [c.name for c in AddressBook.load(tmp_path).contacts] == ["Dr Quinn"]


def test_a_shared_name_is_ambiguous(tmp_path: Path) -> None:
    book = AddressBook.load(tmp_path)
    book.save_contact("Dr Smith", QUINN)
    book.save_contact("dr smith", HOUSE)
    with pytest.raises(ShareError, match="Several contacts"):
        book.resolve("Dr Smith")
    assert book.resolve(HOUSE).lower() == HOUSE


def test_an_unknown_version_is_refused(tmp_path: Path) -> None:
    (tmp_path / ADDRESS_BOOK_FILE).write_text(json.dumps({"version": 9, "contacts": []}))
    with pytest.raises(ConfigError, match="unknown format"):
        AddressBook.load(tmp_path)
