"""Per-grant keys from the recovery phrase, and finding them again after a restore."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from eth_account import Account

from tests.chain.conftest import CID
from wallet.chain import open_embedded_chain
from wallet.chain.eip712 import sign_grant, sign_revoke, signed_grant_id
from wallet.chain.grant_keys import GrantKeyScan, scan_grant_keys, scan_grant_keys_batched
from wallet.clock import FixedClock
from wallet.vault.keys import EVM_PATH, WalletKeys, grant_key_path

PHRASE = "legal winner thank year wave sausage worth useful legal winner thank yellow"


def test_grant_keys_follow_their_path_and_differ_from_each_other_and_the_main_account() -> None:
    keys = WalletKeys(PHRASE)
    addresses = [keys.grant_address(i) for i in range(6)]
    assert len(set(addresses)) == 6 and keys.identity.address not in addresses
    Account.enable_unaudited_hdwallet_features()
    for i in (0, 5):  # an independent BIP-32 implementation agrees
        assert Account.from_mnemonic(PHRASE, account_path=grant_key_path(i)).address == addresses[i]
        assert keys.grant_account(i).address == addresses[i]
    assert Account.from_mnemonic(PHRASE, account_path=EVM_PATH).address == keys.identity.address
    assert grant_key_path(3) == "m/44'/60'/18519'/0/3"
    for bad in (-1, 2**31, True):
        with pytest.raises(ValueError):
            grant_key_path(bad)


def test_the_gap_rule() -> None:
    used = {"a0", "a1", "a4"}
    assert scan_grant_keys(lambda i: f"a{i}", used.__contains__, gap=3) == GrantKeyScan((0, 1, 4), 5)
    assert scan_grant_keys(lambda i: f"a{i}", used.__contains__, gap=2) == GrantKeyScan((0, 1), 2)
    assert scan_grant_keys(lambda i: f"a{i}", set().__contains__) == GrantKeyScan((), 0)


@pytest.mark.parametrize("used", [set(), {0}, {0, 1, 4}, {2, 22, 41}, {19}, {20}, {0, 25}, {5, 26, 47, 68}])
@pytest.mark.parametrize("gap", [1, 3, 20])
def test_asking_a_window_at_a_time_follows_the_same_gap_rule(used: set[int], gap: int) -> None:
    addresses = {f"a{i}" for i in used}
    asked: list[int] = []

    def among(window: list[str]) -> set[str]:
        asked.append(len(window))
        return {a for a in window if a in addresses}

    batched = scan_grant_keys_batched(lambda i: f"a{i}", among, gap=gap)
    assert batched == scan_grant_keys(lambda i: f"a{i}", addresses.__contains__, gap=gap)
    assert set(asked) == {gap}  # one question per window of gap addresses
    assert scan_grant_keys_batched(lambda i: f"a{i}", among, gap=gap, start=7).next_index >= 7


def test_a_restored_wallet_finds_its_grants_on_chain(tmp_path: Path, clock: FixedClock) -> None:
    chain = open_embedded_chain(tmp_path / "chain", clock=clock)
    keys, doctor, payer = WalletKeys(PHRASE), Account.create(), Account.create()
    expires = chain.now() + timedelta(days=1)
    for index in (0, 1):
        chain.submit_signed_grant(payer, sign_grant(keys.grant_account(index), chain.domain, doctor.address, CID,
                                                    os.urandom(93), expires))
    burned = keys.grant_account(3)  # a grant never submitted, burned by its key
    burned_id = signed_grant_id(doctor.address, burned.address)
    chain.submit_signed_revoke(payer, sign_revoke(burned, chain.domain, burned_id))

    grants = chain.grants_for_grantee(doctor.address)
    patients = {g.patient for g in grants}
    assert len(patients) == 2 and keys.identity.address not in patients  # nothing links them on chain

    restored = WalletKeys(" ".join(PHRASE.upper().split()))
    found = scan_grant_keys(restored.grant_address, chain.has_patient_activity, gap=5)
    assert found == GrantKeyScan((0, 1, 3), 4)
    assert {g.patient for i in found.used for g in chain.grants_by_patient(restored.grant_address(i))} == patients
    chain.close()
