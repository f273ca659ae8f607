"""The sharing protocol without a chain or IPFS: selection, envelope, key wrap, opening."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

from wallet.chain.values import GrantId
from wallet.errors import DecryptionError, InvalidAddress, InvalidRecord, ShareError
from wallet.share import protocol
from wallet.share.protocol import ShareContext
from wallet.vault import aead

DOCTOR_PRIVATE = bytes(range(1, 33))
CONTENT_KEY = bytes([7]) * 32
GRANT = GrantId(bytes.fromhex("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed") + bytes(range(12)))
CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
CONTEXT = ShareContext(1337, CONTRACT, GRANT)
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
PATIENT = {"resourceType": "Patient", "id": "3f0b7a4e-59f4-4a5e-9d7c-2b1f5a6c8e01",
           "name": [{"family": "Rivera", "given": ["Ana"]}], "birthDate": "1980-02-03"}
CONDITION = {"resourceType": "Condition", "id": "c-1", "code": {"text": "Asthma"},
             "subject": {"reference": "Patient/3f0b7a4e-59f4-4a5e-9d7c-2b1f5a6c8e01"}}

# A share written by the release before this module existed (wallet.services.sharing sealing
# and wrapping inline): the same two resources, wrapped to DOCTOR_PRIVATE's key for CONTEXT.
OLD_WRAPPED = bytes.fromhex(
    "01deb1a2b7db9fbd70f33a6002e3ab0ab0c450e8f703114832a862014f320beb4979e3db2f182964d2a028561b03c7f5834c04"
    "18c83d52d93820603eb80d1d6dac06b74b3e3073ee5ff0d1663e86c7007b4ce97847a77b765d3e8b7ed4")
OLD_SEALED = bytes.fromhex(
    "4857534501010100010000057368617265546c27e90f63c1e98387be5f645079fcdb0cf7b9c9bdea2db80742a8786102db4da91f"
    "77b0ee77a865e8b932316feeb20768849181a43f002a70bdf2e9a43904363a092388232833f2a3f4fa81091e9ce39578dfbb0c8c"
    "c4dd5a3cdea72f7beeddda37bbc8413d8e3ba84de9dc689ac3d7ac06916e0cf5f4a48a02f4c24f8fbf79ec6289d235497cb99ba7"
    "ef53973c05187ea9603d453ed173f76525b28388707c31f4efd069a6bef95d081c7eb6f0bbb365e749719865601ae6d8e2ef95eb"
    "4ac77254970b3f0bc26c00ed96590a19177b0d7609c14f0cd5bceae3f8bd7217c3e7e67df78d7843076920eca267d88c6c408730"
    "436a3ba1e15f19a56fd1a9bd4f288b3c845b8c08702caf499c46ef7455587e84b7a492536fdff9bff86e81af732221d9607ce5f1"
    "04fe9bdedb3777e9a3a353a908ae8fd2f7dbf1d731a31e46d3c8f25eb928a21f0ab8c249146499dbba2d4faccbf17a954aef8fc4"
    "f3c4025ecadabae716adb04f6180f28912de5c9648f8660c22")


def _sealed(payload: bytes, context: ShareContext = CONTEXT) -> bytes:
    sink = io.BytesIO()
    protocol.seal_envelope(CONTENT_KEY, payload, sink, context)
    return sink.getvalue()


def test_a_share_from_the_earlier_release_still_opens() -> None:
    key = protocol.unwrap_content_key(DOCTOR_PRIVATE, OLD_WRAPPED, CONTEXT)
    assert key == CONTENT_KEY
    opened = protocol.read_envelope(protocol.open_envelope(key, OLD_SEALED, CONTEXT))
    assert opened.bundle["type"] == "collection" and opened.bundle["timestamp"] == "2026-11-30T09:00:00+00:00"
    assert opened.resources == [PATIENT, CONDITION]


def test_the_wrap_context_names_chain_contract_and_grant() -> None:
    assert CONTEXT.wrap_context == (b"1337|0x5fbdb2315678afecb367f032d93f642f64180aa3|0x5aaeb6053f3e94c9b9a09f33669435"
                                    b"e7ef1beaed000102030405060708090a0b")
    assert CONTEXT.aad == bytes(GRANT) and len(CONTEXT.aad) == 32
    with pytest.raises(InvalidAddress):
        ShareContext(1, "0x1234", GRANT)
    with pytest.raises(ShareError):
        ShareContext(0, CONTRACT, GRANT)


def test_round_trip_and_the_envelope_is_a_compact_collection_bundle() -> None:
    payload = protocol.envelope([CONDITION, PATIENT], now=NOW)
    assert payload.startswith(b'{"resourceType":"Bundle","id":"') and b", " not in payload
    public = aead.x25519_public(DOCTOR_PRIVATE)
    wrapped = protocol.wrap_content_key(public, CONTENT_KEY, CONTEXT)
    assert len(wrapped) == aead.WRAPPED_KEY_SIZE
    key = protocol.unwrap_content_key(DOCTOR_PRIVATE, wrapped, CONTEXT)
    resources = protocol.read_envelope(protocol.open_envelope(key, _sealed(payload), CONTEXT)).resources
    # References are rewritten to the entries' fullUrls, so they resolve inside the share.
    linked = {**CONDITION, "subject": {"reference": f"urn:uuid:{PATIENT['id']}"}}
    assert resources == [linked, PATIENT]


@pytest.mark.parametrize("other", [ShareContext(1, CONTRACT, GRANT),
                                   ShareContext(1337, "0x" + "11" * 20, GRANT),
                                   ShareContext(1337, CONTRACT, GrantId.new(GRANT.grantee))])
def test_a_wrapped_key_opens_for_its_own_grant_only(other: ShareContext) -> None:
    with pytest.raises(DecryptionError):
        protocol.unwrap_content_key(DOCTOR_PRIVATE, OLD_WRAPPED, other)
    if other.grant_id != GRANT:  # the envelope is bound to its grant id too
        with pytest.raises(DecryptionError):
            protocol.open_envelope(CONTENT_KEY, OLD_SEALED, other)
    with pytest.raises(DecryptionError):
        protocol.unwrap_content_key(bytes(range(2, 34)), OLD_WRAPPED, CONTEXT)  # another doctor


def test_the_wallets_own_trail_never_leaves_it() -> None:
    assert not protocol.is_shareable("Consent") and not protocol.is_shareable("AuditEvent")
    assert protocol.is_shareable("Observation") and protocol.is_shareable("Patient")
    for own in ({"resourceType": "Consent", "id": "grant-1"}, {"resourceType": "AuditEvent", "id": "a"}):
        with pytest.raises(ShareError, match=f"A {own['resourceType']} is the wallet's own record"):
            protocol.envelope([CONDITION, own], now=NOW)


def test_the_patient_goes_along_once() -> None:
    assert protocol.with_patients(["c", "p"], ["p", "q"]) == ["c", "p", "q"]
    assert protocol.with_patients((), ["p"]) == ["p"]


def test_an_envelope_that_is_not_fhir_is_refused() -> None:
    with pytest.raises(InvalidRecord):
        protocol.read_envelope(b'{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"id": 1}}]}')
