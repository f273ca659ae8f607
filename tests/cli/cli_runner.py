"""Run ``health-wallet`` as a user would: a separate process, a temporary home."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import PASSPHRASE


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)


def cli(home: Path, *args: str, passphrase: str | None = PASSPHRASE, stdin: str | None = None,
        env: dict[str, str] | None = None, timeout: float = 300) -> Run:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HEALTH_WALLET_")}
    environ.update({"HEALTH_WALLET_UNSAFE_LIGHT_KDF": "1", "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
                    # homes of one test share one embedded chain, never the user's own
                    "HEALTH_WALLET_CHAIN_DIR": str(Path(home).parent / "embedded-chain")})
    if passphrase is not None:
        environ["HEALTH_WALLET_PASSPHRASE"] = passphrase
    environ.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "wallet", "--home", str(home), *args], input=stdin,
                          capture_output=True, text=True, env=environ, timeout=timeout)
    return Run(proc.returncode, proc.stdout, proc.stderr)
