"""A share kept by a pinning service (the keeper): the grant names the service's nodes in its
token, and the doctor opens it while the patient's computer is off; revoking unpins it there."""

from __future__ import annotations

from tests.pinning.conftest import KEEPER_TOKEN, keeper, make_node  # noqa: F401 - the keeper fixtures
from tests.sharing.conftest import SMALL_PATIENT
from wallet.services import Sharing
from wallet.services.pinning import RemotePinning
from wallet.share.token import parse_token


def test_the_doctor_opens_a_share_held_by_the_keeper_while_the_patient_is_offline(open_wallet, doctor,
                                                                                    keeper) -> None:  # noqa: F811
    patient = open_wallet("patient")
    patient.import_file(SMALL_PATIENT)
    RemotePinning(patient).add("Home", keeper.url, KEEPER_TOKEN)
    sharing = Sharing(patient)
    receipt = sharing.grant(doctor.identity.address, record_ids=sharing.choose_records(types=["Immunization"]),
                            expires_at=sharing.expires_at("7d"), submit=False)
    assert [(h.service, h.status) for h in receipt.held_by] == [("Home", "pinned")]
    assert receipt.availability == "Available without this computer: held by Home."
    token = parse_token(receipt.token)
    assert token.delegates and len(receipt.token) <= 1000
    assert receipt.cid in {p.cid.value for p in keeper.node.pins()}
    patient.lock()  # the patient's computer is off

    opened = Sharing(doctor).open(receipt.token)
    assert opened.counts == {"Immunization": 7, "Patient": 1} and opened.grant_tx is not None
    assert opened.patient_name == "Ned Hintz"


def test_revoking_unpins_the_share_at_the_pinning_service(open_wallet, doctor, keeper) -> None:  # noqa: F811
    patient = open_wallet("patient")
    patient.import_file(SMALL_PATIENT)
    RemotePinning(patient).add("Home", keeper.url, KEEPER_TOKEN)
    sharing = Sharing(patient)
    receipt = sharing.grant(doctor.identity.address, record_ids=sharing.choose_records(types=["Condition"]),
                            expires_at=sharing.expires_at("7d"))
    assert receipt.cid in {p.cid.value for p in keeper.node.pins()}
    revoked = sharing.revoke_grant(receipt.grant_id)
    assert revoked.tx is not None and revoked.remote_problems == ()
    assert receipt.cid not in {p.cid.value for p in keeper.node.pins()}
