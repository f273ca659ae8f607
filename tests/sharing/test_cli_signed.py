"""Signed sharing through the command line, each command its own process, on the embedded chain:
grant without submitting, the doctor sees the patient's name before opening, opens and submits,
a signed revocation written by the patient and submitted by a third wallet."""

from __future__ import annotations

from pathlib import Path

from tests.sharing.conftest import SMALL_PATIENT
from tests.sharing.test_cli_sharing import People, Serving


def test_grant_receive_open_and_a_revocation_submitted_by_another_wallet(tmp_path: Path) -> None:
    people = People(tmp_path, {"HEALTH_WALLET_CHAIN_DIR": str(tmp_path / "embedded-chain")})
    patient = people.create("patient")
    doctor = people.create("doctor")
    people.create("third")
    assert people.run("patient", "import", str(SMALL_PATIENT)).code == 0
    assert people.run("doctor", "register-key").code == 0

    granted = people.run("patient", "grant", "--to", doctor, "--type", "Immunization", "--expires", "7d",
                         "--message", "For the visit on Tuesday", "--no-submit", "--json")
    assert granted.code == 0, granted.stderr
    g = granted.json
    assert g["on_chain"] is False and g["tx"] is None and g["gas_used"] is None and g["held_by"] == []
    assert g["grant_signer"] != patient and g["grant_key_index"] == 0
    assert g["token"].startswith("hwshare:2:") and len(g["token"]) <= 1000
    human = people.run("patient", "grants")
    assert "signed, not yet on chain" in human.stdout

    received = people.run("doctor", "receive", g["token"], "--json")
    assert received.code == 0, received.stderr
    assert received.json["patient_name"] == "Ned Hintz" and received.json["on_chain"] is False
    assert received.json["label"] == {"name": "Ned Hintz", "contents": {"Immunizations": 7},
                                      "message": "For the visit on Tuesday"}
    listed = people.run("doctor", "grants", "--received")
    assert "Ned Hintz" in listed.stdout and "7 Immunizations" in listed.stdout
    assert g["grant_signer"] not in listed.stdout  # a name, not a hex address

    serving = Serving(people, "patient")
    try:
        opened = people.run("doctor", "open", g["token"], "--json")
    finally:
        serving.stop()
    assert opened.code == 0, opened.stderr
    assert opened.json["grant_tx"] == opened.json["access_tx"] and opened.json["grant_gas_used"] <= 80_000
    assert opened.json["patient_name"] == "Ned Hintz"

    cost = people.run("patient", "revoke", g["grant_id"], "--cost", "--json")
    assert cost.code == 0 and cost.json["signed"] and not cost.json["burn"], cost.stderr
    out = tmp_path / "revocation.json"
    signed = people.run("patient", "revoke", g["grant_id"], "--signed-out", str(out), "--json")
    assert signed.code == 0 and out.is_file(), signed.stderr
    submitted = people.run("third", "submit", str(out), "--json")
    assert submitted.code == 0, submitted.stderr
    assert submitted.json["kind"] == "revoke" and submitted.json["gas_used"] <= 35_000
    again = people.run("third", "submit", str(out))
    assert again.code == 1 and len(again.stderr.strip().splitlines()) == 1  # already revoked, in one line
    after = people.run("doctor", "open", g["grant_id"])
    assert after.code == 1 and "revoked" in after.stderr
    assert people.run("patient", "grants", "--json").json[0]["status"] == "revoked"
    assert people.run("patient", "status", "--json").json["network"] == "embedded"
