"""The committed contract artefact matches its source and the pinned compiler."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from wallet.chain.contract import load_artefact

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO / "wallet" / "chain" / "contracts" / "HealthGrants.sol"
ARTEFACT = REPO / "wallet" / "chain" / "contracts" / "HealthGrants.json"
NAIVE = REPO / "benchmarks" / "NaiveGrants.json"


def _package() -> dict:
    return json.loads((REPO / "package.json").read_text())


def test_artefact_was_built_from_this_source() -> None:
    doc = json.loads(ARTEFACT.read_text())
    text = SOURCE.read_text("utf-8").replace("\r\n", "\n")
    assert doc["sourceSha256"] == hashlib.sha256(text.encode()).hexdigest(), \
        "HealthGrants.sol changed: run `node scripts/build_contract.mjs`"


def test_compiler_and_node_are_pinned_exactly() -> None:
    dev = _package()["devDependencies"]
    assert set(dev) >= {"solc", "@foundry-rs/anvil"}
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", version) for version in dev.values()), dev
    lock = json.loads((REPO / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/solc"]["version"] == dev["solc"]
    assert lock["packages"]["node_modules/@foundry-rs/anvil"]["version"] == dev["@foundry-rs/anvil"]
    doc = json.loads(ARTEFACT.read_text())
    assert doc["compiler"]["version"].startswith(dev["solc"] + "+")
    assert doc["settings"]["optimizer"]["enabled"] is True


def test_artefact_loads_as_package_data() -> None:
    artefact = load_artefact()
    names = {item.get("name") for item in artefact.abi}
    assert {"registerKey", "grant", "revoke", "isActive", "recordAccess", "grantOf", "publishBackup",
            "Granted", "Revoked", "Accessed", "Backup", "KeyRegistered", "GrantNotActive"} <= names
    assert len(artefact.errors) == 12
    package_data = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "contracts/*.json" in package_data["wallet.chain"]


@pytest.mark.parametrize("name, path", [("HealthGrants", ARTEFACT), ("NaiveGrants", NAIVE)])
def test_recompiling_gives_the_committed_artefact(name: str, path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed; the artefact is checked against its source hash only")
    if not (REPO / "node_modules" / "solc").is_dir():
        pytest.fail("the pinned solc is not installed: run `npm ci` in the repository", pytrace=False)
    built = subprocess.run([node, str(REPO / "scripts" / "build_contract.mjs"), "--print", name],
                           capture_output=True, text=True, timeout=120, check=True).stdout
    assert built == path.read_text(), f"{path.name} is stale: run `node scripts/build_contract.mjs`"
