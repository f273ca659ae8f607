"""The keystore and the settings file of the fixture homes (release 747f7c1) read through
their formats' upgrade steps; a file newer than this app is refused and left untouched."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.formats.conftest import EXPECTED, HOMES
from wallet.config import CONFIG_FILE, Config
from wallet.errors import ConfigError, VaultError
from wallet.vault.keystore import KEYSTORE_FILE, Keystore


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "patient"
    shutil.copytree(HOMES / "patient", home)
    return home


def test_release_keystore_unlocks_unchanged(home: Path) -> None:
    raw = (home / KEYSTORE_FILE).read_bytes()
    store = Keystore.load(home)
    assert store.identity.address == EXPECTED["patient"]["address"]
    keys = store.unlock(EXPECTED["passphrase"])
    assert keys.phrase == EXPECTED["patient"]["phrase"]
    assert (home / KEYSTORE_FILE).read_bytes() == raw  # at the current version: nothing rewritten


def test_release_settings_read_unchanged(home: Path) -> None:
    raw = (home / CONFIG_FILE).read_bytes()
    config = Config.load(home, environ={})
    for key, value in EXPECTED["patient"]["config"].items():
        assert str(config.get(key)) == value
    assert (home / CONFIG_FILE).read_bytes() == raw


def _bump(path: Path, version: object) -> bytes:
    doc = json.loads(path.read_text())
    doc["version"] = version
    path.write_text(json.dumps(doc))
    return path.read_bytes()


def test_newer_keystore_is_refused(home: Path) -> None:
    raw = _bump(home / KEYSTORE_FILE, 2)
    with pytest.raises(VaultError) as err:
        Keystore.load(home)
    assert "newer Health Wallet" in err.value.user_message and "keystore" in err.value.user_message
    assert (home / KEYSTORE_FILE).read_bytes() == raw


def test_newer_settings_are_refused(home: Path) -> None:
    raw = _bump(home / CONFIG_FILE, 2)
    with pytest.raises(ConfigError, match="newer Health Wallet"):
        Config.load(home, environ={})
    assert (home / CONFIG_FILE).read_bytes() == raw


@pytest.mark.parametrize("version", [0, None, "1.0"])
def test_unknown_versions_are_refused(home: Path, version: object) -> None:
    _bump(home / KEYSTORE_FILE, version)
    _bump(home / CONFIG_FILE, version)
    with pytest.raises(VaultError, match="unknown format version"):
        Keystore.load(home)
    with pytest.raises(ConfigError, match="unknown format version"):
        Config.load(home, environ={})


def test_newer_keystore_through_the_cli_is_one_line(home: Path) -> None:
    from tests.cli.cli_runner import cli

    _bump(home / KEYSTORE_FILE, 7)
    run = cli(home, "records")
    assert run.code == 1 and "Traceback" not in run.stderr
    assert run.stderr.count("\n") == 1 and "newer Health Wallet" in run.stderr
