"""The sharing protocol end to end, in one process: a real embedded chain (py-evm) and a
real embedded Kubo node per wallet, talking over loopback."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from tests.sharing.conftest import SMALL_PATIENT
from wallet.chain.grants import GrantStatus
from wallet.errors import DecryptionError, GrantNotActive, KeyNotRegistered, ShareError, WalletError
from wallet.records import fhir_json
from wallet.records.references import resolve
from wallet.services import Sharing
from wallet.services.expiry import parse_expiry


def connect(a, b) -> None:
    """Dial b's node from a's, as a share token's peer addresses would."""
    b_info = b.ipfs().node_info()
    a.ipfs().connect(b_info.dial_addresses[0])


@pytest.fixture
def patient(open_wallet):
    wallet = open_wallet("patient")
    wallet.import_file(SMALL_PATIENT)
    return wallet


@pytest.fixture
def doctor(open_wallet):
    wallet = open_wallet("doctor")
    assert Sharing(wallet).register_key() is not None
    assert Sharing(wallet).register_key() is None  # already on chain: nothing to send
    return wallet


def test_share_open_revoke(patient, doctor, open_wallet, clock) -> None:
    sharing = Sharing(patient)
    ids = sharing.choose_records(types=["Immunization"])
    receipt = sharing.grant(doctor.identity.address, record_ids=ids, expires_at=parse_expiry("7d", now=clock.now()),
                            grantee_name="Dr Quinn")
    assert receipt.records == 7 + 1  # the Patient goes along
    # A development chain: the grant is signed by a per-grant key and submitted at once (grantBySig).
    assert receipt.on_chain and receipt.tx is not None and receipt.tx.gas_used <= 60_000
    assert receipt.grant_signer != patient.identity.address
    assert receipt.token.startswith("hwshare:2:") and len(receipt.token) <= 1000

    (view,) = sharing.grants()
    assert view.status is GrantStatus.ACTIVE and view.counterpart_name == "Dr Quinn" and view.grant.accesses == 0

    opened = Sharing(doctor).open(receipt.token)
    assert opened.counts == {"Immunization": 7, "Patient": 1}
    assert opened.patient_name == "Ned Hintz"
    originals = {fhir_json.canonical_bytes(patient.record(i)) for i in ids}
    shared = {fhir_json.canonical_bytes(e["resource"]) for e in opened.bundle["entry"]}
    assert originals <= shared

    (view,) = sharing.grants()
    assert view.grant.accesses == 1
    (received,) = Sharing(doctor).received()
    assert received.counterpart == receipt.grant_signer != patient.identity.address
    assert received.counterpart_name == "Ned Hintz"  # from the label sealed to the doctor
    log = Sharing(patient).audit()
    assert [e.event for e in log if e.source == "chain"] == ["accessed", "granted"]
    assert any(e.event == "Access granted" for e in log if e.source == "local")
    assert next(list(e.to_json()) for e in log if e.source == "chain") == [  # 'audit --json', as before
        "source", "event", "grant_id", "at", "party", "patient", "grantee", "tx", "block"]
    assert Counter(r.summary.resource_type for r in patient.summaries(types=["Consent"])) == {"Consent": 1}

    with pytest.raises(ShareError, match="Only the patient"):
        Sharing(doctor).revoke(receipt.grant_id)
    stranger = open_wallet("stranger")
    Sharing(stranger).register_key()
    with pytest.raises(ShareError, match="another wallet"):
        Sharing(stranger).open(receipt.token)

    tx = sharing.revoke(receipt.grant_id)
    assert tx.gas_used <= 35_000  # revokeBySig, signed by the per-grant key
    assert sharing.grants()[0].status is GrantStatus.REVOKED
    with pytest.raises(GrantNotActive, match="revoked"):
        Sharing(doctor).open(receipt.grant_id)
    consent = patient.summaries(types=["Consent"])[0].summary
    assert "inactive" in consent.detail
    assert str(receipt.cid) not in {str(p.cid) for p in patient.ipfs().pins()}


def test_shared_records_keep_decimals_comparators_and_links(open_wallet, doctor, clock, tmp_path) -> None:
    """The doctor reads 5.10 (not 5.1) and "< 5", and the Observation's subject resolves to
    the Patient in the shared Bundle, though the source was NDJSON with a relative reference."""
    patient = open_wallet("precise")
    source = tmp_path / "labs.ndjson"
    source.write_text(
        '{"resourceType":"Patient","id":"p1","name":[{"family":"Testperson","given":["Ada"]}],"birthDate":"1970-01-01"}\n'
        '{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"Glucose"},'
        '"subject":{"reference":"Patient/p1"},"valueQuantity":{"value":5.10,"unit":"mmol/L"}}\n'
        '{"resourceType":"Observation","id":"o2","status":"final","code":{"text":"Glucose"},'
        '"subject":{"reference":"Patient/p1"},"valueQuantity":{"value":5,"comparator":"<","unit":"mg/dL"}}\n')
    patient.import_file(source)
    sharing = Sharing(patient)
    receipt = sharing.grant(doctor.identity.address, record_ids=sharing.choose_records(types=["Observation"]),
                            expires_at=parse_expiry("7d", now=clock.now()))
    opened = Sharing(doctor).open(receipt.token)
    entries = opened.bundle["entry"]
    urls = {e["fullUrl"]: n for n, e in enumerate(entries)}
    values = {}
    for entry in entries:
        res = entry["resource"]
        if res["resourceType"] == "Observation":
            target = resolve(res["subject"]["reference"], from_url=entry["fullUrl"], full_urls=urls)
            assert target is not None and entries[target]["resource"]["id"] == "p1"
            values[res["id"]] = res["valueQuantity"]
    assert str(values["o1"]["value"]) == "5.10" and values["o2"]["comparator"] == "<"


def test_expiry_is_enforced_at_the_boundary(patient, doctor, clock) -> None:
    sharing = Sharing(patient)
    expires = parse_expiry("1h", now=clock.now())
    receipt = sharing.grant(doctor.identity.address, record_ids=sharing.choose_records(types=["Condition"]),
                            expires_at=expires)
    clock.at = expires - timedelta(seconds=5)
    connect(doctor, patient)
    assert Sharing(doctor).open(receipt.grant_id).counts["Condition"] == 3
    clock.at = expires
    with pytest.raises(GrantNotActive, match="expired"):
        Sharing(doctor).open(receipt.grant_id)
    assert sharing.grants()[0].status is GrantStatus.EXPIRED


def test_unregistered_doctor_is_a_clear_error_and_nothing_is_kept(patient, open_wallet, clock) -> None:
    nobody = open_wallet("unregistered")
    sharing = Sharing(patient)
    with pytest.raises(KeyNotRegistered):
        sharing.grant(nobody.identity.address, record_ids=sharing.choose_records(types=["Condition"]),
                      expires_at=parse_expiry("1d", now=clock.now()))
    assert patient.summaries(types=["Consent", "AuditEvent"]) == []
    assert patient.ipfs().pins() == ()
    with pytest.raises(ShareError, match="not a wallet address"):
        sharing.grant("0x1234", record_ids=[], expires_at=parse_expiry("1d", now=clock.now()))


def test_tampered_blob_fails_cleanly(patient, doctor, clock, monkeypatch) -> None:
    sharing = Sharing(patient)
    receipt = sharing.grant(doctor.identity.address, record_ids=sharing.choose_records(types=["Condition"]),
                            expires_at=parse_expiry("1d", now=clock.now()))
    connect(doctor, patient)
    node = doctor.ipfs()
    real_get = node.get

    def tampered_get(cid, **kw):  # a node that serves altered bytes for this CID
        data = bytearray(real_get(cid, **kw))
        data[len(data) // 2] ^= 0x40
        return bytes(data)

    monkeypatch.setattr(node, "get", tampered_get)
    with pytest.raises(DecryptionError):
        Sharing(doctor).open(receipt.token)
    assert Sharing(patient).grants()[0].grant.accesses == 0  # nothing logged for a failed open


def test_chain_down_leaves_no_half_made_grant(open_wallet, clock, tmp_path) -> None:
    patient = open_wallet("patient-offline")
    patient.import_file(SMALL_PATIENT)
    patient.app.chain_factory = None
    patient.app.config.set("chain.rpc", "http://127.0.0.1:9")  # nothing listens on the discard port
    sharing = Sharing(patient)
    with pytest.raises(WalletError) as info:
        sharing.grant("0x" + "11" * 20, record_ids=sharing.choose_records(types=["Condition"]),
                      expires_at=parse_expiry("1d", now=clock.now()))
    assert "chain" in info.value.user_message.lower()
    assert patient.summaries(types=["Consent", "AuditEvent"]) == []


def test_grants_survive_restarting_the_embedded_chain(patient, doctor, clock) -> None:
    sharing = Sharing(patient)
    receipt = sharing.grant(doctor.identity.address, record_ids=sharing.choose_records(types=["Condition"]),
                            expires_at=parse_expiry("1d", now=clock.now()))
    patient.chain().close()
    patient._chain = None  # the next use opens the chain folder again, as a new process would
    (view,) = Sharing(patient).grants()
    assert view.grant_id == receipt.grant_id and view.status is GrantStatus.ACTIVE
