"""``init`` never loses the recovery phrase: a wallet whose phrase was never shown says
so and shows it once after the passphrase; a half-made home says what to do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.cli_runner import cli
from tests.conftest import ABANDON, ABANDON_ADDRESS, PASSPHRASE
from wallet.vault.keys import WalletKeys


def init_with_stdout_closed(home: Path) -> int:
    """``init`` whose output goes nowhere (the terminal died, ``| head -0``): it stops after
    the keystore is written, before the phrase was seen by anyone."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEALTH_WALLET_")}
    env.update({"HEALTH_WALLET_UNSAFE_LIGHT_KDF": "1", "HEALTH_WALLET_PASSPHRASE": PASSPHRASE,
                "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
                "HEALTH_WALLET_CHAIN_DIR": str(home.parent / "embedded-chain")})
    proc = subprocess.Popen([sys.executable, "-m", "wallet", "--home", str(home), "init"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert proc.stdout is not None
    proc.stdout.close()
    return proc.wait(timeout=120)


def test_init_that_stops_before_showing_the_phrase_shows_it_once_later(tmp_path: Path) -> None:
    home = tmp_path / "home"
    init_with_stdout_closed(home)
    assert (home / "keystore.json").exists() and (home / "records.sqlite3").exists()

    status = cli(home, "status", "--json", passphrase=None)
    assert status.code == 0 and status.json["phrase_shown"] is False
    human = cli(home, "status", passphrase=None)
    assert "NEVER SHOWN" in human.stdout and "show-phrase" in human.stdout

    again = cli(home, "init")
    assert again.code == 1 and "never shown" in again.stderr and "health-wallet show-phrase" in again.stderr
    records = cli(home, "records", "--json")
    assert records.code == 0 and records.json == []
    assert "never shown" in records.stderr and "show-phrase" in records.stderr

    wrong = cli(home, "show-phrase", passphrase="not the passphrase")
    assert wrong.code == 1 and "Wrong passphrase" in wrong.stderr
    assert cli(home, "status", "--json", passphrase=None).json["phrase_shown"] is False

    shown = cli(home, "show-phrase", "--json")
    assert shown.code == 0, shown.stderr
    phrase = shown.json["recovery_phrase"]
    assert WalletKeys(phrase).identity.address == status.json["address"] == shown.json["address"]
    assert cli(home, "status", "--json", passphrase=None).json["phrase_shown"] is True
    quiet = cli(home, "records")
    assert quiet.code == 0 and "never shown" not in quiet.stderr


def test_a_completed_init_marks_the_phrase_shown(tmp_path: Path) -> None:
    home = tmp_path / "home"
    init = cli(home, "init", "--words", "18", "--json")
    assert init.code == 0, init.stderr
    assert len(init.json["recovery_phrase"].split()) == 18
    assert cli(home, "status", "--json", passphrase=None).json["phrase_shown"] is True
    exists = cli(home, "init")
    assert exists.code == 1 and "already exists" in exists.stderr


def test_init_on_a_store_without_keystore_says_what_to_do_and_writes_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert cli(home, "init", "--restore", stdin=ABANDON + "\n").code == 0
    (home / "keystore.json").unlink()  # as a set-up that stopped before its keystore leaves the home
    made = cli(home, "init")
    assert made.code == 1 and "init --restore" in made.stderr and "records.sqlite3" in made.stderr
    assert not (home / "keystore.json").exists()

    other = cli(home, "init", "--restore", stdin="legal winner thank year wave sausage worth useful legal winner "
                                                  "thank yellow\n")
    assert other.code == 1 and "another wallet" in other.stderr
    assert not (home / "keystore.json").exists()  # refused before anything was written

    restored = cli(home, "init", "--restore", "--json", stdin=ABANDON + "\n")
    assert restored.code == 0 and restored.json["address"] == ABANDON_ADDRESS


@pytest.mark.parametrize("words", [11, 13, 25])
def test_a_recovery_phrase_of_the_wrong_length_names_the_bip39_lengths(tmp_path: Path, words: int) -> None:
    phrase = " ".join(["abandon"] * words)
    run = cli(tmp_path / "home", "init", "--restore", stdin=phrase + "\n")
    assert run.code == 1
    assert run.stderr.strip() == (f"error: A recovery phrase has 12, 15, 18, 21 or 24 words (BIP-39); "
                                  f"this one has {words} words.")
    assert not (tmp_path / "home" / "keystore.json").exists()
