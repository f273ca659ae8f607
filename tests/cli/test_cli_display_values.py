"""The records list shows Synthea's long decimals rounded and UCUM units readably, while
``show``, the JSON list and the signed export keep every value exactly as written."""

from __future__ import annotations

from pathlib import Path

from tests.cli.cli_runner import cli
from tests.conftest import FIXTURES

GUSTAVO = FIXTURES / "synthea" / "Gustavo_Mejía_59a8543c-e24f-4a01-b28b-47ccde6bc11d.json"
DECIMALS = FIXTURES / "realworld" / "decimal-precision" / "observation-decimals.json"
TEMPERATURE = "37.53169002566453"  # Observation 22721e85…, 2017-03-15, unit Cel
DIASTOLIC = "77.16203450373641"  # a blood pressure (Observation 5478e60e…), unit mm[Hg]


def test_the_list_is_readable_and_show_and_export_keep_the_value_as_written(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert cli(home, "init").code == 0
    assert cli(home, "import", str(GUSTAVO)).code == 0

    listed = cli(home, "records", "--type", "Vital signs")
    assert listed.code == 0, listed.stderr
    assert "37.53 °C" in listed.stdout and TEMPERATURE not in listed.stdout
    assert "/77.16 mmHg" in listed.stdout and DIASTOLIC not in listed.stdout
    assert "mm[Hg]" not in listed.stdout and " Cel" not in listed.stdout

    # the machine-readable list keeps the value and the UCUM code as written
    rows = cli(home, "records", "--type", "Vital signs", "--json").json
    temperature = next(r for r in rows if r["unit"] == "Cel" and str(r["value"]) == TEMPERATURE)
    shown = cli(home, "show", temperature["id"])
    assert shown.code == 0 and TEMPERATURE in shown.stdout and '"Cel"' in shown.stdout

    usb = tmp_path / "usb"
    usb.mkdir()
    exported = cli(home, "export", "--to", str(usb), "--json")
    assert exported.code == 0, exported.stderr
    written = "".join(p.read_text("utf-8") for p in Path(exported.json["path"]).rglob("*.json"))
    assert TEMPERATURE in written and DIASTOLIC in written and "mm[Hg]" in written


def test_a_value_written_with_few_decimals_is_listed_exactly_as_written(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert cli(home, "init").code == 0
    assert cli(home, "import", str(DECIMALS)).code == 0
    listed = cli(home, "records")
    assert listed.code == 0, listed.stderr
    assert "5.10 mmol/L (range 3.90–6.10 mmol/L)" in listed.stdout
