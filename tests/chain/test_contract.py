"""The HealthGrants contract itself on anvil: every function, every revert, expiry at the boundary, gas."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pytest
from web3 import Web3
from web3.exceptions import ContractLogicError

from tests.chain.anvil_node import AnvilNode
from tests.chain.conftest import CID, WRAPPED_KEY_SIZE
from wallet.chain.contract import error_from_revert, load_artefact
from wallet.chain.grants import new_grant_id
from wallet.chain.web3_backend import _revert_bytes

ZERO = "0x" + "00" * 20


@dataclass
class Env:
    node: AnvilNode
    w3: Web3
    c: Any
    deploy_block: int
    deployer: str
    patient: str
    doctor: str
    stranger: str

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def mine_at(self, ts: int) -> None:
        self.node.rpc("evm_mine", ts)

    def send(self, fn: Any, sender: str, **extra: Any) -> Any:
        receipt = self.w3.eth.wait_for_transaction_receipt(fn.transact({"from": sender, **extra}), timeout=30)
        assert receipt["status"] == 1
        return receipt

    def reverts(self, fn: Any, sender: str) -> str:
        """The custom error the call raises (checked by estimate, as a wallet would)."""
        with pytest.raises(ContractLogicError) as info:
            fn.estimate_gas({"from": sender})
        return error_from_revert(_revert_bytes(info.value.data)).contract_error

    def events(self, name: str, receipt: Any) -> list[Any]:
        return list(getattr(self.c.events, name)().process_receipt(receipt))

    def grant(self, *, expires_in: int = 3600, grantee: str | None = None, patient: str | None = None,
              cid: str = CID) -> tuple[bytes, int, Any]:
        grantee = grantee or self.doctor
        gid = new_grant_id(grantee)
        expires = self.now() + expires_in
        receipt = self.send(self.c.functions.grant(gid, grantee, cid, os.urandom(WRAPPED_KEY_SIZE), expires),
                            patient or self.patient)
        return gid, expires, receipt


@pytest.fixture(scope="module")
def env(anvil: AnvilNode) -> Env:
    w3 = Web3(Web3.HTTPProvider(anvil.url))
    art = load_artefact()
    deployer, patient, doctor, stranger = w3.eth.accounts[:4]
    tx = w3.eth.contract(abi=art.abi, bytecode=art.bytecode).constructor().transact({"from": deployer})
    receipt = w3.eth.wait_for_transaction_receipt(tx)
    contract = w3.eth.contract(address=receipt["contractAddress"], abi=art.abi)
    return Env(anvil, w3, contract, receipt["blockNumber"], deployer, patient, doctor, stranger)


def test_deployed_block_is_where_event_scans_start(env: Env) -> None:
    assert env.c.functions.deployedBlock().call() == env.deploy_block


# --- registerKey ---------------------------------------------------------------------


def test_register_key_stores_and_announces_and_can_be_replaced(env: Env) -> None:
    assert env.c.functions.encryptionKeyOf(env.stranger).call() == b"\0" * 32
    first, second = os.urandom(32), os.urandom(32)
    receipt = env.send(env.c.functions.registerKey(first), env.stranger)
    (event,) = env.events("KeyRegistered", receipt)
    assert event["args"]["owner"] == env.stranger and event["args"]["key"] == first
    assert env.c.functions.encryptionKeyOf(env.stranger).call() == first
    env.send(env.c.functions.registerKey(second), env.stranger)
    assert env.c.functions.encryptionKeyOf(env.stranger).call() == second


def test_register_key_refuses_an_empty_key(env: Env) -> None:
    assert env.reverts(env.c.functions.registerKey(b"\0" * 32), env.stranger) == "InvalidKey"


# --- grant ---------------------------------------------------------------------------


def test_grant_stores_one_packed_slot_and_puts_cid_and_key_in_the_event(env: Env) -> None:
    gid = new_grant_id(env.doctor)
    expires = env.now() + 600
    wrapped = os.urandom(WRAPPED_KEY_SIZE)
    receipt = env.send(env.c.functions.grant(gid, env.doctor, CID, wrapped, expires), env.patient)
    (event,) = env.events("Granted", receipt)
    assert event["args"]["id"] == gid
    assert event["args"]["patient"] == env.patient and event["args"]["grantee"] == env.doctor
    assert event["args"]["cid"] == CID and event["args"]["wrappedKey"] == wrapped
    assert event["args"]["expiresAt"] == expires
    assert env.c.functions.grantOf(gid).call() == [env.patient, env.doctor, expires, False]
    assert env.c.functions.isActive(gid).call() is True
    # Only the packed slot is written: patient | expiry << 160, nothing for the grantee.
    slot = Web3.solidity_keccak(["bytes32", "uint256"], [gid, 0])
    word = int.from_bytes(env.w3.eth.get_storage_at(env.c.address, slot), "big")
    assert word == int(env.patient, 16) | (expires << 160)


def test_grant_id_must_carry_the_grantee(env: Env) -> None:
    expires = env.now() + 600
    for_doctor = new_grant_id(env.doctor)
    fn = env.c.functions.grant(for_doctor, env.stranger, CID, b"k", expires)
    assert env.reverts(fn, env.patient) == "GranteeMismatch"
    zero_id = b"\0" * 20 + os.urandom(12)
    assert env.reverts(env.c.functions.grant(zero_id, ZERO, CID, b"k", expires), env.patient) == "GranteeMismatch"


def test_grant_expiry_must_be_after_the_block_time(env: Env) -> None:
    now = env.now()  # anvil's time stands still between tests' moves: the next block has it too
    gid = new_grant_id(env.doctor)
    assert env.reverts(env.c.functions.grant(gid, env.doctor, CID, b"k", now), env.patient) == "ExpiryNotInFuture"
    assert env.reverts(env.c.functions.grant(gid, env.doctor, CID, b"k", now - 1), env.patient) == "ExpiryNotInFuture"
    env.send(env.c.functions.grant(gid, env.doctor, CID, b"k", now + 1), env.patient)
    assert env.c.functions.isActive(gid).call() is True


def test_grant_needs_a_cid_and_a_fresh_id(env: Env) -> None:
    gid, expires, _ = env.grant()
    fresh = new_grant_id(env.doctor)
    assert env.reverts(env.c.functions.grant(fresh, env.doctor, "", b"k", expires), env.patient) == "EmptyCid"
    again = env.c.functions.grant(gid, env.doctor, CID, b"k", expires)
    assert env.reverts(again, env.patient) == "GrantExists"
    assert env.reverts(again, env.stranger) == "GrantExists"  # nobody can overwrite a grant


# --- revoke --------------------------------------------------------------------------


def test_revoke_by_the_patient_sets_the_flag_and_announces(env: Env) -> None:
    gid, expires, _ = env.grant()
    receipt = env.send(env.c.functions.revoke(gid), env.patient)
    (event,) = env.events("Revoked", receipt)
    assert (event["args"]["id"], event["args"]["patient"], event["args"]["grantee"]) == (gid, env.patient, env.doctor)
    assert env.c.functions.grantOf(gid).call() == [env.patient, env.doctor, expires, True]
    assert env.c.functions.isActive(gid).call() is False


def test_revoke_reverts(env: Env) -> None:
    gid, _, _ = env.grant()
    assert env.reverts(env.c.functions.revoke(new_grant_id(env.doctor)), env.patient) == "UnknownGrant"
    assert env.reverts(env.c.functions.revoke(gid), env.doctor) == "NotPatient"
    assert env.reverts(env.c.functions.revoke(gid), env.stranger) == "NotPatient"
    env.send(env.c.functions.revoke(gid), env.patient)
    assert env.reverts(env.c.functions.revoke(gid), env.patient) == "AlreadyRevoked"


def test_an_expired_grant_can_still_be_revoked(env: Env) -> None:
    gid, expires, _ = env.grant(expires_in=10)
    env.mine_at(expires + 5)
    env.send(env.c.functions.revoke(gid), env.patient)
    assert env.c.functions.grantOf(gid).call()[3] is True


# --- isActive and recordAccess ---------------------------------------------------------


def test_unknown_grants_are_inactive_and_all_zero(env: Env) -> None:
    gid = new_grant_id(env.doctor)
    assert env.c.functions.isActive(gid).call() is False
    assert env.c.functions.grantOf(gid).call() == [ZERO, ZERO, 0, False]


def test_expiry_boundary_for_calls_and_transactions(env: Env) -> None:
    gid, expires, _ = env.grant(expires_in=100)
    env.mine_at(expires - 1)
    assert env.c.functions.isActive(gid).call() is True
    receipt = env.send(env.c.functions.recordAccess(gid), env.doctor)  # mined at expires - 1
    assert env.w3.eth.get_block(receipt["blockNumber"])["timestamp"] == expires - 1
    env.mine_at(expires)
    assert env.c.functions.isActive(gid).call() is False
    assert env.reverts(env.c.functions.recordAccess(gid), env.doctor) == "GrantNotActive"
    # Enforced on chain, not only by the estimate: a mined attempt fails.
    tx = env.c.functions.recordAccess(gid).transact({"from": env.doctor, "gas": 100_000})
    assert env.w3.eth.wait_for_transaction_receipt(tx)["status"] == 0


def test_record_access_logs_the_grantee_and_the_patient(env: Env) -> None:
    gid, _, _ = env.grant()
    receipt = env.send(env.c.functions.recordAccess(gid), env.doctor)
    (event,) = env.events("Accessed", receipt)
    assert (event["args"]["id"], event["args"]["patient"], event["args"]["grantee"]) == (gid, env.patient, env.doctor)


def test_record_access_reverts(env: Env) -> None:
    gid, _, _ = env.grant()
    assert env.reverts(env.c.functions.recordAccess(gid), env.patient) == "NotGrantee"
    assert env.reverts(env.c.functions.recordAccess(gid), env.stranger) == "NotGrantee"
    unknown = new_grant_id(env.doctor)
    assert env.reverts(env.c.functions.recordAccess(unknown), env.doctor) == "GrantNotActive"
    env.send(env.c.functions.revoke(gid), env.patient)
    assert env.reverts(env.c.functions.recordAccess(gid), env.doctor) == "GrantNotActive"


# --- backup pointer --------------------------------------------------------------------


def test_publish_backup_announces_the_cid(env: Env) -> None:
    receipt = env.send(env.c.functions.publishBackup(CID), env.patient)
    (event,) = env.events("Backup", receipt)
    assert (event["args"]["owner"], event["args"]["cid"]) == (env.patient, CID)
    assert env.reverts(env.c.functions.publishBackup(""), env.patient) == "EmptyCid"


# --- gas -----------------------------------------------------------------------------


def test_gas_targets(env: Env) -> None:
    """≤ 55,000 per grant and ≤ 30,000 per revoke, with a real CID and wrapped-key size."""
    gid, _, receipt = env.grant()
    assert receipt["gasUsed"] <= 55_000
    access = env.send(env.c.functions.recordAccess(gid), env.doctor)
    revoke = env.send(env.c.functions.revoke(gid), env.patient)
    assert revoke["gasUsed"] <= 30_000
    assert access["gasUsed"] <= 30_000
