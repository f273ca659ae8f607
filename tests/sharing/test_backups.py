"""Backup → new laptop → restore, with two embedded Kubo nodes and the embedded chain."""

from __future__ import annotations

import pytest

from tests.conftest import FIXTURES
from tests.sharing.conftest import SMALL_PATIENT
from wallet.errors import DecryptionError, IpfsError, WalletError
from wallet.records import fhir_json
from wallet.services import Backups

CARD = FIXTURES / "smart-health-cards" / "example-00-e-file.smart-health-card"


def contents(wallet) -> dict[str, str]:
    return {i: fhir_json.dumps(wallet.record(i), sort_keys=True) for i in wallet.store.ids(types=None)
            if wallet.store.get_summary(i).resource_type != "AuditEvent"}


def test_restore_on_a_new_laptop_from_the_phrase(open_wallet) -> None:
    from wallet.vault.keys import new_phrase

    phrase = new_phrase()
    old = open_wallet("old-laptop", phrase)
    old.import_file(SMALL_PATIENT)
    old.import_file(CARD, same_person=True)  # the user confirmed: one profile
    receipt = Backups(old).publish()
    assert receipt.tx and receipt.records == 71 + 4 and receipt.cards == 1 and receipt.warning is None

    new = open_wallet("new-laptop", phrase)
    new.ipfs().connect(old.ipfs().node_info().dial_addresses[0])
    cid, result = Backups(new).restore()  # no CID: the latest backup recorded on chain
    assert cid == receipt.cid
    assert result.total == 75
    assert contents(new) == contents(old)
    assert new.store.cards() == [CARD.read_bytes()]

    _again_cid, again = Backups(new).restore(receipt.cid)
    assert again.total == 0 and again.skipped_duplicates == 75

    other = open_wallet("someone-else")
    other.ipfs().connect(old.ipfs().node_info().dial_addresses[0])
    with pytest.raises(DecryptionError):
        Backups(other).restore(receipt.cid)
    assert other.store.count() == 0
    with pytest.raises(WalletError, match="No backup"):
        Backups(other).restore()


def test_unreachable_content_is_a_clear_error_and_nothing_is_written(open_wallet) -> None:
    lonely = open_wallet("lonely")
    with pytest.raises(IpfsError):
        Backups(lonely).restore("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", timeout=2)
    assert lonely.store.count() == 0
    with pytest.raises(WalletError, match="not an IPFS CID"):
        Backups(lonely).restore("not-a-cid")


def test_a_backup_counts_the_patients_records_not_the_wallets_notes(open_wallet) -> None:
    from wallet.services import HEALTH_RECORDS

    wallet = open_wallet("counted")
    wallet.import_file(SMALL_PATIENT)
    listed = len(wallet.summaries(category=HEALTH_RECORDS))  # what 'records' lists
    first = Backups(wallet).publish(record_on_chain=False)
    assert first.records == listed == 71
    second = Backups(wallet).publish(record_on_chain=False)  # the first backup's AuditEvent goes along, uncounted
    assert second.records == listed and second.cid != first.cid
    notes = [wallet.record(i) for i in wallet.store.ids(types=["AuditEvent"])]
    assert [n["outcomeDesc"].split(":")[0] for n in notes] == ["Backup of 71 records and 0 cards"] * 2
