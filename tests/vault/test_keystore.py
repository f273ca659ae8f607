"""The keystore: sealed, atomic, 0600, wrong passphrase changes nothing."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tests.conftest import ABANDON, ABANDON_ADDRESS, PASSPHRASE
from wallet.errors import KeyringUnavailable, VaultError, WalletExists, WrongPassphrase
from wallet.vault.keys import WalletKeys
from wallet.vault.keystore import KEYSTORE_FILE, LIGHT_KDF, Keystore
from wallet.vault.remember import RememberedUnlock


def make(home: Path) -> Keystore:
    return Keystore.create(home, WalletKeys(ABANDON), PASSPHRASE, kdf=LIGHT_KDF)


def test_create_unlock_and_file_properties(tmp_path: Path) -> None:
    make(tmp_path)
    path = tmp_path / KEYSTORE_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert "abandon" not in text and ABANDON_ADDRESS in text
    doc = json.loads(text)
    assert doc["version"] == 1 and doc["kdf"]["name"] == "scrypt" and doc["kdf"]["n"] == LIGHT_KDF.n
    keys = Keystore.load(tmp_path).unlock(PASSPHRASE)
    assert keys.identity.address == ABANDON_ADDRESS
    with pytest.raises(WalletExists):
        make(tmp_path)


def test_wrong_passphrase_changes_nothing(tmp_path: Path) -> None:
    make(tmp_path)
    before = (tmp_path / KEYSTORE_FILE).read_bytes()
    with pytest.raises(WrongPassphrase):
        Keystore.load(tmp_path).unlock("not the passphrase")
    with pytest.raises(WrongPassphrase):
        Keystore.load(tmp_path).change_passphrase("not the passphrase", "a new passphrase")
    assert (tmp_path / KEYSTORE_FILE).read_bytes() == before


def test_change_passphrase(tmp_path: Path) -> None:
    make(tmp_path)
    Keystore.load(tmp_path).change_passphrase(PASSPHRASE, "another long passphrase")
    with pytest.raises(WrongPassphrase):
        Keystore.load(tmp_path).unlock(PASSPHRASE)
    assert Keystore.load(tmp_path).unlock("another long passphrase").identity.address == ABANDON_ADDRESS


def test_short_passphrase_refused(tmp_path: Path) -> None:
    with pytest.raises(VaultError, match="at least"):
        Keystore.create(tmp_path, WalletKeys(ABANDON), "short", kdf=LIGHT_KDF)
    assert not (tmp_path / KEYSTORE_FILE).exists()


def test_damaged_keystore_is_a_clear_error(tmp_path: Path) -> None:
    make(tmp_path)
    path = tmp_path / KEYSTORE_FILE
    doc = json.loads(path.read_text())
    doc["secrets"] = doc["secrets"][:-8] + "AAAAAAA="
    path.write_text(json.dumps(doc))
    with pytest.raises(VaultError):
        Keystore.load(tmp_path).unlock(PASSPHRASE)
    path.write_text("{not json")
    with pytest.raises(VaultError, match="unreadable"):
        Keystore.load(tmp_path)


def test_remembered_unlock_stores_no_passphrase_or_key(tmp_path: Path, memory_keyring) -> None:
    store = make(tmp_path)
    remembered = RememberedUnlock(tmp_path, backend=memory_keyring)
    remembered.enable(store, PASSPHRASE)
    stored = list(memory_keyring.items.values())
    assert len(stored) == 1 and PASSPHRASE not in stored[0]
    keys = WalletKeys(ABANDON)
    assert keys.account.key.hex() not in stored[0] and "abandon" not in stored[0]
    assert remembered.unlock(Keystore.load(tmp_path)).identity.address == ABANDON_ADDRESS
    # Half of the pair alone opens nothing: a new keystore slot without the keyring entry.
    memory_keyring.items.clear()
    assert remembered.unlock(Keystore.load(tmp_path)) is None
    remembered.forget(Keystore.load(tmp_path))
    assert not Keystore.load(tmp_path).has_remembered_slot


def test_insecure_keyring_backends_are_refused(tmp_path: Path) -> None:
    from keyring.backends import fail, null
    from keyrings.alt.file import PlaintextKeyring

    store = make(tmp_path)
    for backend in (fail.Keyring(), null.Keyring(), PlaintextKeyring()):
        import keyring

        keyring.set_keyring(backend)
        with pytest.raises(KeyringUnavailable):
            RememberedUnlock(tmp_path).enable(store, PASSPHRASE)
    assert not Keystore.load(tmp_path).has_remembered_slot
    assert not any(p.name.endswith(".cfg") for p in tmp_path.rglob("*"))


@pytest.mark.parametrize("damage, fragment", [
    (lambda d: d.pop("address"), "address"),
    (lambda d: d.update(address=42), "address"),
    (lambda d: d.pop("encryption_key"), "encryption_key"),
    (lambda d: d.pop("secrets"), "secrets"),
    (lambda d: d.update(slots=["x"]), "passphrase slot"),
    (lambda d: d["slots"].pop("passphrase"), "passphrase slot"),
    (lambda d: d["slots"].update(remembered=7), "passphrase slot"),
    (lambda d: d.pop("kdf"), "kdf"),
    (lambda d: d["kdf"].update(name="argon2id"), "kdf"),
    (lambda d: d["kdf"].update(salt="not base64!"), "salt is not base64"),
    (lambda d: d["kdf"].update(n="16384"), "integers"),
    (lambda d: d["kdf"].update(n=True), "integers"),
    (lambda d: d["kdf"].update(n=2**40), "beyond the caps"),
    (lambda d: d["kdf"].update(n=2**20, r=64), "beyond the caps"),
    (lambda d: d["kdf"].update(p=10**9), "beyond the caps"),
    (lambda d: d["kdf"].update(n=3000), "power of two"),
])
def test_keystore_fields_are_checked_on_load(tmp_path: Path, damage, fragment: str) -> None:
    from wallet.errors import KeystoreDamaged

    make(tmp_path)
    path = tmp_path / KEYSTORE_FILE
    doc = json.loads(path.read_text())
    damage(doc)
    path.write_text(json.dumps(doc))
    with pytest.raises(KeystoreDamaged) as info:
        Keystore.load(tmp_path)
    message = info.value.user_message
    assert fragment in message and len(message.splitlines()) == 1 and "init --restore" in message


def test_keystore_that_is_not_a_file(tmp_path: Path) -> None:
    from wallet.errors import KeystoreDamaged

    (tmp_path / KEYSTORE_FILE).mkdir()
    with pytest.raises(KeystoreDamaged, match="is a folder"):
        Keystore.load(tmp_path)


def test_default_kdf_is_within_the_caps() -> None:
    from wallet.vault.keystore import DEFAULT_KDF, MAX_SCRYPT_MEMORY

    assert 128 * DEFAULT_KDF.n * DEFAULT_KDF.r <= MAX_SCRYPT_MEMORY
