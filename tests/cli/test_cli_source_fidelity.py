"""Records stay true to their source, through the CLI as a user runs it: numbers exactly as
written, comparators, versions and the kinds of bundle, instants, and links in exports."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from tests.cli.cli_runner import cli
from tests.conftest import FIXTURES

REAL = FIXTURES / "realworld"


def _exact(text: str):
    return json.loads(text, parse_float=Decimal)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    assert cli(home, "init", "--json").code == 0
    return home


def test_decimals_survive_import_show_export_and_what_is_signed(home: Path, tmp_path: Path) -> None:
    source = REAL / "decimal-precision" / "observation-decimals.json"
    assert cli(home, "import", str(source), "--json").code == 0
    (row,) = cli(home, "records", "--json").json
    assert row["detail"] == "5.10 mmol/L (range 3.90–6.10 mmol/L)"
    listed = _exact(cli(home, "records", "--json").stdout)[0]
    assert str(listed["value"]) == "5.10" and listed["unit"] == "mmol/L" and listed["comparator"] is None
    assert listed["instant"] == "2021-03-02T04:30:00Z"
    shown = cli(home, "show", row["id"], "--json")
    assert _exact(shown.stdout) == _exact(source.read_text())
    for written in ('"value": 5.10', '"value": 3.90', '"value": 6.10', '"valueDecimal": 0.12345678901234567890123'):
        assert written in shown.stdout
    human = cli(home, "show", row["id"]).stdout
    assert '"value": 5.10' in human and "0.12345678901234567890123" in human

    exported = cli(home, "export", "--to", str(tmp_path), "--json")
    assert exported.code == 0, exported.stderr
    folder = Path(exported.json["path"])
    bundle_text = (folder / "bundle.json").read_text()
    assert '"value":5.10' in bundle_text and '"valueDecimal":0.12345678901234567890123' in bundle_text
    verified = cli(home, "verify", str(folder), "--json")
    assert verified.json["valid"] and verified.json["signature_form"] == "rfc8785-exact-decimals"

    edited = tmp_path / "edited"
    shutil.copytree(folder, edited)
    (edited / "bundle.json").write_text(bundle_text.replace('"value":5.10', '"value":5.1'))
    refused = cli(home, "verify", str(edited), "--json")
    assert refused.code == 1 and not refused.json["valid"] and "bundle.json" in refused.json["reason"]


def test_numbers_a_valid_file_may_carry_survive_or_are_refused_at_import(home: Path, tmp_path: Path) -> None:
    source = (REAL / "decimal-precision" / "observation-decimals.json").read_text()
    obs = json.loads(source)
    huge = "123456789012345678901234567890.123456789012345678901234567890"
    text = source.replace('"valueDecimal":0.12345678901234567890123', f'"valueDecimal":{huge}')
    text = text.replace('"value":5.10,', '"value":1e2,').replace('"value":3.90,', '"value":4000000000000000000001,')
    assert text.count(huge) == 1 and "1e2" in text and "4000000000000000000001" in text
    path = tmp_path / "big.json"
    path.write_text(text)
    assert cli(home, "import", str(path), "--json").code == 0
    (row,) = cli(home, "records", "--json").json
    shown = cli(home, "show", row["id"], "--json").stdout
    assert huge in shown and '"value": 1E+2' in shown and '"value": 4000000000000000000001' in shown
    exported = cli(home, "export", "--to", str(tmp_path), "--json")
    assert exported.code == 0, exported.stderr
    assert cli(home, "verify", exported.json["path"], "--json").json["valid"]

    too_big = tmp_path / "too-big.json"
    too_big.write_text(json.dumps({**obs, "id": "int", "valueInteger": 10**40}).replace('"valueQuantity"', '"note0"'))
    refused = cli(home, "import", str(too_big), "--json")
    (error,) = refused.json["errors"]
    assert refused.code == 1 and "valueInteger" in error["error"]


def test_a_comparator_shows_with_its_value(home: Path) -> None:
    assert cli(home, "import", str(REAL / "comparator-range-units" / "less-than.json")).code == 0
    (row,) = _exact(cli(home, "records", "--json").stdout)
    assert row["detail"].startswith("< 5 mg/dL") and row["comparator"] == "<" and row["value"] == 5
    assert "< 5 mg/dL" in cli(home, "records").stdout


def test_history_bundle_versions_and_deletions(home: Path, tmp_path: Path) -> None:
    first = cli(home, "import", str(REAL / "history-bundle" / "history-bundle.json"), "--json")
    assert first.code == 0 and first.json["imported"] == {"Observation": 1}
    assert first.json["files"][0]["history_kept"] == 1
    assert first.json["warnings"] == [
        "history-bundle.json: entry[2]: Observation/old-2 was deleted at the source; the wallet does not hold it"]
    (row,) = cli(home, "records", "--json").json
    history = _exact(cli(home, "show", row["id"], "--history", "--json").stdout)
    assert history["current"]["meta"]["versionId"] == "2" and str(history["current"]["valueQuantity"]["value"]) == "5.4"
    assert [v["meta"]["versionId"] for v in history["history"]] == ["1"] and history["deleted"] is False
    again = cli(tmp_path / "again", "init", "--json")  # the words, in a home of its own
    assert again.code == 0
    said = cli(tmp_path / "again", "import", str(REAL / "history-bundle" / "history-bundle.json")).stdout
    assert "1 earlier version kept as history" in said and "versions kept" not in said
    assert "earlier version 1 of 1" in cli(home, "show", row["id"], "--history").stdout

    deletion = {"resourceType": "Bundle", "type": "history", "entry": [
        {"fullUrl": "http://example.org/fhir/Observation/bp-1",
         "request": {"method": "DELETE", "url": "Observation/bp-1"},
         "response": {"status": "200", "lastModified": "2024-03-05T09:00:00Z"}}]}
    path = tmp_path / "deleted.json"
    path.write_text(json.dumps(deletion))
    assert cli(home, "import", str(path), "--json").json["files"][0]["deleted"] == 1
    assert cli(home, "records", "--json").json == []
    kept = cli(home, "show", row["id"], "--history", "--json").json
    assert kept["deleted"] is True and kept["current"]["id"] == "bp-1" and len(kept["history"]) == 1


def test_searchset_outcomes_and_more_pages_are_warnings(home: Path) -> None:
    result = cli(home, "import", str(REAL / "searchset-outcome" / "searchset-outcome.json"), "--json")
    assert result.code == 0 and result.json["imported"] == {"Observation": 1, "Organization": 1}
    assert any("this is page 1 of a longer result" in w for w in result.json["warnings"])
    assert any("restricted them" in w for w in result.json["warnings"])
    assert {r["type"] for r in cli(home, "records", "--json").json} == {"Observation", "Organization"}
    assert "this is page 1 of a longer result" in cli(home, "import", str(REAL / "searchset-outcome" /
                                                                           "searchset-outcome.json")).stderr


def test_records_are_ordered_and_filtered_by_instant(home: Path) -> None:
    assert cli(home, "import", str(REAL / "timezone-order" / "tz-observations.ndjson")).code == 0
    rows = cli(home, "records", "--json").json
    assert [r["title"][11] for r in rows] == ["A", "C", "B", "D"]
    assert [r["instant"] for r in rows] == ["2024-03-10T04:30:00Z", "2024-03-10T02:00:00Z",
                                            "2024-03-09T23:00:00Z", "2024-03-01T00:00:00Z"]
    since = cli(home, "records", "--since", "2024-03-10", "--json", env={"TZ": "UTC"}).json  # the local day, in UTC
    assert [r["title"][11] for r in since] == ["A", "C", "D"]
    wrong = cli(home, "records", "--since", "yesterday")
    assert wrong.code == 1 and "not a date" in wrong.stderr and "Traceback" not in wrong.stderr


@pytest.mark.parametrize("name", ["collection-uuid-refs.json", "searchset-relative-refs.json"])
def test_links_resolve_in_the_signed_export(home: Path, tmp_path: Path, name: str) -> None:
    assert cli(home, "import", str(REAL / "export-links" / name)).code == 0
    exported = cli(home, "export", "--to", str(tmp_path), "--json")
    assert exported.code == 0, exported.stderr
    bundle = json.loads((Path(exported.json["path"]) / "bundle.json").read_text())
    urls = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    obs = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation")
    ref = obs["resource"]["subject"]["reference"]
    target = urls.get(ref) or urls.get(obs["fullUrl"].rsplit("/", 2)[0] + "/" + ref)
    assert target is not None and target["id"] == "p1"
    assert cli(home, "verify", exported.json["path"], "--json").json["valid"]


@pytest.mark.parametrize("name", ["collection-uuid-refs.json", "searchset-relative-refs.json"])
def test_a_selection_exported_takes_its_person_along(home: Path, tmp_path: Path, name: str) -> None:
    """An export of chosen records resolves their subject inside the export, as a share does."""
    assert cli(home, "import", str(REAL / "export-links" / name)).code == 0
    (obs_row,) = [r for r in cli(home, "records", "--json").json if r["type"] == "Observation"]
    exported = cli(home, "export", "--to", str(tmp_path), "--ids", obs_row["id"], "--json")
    assert exported.code == 0, exported.stderr
    bundle = json.loads((Path(exported.json["path"]) / "bundle.json").read_text())
    assert sorted(e["resource"]["resourceType"] for e in bundle["entry"]) == ["Observation", "Patient"]
    urls = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    obs = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation")
    ref = obs["resource"]["subject"]["reference"]
    target = urls.get(ref) or urls.get(obs["fullUrl"].rsplit("/", 2)[0] + "/" + ref)
    assert target is not None and target["id"] == "p1"
    assert cli(home, "verify", exported.json["path"], "--json").json["resources"] == {"Observation": 1, "Patient": 1}
