"""The CLI walk-through of init, status, import, records and show, end to end."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tests.cli.cli_runner import cli
from tests.conftest import ABANDON, ABANDON_ADDRESS, FIXTURES

SYNTHEA = sorted((FIXTURES / "synthea").glob("*.json"))
SYNTHEA = [p for p in SYNTHEA if p.name != "MANIFEST.json"]


def test_there_are_twelve_synthea_patients() -> None:
    assert len(SYNTHEA) == 12


@pytest.mark.parametrize("bundle", SYNTHEA, ids=lambda p: p.name[:20])
def test_synthea_patient_round_trip(tmp_path: Path, bundle: Path) -> None:
    home = tmp_path / "home"
    init = cli(home, "init", "--json")
    assert init.code == 0, init.stderr
    assert len(init.json["recovery_phrase"].split()) == 12

    doc = json.loads(bundle.read_text("utf-8"))
    expected = Counter(e["resource"]["resourceType"] for e in doc["entry"])
    imported = cli(home, "import", str(bundle), "--json")
    assert imported.code == 0, imported.stderr
    assert imported.json["imported"] == dict(expected)
    assert imported.json["skipped_duplicates"] == 0

    listed = cli(home, "records", "--json")
    assert listed.code == 0 and len(listed.json) == len(doc["entry"])
    assert {"id", "type", "date", "title"} <= set(listed.json[0])
    assert Counter(r["type"] for r in listed.json) == expected

    patient = next(r for r in listed.json if r["type"] == "Patient")
    shown = cli(home, "show", patient["id"], "--json")
    original = next(e["resource"] for e in doc["entry"] if e["resource"]["resourceType"] == "Patient")
    assert shown.code == 0 and shown.json == original

    # Nothing under the home holds the patient's name or any resource's plaintext.
    name = original["name"][0]
    needles = [name["family"], *name.get("given", []), original["id"], doc["entry"][1]["resource"]["id"]]
    needles = [n.encode("utf-8") for n in needles if len(n) >= 4]
    for path in home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for needle in needles:
                assert needle not in data, f"{needle!r} in {path.name}"

    again = cli(home, "import", str(bundle), "--json")
    assert again.json["imported"] == {} and again.json["skipped_duplicates"] == len(doc["entry"])


def test_restore_status_filters_and_errors(tmp_path: Path) -> None:
    home = tmp_path / "restored"
    restored = cli(home, "init", "--restore", "--json", stdin=ABANDON + "\n")
    assert restored.code == 0, restored.stderr
    assert restored.json["address"] == ABANDON_ADDRESS and "recovery_phrase" not in restored.json

    exists = cli(home, "init")
    assert exists.code == 1 and "already exists" in exists.stderr

    status = cli(home, "status", "--json", passphrase=None)
    # the record store is encrypted as a whole: without the passphrase its records are not counted
    assert status.code == 0 and status.json["address"] == ABANDON_ADDRESS and status.json["records"] is None
    assert cli(home, "status", "--json").json["records"] == 0
    assert {"chain", "ipfs"} <= set(status.json)

    bad = cli(home, "import", str(FIXTURES / "fhir-examples" / "Bundle-lipids.json"),
              str(FIXTURES / "invalid" / "fhir-duplicate-keys.json"), "--json")
    assert bad.code == 1
    assert bad.json["imported"] == {"DiagnosticReport": 1, "Observation": 4}
    assert "duplicate property" in bad.stderr and "Traceback" not in bad.stderr

    labs = cli(home, "records", "--type", "lab results", "--json")
    assert len(labs.json) == 5
    obs = cli(home, "records", "--type", "Observation", "--json")
    assert len(obs.json) == 4
    recent = cli(home, "records", "--since", "2011-01-01", "--json")
    assert [r["type"] for r in recent.json] == ["DiagnosticReport"]  # the observations carry no date

    wrong = cli(home, "records", passphrase="definitely wrong")
    assert wrong.code == 1 and wrong.stderr.strip() == "error: Wrong passphrase; nothing was changed."

    missing = cli(home, "show", "nope")
    assert missing.code == 1 and "No record nope" in missing.stderr

    no_pass = cli(home, "records", passphrase=None)
    assert no_pass.code == 1 and "HEALTH_WALLET_PASSPHRASE" in no_pass.stderr

    usage = cli(home, "records", "--bogus")
    assert usage.code == 2

    nowallet = cli(tmp_path / "empty", "records")
    assert nowallet.code == 1 and "health-wallet init" in nowallet.stderr


def test_status_with_a_wrong_passphrase_is_an_error(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert cli(home, "init").code == 0
    for _ in range(2):  # before and after the record store exists
        wrong = cli(home, "status", passphrase="nope")
        assert wrong.code == 1 and wrong.stdout == ""
        assert wrong.stderr.strip() == "error: Wrong passphrase; nothing was changed."
        assert cli(home, "import", str(FIXTURES / "fhir-examples" / "Bundle-lipids.json")).code == 0
    assert cli(home, "status", "--json").json["records"] == 5


def test_an_unknown_record_type_is_an_error_naming_the_known_ones(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert cli(home, "init").code == 0
    assert cli(home, "import", str(FIXTURES / "fhir-examples" / "Bundle-lipids.json")).code == 0
    unknown = cli(home, "records", "--type", "Nonsense")
    assert unknown.code == 1 and unknown.stdout == "" and len(unknown.stderr.strip().splitlines()) == 1
    assert "'Nonsense'" in unknown.stderr and "Lab results" in unknown.stderr and "Observation" in unknown.stderr
    assert len(cli(home, "records", "--type", "observation", "--json").json) == 4


def test_passphrase_change_and_file(tmp_path: Path) -> None:
    home = tmp_path / "h"
    assert cli(home, "init").code == 0
    new = tmp_path / "new-pass"
    new.write_text("a brand new passphrase\n")
    changed = cli(home, "passphrase", "--new-passphrase-file", str(new))
    assert changed.code == 0, changed.stderr
    assert cli(home, "records").code == 1
    assert cli(home, "records", "--passphrase-file", str(new), passphrase=None).code == 0
    # without a new passphrase given, the one in HEALTH_WALLET_PASSPHRASE is not taken as the new one
    same = cli(home, "passphrase", passphrase="a brand new passphrase")
    assert same.code == 1 and "--new-passphrase-file" in same.stderr and "changed" not in same.stdout


def test_config_set_and_env_override(tmp_path: Path) -> None:
    home = tmp_path / "h"
    assert cli(home, "init").code == 0
    assert cli(home, "config", "set", "chain.rpc", "http://127.0.0.1:8545").code == 0
    got = cli(home, "config", "get", "chain.rpc", "--json")
    assert got.json == {"chain.rpc": "http://127.0.0.1:8545"}
    env = cli(home, "config", "get", "chain.rpc", "--json", env={"HEALTH_WALLET_CHAIN_RPC": "http://127.0.0.1:9"})
    assert env.json == {"chain.rpc": "http://127.0.0.1:9"}
    bad = cli(home, "config", "set", "lock.idle_minutes", "soon")
    assert bad.code == 1 and "lock.idle_minutes" in bad.stderr


def test_status_counts_the_records_that_records_lists(tmp_path: Path) -> None:
    """The wallet's own Consents and AuditEvents (here: the export's) are bookkeeping, not records."""
    home = tmp_path / "home"
    assert cli(home, "init").code == 0
    assert cli(home, "import", str(SYNTHEA[0])).code == 0
    (tmp_path / "usb").mkdir()
    exported = cli(home, "export", "--to", str(tmp_path / "usb"))
    assert exported.code == 0, exported.stderr
    listed = cli(home, "records", "--json")
    trail = cli(home, "records", "--type", "AuditEvent", "--json")
    assert listed.code == trail.code == 0 and len(trail.json) == 1  # the export was noted
    status = cli(home, "status", "--json")
    assert status.code == 0, status.stderr
    assert status.json["records"] == len(listed.json) == len(json.loads(SYNTHEA[0].read_text("utf-8"))["entry"])
