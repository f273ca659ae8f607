"""Two SMART Health Cards of one person that repeat a dose (the same content but for
``meta.security``) give one record of it, in one file or two, in either order; a card
imported twice changes nothing; ids of records already stored stay as they were made."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES, PASSPHRASE
from wallet.records.content_identity import content_identity

CARDS = FIXTURES / "realworld" / "shc-same-patient"
BOTH = CARDS / "same-patient-two-cards.smart-health-card"
CARD_A = CARDS / "card-a-only.smart-health-card"  # two doses of CVX 207, no meta
CARD_B = CARDS / "card-b-only.smart-health-card"  # the same two with meta.security (IAL1.2), and a CVX 229 dose
DOSES = [("2022-09-05", "229"), ("2021-01-29", "207"), ("2021-01-01", "207")]


@pytest.fixture
def wallet(make_service: Any) -> Iterator[Any]:
    service = make_service()
    service.create(PASSPHRASE)
    unlocked = service.unlock(PASSPHRASE)
    yield unlocked
    unlocked.lock()


def doses(wallet: Any) -> list[tuple[str, str]]:
    rows = wallet.summaries(types=["Immunization"])
    return [(r.summary.date, wallet.store.get(r.id)["vaccineCode"]["coding"][0]["code"]) for r in rows]


def stored_ids_are_made_as_before(wallet: Any) -> None:
    """Every stored id is made as earlier releases made it (:func:`record_id_for`: an HMAC of
    ``Type/id``, or of the whole content, meta included, for a record without an id)."""
    store = wallet.store
    for rid in store.ids():
        assert rid == store.record_id(store.get(rid), store.profile_of(rid))


def test_content_identity_leaves_out_meta_only() -> None:
    dose = {"resourceType": "Immunization", "status": "completed", "occurrenceDateTime": "2021-01-01",
            "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "207"}]},
            "patient": {"reference": "resource:0"}, "lotNumber": "0000001"}
    labelled = dict(copy.deepcopy(dose), meta={"security": [{"system": "https://smarthealth.cards/ial",
                                                             "code": "IAL1.2"}]})
    assert content_identity(labelled) == content_identity(dose)
    assert content_identity(dict(dose, lotNumber="0000007")) != content_identity(dose)
    assert content_identity(dict(dose, occurrenceDateTime="2021-01-02")) != content_identity(dose)


def test_two_cards_in_one_file_give_each_dose_once(wallet: Any) -> None:
    result = wallet.import_file(BOTH)
    assert doses(wallet) == DOSES
    assert result.imported == {"Immunization": 3, "Patient": 1}
    assert result.repeated_in_file == result.skipped_duplicates == 3  # the person and two doses
    assert result.already_held == 0
    stored_ids_are_made_as_before(wallet)
    assert wallet.store.cards() == [BOTH.read_bytes()]  # both cards kept, signed, in their file


@pytest.mark.parametrize("order", [(CARD_A, CARD_B), (CARD_B, CARD_A)])
def test_two_card_files_give_each_dose_once_in_either_order(wallet: Any, order: tuple[Path, Path]) -> None:
    first = wallet.import_file(order[0])
    kept = {r.id: wallet.store.get(r.id) for r in wallet.summaries()}
    second = wallet.import_file(order[1])
    assert doses(wallet) == DOSES
    assert second.already_held == 3 and second.repeated_in_file == 0  # the person and the two shared doses
    assert second.imported == ({"Immunization": 1} if order[1] == CARD_B else {})
    assert first.total + second.total == 4
    # what was held is unchanged: same ids, same content (the first card's meta, or none)
    assert all(wallet.store.get(rid) == resource for rid, resource in kept.items())
    stored_ids_are_made_as_before(wallet)
    assert sorted(wallet.store.cards()) == sorted([CARD_A.read_bytes(), CARD_B.read_bytes()])  # both sources


def test_a_card_imported_twice_changes_nothing(wallet: Any) -> None:
    wallet.import_file(CARD_B)
    ids = sorted(wallet.store.ids())
    again = wallet.import_file(CARD_B)
    assert again.imported == {} and again.already_held == 4 and again.repeated_in_file == 0
    assert sorted(wallet.store.ids()) == ids
    both = wallet.import_file(BOTH)
    assert both.imported == {} and sorted(wallet.store.ids()) == ids
    assert doses(wallet) == DOSES


def test_a_file_repeating_what_the_wallet_holds_counts_it_as_held(wallet: Any) -> None:
    wallet.import_file(CARD_A)
    both = wallet.import_file(BOTH)  # card A again, and card B: its two shared doses held already
    assert both.imported == {"Immunization": 1} and doses(wallet) == DOSES
    assert both.already_held == both.skipped_duplicates == 6 and both.repeated_in_file == 0


def test_a_restored_backup_keeps_every_record_it_holds(tmp_path: Path) -> None:
    """A wallet's backup (records with their card files, no person check) restores both
    copies a wallet made before a repeated dose was recognised, each under its own id."""
    from wallet.records.importer import import_parsed
    from wallet.records.parse import Located, ParsedFile
    from wallet.records.store import RecordStore
    from wallet.vault import aead

    dose = {"resourceType": "Immunization", "status": "completed", "occurrenceDateTime": "2021-01-01",
            "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "207"}]},
            "patient": {"display": "John B. Anyperson"}, "lotNumber": "0000001"}
    labelled = dict(copy.deepcopy(dose), meta={"security": [{"system": "https://smarthealth.cards/ial",
                                                             "code": "IAL1.2"}]})
    store = RecordStore(tmp_path / "records.sqlite3", record_key=aead.new_key(), index_key=aead.new_key())
    try:
        parsed = ParsedFile("bundle", (Located("entry[0]", dose), Located("entry[1]", labelled)), "collection")
        result = import_parsed(store, parsed, name="the backup", cards=(CARD_A.read_bytes(),), single_patient=False,
                               item_profiles=("owner", "owner"))
        assert result.imported == {"Immunization": 2}
        assert sorted(store.ids()) == sorted([store.record_id(dose), store.record_id(labelled)])
    finally:
        store.close()
