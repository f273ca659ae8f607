"""One person per profile through the CLI: the owner, refusals naming both people,
``--profile``, ``profiles``, and exports that hold one person."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.cli_runner import cli
from tests.conftest import FIXTURES

SYNTHEA = FIXTURES / "synthea"
NED = SYNTHEA / "Ned_Hintz_e4b9259d-0f54-48d1-a35d-b526729a4dfe.json"
KERMIT = SYNTHEA / "Kermit_Trantow_f1a650a5-737e-4fd7-828e-03c3348b9524.json"
REALWORLD = FIXTURES / "realworld"
SAME_CARDS = REALWORLD / "shc-same-patient"
SPEC_ISS = "https://spec.smarthealth.cards/examples/issuer"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "parent"
    assert cli(home, "init").code == 0
    return home


def test_second_person_refused_then_kept_in_a_profile_of_their_own(home: Path, tmp_path: Path) -> None:
    first = cli(home, "import", str(NED))
    assert first.code == 0, first.stderr
    assert "this wallet now holds the record of Ned Hintz (born 1993-12-08)" in first.stderr

    refused = cli(home, "import", str(KERMIT), "--json")
    assert refused.code == 1
    (line,) = [ln for ln in refused.stderr.splitlines() if ln.startswith("error:")]
    assert "Kermit Trantow (born 1993-06-21)" in line and "Ned Hintz (born 1993-12-08)" in line
    assert "--profile NAME" in line and "--same-person" in line
    assert refused.json["errors"][0]["patient"] == "Kermit Trantow (born 1993-06-21)"
    assert refused.json["imported"] == {}

    child = cli(home, "import", str(KERMIT), "--profile", "child", "--json")
    assert child.code == 0, child.stderr
    assert child.json["files"][0]["profile"] == "child" and child.json["files"][0]["new_profile"] is True

    profiles = cli(home, "profiles", "--json")
    assert profiles.code == 0, profiles.stderr
    assert [(p["name"], p["patient"], p["records"]) for p in profiles.json] == [
        ("owner", "Ned Hintz (born 1993-12-08)", 71), ("child", "Kermit Trantow (born 1993-06-21)", 117)]

    mine = cli(home, "records", "--json").json
    theirs = cli(home, "records", "--profile", "child", "--type", "Patient", "--json").json
    assert len(mine) == 71 and {r["profile"] for r in mine} == {"owner"}
    assert [(r["title"], r["profile"]) for r in theirs] == [("Kermit Trantow", "child")]
    kid_id = theirs[0]["id"]
    assert cli(home, "show", kid_id).code == 1  # not the owner's record
    shown = cli(home, "show", kid_id, "--profile", "child", "--json")
    assert shown.code == 0 and shown.json["name"][0]["family"] == "Trantow"

    # Ned's record from another system: another name spelling, the same SSN
    doc = json.loads(NED.read_text("utf-8"))
    patient = next(e["resource"] for e in doc["entry"] if e["resource"]["resourceType"] == "Patient")
    patient["name"] = [{"family": "Hintz", "given": ["Edward"]}]
    copy = tmp_path / "ned-elsewhere.json"
    copy.write_text(json.dumps(doc))
    matched = cli(home, "import", str(copy), "--json")
    assert matched.code == 0, matched.stderr
    assert matched.json["files"][0]["matched_by"] == "identifier"
    assert matched.json["files"][0]["match_detail"] == "http://hl7.org/fhir/sid/us-ssn|999-32-7438"

    # each export holds one person only
    usb = tmp_path / "usb"
    usb.mkdir()
    exported = cli(home, "export", "--to", str(usb), "--profile", "child", "--json")
    assert exported.code == 0, exported.stderr
    bundle = json.loads((Path(exported.json["path"]) / "bundle.json").read_text("utf-8"))
    patients = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"]
    assert [p["name"][0]["family"] for p in patients] == ["Trantow"]
    assert sum(exported.json["resources"].values()) == 117


def test_cards_of_one_person_import_together_and_match_by_name_and_birth_date(home: Path) -> None:
    added = cli(home, "issuers", "add", SPEC_ISS, str(SAME_CARDS / "spec-jwks.json"), "--name", "spec examples")
    assert added.code == 0, added.stderr
    both = cli(home, "import", str(SAME_CARDS / "same-patient-two-cards.smart-health-card"), "--json")
    assert both.code == 0, both.stderr
    (result,) = both.json["files"]
    assert [c["status"] for c in result["cards"]] == ["valid", "valid"]
    assert result["patient"] == "John B. Anyperson (born 1951-01-20)"
    # a finding, not a fault: said as a note, never as a warning
    assert any("one person by name+birthDate" in n for n in result["notes"])
    assert not any("one person by" in w for w in result["warnings"])
    # the second card repeats the person and two doses (which differ only in meta.security):
    # repeated in the file, not already in the (empty) wallet; each dose is listed once
    assert result["repeated_in_file"] == result["skipped_duplicates"] == 3
    assert result["imported"] == {"Immunization": 3, "Patient": 1}
    alone = cli(home, "import", str(SAME_CARDS / "card-b-only.smart-health-card"), "--json")
    assert alone.code == 0 and alone.json["imported"] == {}  # the same records, already here
    assert alone.json["files"][0]["matched_by"] == "name+birthDate"
    # a card of someone else is refused, naming both
    other = cli(home, "import", str(FIXTURES / "smart-health-cards" / "hl7-ig-stu1-copy" /
                                    "example-03-e-file.smart-health-card"))
    assert other.code == 1 and "Johnny Revoked" in other.stderr and "John B. Anyperson" in other.stderr


def test_import_of_two_cards_of_one_person_reads_plainly(home: Path) -> None:
    assert cli(home, "issuers", "add", SPEC_ISS, str(SAME_CARDS / "spec-jwks.json")).code == 0
    both = cli(home, "import", str(SAME_CARDS / "same-patient-two-cards.smart-health-card"))
    assert both.code == 0, both.stderr
    assert "; 3 repeated in the file." in both.stdout and "already in the wallet" not in both.stdout
    assert "warning:" not in both.stderr and "one person by name+birthDate" in both.stderr
    again = cli(home, "import", str(SAME_CARDS / "card-b-only.smart-health-card"))
    assert again.stdout.startswith("Imported 0 records; ") and "already in the wallet." in again.stdout


def test_import_counts_in_the_singular_and_an_error_alone(home: Path, tmp_path: Path) -> None:
    one = tmp_path / "one.json"
    one.write_text(json.dumps({"resourceType": "Patient", "id": "p1", "name": [{"family": "Solo"}]}))
    single = cli(home, "import", str(one))
    assert single.code == 0 and single.stdout.startswith("Imported 1 record (Patient 1)."), single.stdout
    bad = cli(home, "import", str(FIXTURES / "invalid" / "fhir-duplicate-keys.json"))
    assert bad.code == 1 and bad.stdout == ""
    assert bad.stderr.strip().startswith("error: ") and len(bad.stderr.strip().splitlines()) == 1


def test_files_of_two_people_are_refused_whole(home: Path) -> None:
    many = REALWORLD / "one-file-many-patients"
    ndjson = cli(home, "import", str(many / "input-ndjson-two-patients.ndjson"))
    assert ndjson.code == 1 and "2 different patients" in ndjson.stderr
    assert "Patient/patient-one" in ndjson.stderr and "Patient/patient-two" in ndjson.stderr
    nested = cli(home, "import", str(many / "input-nested-bundles.json"))
    assert nested.code == 1 and "Sam Firstexample" in nested.stderr and "Sam Secondexample" in nested.stderr
    assert cli(home, "records", "--json").json == []
    assert cli(home, "profiles", "--json").json == [{"name": "owner", "patient": "nobody yet", "records": 0,
                                                     "owner": True}]


def test_status_counts_the_profile_records_lists_and_says_others_exist(home: Path) -> None:
    assert cli(home, "import", str(NED)).code == 0
    one = cli(home, "status")
    assert one.code == 0 and "Records   71\n" in one.stdout and "Profile" not in one.stdout
    assert cli(home, "import", str(KERMIT), "--profile", "child").code == 0

    status = cli(home, "status", "--json")
    assert status.code == 0, status.stderr
    listed = cli(home, "records", "--json").json
    assert status.json["profile"] == "owner" and status.json["profile_records"] == len(listed) == 71
    assert status.json["records"] == 71 + 117  # every profile's, as before
    assert status.json["profiles"] == [{"name": "owner", "records": 71}, {"name": "child", "records": 117}]

    human = cli(home, "status").stdout
    assert "Profile   owner (1 of 2; also child" in human
    assert "Records   71 in this profile (188 in the wallet)" in human

    child = cli(home, "status", "--profile", "child", "--json")
    assert child.json["profile"] == "child" and child.json["profile_records"] == 117
    assert "Profile   child (2 of 2; also owner" in cli(home, "status", "--profile", "child").stdout

    locked = cli(home, "status", "--json", passphrase=None)
    assert locked.code == 0 and locked.json["profile"] == "owner"
    assert locked.json["profile_records"] is None and locked.json["profiles"] is None
    assert "(encrypted; give the passphrase" in cli(home, "status", passphrase=None).stdout

    unknown = cli(home, "status", "--profile", "nobody")
    assert unknown.code == 1 and unknown.stderr.strip() == "error: No profile 'nobody'; this wallet has owner, child."
