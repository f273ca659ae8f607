"""Copies of the fixture homes (written by release 747f7c1) and the CLI pointed at them."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.cli.cli_runner import Run, cli

HOMES = Path(__file__).resolve().parents[1] / "fixtures" / "homes"
EXPECTED: dict[str, Any] = json.loads((HOMES / "expected.json").read_text("utf-8"))


@dataclass
class FixtureHomes:
    root: Path

    @property
    def chain_dir(self) -> Path:
        return self.root / "embedded-chain"

    def home(self, who: str) -> Path:
        return self.root / who

    def run(self, who: str, *args: str, **kw: Any) -> Run:
        env = {"HEALTH_WALLET_CHAIN_DIR": str(self.chain_dir), **kw.pop("env", {})}
        return cli(self.home(who), *args, env=env, passphrase=EXPECTED["passphrase"], **kw)


@pytest.fixture
def homes(tmp_path: Path) -> FixtureHomes:
    """A private copy of the patient's and the doctor's homes and their embedded chain."""
    root = tmp_path / "homes"
    shutil.copytree(HOMES, root)
    return FixtureHomes(root)
