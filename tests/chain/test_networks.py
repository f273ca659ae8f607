"""Network profiles: the shipped data, the home's override file, lookups by chain id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wallet.chain.networks import NETWORKS_FILE, NetworkBook, NetworkProfile, builtin_networks
from wallet.errors import ConfigError


def test_the_shipped_profiles() -> None:
    profiles = {p.name: p for p in builtin_networks()}
    assert {n: p.chain_id for n, p in profiles.items()} == {
        "embedded": None, "localhost": 31337, "gnosis": 100, "base": 8453, "optimism": 10, "arbitrum-one": 42161,
        "polygon": 137, "sepolia": 11155111, "chiado": 10200}
    assert profiles["localhost"].rpc == ("http://127.0.0.1:8545",)
    assert all(p.builtin for p in profiles.values())
    assert all(p.rpc and all(u.startswith("https://") for u in p.rpc)
               for p in profiles.values() if p.name not in ("embedded", "localhost"))
    assert {profiles[n].currency for n in ("gnosis", "chiado")} == {"xDAI"} and profiles["polygon"].currency == "POL"
    assert profiles["sepolia"].testnet and profiles["chiado"].testnet and not profiles["base"].testnet


def test_a_home_adds_overrides_and_finds_profiles_by_chain_id(tmp_path: Path) -> None:
    book = NetworkBook.load(tmp_path)
    assert book.active.is_embedded and not (tmp_path / NETWORKS_FILE).exists()
    book = book.add(NetworkProfile("my-gnosis", 100, ("https://my-node.example",), currency="xDAI"))
    book = book.add(NetworkProfile("gnosis", 100, ("https://other.example",)))
    assert [p.name for p in book.by_chain_id(100)] == ["gnosis", "my-gnosis"]  # the GUI asks which
    assert book.get("Gnosis").rpc == ("https://other.example",) and book.get("gnosis").currency == "xDAI"
    assert book.by_chain_id(424242) == []
    book = book.use("my-gnosis")
    again = NetworkBook.load(tmp_path)
    assert again.active.name == "my-gnosis" and again.get("gnosis").rpc == ("https://other.example",)
    doc = json.loads((tmp_path / NETWORKS_FILE).read_text())
    assert (doc["format"], doc["version"], doc["active"]) == ("health-wallet/networks", 1, "my-gnosis")


@pytest.mark.parametrize("kwargs", [
    {"name": "Bad Name", "chain_id": 1, "rpc": ("https://x.example",)},
    {"name": "x", "chain_id": 0, "rpc": ("https://x.example",)},
    {"name": "x", "chain_id": 1, "rpc": ()},
    {"name": "x", "chain_id": 1, "rpc": ("ws://x.example",)},
    {"name": "x", "chain_id": 1, "rpc": ("https://x.example",), "currency": "not a symbol!"},
    {"name": "embedded", "chain_id": 5, "rpc": ()},
])
def test_invalid_profiles_are_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        NetworkProfile(**kwargs)


@pytest.mark.parametrize("text", ["{", "[]", json.dumps({"format": "health-wallet/networks", "version": 99}),
                                  json.dumps({"format": "health-wallet/networks", "version": 1, "active": "nowhere"})])
def test_an_unreadable_home_file_is_named(tmp_path: Path, text: str) -> None:
    (tmp_path / NETWORKS_FILE).write_text(text)
    with pytest.raises(ConfigError) as info:
        NetworkBook.load(tmp_path)
    assert str(tmp_path / NETWORKS_FILE) in info.value.user_message and "\n" not in info.value.user_message
