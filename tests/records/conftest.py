"""Fixtures shared by the record tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from wallet.records.importer import import_parsed
from wallet.records.parse import read_file
from wallet.records.store import RecordStore
from wallet.vault import aead

NED = next((FIXTURES / "synthea").glob("Ned_Hintz_*.json"))


@pytest.fixture
def ned_store(tmp_path: Path) -> Iterator[RecordStore]:
    """A record store whose owner is Ned Hintz: his Synthea file imported as a person's."""
    s = RecordStore(tmp_path / "records.sqlite3", record_key=aead.new_key(), index_key=aead.new_key())
    import_parsed(s, read_file(NED), name=NED.name, check_person=True)
    yield s
    s.close()
