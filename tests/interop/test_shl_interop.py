"""SMART Health Links against an independent implementation, the npm package
``kill-the-clipboard`` (installed by ``npm install`` from package.json; nothing downloads here):
it opens links this wallet makes and serves with ``serve --shl``, and this wallet opens links
it makes and serves. Everything runs on loopback."""

from __future__ import annotations

import json
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.cli.cli_runner import cli
from tests.conftest import FIXTURES, PASSPHRASE, REPO

SCRIPT = Path(__file__).with_name("shl_interop.mjs")
CHET = next((FIXTURES / "synthea").glob("Chet_*.json"))
IPS_EXAMPLE = FIXTURES / "smart-health-links" / "hl7-ig-stu1" / "IPS_IG-bundle-01.json"


def node(*args: str) -> dict[str, Any]:
    assert (REPO / "node_modules" / "kill-the-clipboard").is_dir(), "run 'npm install' first"
    proc = subprocess.run(["node", str(SCRIPT), *args], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running(cmd: list[str], env: dict[str, str] | None = None) -> Iterator[tuple[subprocess.Popen[str], str]]:
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first, proc.stderr.read() if proc.stderr else ""
        yield proc, first
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def serve_env(home: Path) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("HEALTH_WALLET_")}
    env.update({"HEALTH_WALLET_UNSAFE_LIGHT_KDF": "1", "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
                "HEALTH_WALLET_PASSPHRASE": PASSPHRASE, "HEALTH_WALLET_CHAIN_DIR": str(home.parent / "chain")})
    return env


def test_kill_the_clipboard_opens_links_this_wallet_serves(tmp_path: Path) -> None:
    import sys

    home = tmp_path / "patient"
    assert cli(home, "init", "--json").code == 0
    assert cli(home, "import", str(CHET), "--json").code == 0
    port = free_port()
    base = f"http://127.0.0.1:{port}/shl"
    (tmp_path / "passcode").write_text("73 blue\n")
    made = {}
    for name, extra in {"P": ["--ips", "--passcode-file", str(tmp_path / "passcode"), "--expires", "1d"],
                        "L": ["--type", "Immunizations", "--long-term", "--label", "Shots"],
                        "U": ["--ips"]}.items():
        run = cli(home, "shl", "create", *extra, "--base-url", base, "--out", str(tmp_path / name), "--json")
        assert run.code == 0, run.stderr
        assert run.json["flags"] == name and run.json["url"].endswith("#" + run.json["shlink"])
        made[name] = run.json

    cmd = [sys.executable, "-m", "wallet", "--home", str(home), "serve", "--shl", f"127.0.0.1:{port}"]
    with running(cmd, serve_env(home)) as (_, first):
        assert f"127.0.0.1:{port}" in first
        ips = node("open", made["P"]["shlink"], "Dr. Interop", "73 blue")
        assert ips["bundles"] == ["document"] and ips["types"]["Composition"] == 1 and ips["types"]["Patient"] == 1
        assert node("open", made["P"]["shlink"], "Dr. Interop", "wrong")["error"] == "SHLInvalidPasscodeError"
        shots = node("open", made["L"]["shlink"], "Dr. Interop")
        assert shots["bundles"] == ["collection"] and set(shots["types"]) == {"Immunization"}
        direct = node("open", made["U"]["shlink"], "Dr. Interop")
        assert direct["bundles"] == ["document"]

        assert cli(home, "shl", "revoke", made["P"]["id"]).code == 0
        assert node("open", made["P"]["shlink"], "Dr. Interop", "73 blue")["error"] == "SHLManifestNotFoundError"
    listed = {d["id"]: d for d in cli(home, "shl", "list", "--json").json}
    assert listed[made["P"]["id"]]["accesses"] == 1 and listed[made["P"]["id"]]["revoked"] is True
    assert listed[made["L"]["id"]]["label"] == "Shots" and listed[made["L"]["id"]]["accesses"] == 1


def test_this_wallet_opens_links_kill_the_clipboard_serves(tmp_path: Path) -> None:
    home = tmp_path / "doctor"
    assert cli(home, "init", "--json").code == 0
    expected = sum(1 for e in json.loads(IPS_EXAMPLE.read_text())["entry"]) - 1  # the Composition stays out
    (tmp_path / "pc").write_text("open sesame")
    for flag in ("-", "L", "P"):
        cmd = ["node", str(SCRIPT), "serve", str(IPS_EXAMPLE), flag, "open sesame"]
        with running(cmd) as (_, first):
            shlink = json.loads(first)["shlink"]
            if flag == "P":
                refused = cli(home, "import", shlink)
                assert refused.code == 1 and "passcode" in refused.stderr
                wrong = cli(home, "import", shlink, "--passcode-file", str(tmp_path / "pc") + "-missing")
                assert wrong.code == 1 and "Cannot read" in wrong.stderr
            run = cli(home, "import", shlink, "--passcode-file", str(tmp_path / "pc"), "--json")
        assert run.code == 0, run.stderr
        total = sum(run.json["imported"].values())
        assert total + run.json["skipped_duplicates"] == expected
        assert total == (expected if flag == "-" else 0)
