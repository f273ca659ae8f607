"""``health-wallet address-book`` and ``grant --to NAME``: the GUI's address book, on the command line."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.cli_runner import cli
from tests.conftest import FIXTURES

DOCTOR = "0x" + "ab" * 20


def test_address_book_commands_and_grant_by_name(tmp_path: Path) -> None:
    home = tmp_path / "patient"
    assert cli(home, "init").code == 0
    assert cli(home, "import", str(FIXTURES / "fhir-examples" / "Bundle-lipids.json")).code == 0
    assert cli(home, "address-book", "list", "--json").json == []

    added = cli(home, "address-book", "add", "Dr Quinn", DOCTOR, "--json")
    assert added.code == 0, added.stderr
    address = added.json["address"]
    assert added.json == {"name": "Dr Quinn", "address": address} and address.lower() == DOCTOR
    assert cli(home, "address-book", "list", "--json").json == [{"name": "Dr Quinn", "address": address}]
    saved = json.loads((home / "address-book.json").read_text())
    assert saved == {"version": 1, "contacts": [{"name": "Dr Quinn", "address": address}]}

    bad = cli(home, "address-book", "add", "Dr X", "0x1234")
    assert bad.code == 1 and "not a wallet address" in bad.stderr

    # the name resolves to the saved address: the chain then refuses it (no key published)
    by_name = cli(home, "grant", "--to", "dr quinn", "--all", "--expires", "1d")
    assert by_name.code == 1 and "encryption key" in by_name.stderr, by_name.stderr
    unknown = cli(home, "grant", "--to", "Dr Who", "--all", "--expires", "1d")
    assert unknown.code == 1 and "address book" in unknown.stderr

    removed = cli(home, "address-book", "remove", "Dr Quinn", "--json")
    assert removed.code == 0 and removed.json["removed"] is True and removed.json["address"] == address
    again = cli(home, "address-book", "remove", "Dr Quinn", "--json")
    assert again.code == 1 and again.json["removed"] is False
    assert cli(home, "address-book", "list").stdout.strip() == "No contacts."
