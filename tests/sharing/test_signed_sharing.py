"""Signed grants end to end, wallet to wallet: anvil with chain id 100 standing in for a public
chain (nobody is funded by the node) and the embedded chain.

The patient signs each grant with a per-grant key and holds nothing; the doctor's wallet finds
the network by the token's chain id, submits the grant with its access log and pays; the
revocation is signed by the grant's key and submitted by whoever has funds."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from eth_account import Account

from tests.sharing.conftest import SMALL_PATIENT
from tests.signed_grants import RICH, PublicChain, on_chain100, one_line, signed_grant
from wallet.chain import connect_rpc
from wallet.chain.eip712 import Eip712Domain, recover_signed_grant
from wallet.chain.grants import GrantStage, GrantStatus, from_chain_time
from wallet.errors import ChainError, GrantNotActive, InsufficientFunds, ShareError
from wallet.services import Sharing
from wallet.services.expiry import parse_expiry
from wallet.share.token import MAX_TOKEN_LENGTH, parse_token
from wallet.vault import aead


def test_a_patient_with_nothing_shares_the_doctor_submits_pays_and_a_third_account_revokes(
        chain100: PublicChain, open_wallet, clock) -> None:
    url = chain100.url
    patient = open_wallet("patient")
    on_chain100(patient, url, active=True)
    patient.import_file(SMALL_PATIENT)
    doctor = open_wallet("doctor")
    on_chain100(doctor, url, active=False)  # the doctor's wallet stays on its embedded chain
    chain100.rpc("anvil_setBalance", doctor.identity.address, RICH)
    public = connect_rpc(url, receipt_timeout=30, poll_interval=0.05)
    public.register_key(doctor.keys.account, doctor.identity.encryption_key)

    sharing = Sharing(patient)
    assert patient.chain().chain_id == 100 and patient.chain().balance(patient.identity.address) == 0
    ids = sharing.choose_records(types=["Immunization"])
    receipt = sharing.grant(doctor.identity.address, record_ids=ids,
                            expires_at=parse_expiry("7d", now=public.now()), message="For Tuesday's visit")
    assert not receipt.on_chain and receipt.tx is None and receipt.held_by == ()
    assert receipt.grant_signer not in (None, patient.identity.address)
    assert len(receipt.token) <= MAX_TOKEN_LENGTH and receipt.token.startswith("hwshare:2:")
    assert parse_token(receipt.token).chain_id == 100
    with pytest.raises(InsufficientFunds) as poor:  # submitting at once needs funds the patient does not have
        sharing.grant(doctor.identity.address, record_ids=ids, expires_at=parse_expiry("7d", now=public.now()),
                      submit=True)
    assert "Or share without submitting" in one_line(poor.value)
    assert len(sharing.grants()) == 1  # the refused share left nothing behind
    (mine,) = sharing.grants()
    assert mine.on_chain is False and mine.status is GrantStatus.ACTIVE

    # Before opening: the doctor's list shows the patient's name and what was shared.
    doc_sharing = Sharing(doctor)
    view = doc_sharing.receive(receipt.token)
    assert view.counterpart_name == "Ned Hintz" and view.on_chain is None and view.chain_id == 100
    assert view.label is not None and dict(view.label.contents) == {"Immunizations": 7}
    assert view.label.message == "For Tuesday's visit"
    assert [v.counterpart_name for v in doc_sharing.received()] == ["Ned Hintz"]
    assert [p.name for p in doc_sharing.networks_for(receipt.token)] == ["gnosis"]

    opened = doc_sharing.open(receipt.token)
    assert opened.network == "gnosis" and opened.grant_tx is not None and opened.grant_tx == opened.access_tx
    assert opened.grant_tx.gas_used <= 80_000
    assert opened.counts == {"Immunization": 7, "Patient": 1} and opened.label is not None
    on_chain = public.grant_info(bytes.fromhex(receipt.grant_id[2:]))
    assert on_chain.accesses == 1 and on_chain.patient == receipt.grant_signer
    assert public.balance(patient.identity.address) == 0  # the patient never paid
    assert public.balance(doctor.identity.address) < 10**20  # the doctor did

    # Revocation: the patient cannot pay on this network, says so, and hands a signed revocation over.
    plan = sharing.revocation_plan(receipt.grant_id)
    assert plan.signed and not plan.burn and not plan.can_pay and plan.currency == "xDAI"
    assert "--signed-out" in plan.describe() and "xDAI" in plan.describe()
    with pytest.raises(InsufficientFunds) as refused:
        sharing.revoke_grant(receipt.grant_id)
    assert "--signed-out" in one_line(refused.value)
    signed = sharing.sign_revocation(receipt.grant_id)
    third = open_wallet("third")
    on_chain100(third, url, active=True)
    chain100.rpc("anvil_setBalance", third.identity.address, RICH)
    submitted = Sharing(third).submit_signed(json.dumps(signed.to_json()))
    assert submitted.kind == "revoke" and submitted.tx.gas_used <= 35_000
    with pytest.raises(GrantNotActive, match="revoked"):
        doc_sharing.open(receipt.token)
    assert sharing.grants()[0].status is GrantStatus.REVOKED
    public.close()


def test_replayed_forged_expired_and_other_chain_grants_are_refused_in_one_line(
        chain100: PublicChain, open_wallet) -> None:
    url = chain100.url
    payer = open_wallet("payer")
    on_chain100(payer, url, active=True)
    chain100.rpc("anvil_setBalance", payer.identity.address, RICH)
    sharing = Sharing(payer)
    chain = payer.chain()
    grantee = Account.create().address
    key = Account.create()
    domain = chain.domain
    signed = signed_grant(key, chain, grantee)
    text = json.dumps(signed.to_json())
    assert sharing.submit_signed(text).kind == "grant"

    with pytest.raises(ChainError) as replayed:
        sharing.submit_signed(text)
    assert "already exists" in one_line(replayed.value)

    forged = dict(signed.to_json(), cid="bafy" + "b" * 55)  # the content changed after signing
    with pytest.raises(ChainError) as bad:
        sharing.submit_signed(json.dumps(forged))
    assert "signature" in one_line(bad.value).lower()

    expired = signed_grant(Account.create(), chain, grantee, expires_in=-timedelta(seconds=5))
    with pytest.raises(ChainError) as late:
        sharing.submit_signed(json.dumps(expired.to_json()))
    assert "expir" in one_line(late.value).lower()

    elsewhere = signed_grant(Account.create(), chain, grantee, domain=Eip712Domain(101, domain.verifying_contract))
    with pytest.raises(ChainError) as other:
        sharing.submit_signed(json.dumps(elsewhere.to_json()))
    assert "chain 101" in one_line(other.value) and "chain 100" in one_line(other.value)
    # A token carrying it is refused before anything is fetched or sent: the signature recovers elsewhere.
    with pytest.raises(ChainError) as recovered:
        recover_signed_grant(domain, elsewhere.grant_id, elsewhere.cid, elsewhere.wrapped_key, elsewhere.expires_at,
                             elsewhere.r.to_bytes(32, "big") + elsewhere.s.to_bytes(32, "big") + bytes([elsewhere.v]))
    assert "another chain" in one_line(recovered.value)


def test_a_token_for_a_chain_without_a_profile_says_how_to_add_one(chain100: PublicChain, open_wallet) -> None:
    patient = open_wallet("patient")
    on_chain100(patient, chain100.url, active=True)
    patient.import_file(SMALL_PATIENT)
    doctor = open_wallet("doctor")
    public = connect_rpc(chain100.url, receipt_timeout=30, poll_interval=0.05)
    chain100.rpc("anvil_setBalance", doctor.identity.address, RICH)
    public.register_key(doctor.keys.account, doctor.identity.encryption_key)
    sharing = Sharing(patient)
    receipt = sharing.grant(doctor.identity.address, record_ids=sharing.choose_records(types=["Condition"]),
                            expires_at=parse_expiry("1d", now=public.now()))
    # The shipped gnosis profile matches chain 100 but points at public endpoints; a made-up chain id does not match.
    token = parse_token(receipt.token)
    assert [p.name for p in Sharing(doctor).networks_for(receipt.token)] == ["gnosis"]
    other = replace(token, chain_id=777_777).encode()
    with pytest.raises(ShareError) as missing:
        Sharing(doctor).open(other)
    message = one_line(missing.value)
    assert "chain 777777" in message and "network add NAME --chain-id 777777 --rpc URL" in message
    public.close()


def test_grants_of_one_patient_share_no_address_and_a_restored_wallet_lists_them(patient, doctor, open_wallet,
                                                                                clock) -> None:
    sharing = Sharing(patient)
    receipts = [sharing.grant(doctor.identity.address, record_ids=sharing.choose_records(types=[t]),
                              expires_at=parse_expiry("7d", now=clock.now())) for t in ("Immunization", "Condition")]
    assert all(r.on_chain for r in receipts)  # a development chain: submitted at once, paid by the node
    chain = patient.chain()
    on_chain = [chain.grant_info(bytes.fromhex(r.grant_id[2:])) for r in receipts]
    patients = {g.patient for g in on_chain}
    assert len(patients) == 2 and patient.identity.address not in patients
    assert [r.grant_key_index for r in receipts] == [0, 1]
    # Nothing of the main address is on chain either: not as sender, not as patient.
    assert chain.grants_by_patient(patient.identity.address) == []

    restored = open_wallet("restored", patient.keys.phrase)
    again = Sharing(restored)
    assert again.scan_grant_keys().used == (0, 1)
    assert {v.grant_id for v in again.grants()} == {r.grant_id for r in receipts}
    # The restored wallet continues after the keys it found, and can revoke what it found.
    assert again.revoke_grant(receipts[0].grant_id).tx is not None
    assert {v.grant_id: v.status for v in again.grants()}[receipts[0].grant_id] is GrantStatus.REVOKED
    # The same phrase sharing from two computers never reuses a per-grant key.
    restored.import_file(SMALL_PATIENT)
    third = again.grant(doctor.identity.address, record_ids=again.choose_records(types=["Condition"]),
                        expires_at=parse_expiry("7d", now=clock.now()))
    fourth = sharing.grant(doctor.identity.address, record_ids=sharing.choose_records(types=["Condition"]),
                           expires_at=parse_expiry("7d", now=clock.now()))
    assert (third.grant_key_index, fourth.grant_key_index) == (2, 3)
    assert len({r.grant_signer for r in (*receipts, third, fourth)}) == 4


def test_a_grant_never_submitted_is_burned_by_revoking_and_never_opens(patient, doctor, clock) -> None:
    sharing = Sharing(patient)
    receipt = sharing.grant(doctor.identity.address, record_ids=sharing.choose_records(types=["Immunization"]),
                            expires_at=parse_expiry("7d", now=clock.now()), submit=False)
    assert not receipt.on_chain
    doc_sharing = Sharing(doctor)
    assert doc_sharing.receive(receipt.token).counterpart_name == "Ned Hintz"
    (pending,) = doc_sharing.received()
    assert pending.on_chain is False and pending.status is GrantStatus.ACTIVE

    plan = sharing.revocation_plan(receipt.grant_id)
    assert plan.burn and "never submitted" in plan.describe()
    revoked = sharing.revoke_grant(receipt.grant_id)
    assert revoked.tx is not None
    gid = bytes.fromhex(receipt.grant_id[2:])
    assert patient.chain().grant_stage(gid) is GrantStage.BURNED
    with pytest.raises(GrantNotActive, match="revoked this share before it was submitted"):
        doc_sharing.open(receipt.token)
    (burned,) = doc_sharing.received()
    assert burned.status is GrantStatus.REVOKED
    assert sharing.grants()[0].status is GrantStatus.REVOKED


def test_the_doctor_submits_on_the_embedded_chain_too(patient, doctor, clock) -> None:
    sharing = Sharing(patient)
    receipt = sharing.grant(doctor.identity.address, record_ids=sharing.choose_records(types=["Immunization"]),
                            expires_at=parse_expiry("7d", now=clock.now()), submit=False)
    opened = Sharing(doctor).open(receipt.token)
    assert opened.grant_tx is not None and opened.grant_tx.gas_used <= 80_000
    assert opened.patient_name == "Ned Hintz" and opened.label is not None
    (view,) = sharing.grants()
    assert view.on_chain and view.grant.accesses == 1
    # Opening again only logs the access.
    again = Sharing(doctor).open(receipt.token)
    assert again.grant_tx is None and again.access_tx is not None
    expires = from_chain_time(parse_token(receipt.token).signed.expires_at)  # type: ignore[union-attr]
    assert expires == receipt.expires_at


def test_a_first_version_grant_and_its_hwshare_1_token_keep_working(patient, doctor, clock) -> None:
    """As the previous release shared: the wallet's own account calls grant(), the token is version 1."""
    from wallet.chain.grants import grant_id_hex, new_grant_id
    from wallet.ipfs.sealed import publish_sealed
    from wallet.share import protocol
    from wallet.share.token import ShareToken

    sharing = Sharing(patient)
    chain = sharing.chain
    grantee = doctor.identity.address
    gid = new_grant_id(grantee)
    ids = sharing.choose_records(types=["Immunization"])
    resources = [patient.store.get(i) for i in ids]
    content_key = aead.new_key()
    context = sharing._context(gid)
    ipfs = patient.ipfs()
    cid = publish_sealed(ipfs, content_key, protocol.envelope(resources, now=clock.now()), purpose=protocol.PURPOSE,
                         aad=context.aad)
    wrapped = protocol.wrap_content_key(chain.require_encryption_key(grantee), content_key, context)
    chain.grant(patient.keys.account, gid, grantee, str(cid), wrapped, parse_expiry("7d", now=chain.now()))
    token = ShareToken(chain.chain_id, sharing._contract(), grant_id_hex(gid), sharing._peers(ipfs)).encode()
    assert token.startswith("hwshare:1:")

    opened = Sharing(doctor).open(token)
    assert opened.counts == {"Immunization": 7} and opened.grant_tx is None and opened.access_tx is not None
    (view,) = sharing.grants()
    assert view.grant.patient == patient.identity.address and view.grant.accesses == 1
    assert sharing.revocation_plan(grant_id_hex(gid)).signed is False
    assert sharing.revoke_grant(grant_id_hex(gid)).tx is not None  # by the wallet's own account, as before
    with pytest.raises(GrantNotActive, match="revoked"):
        Sharing(doctor).open(token)


def test_a_doctor_without_funds_is_told_in_one_line_and_nothing_is_logged(chain100: PublicChain, open_wallet) -> None:
    url = chain100.url
    patient = open_wallet("patient")
    on_chain100(patient, url, active=True)
    patient.import_file(SMALL_PATIENT)
    doctor = open_wallet("doctor")
    on_chain100(doctor, url, active=True)
    chain100.rpc("anvil_setBalance", doctor.identity.address, RICH)
    assert Sharing(doctor).register_key() is not None
    chain100.rpc("anvil_setBalance", doctor.identity.address, "0x0")
    sharing = Sharing(patient)
    receipt = sharing.grant(doctor.identity.address, record_ids=sharing.choose_records(types=["Condition"]),
                            expires_at=parse_expiry("1d", now=patient.chain().now()))
    with pytest.raises(InsufficientFunds) as poor:
        Sharing(doctor).open(receipt.token)
    message = one_line(poor.value)
    assert "xDAI" in message and doctor.identity.address in message
    gid = bytes.fromhex(receipt.grant_id[2:])
    assert doctor.chain().grant_stage(gid) is GrantStage.UNUSED  # nothing was submitted or logged


def _opens_logged(wallet) -> int:
    """The wallet's own record of what it did (its AuditEvents; an open adds one)."""
    return len(wallet.store.summaries(types=["AuditEvent"]))


@pytest.mark.parametrize("submitted_first", [False, True], ids=["with-the-grant", "access-only"])
def test_an_open_whose_access_log_reverts_on_chain_shows_nothing(chain100: PublicChain, open_wallet,
                                                                 submitted_first: bool) -> None:
    """The access-log transaction is priced while the data is fetched and sent once the records
    are validated; the patient revokes in between, so the transaction is mined and reverts. The
    open fails: no records are returned and no access is kept as done."""
    from wallet.events import Progress

    url = chain100.url
    patient = open_wallet("patient")
    on_chain100(patient, url, active=True)
    patient.import_file(SMALL_PATIENT)
    chain100.rpc("anvil_setBalance", patient.identity.address, RICH)  # so the patient can revoke at once
    doctor = open_wallet("doctor")
    on_chain100(doctor, url, active=True)
    chain100.rpc("anvil_setBalance", doctor.identity.address, RICH)
    assert Sharing(doctor).register_key() is not None
    sharing = Sharing(patient)
    receipt = sharing.grant(doctor.identity.address, record_ids=sharing.choose_records(types=["Immunization"]),
                            expires_at=parse_expiry("7d", now=patient.chain().now()))
    doc_sharing = Sharing(doctor)
    gid = bytes.fromhex(receipt.grant_id[2:])
    if submitted_first:
        assert doc_sharing.open(receipt.token).grant_tx is not None
    before = _opens_logged(doctor)
    accesses = doctor.chain().grant_info(gid).accesses if submitted_first else 0
    messages: list[str] = []

    def revoke_once_decrypted(progress: Progress) -> None:
        messages.append(progress.message)
        if progress.message == "Validating the records":  # decrypted; the access log is sent after this
            sharing.revoke_grant(receipt.grant_id)

    with pytest.raises(ChainError) as refused:
        doc_sharing.open(receipt.token, progress=revoke_once_decrypted)
    assert "Validating the records" in messages and "Opened" not in messages
    assert "revoked" in one_line(refused.value).lower() or "failed on chain" in one_line(refused.value)
    assert _opens_logged(doctor) == before  # nothing kept as opened
    if submitted_first:
        assert doctor.chain().grant_info(gid).accesses == accesses  # the reverted log added no access
    else:
        assert doctor.chain().grant_stage(gid) is GrantStage.BURNED  # the grant was never submitted
    with pytest.raises(GrantNotActive, match="revoked"):
        doc_sharing.open(receipt.token)
