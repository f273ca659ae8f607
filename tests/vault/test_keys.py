"""Keys derive from the recovery phrase as published vectors say."""

from __future__ import annotations

import pytest

from tests.conftest import ABANDON, ABANDON_ADDRESS
from wallet.errors import VaultError
from wallet.vault.keys import WalletKeys, new_phrase, normalize_phrase


def test_bip44_address_matches_published_vectors() -> None:
    # BIP-39 test vector phrase; MetaMask/ethers show this address at m/44'/60'/0'/0/0.
    assert WalletKeys(ABANDON).identity.address == ABANDON_ADDRESS
    # Hardhat/anvil's well-known development phrase and its first account.
    junk = "test test test test test test test test test test test junk"
    assert WalletKeys(junk).identity.address == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


def test_encryption_key_is_deterministic_and_distinct_per_phrase() -> None:
    a1, a2 = WalletKeys(ABANDON), WalletKeys(ABANDON.upper().replace(" ", "  "))
    assert a1.identity.encryption_key == a2.identity.encryption_key
    other = WalletKeys(new_phrase())
    assert other.identity.encryption_key != a1.identity.encryption_key
    assert a1.symmetric_key("records") != a1.symmetric_key("backup")


@pytest.mark.parametrize("words", [12, 15, 18, 21, 24])
def test_new_phrase_lengths(words: int) -> None:
    phrase = new_phrase(words)
    assert len(phrase.split()) == words
    assert normalize_phrase(phrase) == phrase


@pytest.mark.parametrize(
    "phrase, message",
    [
        ("abandon " * 11 + "abandon", "checksum"),
        ("abandon " * 10 + "about", r"12, 15, 18, 21 or 24 words \(BIP-39\); this one has 11 words\."),
        ("abandon " * 12 + "about", "this one has 13 words"),
        ("abandon", "this one has one word"),
        ("abandon " * 11 + "zzzz", "not BIP-39"),
    ],
)
def test_bad_phrases_are_refused(phrase: str, message: str) -> None:
    with pytest.raises(VaultError, match=message):
        WalletKeys(phrase)


@pytest.mark.parametrize("words", [15, 18, 21])
def test_every_bip39_length_restores(words: int) -> None:
    # The all-"abandon" entropy vectors of BIP-39 for each length end in a checksum word.
    last = {15: "address", 18: "agent", 21: "admit"}[words]
    keys = WalletKeys("abandon " * (words - 1) + last)
    assert len(keys.phrase.split()) == words


def test_new_phrase_of_another_length_names_the_lengths() -> None:
    with pytest.raises(VaultError, match=r"12, 15, 18, 21 or 24 words .*13 was asked for"):
        new_phrase(13)


def test_repr_redacts_secrets() -> None:
    keys = WalletKeys(ABANDON)
    text = repr(keys) + str(keys)
    assert "abandon" not in text and ABANDON_ADDRESS in text
    assert keys.encryption_private.hex() not in text


def test_own_derivation_agrees_with_eth_account() -> None:
    from eth_account import Account

    Account.enable_unaudited_hdwallet_features()
    for phrase in (ABANDON, new_phrase(), new_phrase(24)):
        keys = WalletKeys(phrase)
        expected = Account.from_mnemonic(phrase, account_path="m/44'/60'/0'/0/0")
        assert keys.identity.address == expected.address == keys.account.address


def test_checksum_address_follows_eip55() -> None:
    from wallet.chain.values import Address as checksum_address

    # EIP-55's own examples
    for good in ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
                 "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"):
        assert checksum_address(good.lower()) == good == checksum_address(good)
    with pytest.raises(ValueError, match="checksum"):
        checksum_address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD")
    for bad in ("0x1234", "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0x" + "g" * 40, None):
        with pytest.raises(ValueError):
            checksum_address(bad)
