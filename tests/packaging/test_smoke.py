"""The installation smoke test (wallet/gui/smoke.py), run from source the way the frozen
``health-wallet-smoke`` runs it: a separate process, offscreen, real embedded nodes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from wallet.gui.smoke import SMOKE_ENV, smoke_requested

REPO = Path(__file__).resolve().parents[2]
CHECKS = ("bundled files", "FHIR models", "theme", "first-run wizard", "main window", "About dialog",
          "embedded IPFS node", "embedded chain")


def run(tmp_path: Path, *args: str, code: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEALTH_WALLET_")}
    env.update({"QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path), "TMPDIR": str(tmp_path), SMOKE_ENV: "1"})
    command = [sys.executable, "-c", code] if code else [sys.executable, str(REPO / "packaging" / "smoke.py"), *args]
    return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)


def test_smoke_requested_only_by_the_variable() -> None:
    assert smoke_requested({SMOKE_ENV: "1"})
    assert not smoke_requested({SMOKE_ENV: "0"})
    assert not smoke_requested({})


def test_every_check_passes_on_a_working_installation(tmp_path: Path) -> None:
    result = run(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    for check in CHECKS:
        assert any(line.startswith(f"ok   {check} (") for line in lines), f"{check}:\n{result.stdout}"
    assert lines[-1].startswith("smoke test passed in ")
    assert any(line.startswith("ok   About dialog") and line.endswith(": Kubo 0.22.0") for line in lines)
    # the throw-away wallet folders are gone, nothing was written to the user's folders
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_failing_check_fails_the_run_and_the_others_still_run(tmp_path: Path) -> None:
    code = (
        "import sys, wallet.gui, wallet.gui.about as about\n"
        "about.component_versions = lambda: [('Health Wallet', '0.1.0'), ('web3', 'not installed')]\n"
        "from wallet.gui.smoke import run_smoke\n"
        "sys.exit(run_smoke(network=False))\n"
    )
    result = run(tmp_path, code=code)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAIL About dialog: web3:" in result.stdout
    assert "ok   main window" in result.stdout
    assert "embedded IPFS node" not in result.stdout  # network=False
    assert result.stdout.splitlines()[-1].startswith("smoke test FAILED (1 of the checks: About dialog)")
