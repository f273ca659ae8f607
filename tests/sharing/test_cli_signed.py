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


def test_a_new_user_sees_cut_messages_short_ids_and_plain_statuses(tmp_path: Path) -> None:
    import base64
    import hashlib

    people = People(tmp_path, {"HEALTH_WALLET_CHAIN_DIR": str(tmp_path / "embedded-chain")})
    people.create("patient")
    doctor = people.create("doctor")
    assert people.run("patient", "import", str(SMALL_PATIENT)).code == 0
    assert people.run("doctor", "register-key").code == 0

    long_note = "Please look at the vaccinations before the visit. " * 6  # 300 characters
    human = people.run("patient", "grant", "--to", doctor, "--type", "Immunization", "--expires", "7d",
                       "--message", long_note)
    assert human.code == 0, human.stderr
    assert "warning: your message was cut" in human.stderr
    assert "Shared…" not in human.stderr.splitlines() and human.stdout.startswith("Shared ")
    g = people.run("patient", "grant", "--to", doctor, "--type", "Immunization", "--expires", "7d",
                   "--message", long_note, "--no-submit", "--json").json
    assert g["message_truncated"] is True
    short = people.run("patient", "grant", "--to", doctor, "--type", "Immunization", "--expires", "7d",
                       "--message", "Tuesday", "--no-submit", "--json").json
    assert short["message_truncated"] is False

    table = people.run("patient", "grants").stdout
    assert g["grant_id"][-8:] in table and short["grant_id"][-8:] in table
    assert people.run("patient", "token", g["grant_id"][-8:]).stdout.strip() == g["token"]
    ambiguous = people.run("patient", "token", g["grant_id"][:12])
    assert ambiguous.code == 1 and "3 grants start or end with" in ambiguous.stderr

    noise = hashlib.sha256(b"not a token").digest() * 3  # bytes that are no token at all
    damaged = people.run("doctor", "receive", "hwshare:2:" + base64.urlsafe_b64encode(noise).decode().rstrip("="))
    assert damaged.code == 1 and "damaged" in damaged.stderr and "newer" not in damaged.stderr

    assert people.run("doctor", "receive", g["token"]).code == 0
    serving = Serving(people, "patient")
    try:
        opened = people.run("doctor", "open", g["grant_id"][-8:], "--json")
    finally:
        serving.stop()
    assert opened.code == 0, opened.stderr
    assert opened.json["network"] == "embedded" and opened.json["grant_id"] == g["grant_id"]
    signed_out = people.run("patient", "revoke", g["grant_id"][-8:], "--signed-out", str(tmp_path / "r.json"),
                            "--json")
    assert signed_out.code == 0 and signed_out.json["grant_id"] == g["grant_id"], signed_out.stderr

    assert people.run("patient", "revoke", short["grant_id"][-8:]).code == 0  # never submitted: burned
    revoked = people.run("doctor", "receive", short["token"])
    assert revoked.code == 0 and "revoked" in revoked.stdout and "open it with" not in revoked.stdout
