"""A patient and a doctor (and a stranger) through the CLI: register, grant, open,
access logged, revoke, refused; expiry on anvil. Each command is its own process."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.cli.cli_runner import cli
from tests.conftest import LOOPBACK_IPFS
from tests.sharing.conftest import SMALL_PATIENT


def rpc(url: str, method: str, *params) -> object:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())["result"]


class People:
    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root, self.env = root, env

    def run(self, who: str, *args: str, **kw):
        return cli(self.root / who, *args, env={**self.env, **kw.pop("env", {})}, **kw)

    def create(self, who: str) -> str:
        assert self.run(who, "init").code == 0
        for key, value in LOOPBACK_IPFS.items():
            assert self.run(who, "config", "set", key, str(value).lower()).code == 0
        return self.run(who, "status", "--json").json["address"]


class Serving:
    """``health-wallet serve`` in the background, as a patient keeps the app open."""

    def __init__(self, people: People, who: str) -> None:
        import os

        env = {k: v for k, v in os.environ.items() if not k.startswith("HEALTH_WALLET_")}
        env.update({"HEALTH_WALLET_UNSAFE_LIGHT_KDF": "1", "HEALTH_WALLET_PASSPHRASE": "correct horse battery",
                    "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring", **people.env})
        self.proc = subprocess.Popen([sys.executable, "-m", "wallet", "--home", str(people.root / who), "serve"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        first = self.proc.stdout.readline()
        assert "Serving" in first, self.proc.stderr.read()
        self.addresses = [self.proc.stdout.readline().strip()]

    def stop(self) -> None:
        self.proc.terminate()
        assert self.proc.wait(timeout=30) == 0  # SIGTERM stops it cleanly


@pytest.fixture(params=["embedded", "anvil"])
def people(request, tmp_path: Path) -> People:
    if request.param == "anvil":
        url = request.getfixturevalue("anvil_url")
        deployer = People(tmp_path, {"HEALTH_WALLET_CHAIN_RPC": url})
        deployer.create("deployer")
        deployed = deployer.run("deployer", "deploy-contract", "--json")
        assert deployed.code == 0, deployed.stderr
        env = {"HEALTH_WALLET_CHAIN_RPC": url, "HEALTH_WALLET_CHAIN_CONTRACT": deployed.json["address"]}
        return People(tmp_path, env)
    return People(tmp_path, {"HEALTH_WALLET_CHAIN_DIR": str(tmp_path / "embedded-chain")})


def test_share_open_revoke_refused(people: People) -> None:
    people.create("patient")
    doctor = people.create("doctor")
    people.create("stranger")
    unregistered = people.create("unregistered")
    assert people.run("patient", "import", str(SMALL_PATIENT)).code == 0
    for who in ("doctor", "stranger"):
        reg = people.run(who, "register-key", "--json")
        assert reg.code == 0 and reg.json["registered"], reg.stderr

    refused = people.run("patient", "grant", "--to", unregistered, "--type", "Immunization", "--expires", "1d")
    assert refused.code == 1 and "encryption key" in refused.stderr
    assert people.run("patient", "records", "--type", "Consent", "--json").json == []

    granted = people.run("patient", "grant", "--to", doctor, "--type", "Immunization", "--expires", "7d",
                         "--name", "Dr Quinn", "--json")
    assert granted.code == 0, granted.stderr
    g = granted.json
    assert g["gas_used"] <= 60_000 and g["records"] == 8 and g["token"].startswith("hwshare:2:") and g["on_chain"]

    serving = Serving(people, "patient")
    try:
        opened = people.run("doctor", "open", g["token"], "--json")
        assert opened.code == 0, opened.stderr
        assert opened.json["records"] == {"Immunization": 7, "Patient": 1}
        assert opened.json["patient_name"] == "Ned Hintz"
        assert len(opened.json["bundle"]["entry"]) == 8

        stranger = people.run("stranger", "open", g["token"])
        assert stranger.code == 1 and "another wallet" in stranger.stderr
    finally:
        serving.stop()

    listed = people.run("patient", "grants", "--json").json
    expected = {"grant_id": g["grant_id"], "grantee": doctor, "name": "Dr Quinn", "status": "active",
                "expires_at": g["expires_at"], "accesses": 1, "cid": g["cid"]}
    assert listed == [expected]  # a grant on chain lists as before
    received = people.run("doctor", "grants", "--received", "--json").json
    assert received[0]["grant_id"] == g["grant_id"] and received[0]["accesses"] == 1
    log = people.run("patient", "audit", "--json").json
    assert {"granted", "accessed"} <= {e["event"] for e in log if e["source"] == "chain"}

    not_patient = people.run("doctor", "revoke", g["grant_id"])
    assert not_patient.code == 1 and "Only the patient" in not_patient.stderr
    revoked = people.run("patient", "revoke", g["grant_id"], "--json")
    assert revoked.code == 0 and revoked.json["gas_used"] <= 35_000
    after = people.run("doctor", "open", g["grant_id"])
    assert after.code == 1 and "revoked" in after.stderr
    assert people.run("patient", "grants", "--json").json[0]["status"] == "revoked"


def test_expiry_on_anvil(tmp_path: Path, anvil_url: str) -> None:
    base = People(tmp_path, {"HEALTH_WALLET_CHAIN_RPC": anvil_url})
    base.create("deployer")
    contract = base.run("deployer", "deploy-contract", "--json").json["address"]
    people = People(tmp_path, {"HEALTH_WALLET_CHAIN_RPC": anvil_url, "HEALTH_WALLET_CHAIN_CONTRACT": contract})
    people.create("patient")
    doctor = people.create("doctor")
    assert people.run("patient", "import", str(SMALL_PATIENT)).code == 0
    assert people.run("doctor", "register-key").code == 0
    g = people.run("patient", "grant", "--to", doctor, "--type", "Condition", "--expires", "1h", "--json").json
    rpc(anvil_url, "evm_increaseTime", 3601)
    rpc(anvil_url, "evm_mine")
    expired = people.run("doctor", "open", g["grant_id"])
    assert expired.code == 1 and "expired" in expired.stderr
    assert people.run("patient", "grants", "--json").json[0]["status"] == "expired"


def test_chain_down_is_a_clear_error(tmp_path: Path) -> None:
    people = People(tmp_path, {"HEALTH_WALLET_CHAIN_RPC": "http://127.0.0.1:9"})
    people.create("patient")
    assert people.run("patient", "import", str(SMALL_PATIENT)).code == 0
    run = people.run("patient", "grant", "--to", "0x" + "ab" * 20, "--type", "Condition", "--expires", "1d")
    assert run.code == 1 and "Traceback" not in run.stderr and run.stderr.startswith("error: ")
    assert people.run("patient", "records", "--type", "Consent", "--json").json == []
