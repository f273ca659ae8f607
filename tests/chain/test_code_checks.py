"""Contract code checked once per endpoint: a second connection to the same node does not read
the grants contract's code again, and nothing it remembers lets another contract pass."""

from __future__ import annotations

import pytest
from eth_account import Account

from tests.chain.anvil_node import AnvilNode
from wallet.chain import connect_rpc
from wallet.chain.canonical import canonical_address
from wallet.chain.code_checks import CodeChecks
from wallet.errors import ChainUnavailable, ContractMismatch

IMPOSTOR_CODE = "0x6080604052600080fd"  # a contract that reverts whatever it is asked


def test_a_second_connection_reuses_the_check_and_an_impostor_elsewhere_is_still_refused(
        anvil: AnvilNode, anvil_contract: str) -> None:
    checks = CodeChecks()
    first = connect_rpc(anvil.url, contract_address=anvil_contract, code_checks=checks)
    assert first.contract_address == anvil_contract
    assert checks.version(anvil.url, first.chain_id, anvil_contract) == 2
    again = connect_rpc(anvil.url, contract_address=anvil_contract, code_checks=checks)
    assert again.contract_address == anvil_contract and again.contract_version == 2

    impostor = Account.create().address
    anvil.rpc("anvil_setCode", impostor, IMPOSTOR_CODE)
    with pytest.raises(ContractMismatch) as refused:
        connect_rpc(anvil.url, contract_address=impostor, code_checks=checks)
    assert impostor in refused.value.user_message
    assert checks.version(anvil.url, first.chain_id, impostor) is None  # a refusal is not remembered
    with pytest.raises(ContractMismatch):  # and is refused again
        connect_rpc(anvil.url, contract_address=impostor, code_checks=checks)


def test_what_one_node_holds_is_never_taken_for_another_node(anvil: AnvilNode, anvil_contract: str) -> None:
    """The same address on another endpoint is read there: a chain without the contract is told so,
    and a look-alike address holding other code is refused."""
    checks = CodeChecks()
    connect_rpc(anvil.url, contract_address=anvil_contract, code_checks=checks)
    other = AnvilNode().start()
    try:
        with pytest.raises(ChainUnavailable, match="no grants contract"):
            connect_rpc(other.url, contract_address=anvil_contract, code_checks=checks)
        other.rpc("anvil_setCode", anvil_contract, IMPOSTOR_CODE)
        with pytest.raises(ContractMismatch):
            connect_rpc(other.url, contract_address=anvil_contract, code_checks=checks)
        assert anvil_contract == canonical_address()  # so the standard address there holds other code:
        with pytest.raises(ContractMismatch):
            connect_rpc(other.url, code_checks=checks)
    finally:
        other.stop()


def test_only_a_grants_contract_version_is_remembered() -> None:
    with pytest.raises(ValueError):
        CodeChecks().remember("http://127.0.0.1:8545", 1, "0x" + "11" * 20, 0)
