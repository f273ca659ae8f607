"""Signed grants on real chains: anvil with chain id 100 (standing in for a public chain,
the CREATE2 factory present) and the embedded chain (which installs the factory itself)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import rlp
from eth_account import Account
from eth_utils import keccak, to_checksum_address
from web3.exceptions import ContractLogicError

from tests.chain.anvil_node import AnvilNode
from tests.signed_grants import CID, WRAPPED_KEY_SIZE, PublicChain, one_line, signed_grant
from wallet.chain import connect_rpc, open_embedded_chain
from wallet.chain.canonical import (
    FACTORY_ADDRESS,
    canonical_address,
    factory_deployment,
    identify_runtime,
    v1_initcode,
)
from wallet.chain.contract import error_from_revert
from wallet.chain.eip712 import (
    Eip712Domain,
    SignedGrant,
    load_signed,
    sign_revoke,
    signed_grant_id,
)
from wallet.chain.web3_backend import Web3ChainBackend, _revert_bytes
from wallet.clock import FixedClock
from wallet.errors import ChainError, ContractMismatch, GrantNotActive, TransactionReverted

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def embedded(tmp_path: Path, clock: FixedClock) -> Iterator[Web3ChainBackend]:
    backend = open_embedded_chain(tmp_path / "chain", clock=clock)
    yield backend
    backend.close()


# --- one address on every chain --------------------------------------------------------


def test_the_contract_has_one_address_on_chains_with_different_ids(chain100: PublicChain,
                                                                    embedded: Web3ChainBackend) -> None:
    assert chain100.backend.chain_id == 100 and embedded.chain_id != 100
    assert chain100.backend.contract_address == embedded.contract_address == canonical_address()
    assert chain100.backend.contract_version == embedded.contract_version == 2
    assert chain100.backend.deploy(chain100.payer).tx is None  # already there: nothing sent
    # The same factory code on both: anvil's built-in one and the one the embedded chain installed.
    assert embedded.web3.eth.get_code(FACTORY_ADDRESS) == chain100.backend.web3.eth.get_code(FACTORY_ADDRESS)


def test_the_committed_factory_transaction_is_the_published_one() -> None:
    factory = factory_deployment()
    tx = rlp.decode(factory.raw_transaction)
    nonce, gas_price, gas, to, value, data, v, r, s = tx
    assert (int.from_bytes(nonce, "big"), to, int.from_bytes(v, "big")) == (0, b"", 27)  # pre-EIP-155: any chain
    assert int.from_bytes(gas_price, "big") == factory.gas_price and int.from_bytes(gas, "big") == factory.gas_limit
    assert factory.funding == 10**16
    signer = Account._recover_hash(keccak(rlp.encode([nonce, gas_price, gas, to, value, data])),
                                   vrs=(27, int.from_bytes(r, "big"), int.from_bytes(s, "big")))
    assert signer == factory.signer
    assert to_checksum_address(keccak(rlp.encode([bytes.fromhex(signer[2:]), 0]))[12:]) == FACTORY_ADDRESS


def test_a_different_contract_at_a_configured_address_is_refused(chain100: PublicChain) -> None:
    w3 = chain100.backend.web3
    naive = json.loads((REPO / "benchmarks" / "NaiveGrants.json").read_text())
    deployer = w3.eth.accounts[0]
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.contract(abi=naive["abi"], bytecode=naive["bytecode"]).constructor().transact({"from": deployer}))
    impostor = receipt["contractAddress"]
    with pytest.raises(ContractMismatch) as info:
        connect_rpc(chain100.node.url, contract_address=impostor)
    assert impostor in one_line(info.value) and canonical_address() in info.value.user_message
    assert identify_runtime(w3.eth.get_code(impostor)) is None


def test_grants_of_the_first_contract_keep_working_beside_todays(chain100: PublicChain) -> None:
    w3 = chain100.backend.web3
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction({"from": w3.eth.accounts[0], "data": "0x" + v1_initcode().hex()}))
    first = receipt["contractAddress"]
    patient, doctor = chain100.funded(), chain100.funded()
    gid = signed_grant_id(doctor.address, Account.create().address)
    old = w3.eth.contract(address=first, abi=chain100.backend._abi)
    expires = int(chain100.backend.now().timestamp()) + 86400
    tx = old.functions.grant(gid, doctor.address, CID, os.urandom(WRAPPED_KEY_SIZE), expires).transact(
        {"from": w3.eth.accounts[1]})
    assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1

    # chain.contract names the first contract: today's is used for new grants, the first is still read.
    backend = connect_rpc(chain100.node.url, contract_address=first, poll_interval=0.05)
    assert backend.contract_address == canonical_address() and backend.earlier_contracts == (first,)
    assert identify_runtime(w3.eth.get_code(first)) == 1
    assert backend.is_active(gid) and [g.grant_id for g in backend.grants_for_grantee(doctor.address)] == [gid]
    backend.record_access(doctor, gid)
    assert backend.grant_info(gid).accesses == 1
    signed = signed_grant(Account.create(), backend, doctor.address)
    backend.submit_signed_grant(patient, signed)
    assert {g.grant_id for g in backend.grants_for_grantee(doctor.address)} == {gid, signed.grant_id}
    with pytest.raises(TransactionReverted):
        backend.revoke(patient, gid)  # only the first grant's patient may
    assert backend.is_active(gid)


# --- a patient who holds nothing --------------------------------------------------------


@pytest.mark.parametrize("where", ["public", "embedded"])
def test_a_patient_key_with_no_balance_signs_and_a_third_account_submits(
        where: str, request: pytest.FixtureRequest) -> None:
    backend = (request.getfixturevalue("chain100").backend if where == "public"
               else request.getfixturevalue("embedded"))
    payer = request.getfixturevalue("chain100").funded() if where == "public" else Account.create()
    patient_key, doctor = Account.create(), Account.create()
    signed = signed_grant(patient_key, backend, doctor.address)
    result = backend.submit_signed_grant(payer, signed)
    assert result.gas_used <= 60_000
    assert backend.is_active(signed.grant_id)
    grant = backend.grant_info(signed.grant_id)
    assert (grant.patient, grant.grantee, grant.cid) == (patient_key.address, doctor.address, CID)
    assert grant.wrapped_key == signed.wrapped_key and grant.accesses == 0
    assert backend.balance(patient_key.address) == 0  # the patient's key never paid anything
    assert backend.has_patient_activity(patient_key.address)

    revoke = sign_revoke(patient_key, backend.domain, signed.grant_id)
    third = request.getfixturevalue("chain100").funded() if where == "public" else Account.create()
    assert backend.submit_signed_revoke(third, revoke).gas_used <= 35_000
    assert backend.is_active(signed.grant_id) is False
    assert backend.grant_info(signed.grant_id).revoked
    with pytest.raises(GrantNotActive):
        backend.record_access(doctor, signed.grant_id)


def test_the_doctor_submits_the_grant_and_logs_the_access_in_one_transaction(chain100: PublicChain) -> None:
    backend, doctor = chain100.backend, chain100.funded()
    signed = signed_grant(Account.create(), backend, doctor.address)
    estimate = backend.estimate_signed_grant_gas(doctor.address, signed, record_access=True)
    result = backend.submit_signed_grant(doctor, signed, record_access=True)
    assert result.gas_used <= 80_000 and estimate >= result.gas_used
    grant = backend.grant_info(signed.grant_id)
    assert grant.accesses == 1 and grant.grant_tx == result.tx_hash
    assert backend.record_access(doctor, signed.grant_id).gas_used <= 27_000
    with pytest.raises(TransactionReverted) as info:  # only the grantee may log its access with the grant
        backend.submit_signed_grant(chain100.payer, signed_grant(Account.create(), backend, doctor.address),
                                    record_access=True)
    assert "not addressed to this wallet" in one_line(info.value)


# --- signatures the contract refuses ----------------------------------------------------


def _contract_refusal(backend: Web3ChainBackend, fn: str, args: list, sender: str) -> ChainError:
    contract = backend.web3.eth.contract(address=backend.contract_address, abi=backend._abi)
    with pytest.raises(ContractLogicError) as info:
        getattr(contract.functions, fn)(*args).estimate_gas({"from": sender})
    return error_from_revert(_revert_bytes(info.value.data))


def test_replayed_forged_expired_and_other_chain_signatures_are_refused_in_one_line(
        chain100: PublicChain) -> None:
    backend, payer = chain100.backend, chain100.payer
    patient_key, doctor = Account.create(), Account.create()
    signed = signed_grant(patient_key, backend, doctor.address)
    backend.submit_signed_grant(payer, signed)

    with pytest.raises(TransactionReverted) as info:  # replayed
        backend.submit_signed_grant(payer, signed)
    assert getattr(info.value, "contract_error", None) == "GrantExists"
    assert "already exists" in one_line(info.value)

    victim, forger = Account.create(), Account.create()
    honest = signed_grant(victim, backend, doctor.address)
    by_forger = signed_grant(forger, backend, doctor.address)
    forged = SignedGrant(backend.domain, honest.grant_id, CID, honest.wrapped_key, honest.expires_at,
                         victim.address, by_forger.v, by_forger.r, by_forger.s)
    with pytest.raises(TransactionReverted) as info:
        backend.submit_signed_grant(payer, forged)
    assert info.value.contract_error == "BadSignature" and "signature" in one_line(info.value)

    altered = SignedGrant(backend.domain, honest.grant_id, CID, os.urandom(WRAPPED_KEY_SIZE), honest.expires_at,
                          victim.address, honest.v, honest.r, honest.s)
    with pytest.raises(TransactionReverted) as info:
        backend.submit_signed_grant(payer, altered)
    assert info.value.contract_error == "BadSignature"

    expired = signed_grant(Account.create(), backend, doctor.address, expires_in=-timedelta(seconds=1))
    with pytest.raises(TransactionReverted) as info:
        backend.submit_signed_grant(payer, expired)
    assert info.value.contract_error == "ExpiryNotInFuture" and "expiry" in one_line(info.value)

    elsewhere = signed_grant(Account.create(), backend, doctor.address,
                             domain=Eip712Domain(1, backend.contract_address))
    with pytest.raises(TransactionReverted) as info:  # the wallet sees it before sending
        backend.submit_signed_grant(payer, elsewhere)
    assert "chain 1" in one_line(info.value) and "chain 100" in info.value.user_message
    refusal = _contract_refusal(backend, "grantBySig", elsewhere.contract_args(), payer.address)  # and the contract
    assert refusal.contract_error == "BadSignature" and "another chain" in one_line(refusal)
    assert not backend.is_active(elsewhere.grant_id)


# --- revoking and burning ---------------------------------------------------------------


def test_an_id_never_submitted_is_burned_and_can_never_be_granted(chain100: PublicChain) -> None:
    backend, third = chain100.backend, chain100.funded()
    patient_key, doctor = Account.create(), Account.create()
    signed = signed_grant(patient_key, backend, doctor.address)

    stranger = sign_revoke(Account.create(), backend.domain, signed.grant_id)  # not the id's key
    with pytest.raises(TransactionReverted) as info:
        backend.submit_signed_revoke(third, stranger)
    assert info.value.contract_error == "BadSignature"

    burn = sign_revoke(patient_key, backend.domain, signed.grant_id)
    backend.submit_signed_revoke(third, burn)
    assert backend.is_active(signed.grant_id) is False
    with pytest.raises(GrantNotActive) as info:
        backend.grant_info(signed.grant_id)
    assert "before it was submitted" in one_line(info.value)
    with pytest.raises(GrantNotActive) as info:
        backend.submit_signed_grant(third, signed)
    assert info.value.contract_error == "GrantBurned" and "never be granted" in one_line(info.value)
    with pytest.raises(GrantNotActive) as info:
        backend.submit_signed_revoke(third, burn)
    assert info.value.contract_error == "AlreadyRevoked"
    assert backend.has_patient_activity(patient_key.address)
    assert backend.grants_for_grantee(doctor.address) == []


def test_signed_messages_travel_as_json(embedded: Web3ChainBackend) -> None:
    patient_key, doctor = Account.create(), Account.create()
    signed = signed_grant(patient_key, embedded, doctor.address)
    assert load_signed(json.dumps(signed.to_json())) == signed
    revoke = sign_revoke(patient_key, embedded.domain, signed.grant_id)
    assert load_signed(json.dumps(revoke.to_json())) == revoke
    for bad in ("{}", "[1]", json.dumps({**signed.to_json(), "signature": "0x00"}),
                json.dumps({**signed.to_json(), "id": "0x" + "11" * 32}), " " * 20_000):
        with pytest.raises(ChainError) as info:
            load_signed(bad)
        one_line(info.value)
    submitted = load_signed(json.dumps(signed.to_json()))
    assert isinstance(submitted, SignedGrant)
    embedded.submit_signed_grant(Account.create(), submitted)
    assert embedded.is_active(signed.grant_id)


def test_an_embedded_chain_from_the_previous_release_keeps_its_grants(tmp_path: Path, clock: FixedClock) -> None:
    from wallet.vault.keys import WalletKeys

    folder = tmp_path / "chain"
    folder.mkdir()
    written_by_release = REPO / "tests" / "chain" / "data" / "release-747f7c1.chain.journal"
    (folder / "chain.journal").write_bytes(written_by_release.read_bytes())
    patient = WalletKeys("abandon " * 11 + "about").account
    doctor = WalletKeys("legal winner thank year wave sausage worth useful legal winner thank yellow").account
    old_id = bytes.fromhex("58a57ed9d8d624cbd12e2c467d34787555bb1b25c65f8a2227560b2bbd31b018")

    chain = open_embedded_chain(folder, clock=clock)
    assert chain.contract_address == canonical_address() and chain.contract_version == 2
    (first,) = chain.earlier_contracts
    assert first != chain.contract_address
    assert chain.is_active(old_id) and chain.grant_info(old_id).accesses == 1
    assert [g.grant_id for g in chain.grants_by_patient(patient.address)] == [old_id]
    assert chain.encryption_key_of(doctor.address) is not None  # published on the first contract

    signed = signed_grant(WalletKeys("abandon " * 11 + "about").grant_account(0), chain, doctor.address)
    chain.submit_signed_grant(doctor, signed, record_access=True)
    assert {g.grant_id for g in chain.grants_for_grantee(doctor.address)} == {old_id, signed.grant_id}
    assert chain.contract_for(old_id) == first and chain.contract_for(signed.grant_id) == chain.contract_address
    chain.revoke(patient, old_id)
    assert not chain.is_active(old_id) and chain.is_active(signed.grant_id)
    kinds = [(e.kind.value, e.grant_id == old_id) for e in chain.access_log(doctor.address)]
    assert ("revoked", True) in kinds and ("accessed", False) in kinds
    chain.close()

    again = open_embedded_chain(folder, clock=clock)  # nothing more to install; the same view
    assert again.earlier_contracts == (first,) and not again.is_active(old_id) and again.is_active(signed.grant_id)
    again.close()


def test_a_development_node_gets_the_factory_and_the_contract_by_itself() -> None:
    with AnvilNode() as node:  # chain id 31337: a development chain
        factory_code = node.rpc("eth_getCode", FACTORY_ADDRESS, "latest")
        node.rpc("anvil_setCode", FACTORY_ADDRESS, "0x")  # as on a node without the factory
        backend = connect_rpc(node.url, poll_interval=0.05)
        assert backend.is_development and backend.contract_address is None
        gid = signed_grant_id(Account.create().address, Account.create().address)
        assert backend.is_active(gid) is False  # the first call deploys what is missing
        assert backend.contract_address == canonical_address()
        assert node.rpc("eth_getCode", FACTORY_ADDRESS, "latest") == factory_code  # from the presigned transaction
