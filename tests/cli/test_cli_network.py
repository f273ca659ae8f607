"""`health-wallet network …` and `status` naming the network, end to end as a user runs them."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.chain.anvil_node import AnvilNode
from tests.cli.cli_runner import cli
from wallet.chain.canonical import canonical_address

BUILT_IN = {"embedded": None, "localhost": 31337, "gnosis": 100, "base": 8453, "optimism": 10,
            "arbitrum-one": 42161, "polygon": 137, "sepolia": 11155111, "chiado": 10200}


def _dead_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_network_profiles_round_trip(tmp_path: Path) -> None:
    home = tmp_path / "home"
    listed = cli(home, "network", "list", "--json")
    assert listed.code == 0, listed.stderr
    assert {r["name"]: r["chain_id"] for r in listed.json} == BUILT_IN
    assert [r["name"] for r in listed.json if r["active"]] == ["embedded"]
    assert all({"name", "chain_id", "rpc", "active"} <= set(r) for r in listed.json)
    assert next(r for r in listed.json if r["name"] == "localhost")["rpc"] == ["http://127.0.0.1:8545"]

    added = cli(home, "network", "add", "Clinic", "--chain-id", "4242", "--rpc", "http://10.0.0.2:8545",
                "--rpc", "https://backup.example/rpc", "--currency", "HLT", "--json")
    assert added.code == 0, added.stderr
    assert added.json["name"] == "clinic" and added.json["rpc"] == ["http://10.0.0.2:8545", "https://backup.example/rpc"]
    assert cli(home, "network", "use", "clinic").code == 0
    listed = cli(home, "network", "list", "--json").json
    assert [r["name"] for r in listed if r["active"]] == ["clinic"]

    override = cli(home, "network", "add", "gnosis", "--chain-id", "100", "--rpc", "https://my-node.example")
    assert override.code == 0, override.stderr
    gnosis = next(r for r in cli(home, "network", "list", "--json").json if r["name"] == "gnosis")
    assert gnosis["rpc"] == ["https://my-node.example"] and gnosis["currency"] == "xDAI"

    for args, words in [(("remove", "sepolia"), "built in"), (("use", "mainnet"), "no network named"),
                        (("add", "gnosis", "--chain-id", "5", "--rpc", "https://x.example"), "not its chain id"),
                        (("add", "x", "--chain-id", "7", "--rpc", "ftp://x.example"), "http(s)")]:
        before = (home / "networks.json").read_bytes()
        refused = cli(home, "network", *args)
        assert refused.code == 1 and words in refused.stderr, refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1 and "Traceback" not in refused.stderr
        assert (home / "networks.json").read_bytes() == before  # nothing changed

    assert cli(home, "network", "remove", "gnosis").code == 0  # the override goes; the profile stays
    removed = cli(home, "network", "remove", "clinic", "--json")
    assert removed.code == 0 and "embedded" in removed.json["note"]
    listed = cli(home, "network", "list", "--json").json
    assert "clinic" not in {r["name"] for r in listed} and [r["name"] for r in listed if r["active"]] == ["embedded"]
    assert next(r for r in listed if r["name"] == "gnosis")["rpc"][0] == "https://rpc.gnosischain.com"


def test_a_wallet_on_a_profile_finds_the_standard_contract_address(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert cli(home, "init", "--json").code == 0
    status = cli(home, "status", "--json")
    assert status.code == 0 and status.json["network"] == "embedded"
    assert status.json["chain"]["contract"] == canonical_address()

    with AnvilNode("--chain-id", "100") as node:
        assert cli(home, "network", "add", "testgnosis", "--chain-id", "100", "--rpc", _dead_url(),
                   "--rpc", node.url).code == 0
        assert cli(home, "network", "use", "testgnosis").code == 0
        status = cli(home, "status", "--json")
        assert status.code == 0, status.stderr
        assert status.json["network"] == "testgnosis"
        assert status.json["chain"]["chain_id"] == 100 and status.json["chain"]["contract"] is None
        assert "Network   testgnosis" in cli(home, "status").stdout

        node.rpc("anvil_setBalance", status.json["address"], hex(10**18))
        deployed = cli(home, "deploy-contract", "--json")
        assert deployed.code == 0, deployed.stderr
        assert deployed.json["address"] == canonical_address() and deployed.json["tx"].startswith("0x")
        assert "costs about" in deployed.stderr and "gas, paid in ETH" in deployed.stderr
        again = cli(home, "deploy-contract", "--json")
        assert again.code == 0 and again.json["tx"] is None
        assert cli(home, "status", "--json").json["chain"]["contract"] == canonical_address()

        assert cli(home, "network", "add", "wrongchain", "--chain-id", "10", "--rpc", node.url).code == 0
        use = cli(home, "network", "use", "wrongchain", "--json")
        assert use.code == 0 and use.json["cleared"] == ["chain.contract"]  # it named the other chain's contract
        status = cli(home, "status", "--json").json
        assert status["chain"]["reachable"] is False and "chain 100, not 10" in status["chain"]["error"]


def test_status_names_the_active_profile_whose_endpoint_fails(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert cli(home, "init").code == 0
    assert cli(home, "network", "add", "clinic", "--chain-id", "4242", "--rpc", _dead_url()).code == 0
    assert cli(home, "network", "use", "clinic").code == 0
    status = cli(home, "status", "--json")
    assert status.code == 0, status.stderr
    assert status.json["network"] == "clinic" and status.json["chain"]["rpc"] == "clinic"
    assert status.json["chain"]["reachable"] is False
    human = cli(home, "status").stdout
    line = next(x for x in human.splitlines() if x.startswith("Chain"))
    assert line.startswith("Chain     clinic: ") and "embedded" not in line
    assert ".;" not in line and ".." not in line  # one sentence per endpoint, one full stop
