"""SMART Health Cards through the CLI, and export → verify in an empty home."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.cli.cli_runner import cli
from tests.conftest import FIXTURES

SHC = FIXTURES / "smart-health-cards"
ISSUER = "https://spec.smarthealth.cards/examples/issuer"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "patient"
    assert cli(home, "init").code == 0
    return home


def trust_spec_issuer(home: Path) -> None:
    crl = next((SHC / "issuer" / ".well-known" / "crl").glob("*.json"))
    added = cli(home, "issuers", "add", ISSUER, str(SHC / "issuer" / ".well-known" / "jwks.json"),
                "--crl", str(crl), "--name", "SMART Health Cards spec examples")
    assert added.code == 0, added.stderr


def test_unknown_issuer_imports_marked_unverified(home: Path) -> None:
    run = cli(home, "import", str(SHC / "example-00-e-file.smart-health-card"), "--json")
    assert run.code == 0, run.stderr
    assert run.json["imported"] == {"Immunization": 3, "Patient": 1}
    assert run.json["files"][0]["cards"] == [{"issuer": ISSUER, "status": "unverified"}]
    assert "UNVERIFIED" in run.stderr


def test_trusted_issuer_cards_verify_revoked_refused_chunks_joined(home: Path) -> None:
    trust_spec_issuer(home)
    ok = cli(home, "import", str(SHC / "example-00-e-file.smart-health-card"), "--json")
    assert ok.json["files"][0]["cards"] == [{"issuer": "SMART Health Cards spec examples", "status": "valid"}]

    revoked = cli(home, "import", str(SHC / "example-03-e-file.smart-health-card"))
    assert revoked.code == 1 and "revoked" in revoked.stderr

    # Johnny Revoked's card is another person's: it goes into a profile of its own
    expired = cli(home, "import", str(SHC / "hl7-ig-stu1-copy" / "example-03-e-file.smart-health-card"), "--json",
                  "--profile", "johnny")
    assert expired.code == 0 and expired.json["files"][0]["cards"][0]["status"] == "expired"

    parts = sorted(SHC.glob("example-02-f-qr-code-numeric-value-*.txt"))
    assert len(parts) == 3
    chunked = cli(home, "import", *map(str, parts), "--json")
    assert chunked.code == 0, chunked.stderr
    assert sum(chunked.json["imported"].values()) + chunked.json["skipped_duplicates"] > 10

    missing = cli(home, "import", str(FIXTURES / "invalid" / "shc-qr-chunked-missing-middle-0.txt"),
                  str(FIXTURES / "invalid" / "shc-qr-chunked-missing-middle-2.txt"))
    assert missing.code == 1 and "missing" in missing.stderr


@pytest.mark.parametrize("case", sorted(p.name for p in (FIXTURES / "invalid").glob("shc-*")))
def test_invalid_cards_are_refused(home: Path, case: str) -> None:
    trust_spec_issuer(home)
    run = cli(home, "import", str(FIXTURES / "invalid" / case), "--json")
    if case.startswith("shc-qr-uppercase"):
        assert run.code == 0  # URI schemes are case-insensitive: accepted, as documented
        return
    assert run.code == 1, run.stdout
    assert run.json["imported"] == {} and run.json["errors"][0]["error"]
    assert "Traceback" not in run.stderr
    said = NEAR_MISSES.get(case)
    assert said is None or said in run.json["errors"][0]["error"]


# Text that is almost a card is read as a card, whose reader names what is wrong with it,
# not as bad JSON or a long number.
NEAR_MISSES = {
    "shc-qr-missing-prefix.txt": "it must start with shc:/",
    "shc-jws-two-parts.txt": "not a compact JWS: it has 2 parts instead of 3",
    "shc-jws-bad-base64.txt": "JWS payload is not valid base64url",
}


def test_export_verify_in_empty_home_and_tamper(home: Path, tmp_path: Path) -> None:
    trust_spec_issuer(home)
    bundle = FIXTURES / "synthea" / "Clemente_Kreiger_1484a42d-0eaf-4654-9cbf-6b050a5cd73b.json"
    assert cli(home, "import", str(bundle)).code == 0
    # the card is John B. Anyperson's, not Clemente Kreiger's: a profile of its own
    card = SHC / "example-00-e-file.smart-health-card"
    assert cli(home, "import", str(card)).code == 1
    assert cli(home, "import", str(card), "--profile", "john").code == 0
    usb = tmp_path / "usb"
    usb.mkdir()
    exported = cli(home, "export", "--to", str(usb), "--json")
    assert exported.code == 0, exported.stderr
    folder = Path(exported.json["path"])
    assert exported.json["resources"]["Observation"] == 48
    assert exported.json["resources"]["Patient"] == 1
    assert exported.json["resources"]["Immunization"] == 4  # Clemente's own, not the card's 3
    assert not list(folder.glob("*.smart-health-card"))  # one person per export

    verified = cli(tmp_path / "nobody", "verify", str(folder), "--json", passphrase=None)
    assert verified.code == 0, verified.stdout
    assert verified.json["valid"] is True and verified.json["signer"] == exported.json["signer"]
    assert verified.json["resources"]["Patient"] == 1  # the Synthea patient only

    john_usb = tmp_path / "john-usb"
    john_usb.mkdir()
    johns = cli(home, "export", "--to", str(john_usb), "--profile", "john", "--json")
    assert johns.code == 0, johns.stderr
    assert johns.json["resources"] == {"Immunization": 3, "Patient": 1}
    card_copy = next(Path(johns.json["path"]).glob("*.smart-health-card"))
    assert card_copy.read_bytes() == card.read_bytes()

    tampered = tmp_path / "tampered"
    shutil.copytree(folder, tampered)
    data = bytearray((tampered / "bundle.json").read_bytes())
    data[len(data) // 2] ^= 0x01
    (tampered / "bundle.json").write_bytes(bytes(data))
    bad = cli(tmp_path / "nobody", "verify", str(tampered), "--json", passphrase=None)
    assert bad.code == 1 and bad.json["valid"] is False and bad.json["reason"]


def test_encrypted_export_needs_its_passphrase(home: Path, tmp_path: Path) -> None:
    assert cli(home, "import", str(FIXTURES / "fhir-examples" / "Bundle-lipids.json")).code == 0
    usb = tmp_path / "usb"
    usb.mkdir()
    secret = tmp_path / "export-pass"
    secret.write_text("export passphrase 1\n")
    exported = cli(home, "export", "--to", str(usb), "--encrypt", "--export-passphrase-file", str(secret),
                   "--type", "Observation", "--json")
    assert exported.code == 0, exported.stderr
    assert exported.json["encrypted"] is True and exported.json["resources"] == {"Observation": 4}
    ok = cli(tmp_path / "nobody", "verify", exported.json["path"], "--export-passphrase-file", str(secret),
             "--json", passphrase=None)
    assert ok.json["valid"] is True
    secret.write_text("wrong passphrase 2\n")
    bad = cli(tmp_path / "nobody", "verify", exported.json["path"], "--export-passphrase-file", str(secret),
              "--json", passphrase=None)
    assert bad.code == 1 and bad.json["valid"] is False


def test_export_to_missing_drive_is_a_clear_error(home: Path, tmp_path: Path) -> None:
    assert cli(home, "import", str(FIXTURES / "fhir-examples" / "Bundle-lipids.json")).code == 0
    run = cli(home, "export", "--to", str(tmp_path / "not-mounted"))
    assert run.code == 1 and "does not exist" in run.stderr


def test_verify_says_unverified_for_an_unknown_issuer_and_invalid_for_a_changed_card(home: Path,
                                                                                    tmp_path: Path) -> None:
    card = SHC / "example-00-e-file.smart-health-card"
    unknown = cli(home, "verify", str(card))
    assert unknown.code == 1  # not accepted, as before: nobody vouches for the issuer
    assert unknown.stdout.splitlines()[0] == ("UNVERIFIED — the issuer is not in your trusted list (the card is "
                                              "intact: its signature matches its key)")
    assert "INVALID" not in unknown.stdout and ISSUER in unknown.stdout
    as_json = cli(home, "verify", str(card), "--json")
    assert as_json.json["valid"] is False and as_json.json["verdict"] == "unverified"
    assert as_json.json["status"] == ["unverified"]
    imported = cli(home, "import", str(card))  # the import says it in the same words
    assert "UNVERIFIED: the issuer is not in your trusted list (the card is intact" in imported.stderr

    doc = json.loads(card.read_text("utf-8"))
    header, payload, signature = doc["verifiableCredential"][0].split(".")
    flipped = ("B" if signature[10] == "A" else "A")
    doc["verifiableCredential"][0] = ".".join((header, payload, signature[:10] + flipped + signature[11:]))
    changed = tmp_path / "changed.smart-health-card"
    changed.write_text(json.dumps(doc), "utf-8")
    for trusted in (False, True):
        if trusted:
            trust_spec_issuer(home)
        run = cli(home, "verify", str(changed), "--json")
        assert run.code == 1 and run.json["valid"] is False and run.json["verdict"] == "invalid", run.stdout
        human = cli(home, "verify", str(changed))
        assert human.stdout.startswith("INVALID — ") and "UNVERIFIED" not in human.stdout
    assert cli(home, "verify", str(card), "--json").json["verdict"] == "valid"


def test_an_encrypted_export_is_never_sealed_with_the_wallet_passphrase(home: Path, tmp_path: Path) -> None:
    assert cli(home, "import", str(FIXTURES / "fhir-examples" / "Bundle-lipids.json")).code == 0
    usb = tmp_path / "usb"
    usb.mkdir()
    refused = cli(home, "export", "--to", str(usb), "--encrypt")  # HEALTH_WALLET_PASSPHRASE is set, no terminal
    assert refused.code == 1 and "never the wallet's own" in refused.stderr
    assert list(usb.iterdir()) == []


def test_repeated_and_mixed_types_choose_every_one_and_an_unknown_type_is_named(home: Path, tmp_path: Path) -> None:
    assert cli(home, "import", str(FIXTURES / "fhir-examples" / "Bundle-lipids.json")).code == 0
    usb = tmp_path / "usb"
    usb.mkdir()
    both = cli(home, "export", "--to", str(usb), "--type", "observation", "--type", "DiagnosticReport", "--json")
    assert both.code == 0, both.stderr
    assert both.json["resources"] == {"Observation": 4, "DiagnosticReport": 1}
    unknown = cli(home, "export", "--to", str(usb), "--type", "Immunisation")
    assert unknown.code == 1 and len(unknown.stderr.strip().splitlines()) == 1
    assert "Unknown type 'Immunisation'" in unknown.stderr and "Immunization" not in unknown.stdout
