"""The wallet's own trail: one Consent per grant, and a revoke that says whether it could
unpin. A real embedded chain and a real embedded Kubo node per wallet; the process that
holds the patient's node is a real ``health-wallet serve``."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import PASSPHRASE
from tests.sharing.conftest import SMALL_PATIENT
from wallet.errors import GrantNotActive
from wallet.records.consent import GRANT_SYSTEM, consent_ids
from wallet.records.store import NewRecord
from wallet.records.summary import summarize
from wallet.services import Sharing, WalletService
from wallet.services.expiry import parse_expiry


def consents(wallet) -> dict[str, dict]:
    """Consent resources by the grant id their identifier names."""
    out = {}
    for rid in wallet.store.ids(types=["Consent"]):
        res = wallet.store.get(rid)
        (ident,) = [i for i in res["identifier"] if i["system"] == GRANT_SYSTEM]
        out[ident["value"]] = res
    return out


def grant(patient, doctor, clock, types=("Condition",)):
    sharing = Sharing(patient)
    return sharing.grant(doctor.identity.address, record_ids=sharing.choose_records(types=list(types)),
                         expires_at=parse_expiry("7d", now=clock.now()), grantee_name="Dr Quinn")


def test_two_grants_to_one_doctor_keep_two_consents_and_revoking_one_leaves_the_other(patient, doctor, clock) -> None:
    first = grant(patient, doctor, clock, ("Condition",))
    second = grant(patient, doctor, clock, ("Immunization",))
    assert first.grant_id[:42] == second.grant_id[:42]  # both ids start with the doctor's address
    kept = consents(patient)
    assert set(kept) == {first.grant_id, second.grant_id}
    assert kept[second.grant_id]["id"] == second.grant_id[2:]  # the whole grant id, 64 hex digits
    assert {r["reference"]["reference"].split("/")[0] for r in kept[second.grant_id]["provision"]["data"]} == \
        {"Immunization", "Patient"}

    receipt = Sharing(patient).revoke_grant(second.grant_id)
    assert receipt.tx is not None and receipt.unpinned and receipt.warning is None
    kept = consents(patient)
    assert kept[second.grant_id]["status"] == "inactive"
    assert kept[first.grant_id]["status"] == "active"
    assert {"Access revoked"} == {r.summary.title for r in patient.summaries(types=["AuditEvent"])} - {"Access granted"}


def test_a_consent_kept_under_the_old_id_is_still_found_for_its_own_grant_only(patient, doctor, clock) -> None:
    first = grant(patient, doctor, clock)
    second = grant(patient, doctor, clock)
    store = patient.store
    # A wallet written before each grant had its own id: the first grant's Consent under
    # "grant-" + the first 16 hex digits (the doctor's address), the second one dropped.
    for gid in (first.grant_id, second.grant_id):
        store.delete(store.record_id({"resourceType": "Consent", "id": consent_ids(gid)[0]}))
    legacy = grant_consent_like(first.grant_id, patient)
    store.add_many([NewRecord(store.record_id(legacy), legacy, summarize(legacy))])

    Sharing(patient).revoke_grant(second.grant_id)
    assert consents(patient)[first.grant_id]["status"] == "active"  # another grant's Consent is left alone
    Sharing(patient).revoke_grant(first.grant_id)
    kept = consents(patient)
    assert kept[first.grant_id]["status"] == "inactive" and kept[first.grant_id]["id"] == consent_ids(first.grant_id)[1]


def grant_consent_like(grant_id: str, wallet) -> dict:
    from wallet.records.consent import grant_consent

    resource = grant_consent(grant_id=grant_id, chain_id=1, patient=wallet.identity.address,
                             grantee="0x" + grant_id[2:42], grantee_name=None, starts=wallet.app.clock.now(),
                             expires=wallet.app.clock.now(), record_refs=[], cid="bafy")
    return {**resource, "id": consent_ids(grant_id)[1]}


def serve(home, chain_dir) -> subprocess.Popen[str]:
    """``health-wallet serve`` for ``home``, as a patient keeps the app open; returns once serving."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEALTH_WALLET_")}
    env.update({"HEALTH_WALLET_UNSAFE_LIGHT_KDF": "1", "HEALTH_WALLET_PASSPHRASE": PASSPHRASE,
                "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring", "HEALTH_WALLET_CHAIN_DIR": str(chain_dir)})
    proc = subprocess.Popen([sys.executable, "-m", "wallet", "--home", str(home), "serve"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert "Serving" in first, proc.stderr.read() if proc.stderr else ""
    return proc


def test_revoke_while_another_process_holds_the_node_says_it_could_not_unpin(patient, doctor, clock,
                                                                               tmp_path) -> None:
    receipt = grant(patient, doctor, clock)
    home = patient.app.home
    patient.lock()  # this process lets go of the node; "serve" takes it
    proc = serve(home, tmp_path / "chain")
    try:
        wallet = WalletService(patient.app).unlock(PASSPHRASE)
        try:
            revoked = Sharing(wallet).revoke_grant(receipt.grant_id)
            assert revoked.tx is not None and revoked.tx.gas_used <= 35_000  # revokeBySig
            assert revoked.unpinned is False
            assert "still pinned" in revoked.warning and "serve" in revoked.warning
            assert f"health-wallet revoke {receipt.grant_id}" in revoked.warning
            assert consents(wallet)[receipt.grant_id]["status"] == "inactive"  # the revoke itself stands
            with pytest.raises(GrantNotActive, match="already revoked"):
                Sharing(wallet).revoke(receipt.grant_id)
        finally:
            wallet.lock()
    finally:
        proc.terminate()
        assert proc.wait(timeout=60) == 0

    wallet = WalletService(patient.app).unlock(PASSPHRASE)
    try:
        assert receipt.cid in {str(p.cid) for p in wallet.ipfs().pins()}  # honestly still pinned
        again = Sharing(wallet).revoke_grant(receipt.grant_id)
        assert again.tx is None and again.unpinned and again.warning is None
        assert receipt.cid not in {str(p.cid) for p in wallet.ipfs().pins()}
        audit = [r.summary.title for r in wallet.summaries(types=["AuditEvent"])]
        assert audit.count("Access revoked") == 1  # the retry is not a second revoke
    finally:
        wallet.lock()


def test_cli_revoke_while_serve_holds_the_node_reports_unpinned_false_and_exits_0(tmp_path) -> None:
    from tests.sharing.test_cli_sharing import People, Serving

    people = People(tmp_path, {"HEALTH_WALLET_CHAIN_DIR": str(tmp_path / "embedded-chain")})
    people.create("patient")
    doctor = people.create("doctor")
    assert people.run("patient", "import", str(SMALL_PATIENT)).code == 0
    assert people.run("doctor", "register-key").code == 0
    grants = []
    for types in ("Immunization", "Condition"):
        granted = people.run("patient", "grant", "--to", doctor, "--type", types, "--expires", "7d", "--json")
        assert granted.code == 0, granted.stderr
        grants.append(granted.json)
    consents = people.run("patient", "records", "--type", "Consent", "--json").json
    assert len(consents) == 2  # one Consent per grant, though both went to one doctor

    serving = Serving(people, "patient")
    try:
        revoked = people.run("patient", "revoke", grants[0]["grant_id"], "--json")
    finally:
        serving.stop()
    assert revoked.code == 0, revoked.stderr
    assert revoked.json["revoked"] is True and revoked.json["unpinned"] is False
    assert revoked.json["gas_used"] <= 35_000 and revoked.json["tx"].startswith("0x")
    assert "still pinned" in revoked.json["warning"]
    assert [ln for ln in revoked.stderr.splitlines() if ln.startswith("warning: ")] == \
        [f"warning: {revoked.json['warning']}"]
    pins = {p["cid"] for p in people.run("patient", "pins", "--json").json}
    assert grants[0]["cid"] in pins

    again = people.run("patient", "revoke", grants[0]["grant_id"], "--json")
    assert again.code == 0 and again.json["already_revoked"] is True and again.json["unpinned"] is True
    assert "warning" not in again.json
    pins = {p["cid"] for p in people.run("patient", "pins", "--json").json}
    assert grants[0]["cid"] not in pins and grants[1]["cid"] in pins
    statuses = {g["grant_id"]: g["status"] for g in people.run("patient", "grants", "--json").json}
    assert statuses == {grants[0]["grant_id"]: "revoked", grants[1]["grant_id"]: "active"}
    details = sorted(c["detail"] for c in people.run("patient", "records", "--type", "Consent", "--json").json)
    assert len(details) == 2 and sum("inactive" in d for d in details) == 1
