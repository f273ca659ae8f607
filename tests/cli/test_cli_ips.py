"""``health-wallet ips``: the patient summary written for a clinic, and read back."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.cli_runner import cli
from tests.conftest import FIXTURES
from wallet.records.ips import check_ips

CHET = next((FIXTURES / "synthea").glob("Chet_*.json"))


def test_ips_written_checked_and_imported_elsewhere(tmp_path: Path) -> None:
    home, other = tmp_path / "home", tmp_path / "other"
    assert cli(home, "init", "--json").code == 0
    out = tmp_path / "summary" / "ips.json"

    empty = cli(home, "ips", "--out", str(out))
    assert empty.code == 1 and "no Patient" in empty.stderr and "Traceback" not in empty.stderr
    assert not out.exists()

    assert cli(home, "import", str(CHET), "--json").code == 0
    run = cli(home, "ips", "--out", str(out), "--json")
    assert run.code == 0, run.stderr
    assert run.json == {"path": str(out), "sections": ["11450-4", "48765-2", "10160-0", "11348-0", "11369-6",
                                                       "30954-2", "47519-4", "8716-3"]}
    assert out.stat().st_mode & 0o777 == 0o600
    assert out.parent.stat().st_mode & 0o777 == 0o700  # the folder the wallet made for it
    bundle = json.loads(out.read_text("utf-8"))
    assert check_ips(bundle) == run.json["sections"]
    human = cli(home, "ips", "--out", str(out))
    assert human.code == 0 and "allergies" in human.stdout and "not encrypted" in human.stdout

    assert cli(other, "init", "--json").code == 0
    imported = cli(other, "import", str(out), "--json")
    assert imported.code == 0, imported.stderr
    assert "Composition" not in imported.json["imported"]
    assert sum(imported.json["imported"].values()) == len(bundle["entry"]) - 1
    again = cli(home, "import", str(out), "--json")  # the wallet it came from already holds it all
    assert again.json["imported"] == {"AllergyIntolerance": 1}  # only the "no information" statement is new

    folder = cli(home, "ips", "--out", str(tmp_path))
    assert folder.code == 1 and "folder" in folder.stderr
    nobody = cli(home, "ips", "--profile", "nobody", "--out", str(tmp_path / "n.json"))
    assert nobody.code == 1 and "No profile 'nobody'" in nobody.stderr and not (tmp_path / "n.json").exists()
