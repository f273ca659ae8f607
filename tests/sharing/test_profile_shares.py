"""A share holds one person: a doctor never reads one person's records under another's name."""

from __future__ import annotations

import pytest

from tests.conftest import FIXTURES
from tests.sharing.conftest import SMALL_PATIENT
from wallet.errors import RecordNotFound
from wallet.services import Sharing
from wallet.services.expiry import parse_expiry

CHILD = FIXTURES / "synthea" / "Kermit_Trantow_f1a650a5-737e-4fd7-828e-03c3348b9524.json"


def test_a_childs_share_holds_only_the_child(open_wallet, clock) -> None:
    parent = open_wallet("parent")
    parent.import_file(SMALL_PATIENT)
    parent.import_file(CHILD, profile="child")
    doctor = open_wallet("doctor")
    assert Sharing(doctor).register_key() is not None

    sharing = Sharing(parent)
    ids = sharing.choose_records(types=["Immunization"], profile="child")
    assert len(ids) == 8
    with pytest.raises(RecordNotFound, match="profile 'owner'"):  # the child's records are not the owner's
        sharing.grant(doctor.identity.address, record_ids=ids, expires_at=parse_expiry("7d", now=clock.now()))
    receipt = sharing.grant(doctor.identity.address, record_ids=ids, profile="child",
                            expires_at=parse_expiry("7d", now=clock.now()))
    assert receipt.records == 8 + 1  # the child's Patient goes along, not the parent's

    opened = Sharing(doctor).open(receipt.token)
    assert opened.counts == {"Immunization": 8, "Patient": 1}
    assert opened.patient_name == "Kermit Trantow" and opened.people == ("Kermit Trantow (born 1993-06-21)",)
    # the wallet's own trail (Consent, AuditEvent) stays with the owner
    assert {r.summary.resource_type for r in parent.summaries(types=["Consent", "AuditEvent"])} == {
        "Consent", "AuditEvent"}
    assert parent.store.count(profile="child") == 117

    # the switcher's active profile is what calls without profile= use
    parent.use_profile("child")
    assert {r.summary.title for r in parent.summaries(types=["Patient"])} == {"Kermit Trantow"}
    assert len(parent.summaries(types=["Consent"])) == 1  # the trail is found from any profile
    with pytest.raises(Exception, match="No profile"):
        parent.use_profile("nobody")


def test_a_backup_restores_each_person_into_their_own_profile(open_wallet) -> None:
    from wallet.services import Backups
    from wallet.vault.keys import new_phrase

    phrase = new_phrase()
    old = open_wallet("old-laptop", phrase)
    old.import_file(SMALL_PATIENT)
    old.import_file(CHILD, profile="child")
    receipt = Backups(old).publish(record_on_chain=False)
    assert receipt.records == 71 + 117

    new = open_wallet("new-laptop", phrase)
    new.ipfs().connect(old.ipfs().node_info().dial_addresses[0])
    _cid, result = Backups(new).restore(receipt.cid)
    assert result.total == 71 + 117
    assert [(p.name, p.patient, p.records) for p in new.profiles()] == [
        ("owner", "Ned Hintz (born 1993-12-08)", 71), ("child", "Kermit Trantow (born 1993-06-21)", 117)]
    assert {r.summary.title for r in new.summaries(types=["Patient"])} == {"Ned Hintz"}
