"""Health cards through the CLI on a fresh wallet: forged cards are refused although their
issuer is unknown, and a directory issuer's card verifies offline."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.cli.cli_runner import cli
from tests.conftest import FIXTURES
from tests.share.test_vci_directory import snapshot_with_spec_issuer

SHC = FIXTURES / "smart-health-cards"
INVALID = FIXTURES / "invalid"
VCI = FIXTURES / "vci-directory"
FORGED = ["shc-jws-tampered-payload.txt", "shc-jws-tampered-signature.txt", "shc-jws-unknown-kid.txt",
          "shc-signed-iss-mismatch.txt"]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("cards") / "patient"
    assert cli(home, "init").code == 0
    return home


def test_forged_cards_of_unknown_issuers_are_refused_and_nothing_is_imported(home: Path, tmp_path: Path) -> None:
    paths = []
    for name in FORGED:  # also as .smart-health-card files, the form a patient downloads
        card = tmp_path / f"{name}.smart-health-card"
        card.write_text(json.dumps({"verifiableCredential": [(INVALID / name).read_text().strip()]}))
        paths += [INVALID / name, card]
    run = cli(home, "import", *map(str, paths), "--json")
    assert run.code == 1
    assert run.json["imported"] == {} and len(run.json["errors"]) == len(paths)
    for error in run.json["errors"]:
        assert "refused" in error["error"] and "\n" not in error["error"]
    assert "Traceback" not in run.stderr
    assert cli(home, "records", "--json").json == []


def test_an_intact_card_of_an_unknown_issuer_imports_as_unverified(tmp_path: Path) -> None:
    home = tmp_path / "patient"
    assert cli(home, "init").code == 0
    run = cli(home, "import", str(SHC / "example-00-e-file.smart-health-card"), "--json")
    assert run.code == 0, run.stderr
    assert run.json["files"][0]["cards"] == [{"issuer": "https://spec.smarthealth.cards/examples/issuer",
                                              "status": "unverified"}]
    assert "intact" in run.stderr


def test_the_directory_is_trusted_by_default_and_a_newer_one_verifies_its_issuers_cards(tmp_path: Path) -> None:
    home = tmp_path / "patient"
    assert cli(home, "init").code == 0
    assert cli(home, "issuers", "list", "--json").json == []  # none added by the user
    listed = cli(home, "issuers", "list", "--all", "--json")
    assert listed.code == 0 and len(listed.json) > 600
    assert {"iss": "https://myvaccinerecord.cdph.ca.gov/creds", "name": "State of California",
            "source": "VCI directory"} in listed.json
    human = cli(home, "issuers", "list")
    assert "issuers of the VCI directory of 2026-08-22" in human.stdout
    assert "VCI Directory, The Commons Project" in human.stdout and "CC BY 4.0" in human.stdout

    newer = tmp_path / "vci_snapshot.json"
    newer.write_bytes(snapshot_with_spec_issuer())
    installed = cli(home, "issuers", "trust-directory", str(newer), "--json")
    assert installed.code == 0, installed.stderr
    assert installed.json["directory"]["signature"] == "absent"
    assert installed.json["directory"]["time"] == "2026-10-01T00:00:00+00:00"

    run = cli(home, "import", str(SHC / "example-00-e-file.smart-health-card"), "--json")
    assert run.code == 0, run.stderr
    assert run.json["files"][0]["cards"] == [{"issuer": "Example Vaccination Issuer", "status": "valid"}]
    revoked = cli(home, "import", str(SHC / "example-03-e-file.smart-health-card"))
    assert revoked.code == 1 and "revoked" in revoked.stderr

    older = cli(home, "issuers", "trust-directory", str(VCI / "vci_snapshot.json"))
    assert older.code == 1 and "older than the one in use" in older.stderr and "nothing was changed" in older.stderr


def test_a_signed_directory_file_must_match_its_signature(tmp_path: Path) -> None:
    home = tmp_path / "patient"
    assert cli(home, "init").code == 0
    folder = tmp_path / "download"
    folder.mkdir()
    shutil.copy(VCI / "vci_snapshot.json", folder)
    shutil.copy(VCI / "vci_snapshot.sig", folder)
    ok = cli(home, "issuers", "trust-directory", str(folder / "vci_snapshot.json"), "--json")
    assert ok.code == 0 and ok.json["directory"]["signature"] == "verified", ok.stderr

    data = (VCI / "vci_snapshot.json").read_bytes().replace(b'"time": "2026-08-22T04:43:50Z"',
                                                           b'"time": "2026-12-22T04:43:50Z"')
    (folder / "vci_snapshot.json").write_bytes(data)
    bad = cli(home, "issuers", "trust-directory", str(folder / "vci_snapshot.json"))
    assert bad.code == 1 and "signature does not match" in bad.stderr
    assert (home / "vci_directory.json").read_bytes() == (VCI / "vci_snapshot.json").read_bytes()


def test_a_directory_issuer_can_be_removed_from_trust(tmp_path: Path) -> None:
    home = tmp_path / "patient"
    assert cli(home, "init").code == 0
    removed = cli(home, "issuers", "remove", "https://myvaccinerecord.cdph.ca.gov/creds", "--json")
    assert removed.code == 0 and removed.json == {"removed": True}
    listed = cli(home, "issuers", "list", "--all", "--json").json
    assert "https://myvaccinerecord.cdph.ca.gov/creds" not in {i["iss"] for i in listed}
    again = cli(home, "issuers", "remove", "https://myvaccinerecord.cdph.ca.gov/creds")
    assert again.code == 1


def test_help_documents_the_directory_commands(tmp_path: Path) -> None:
    run = cli(tmp_path / "x", "issuers", "--help")
    assert run.code == 0 and "trust-directory" in run.stdout and "refresh-directory" in run.stdout
    run = cli(tmp_path / "x", "issuers", "trust-directory", "--help")
    assert run.code == 0 and "vci_snapshot.sig" in run.stdout
