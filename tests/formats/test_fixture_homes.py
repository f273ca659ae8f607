"""The homes written by release 747f7c1 open with this version, through the command line,
with nothing lost: the same address, records, settings, issuers, address book and grants,
and the doctor still opens what was shared."""

from __future__ import annotations

import json
from collections import Counter

from tests.formats.conftest import EXPECTED, FixtureHomes
from wallet.ipfs.kubo_embedded import free_swarm_port
from wallet.records.store import STORE_FILE, schema_version


def test_patient_home_opens_with_nothing_lost(homes: FixtureHomes) -> None:
    patient = EXPECTED["patient"]
    status = homes.run("patient", "status", "--json")
    assert status.code == 0, status.stderr
    assert status.json["address"] == patient["address"]

    records = homes.run("patient", "records", "--json")
    assert records.code == 0, records.stderr
    assert schema_version(homes.home("patient") / STORE_FILE) == 3  # encrypted (SQLCipher) since schema 3
    store_bytes = (homes.home("patient") / STORE_FILE).read_bytes()
    for rtype in patient["counts_by_type"]:  # schema 2 kept each row's type readable; nothing now
        assert rtype.encode() not in store_bytes
    # the health records, and apart from them the wallet's own activity (never a health record)
    assert not {r["type"] for r in records.json} & {"Consent", "AuditEvent"}
    trail = [r for t in ("Consent", "AuditEvent") for r in homes.run("patient", "records", "--type", t, "--json").json]
    listed = records.json + trail
    # status counts the health records, as 'records' lists them; the trail is the wallet's own bookkeeping
    assert status.json["records"] == len(records.json) == patient["records_total"] - len(trail)
    assert sorted(r["id"] for r in listed) == patient["record_ids"]
    assert dict(Counter(r["type"] for r in listed)) == patient["counts_by_type"]
    for rid in patient["record_ids"][:2]:
        shown = homes.run("patient", "show", rid, "--json")
        assert shown.code == 0 and shown.json["resourceType"], shown.stderr

    grants = homes.run("patient", "grants", "--json")
    assert grants.code == 0, grants.stderr
    assert grants.json == patient["grants"]
    for key, value in patient["config"].items():
        assert homes.run("patient", "config", "get", key).stdout.strip() == value
    assert homes.run("patient", "issuers", "list", "--json").json == patient["issuers"]
    book = json.loads((homes.home("patient") / "address-book.json").read_text("utf-8"))
    assert {c["address"]: c["name"] for c in book["contacts"]} == patient["address_book"]


def test_doctor_home_still_opens_the_grant(homes: FixtureHomes) -> None:
    doctor, grant = EXPECTED["doctor"], EXPECTED["grant"]
    assert homes.run("doctor", "status", "--json").json["address"] == doctor["address"]
    received = homes.run("doctor", "grants", "--received", "--json")
    assert received.code == 0, received.stderr
    assert received.json == doctor["received"]
    # the committed home names the swarm port it picked when it was made: another test run may hold it now
    assert homes.run("doctor", "config", "set", "ipfs.swarm_port", str(free_swarm_port())).code == 0
    opened = homes.run("doctor", "open", grant["grant_id"], "--json")
    assert opened.code == 0, opened.stderr
    assert opened.json["records"] == doctor["opened"]["records"]
    assert opened.json["patient_name"] == doctor["opened"]["patient_name"]
    after = homes.run("patient", "grants", "--json").json
    assert [(g["grant_id"], g["status"], g["accesses"]) for g in after] == [(grant["grant_id"], "active", 2)]
