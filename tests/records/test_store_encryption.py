"""The record store at rest: an SQLCipher file that plain sqlite3 cannot open, no patient
name, date, code or type in any file of the home (WAL and its index included), and a
flipped byte anywhere in the file is one clear error, never a changed record."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.cli.cli_runner import cli
from tests.conftest import FIXTURES
from wallet.errors import StoreUnreadable, WalletError
from wallet.records.importer import import_file
from wallet.records.store import STORE_FILE, RecordStore
from wallet.vault import aead

SYNTHEA = FIXTURES / "synthea" / "Bob965_Keeling57_3f6fd0bb-6cd3-eb3f-4401-cd38ace25f2b.json"
PAGE = 4096


def needles(path: Path) -> set[bytes]:
    """What must not be readable at rest: the patient's names and birth date, resource types,
    clinical dates, codes and their displays."""
    bundle = json.loads(path.read_text("utf-8"))
    resources = [e["resource"] for e in bundle["entry"]]
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    found = {patient["birthDate"], *patient["name"][0]["given"], patient["name"][0]["family"]}
    found |= {r["resourceType"] for r in resources}
    for r in resources:
        for key in ("effectiveDateTime", "occurrenceDateTime", "issued"):
            if isinstance(r.get(key), str):
                found.add(r[key][:10])
        for coding in r.get("code", {}).get("coding", []) + r.get("vaccineCode", {}).get("coding", []):
            found.add(coding["code"])
            if coding.get("display"):
                found.add(coding["display"])
    return {n.encode() for n in found if len(n) >= 5}


def leaks(folder: Path, wanted: set[bytes]) -> dict[str, list[bytes]]:
    """The needles found in each file of ``folder``: as written, and a needle of 8 bytes or
    more in any case. Megabytes of ciphertext hold a given short byte string by chance (a
    4-byte one, in any case, about once in 150 stores of 2 MB; "DTaP" was found so), so short
    needles (5 to 7 bytes) are matched exactly: that chance is then about one in a million."""
    out: dict[str, list[bytes]] = {}
    for file in folder.rglob("*"):
        if file.is_file():
            data = file.read_bytes()
            lowered = data.lower()
            hits = [n for n in wanted if n in data or (len(n) >= 8 and n.lower() in lowered)]
            if hits:
                out[str(file.relative_to(folder))] = hits
    return out


def test_nothing_of_an_imported_patient_is_readable_in_the_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert cli(home, "init", "--json").code == 0
    imported = cli(home, "import", str(SYNTHEA), "--json")
    assert imported.code == 0, imported.stderr
    assert sum(imported.json["imported"].values()) == 238
    wanted = needles(SYNTHEA)
    assert len(wanted) > 50 and b"Keeling57" in wanted and b"1991-07-08" in wanted
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "bundle.json").write_bytes(SYNTHEA.read_bytes())
    assert len(leaks(plain, wanted)["bundle.json"]) == len(wanted)  # the search finds what is there
    assert leaks(home, wanted) == {}
    assert cli(home, "records", "--search", "Keeling57", "--json").json  # it is there, encrypted
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        sqlite3.connect(home / STORE_FILE).execute("SELECT * FROM sqlite_master").fetchall()


def test_nothing_readable_while_the_store_is_open(tmp_path: Path) -> None:
    """The WAL and its index (-wal, -shm) exist while the store is open: ciphertext too."""
    store = RecordStore(tmp_path / STORE_FILE, record_key=aead.new_key(), index_key=aead.new_key())
    try:
        import_file(store, SYNTHEA)
        store.search("Keeling57")
        assert {p.name for p in tmp_path.iterdir()} >= {STORE_FILE, f"{STORE_FILE}-wal", f"{STORE_FILE}-shm"}
        assert leaks(tmp_path, needles(SYNTHEA)) == {}
    finally:
        store.close()
    assert leaks(tmp_path, needles(SYNTHEA)) == {}


def everything(store: RecordStore) -> dict[str, Any]:
    """All a user can read from the store."""
    ids = store.ids()
    return {
        "records": {rid: (store.get(rid), store.get_summary(rid).to_json(), store.versions(rid)) for rid in ids},
        "profiles": [p.to_json() for p in store.profiles()],
        "cards": store.cards(),
        "search": [s.id for s in store.search("blood")],
        "counts": store.counts_by_type(),
    }


@pytest.fixture(scope="module")
def closed_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes, bytes, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("flip")
    keys = aead.new_key(), aead.new_key()
    store = RecordStore(folder / STORE_FILE, record_key=keys[0], index_key=keys[1])
    import_file(store, FIXTURES / "fhir-examples" / "Bundle-lipids.json")
    import_file(store, FIXTURES / "fhir-examples" / "Patient-example.json")
    seen = everything(store)
    store.close()
    return folder / STORE_FILE, keys[0], keys[1], seen


def test_a_flipped_byte_anywhere_is_an_error_never_a_changed_record(
        closed_store: tuple[Path, bytes, bytes, dict[str, Any]], tmp_path: Path) -> None:
    path, record_key, index_key, seen = closed_store
    data = path.read_bytes()
    assert len(data) % PAGE == 0 and len(data) // PAGE >= 5
    # in every page: its first bytes (page 1: the salt), content, the IV and the HMAC at its end
    spots = (0, 15, 16, 100, 2048, PAGE - 80, PAGE - 64, PAGE - 1)
    offsets = sorted({page * PAGE + at for page in range(len(data) // PAGE) for at in spots})
    errors = 0
    for offset in offsets:
        damaged = bytearray(data)
        damaged[offset] ^= 0x01
        copy = tmp_path / f"{offset}" / STORE_FILE
        copy.parent.mkdir()
        copy.write_bytes(bytes(damaged))
        try:
            store = RecordStore(copy, record_key=record_key, index_key=index_key)
        except StoreUnreadable as exc:
            assert "is damaged" in exc.user_message
            errors += 1
            continue
        try:
            with contextlib.suppress(StoreUnreadable):  # or, when no read touches the page, all is the same
                assert everything(store) == seen, f"byte {offset} changed what the store shows"
            with pytest.raises(StoreUnreadable):
                store.check()  # every page's HMAC: even a page no read touched
            errors += 1
        finally:
            store.close()
    assert errors == len(offsets)


@pytest.mark.parametrize("damage", ["truncated", "header", "wrong key"])
def test_damage_and_a_wrong_key_are_one_clear_error(closed_store: tuple[Path, bytes, bytes, dict[str, Any]],
                                                    tmp_path: Path, damage: str) -> None:
    path, record_key, index_key, _seen = closed_store
    data = path.read_bytes()
    copy = tmp_path / STORE_FILE
    copy.write_bytes({"truncated": data[: len(data) // 2 + 100], "header": b"\0" * 16 + data[16:],
                      "wrong key": data}[damage])
    before = copy.read_bytes()
    key = aead.new_key() if damage == "wrong key" else record_key
    with pytest.raises(WalletError) as err:
        store = RecordStore(copy, record_key=key, index_key=index_key)
        try:
            store.check()
        finally:
            store.close()
    assert isinstance(err.value, StoreUnreadable) and str(copy) in err.value.user_message
    assert "\n" not in err.value.user_message
    assert copy.read_bytes() == before


def test_a_good_store_passes_its_check(closed_store: tuple[Path, bytes, bytes, dict[str, Any]]) -> None:
    path, record_key, index_key, seen = closed_store
    store = RecordStore(path, record_key=record_key, index_key=index_key)
    try:
        store.check()
        assert everything(store) == seen
    finally:
        store.close()
