"""The ChainBackend on both chains: the embedded one and anvil over JSON-RPC."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from eth_account import Account

from tests.chain.conftest import CID, WRAPPED_KEY_SIZE, Harness
from wallet.chain import AccessGrant, EventKind, GrantStatus, new_grant_id
from wallet.chain.backend import ChainBackend, TxResult
from wallet.errors import GrantNotActive, KeyNotRegistered, TransactionReverted


def _at(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _grant(chain: Harness, patient, doctor, *, seconds: int = 3600,
           cid: str = CID) -> tuple[bytes, bytes, int, TxResult]:
    gid = new_grant_id(doctor.address)
    wrapped = os.urandom(WRAPPED_KEY_SIZE)
    expires = chain.now() + seconds
    return gid, wrapped, expires, chain.backend.grant(patient, gid, doctor.address, cid, wrapped, _at(expires))


def test_is_a_chain_backend_on_a_development_chain(chain: Harness) -> None:
    backend: ChainBackend = chain.backend
    assert backend.is_development
    assert backend.chain_id > 0
    assert backend.contract_address and backend.contract_address.startswith("0x")
    assert backend.describe()


def test_a_fresh_account_pays_its_gas_from_the_development_account(chain: Harness) -> None:
    doctor = Account.create()
    assert chain.backend.balance(doctor.address) == 0
    result = chain.backend.register_key(doctor, os.urandom(32))
    assert result.gas_used > 21_000 and result.block > 0
    assert chain.backend.balance(doctor.address) > 0


def test_encryption_keys_are_published_and_looked_up(chain: Harness) -> None:
    doctor, stranger = Account.create(), Account.create()
    key = os.urandom(32)
    chain.backend.register_key(doctor, key)
    assert chain.backend.encryption_key_of(doctor.address) == key
    assert chain.backend.require_encryption_key(doctor.address) == key
    assert chain.backend.encryption_key_of(stranger.address) is None
    with pytest.raises(KeyNotRegistered) as info:
        chain.backend.require_encryption_key(stranger.address)
    assert stranger.address in info.value.user_message


def test_grant_open_log_revoke(chain: Harness) -> None:
    patient, doctor = Account.create(), Account.create()
    gid, wrapped, expires, result = _grant(chain, patient, doctor)
    assert result.gas_used <= 55_000
    assert chain.backend.is_active(gid)

    info = chain.backend.grant_info(gid)
    assert isinstance(info, AccessGrant)
    assert (info.patient, info.grantee, info.cid, info.wrapped_key) == (patient.address, doctor.address, CID, wrapped)
    assert info.expires_at == _at(expires) and info.grant_tx == result.tx_hash
    assert info.status(chain.backend.now()) is GrantStatus.ACTIVE and info.accesses == 0

    access = chain.backend.record_access(doctor, gid)
    assert access.gas_used < 30_000
    assert chain.backend.grant_info(gid).accesses == 1

    revoke = chain.backend.revoke(patient, gid)
    assert revoke.gas_used <= 30_000
    assert not chain.backend.is_active(gid)
    revoked = chain.backend.grant_info(gid)
    assert revoked.revoked and revoked.status(chain.backend.now()) is GrantStatus.REVOKED

    with pytest.raises(GrantNotActive):
        chain.backend.record_access(doctor, gid)
    with pytest.raises(GrantNotActive) as info_again:
        chain.backend.revoke(patient, gid)
    assert "already revoked" in info_again.value.user_message


def test_only_the_patient_revokes_and_only_the_grantee_logs_access(chain: Harness) -> None:
    patient, doctor, stranger = Account.create(), Account.create(), Account.create()
    gid, _, _, _ = _grant(chain, patient, doctor)
    with pytest.raises(TransactionReverted) as info:
        chain.backend.revoke(doctor, gid)
    assert "Only the patient" in info.value.user_message
    with pytest.raises(TransactionReverted) as info:
        chain.backend.record_access(stranger, gid)
    assert "not addressed to this wallet" in info.value.user_message
    assert chain.backend.is_active(gid)


def test_expiry_follows_the_chain_time_to_the_second(chain: Harness) -> None:
    patient, doctor = Account.create(), Account.create()
    chain.backend.register_key(doctor, os.urandom(32))  # fund both before time is pinned
    gid, _, expires, _ = _grant(chain, patient, doctor, seconds=100)
    chain.set_time(expires - 1)
    assert chain.backend.is_active(gid)
    assert chain.backend.grant_info(gid).status(chain.backend.now()) is GrantStatus.ACTIVE
    chain.backend.record_access(doctor, gid)
    chain.set_time(expires)
    assert chain.backend.now() == _at(expires)
    assert not chain.backend.is_active(gid)
    assert chain.backend.grant_info(gid).status(chain.backend.now()) is GrantStatus.EXPIRED
    with pytest.raises(GrantNotActive):
        chain.backend.record_access(doctor, gid)


def test_an_expiry_in_the_past_is_refused_before_anything_is_spent(chain: Harness) -> None:
    patient, doctor = Account.create(), Account.create()
    gid = new_grant_id(doctor.address)
    with pytest.raises(TransactionReverted) as info:
        chain.backend.grant(patient, gid, doctor.address, CID, b"k" * 93, chain.backend.now() - timedelta(seconds=1))
    assert "expiry" in info.value.user_message
    assert chain.backend.balance(patient.address) == 0  # estimated, refused, never funded nor sent


def test_a_grant_id_must_be_addressed_to_the_grantee(chain: Harness) -> None:
    patient, doctor, other = Account.create(), Account.create(), Account.create()
    with pytest.raises(ValueError):
        chain.backend.grant(patient, new_grant_id(other.address), doctor.address, CID, b"k", chain.backend.now())


def test_unknown_grants(chain: Harness) -> None:
    gid = new_grant_id(Account.create().address)
    assert not chain.backend.is_active(gid)
    with pytest.raises(GrantNotActive) as info:
        chain.backend.grant_info(gid)
    assert "There is no grant" in info.value.user_message


def test_lists_and_access_log_from_both_sides(chain: Harness) -> None:
    patient, doctor, other_doctor = Account.create(), Account.create(), Account.create()
    first, _, _, _ = _grant(chain, patient, doctor)
    second, _, _, _ = _grant(chain, patient, other_doctor)
    chain.backend.record_access(doctor, first)
    chain.backend.revoke(patient, second)

    mine = chain.backend.grants_by_patient(patient.address)
    assert [g.grant_id for g in mine] == [first, second]
    assert [g.revoked for g in mine] == [False, True]
    assert [g.accesses for g in mine] == [1, 0]
    received = chain.backend.grants_for_grantee(doctor.address)
    assert [g.grant_id for g in received] == [first]
    assert chain.backend.grants_for_grantee(Account.create().address) == []

    log = chain.backend.access_log(patient.address)
    assert [(e.kind, e.grant_id) for e in log] == [
        (EventKind.GRANTED, first), (EventKind.GRANTED, second),
        (EventKind.ACCESSED, first), (EventKind.REVOKED, second),
    ]
    assert [e.block for e in log] == sorted(e.block for e in log)
    assert log[0].party(patient.address) == doctor.address and log[0].expires_at is not None
    assert all(e.tx_hash.startswith("0x") and e.at.tzinfo for e in log)
    doctor_log = chain.backend.access_log(doctor.address)
    assert [(e.kind, e.party(doctor.address)) for e in doctor_log] == [
        (EventKind.GRANTED, patient.address), (EventKind.ACCESSED, patient.address),
    ]


def test_a_wallet_can_grant_to_itself_and_its_log_has_no_duplicates(chain: Harness) -> None:
    me = Account.create()
    gid, _, _, _ = _grant(chain, me, me)
    chain.backend.record_access(me, gid)
    assert [e.kind for e in chain.backend.access_log(me.address)] == [EventKind.GRANTED, EventKind.ACCESSED]


def test_backup_pointer_finds_the_latest(chain: Harness) -> None:
    owner = Account.create()
    assert chain.backend.latest_backup(owner.address) is None
    chain.backend.publish_backup(owner, "bafkfirst")
    chain.backend.publish_backup(owner, CID)
    assert chain.backend.latest_backup(owner.address) == CID
    assert chain.backend.latest_backup(Account.create().address) is None


def test_estimate_grant_gas_matches_what_a_grant_uses(chain: Harness) -> None:
    patient, doctor = Account.create(), Account.create()
    gid = new_grant_id(doctor.address)
    wrapped = os.urandom(WRAPPED_KEY_SIZE)
    expires = chain.backend.now() + timedelta(days=7)
    estimate = chain.backend.estimate_grant_gas(patient.address, gid, doctor.address, CID, wrapped, expires)
    used = chain.backend.grant(patient, gid, doctor.address, CID, wrapped, expires).gas_used
    assert estimate <= 55_000
    assert abs(estimate - used) <= 1_000


def test_junk_grants_sent_to_a_doctor_do_not_break_the_list(chain: Harness) -> None:
    from eth_abi import encode
    from eth_utils import function_signature_to_4byte_selector

    attacker, doctor, patient = Account.create(), Account.create(), Account.create()
    good, _, _, _ = _grant(chain, patient, doctor)
    chain.backend.register_key(attacker, os.urandom(32))  # funds the attacker
    w3 = chain.backend.web3
    selector = function_signature_to_4byte_selector("grant(bytes32,address,string,bytes,uint64)")
    junk_ids = [new_grant_id(doctor.address) for _ in range(2)]
    payloads = [
        encode(["bytes32", "address", "bytes", "bytes", "uint64"],
               [junk_ids[0], doctor.address, b"\xff\xfe", b"", 2**64 - 1]),
        encode(["bytes32", "address", "string", "bytes", "uint64"],
               [junk_ids[1], doctor.address, "bafy", b"", 2**64 - 1]),
    ]
    for payload in payloads:
        base = w3.eth.get_block("latest")["baseFeePerGas"]
        tx = {"to": chain.backend.contract_address, "data": selector + payload, "gas": 200_000, "value": 0,
              "nonce": w3.eth.get_transaction_count(attacker.address), "chainId": chain.backend.chain_id,
              "maxFeePerGas": 2 * base + 10**9, "maxPriorityFeePerGas": 10**9}
        sent = w3.eth.send_raw_transaction(attacker.sign_transaction(tx).raw_transaction)
        receipt = w3.eth.wait_for_transaction_receipt(sent)
        assert receipt["status"] == 1
    received = {g.grant_id: g for g in chain.backend.grants_for_grantee(doctor.address)}
    assert good in received and junk_ids[1] in received  # the undecodable CID is skipped, if it is
    assert received[junk_ids[1]].expires_at.year == 9999
    assert chain.backend.access_log(doctor.address)


def test_the_web3_backend_offers_the_whole_protocol(chain: Harness) -> None:
    wanted = {name for name in vars(ChainBackend) if not name.startswith("_")}
    missing = {name for name in wanted if not hasattr(chain.backend, name)}
    assert not missing
