"""What a new user meets when sharing: a grant on another network is never shown as active,
the stored token prints without the IPFS node, and a grant is named by the tail of its id."""

from __future__ import annotations

import pytest

from tests.conftest import PASSPHRASE
from tests.sharing.conftest import SMALL_PATIENT
from tests.signed_grants import RICH, PublicChain, on_chain100
from wallet.chain import connect_rpc
from wallet.chain.grants import GrantStatus
from wallet.cli.sharing_cmds import _grant_json, short_grant_id
from wallet.errors import ConfigError, InsufficientFunds, ShareError
from wallet.services import Sharing, WalletService
from wallet.services.expiry import parse_expiry
from wallet.services.networks import Networks


def test_a_grant_on_another_network_is_unknown_never_active(chain100: PublicChain, open_wallet) -> None:
    patient = open_wallet("patient")
    on_chain100(patient, chain100.url, active=True)
    patient.import_file(SMALL_PATIENT)
    doctor = open_wallet("doctor")
    on_chain100(doctor, chain100.url, active=False)  # the doctor's wallet stays on its embedded chain
    public = connect_rpc(chain100.url, receipt_timeout=30, poll_interval=0.05)
    chain100.rpc("anvil_setBalance", doctor.identity.address, RICH)
    public.register_key(doctor.keys.account, doctor.identity.encryption_key)
    sharing = Sharing(patient)
    receipt = sharing.grant(doctor.identity.address, record_ids=sharing.choose_records(types=["Immunization"]),
                            expires_at=parse_expiry("7d", now=public.now()))
    public.close()

    view = Sharing(doctor).receive(receipt.token)
    assert not view.checked and view.network == "gnosis"
    assert view.status_text == "unknown (on another network: gnosis)"
    (listed,) = Sharing(doctor).received()
    row = _grant_json(listed, "patient")
    assert row["status"] == "unknown" and row["accesses"] is None and row["on_chain"] is None


def test_the_stored_token_prints_without_starting_the_ipfs_node(patient, doctor, clock) -> None:
    sharing = Sharing(patient)
    receipt = sharing.grant(doctor.identity.address, record_ids=sharing.choose_records(types=["Immunization"]),
                            expires_at=parse_expiry("7d", now=clock.now()), submit=False)
    patient.lock()
    again = WalletService(patient.app).unlock(PASSPHRASE)
    try:
        assert Sharing(again).token_for(receipt.grant_id) == receipt.token
        assert again.running_ipfs() is None  # nothing waited for the node
    finally:
        again.lock()


def test_grants_are_named_by_the_tail_of_their_id(patient, doctor, clock) -> None:
    sharing = Sharing(patient)
    ids = sharing.choose_records(types=["Immunization"])
    first = sharing.grant(doctor.identity.address, record_ids=ids, expires_at=parse_expiry("7d", now=clock.now()))
    second = sharing.grant(doctor.identity.address, record_ids=ids, expires_at=parse_expiry("7d", now=clock.now()))
    shown = {short_grant_id(v.grant_id) for v in sharing.grants()}
    assert len(shown) == 2 and all(s.endswith(r.grant_id[-8:]) for s, r in zip(sorted(shown), sorted(
        [first, second], key=lambda r: short_grant_id(r.grant_id)), strict=True))

    assert sharing.resolve_grant_id(first.grant_id[-8:]) == first.grant_id
    assert sharing.resolve_grant_id(second.grant_id[-10:].upper()) == second.grant_id
    assert sharing.token_for(first.grant_id[-8:]) == sharing.token_for(first.grant_id)
    with pytest.raises(ShareError, match="2 grants start or end with"):
        sharing.resolve_grant_id(first.grant_id[:12])  # the start is the doctor's address: both match
    with pytest.raises(ShareError, match="No grant this wallet keeps"):
        sharing.resolve_grant_id("0123abcd")
    with pytest.raises(ShareError):
        sharing.resolve_grant_id("abc")  # too short to name a grant

    assert sharing.revoke_grant(second.grant_id[-8:]).tx is not None
    statuses = {v.grant_id: v.status for v in sharing.grants()}
    assert statuses == {first.grant_id: GrantStatus.ACTIVE, second.grant_id: GrantStatus.REVOKED}

    doc = Sharing(doctor)
    doc.receive(first.token)
    assert doc.open(first.grant_id[-8:]).grant.id_hex == first.grant_id


def test_a_doctor_on_another_network_opens_an_embedded_chain_share(
        chain100: PublicChain, patient, open_wallet, clock) -> None:
    doctor = open_wallet("doctor")
    on_chain100(doctor, chain100.url, active=True)  # the doctor's wallet uses another network
    embedded = doctor.app.make_embedded_chain()
    try:
        embedded.register_key(doctor.keys.account, doctor.identity.encryption_key)
    finally:
        embedded.close()
    sharing = Sharing(patient)
    receipt = sharing.grant(doctor.identity.address, record_ids=sharing.choose_records(types=["Immunization"]),
                            expires_at=parse_expiry("7d", now=clock.now()), submit=False)

    with pytest.raises(ShareError) as refused:
        Sharing(doctor).open(receipt.token)
    message = refused.value.user_message
    assert "network use embedded" in message and "--rpc" not in message and "\n" not in message
    opened = Sharing(doctor).open(receipt.token, network="embedded")
    assert opened.network == "embedded" and opened.counts["Immunization"] == 7

    with pytest.raises(ConfigError) as kept:
        Networks(doctor.app).remove("embedded")
    assert "None" not in kept.value.user_message and "network use NAME" in kept.value.user_message


def test_the_revocation_cost_is_one_figure_before_and_when_revoking(
        chain100: PublicChain, patient, doctor, open_wallet, clock) -> None:
    sharing = Sharing(patient)  # on the embedded chain: a development chain, nothing to pay
    receipt = sharing.grant(doctor.identity.address, record_ids=sharing.choose_records(types=["Immunization"]),
                            expires_at=parse_expiry("7d", now=clock.now()))
    plan = sharing.revocation_plan(receipt.grant_id)
    assert plan.development and plan.cost == 0 and "costs nothing" in plan.describe()

    poor = open_wallet("poor")
    on_chain100(poor, chain100.url, active=True)
    poor.import_file(SMALL_PATIENT)
    public = connect_rpc(chain100.url, receipt_timeout=30, poll_interval=0.05)
    chain100.rpc("anvil_setBalance", doctor.identity.address, RICH)
    public.register_key(doctor.keys.account, doctor.identity.encryption_key)
    public.close()
    mine = Sharing(poor)
    granted = mine.grant(doctor.identity.address, record_ids=mine.choose_records(types=["Immunization"]),
                         expires_at=parse_expiry("7d", now=poor.chain().now()))
    plan = mine.revocation_plan(granted.grant_id)
    figure = f"{plan.cost / 10**18:.6f} xDAI"
    assert not plan.development and not plan.can_pay and figure in plan.describe()
    with pytest.raises(InsufficientFunds) as refused:
        mine.revoke_grant(granted.grant_id)
    assert f"needs up to {figure}" in refused.value.user_message
