"""Typed settings over the unchanged ``config.json`` format."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from wallet.config import EMBEDDED, SETTINGS, Config, Settings
from wallet.errors import ConfigError


def test_defaults_are_typed(tmp_path: Path) -> None:
    settings = Config.load(tmp_path, {}).settings
    assert settings == Settings(lock_idle_minutes=10, unlock_remember=False, ipfs_api=EMBEDDED, ipfs_swarm_port=0,
                                ipfs_mdns=True, ipfs_bootstrap=True, ipfs_peers=(), ipfs_loopback_only=False,
                                chain_rpc=EMBEDDED, chain_contract=None, chain_embedded_dir=None,
                                sharing_keep_after_close=True)
    assert {f.replace("_", ".", 1) for f in Settings.__dataclass_fields__} == set(SETTINGS)


def test_the_file_keeps_its_dotted_keys_and_reads_back_typed(tmp_path: Path) -> None:
    config = Config.load(tmp_path, {})
    config.set("ipfs.mdns", "off")
    config.set("ipfs.peers", "/ip4/10.0.0.2/tcp/4001/p2p/12D3KooWA, /dns4/keeper.example/tcp/4001/p2p/12D3KooWB")
    config.set("chain.contract", "0x5FbDB2315678afecb367f032d93F642f64180aa3")
    config.set("chain.embedded_dir", "~/chain")
    doc = json.loads((tmp_path / "config.json").read_text())
    assert doc == {"version": 1, "settings": {
        "chain.contract": "0x5FbDB2315678afecb367f032d93F642f64180aa3", "chain.embedded_dir": "~/chain",
        "ipfs.mdns": False,
        "ipfs.peers": ["/ip4/10.0.0.2/tcp/4001/p2p/12D3KooWA", "/dns4/keeper.example/tcp/4001/p2p/12D3KooWB"]}}
    settings = Config.load(tmp_path, {}).settings
    assert settings.ipfs_mdns is False and len(settings.ipfs_peers) == 2
    assert settings.chain_contract == "0x5FbDB2315678afecb367f032d93F642f64180aa3"
    assert settings.chain_embedded_dir == Path("~/chain").expanduser()


def test_the_environment_overrides_for_one_run(tmp_path: Path) -> None:
    Config.load(tmp_path, {}).set("ipfs.peers", "/ip4/10.0.0.2/tcp/4001")
    env = {"HEALTH_WALLET_CHAIN_RPC": "http://127.0.0.1:8545", "HEALTH_WALLET_IPFS_PEERS": "/ip4/10.0.0.3/tcp/4001"}
    settings = Config.load(tmp_path, env).settings
    assert settings.chain_rpc == "http://127.0.0.1:8545"
    assert settings.ipfs_peers == ("/ip4/10.0.0.2/tcp/4001", "/ip4/10.0.0.3/tcp/4001")


def test_a_wrongly_typed_value_is_named(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"version": 1, "settings": {"ipfs.swarm_port": "4001"}}))
    config = Config.load(tmp_path, {})
    with pytest.raises(ConfigError, match=r"'ipfs\.swarm_port' needs a value like 0"):
        config.settings  # noqa: B018
    config.set("ipfs.swarm_port", "4002")  # setting it again mends it
    assert config.settings.ipfs_swarm_port == 4002
    for key, bad in (("ipfs.peers", 5), ("unlock.remember", 1), ("lock.idle_minutes", "soon")):
        with pytest.raises(ConfigError, match=re.escape(key)):
            config.set(key, bad)
    assert json.loads((tmp_path / "config.json").read_text())["settings"] == {"ipfs.swarm_port": 4002}
    config.set("lock.idle_minutes", 2.5)
    assert config.settings.lock_idle_minutes == 2.5


def test_theme_and_text_size_settings_are_checked(tmp_path: Path) -> None:
    config = Config.load(tmp_path, environ={})
    assert config.settings.ui_theme == "system" and config.settings.ui_text_percent == 100
    config.set("ui.theme", "dark")
    config.set("ui.text_percent", "150")
    assert Config.load(tmp_path, environ={}).settings.ui_theme == "dark"
    assert Config.load(tmp_path, environ={}).settings.ui_text_percent == 150
    with pytest.raises(ConfigError, match="one of system, light, dark"):
        config.set("ui.theme", "blue")
    with pytest.raises(ConfigError, match="from 50 to 300"):
        config.set("ui.text_percent", 1000)
    assert Config.load(tmp_path, environ={}).settings.ui_theme == "dark"  # a refused value changes nothing


def test_preferences_read_a_hand_edited_value_as_the_default(tmp_path: Path) -> None:
    from wallet.app import build_app
    from wallet.services import Preferences

    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "config.json").write_text(json.dumps(
        {"version": 1, "settings": {"ui.theme": "purple", "ui.text_percent": 5, "lock.idle_minutes": 3}}))
    prefs = Preferences(build_app(tmp_path / "home", environ={"HOME": str(tmp_path)}))
    assert prefs.theme == "system" and prefs.text_percent == 100 and prefs.idle_minutes == 3
    assert prefs.set_text_percent(900) == 300  # kept within the range
