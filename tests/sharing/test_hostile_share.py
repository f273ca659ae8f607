"""A hostile sender: a crafted share must not crash or change the doctor's wallet, and
hostile tokens and expiries are one-line errors."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from tests.conftest import FIXTURES
from wallet.chain.grants import grant_id_hex, new_grant_id
from wallet.errors import ShareError, WalletError
from wallet.ipfs.sealed import publish_sealed
from wallet.services import Sharing
from wallet.services.expiry import parse_expiry
from wallet.services.sharing import SHARE_PURPOSE
from wallet.share.token import MAX_CHAIN_ID, PREFIX, ShareToken, parse_token
from wallet.vault import aead

DEEP_500 = FIXTURES / "realworld" / "deep-nesting" / "patient-nested-ext-500.json"
SCRIPT_FILE = FIXTURES / "realworld" / "narrative-script" / "narrative-script.json"


def crafted_share(patient, doctor, payload: bytes, *, clock) -> str:
    """Seal, pin and grant ``payload`` as a hostile client would: the wallet's own grant()
    builds its Bundle from checked records, so an attacker goes around it."""
    sharing = Sharing(patient)
    chain = sharing.chain
    grantee = doctor.identity.address
    gid = new_grant_id(grantee)
    content_key = aead.new_key()
    ipfs = patient.ipfs()
    cid = publish_sealed(ipfs, content_key, payload, purpose=SHARE_PURPOSE, aad=gid)
    wrapped = aead.wrap_key(chain.require_encryption_key(grantee), content_key,
                            context=sharing._context(gid).wrap_context)
    chain.grant(patient.keys.account, gid, grantee, str(cid), wrapped, parse_expiry("7d", now=chain.now()))
    return ShareToken(chain.chain_id, sharing._contract(), grant_id_hex(gid), sharing._peers(ipfs)).encode()


def bundle_text(resource_json: str) -> bytes:
    """A collection Bundle around ``resource_json`` built as text (json.dumps cannot even
    write 500 nested extensions: it stops at Python's recursion limit)."""
    return ('{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":'
            '"urn:uuid:8d3a9c61-6b4f-4f7e-9d2e-2f0e5b1f7a10","resource":' + resource_json + "}]}").encode()


def test_crafted_shares_do_not_harm_the_doctor(open_wallet, clock) -> None:
    patient = open_wallet("patient")
    doctor = open_wallet("doctor")
    Sharing(doctor).register_key()
    doctor.import_file(FIXTURES / "fhir-examples" / "Patient-example.json")
    before = [s.id for s in doctor.summaries()]

    deep = crafted_share(patient, doctor, bundle_text(DEEP_500.read_text()), clock=clock)
    with pytest.raises(WalletError) as info:
        Sharing(doctor).open(deep)
    message = info.value.user_message
    assert "the shared bundle is nested deeper than 64 levels" in message and len(message.splitlines()) == 1
    # The doctor's wallet lives on, unchanged, and no access was logged for a share it refused.
    assert [s.id for s in doctor.summaries()] == before
    (refused,) = Sharing(doctor).received()
    assert refused.grant.accesses == 0

    unsafe = crafted_share(patient, doctor, bundle_text(SCRIPT_FILE.read_text()), clock=clock)
    opened = Sharing(doctor).open(unsafe)
    (resource,) = [e["resource"] for e in opened.bundle["entry"]]
    assert resource["id"] == "xss-1" and "text" not in resource


@pytest.mark.parametrize("body", [
    {"c": 10**30, "a": "0x" + "a" * 40, "g": "0x" + "b" * 64},
    {"c": MAX_CHAIN_ID + 1, "a": "0x" + "a" * 40, "g": "0x" + "b" * 64},
    {"c": True, "a": "0x" + "a" * 40, "g": "0x" + "b" * 64},
    {"c": 1.5, "a": "0x" + "a" * 40, "g": "0x" + "b" * 64},
    {"c": "1", "a": "0x" + "a" * 40, "g": "0x" + "b" * 64},
    {"c": 1, "a": ["x"], "g": "0x" + "b" * 64},
    {"c": 1, "a": "0x" + "a" * 40, "g": "0x" + "b" * 64, "p": "/ip4/1.2.3.4"},
    {"c": 1, "a": "0x" + "a" * 40, "g": "0x" + "b" * 64, "p": ["/x"] * 5},
    [1, 2, 3],
    "text",
])
def test_hostile_token_fields(body: object) -> None:
    raw = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    with pytest.raises(ShareError) as info:
        parse_token(PREFIX + raw)
    assert len(info.value.user_message.splitlines()) == 1


@pytest.mark.parametrize("raw", [
    b'{"c":1e400}', b'{"c":' + b"9" * 5000 + b"}", b"[" * 100 + b"]" * 100, b'{"c":1,"c":2}', b"\xff\xfe",
])
def test_hostile_token_json(raw: bytes) -> None:
    with pytest.raises(ShareError, match="share token"):
        parse_token(PREFIX + base64.urlsafe_b64encode(raw).rstrip(b"=").decode())


def test_a_good_token_still_round_trips() -> None:
    token = ShareToken(31337, "0x" + "a" * 40, "0x" + "b" * 64, ("/ip4/127.0.0.1/tcp/4001",))
    assert parse_token(token.encode()) == token
    with pytest.raises(ShareError, match="longer than"):
        parse_token(PREFIX + "A" * 100_000)


@pytest.mark.parametrize("text, fragment", [
    ("99999999999999d", "five years"),
    ("9" * 5000 + "w", "five years"),
    ("1826d", "five years"),
    ("0001-01-01T00:00:00+14:00", "outside the dates"),
    ("9999-12-31T23:59:59-14:00", "outside the dates"),
    ("9999-12-31", "five years"),
    ("7 fortnights", "is not a duration"),
])
def test_overflowing_expiries(text: str, fragment: str) -> None:
    with pytest.raises(WalletError, match=fragment):
        parse_expiry(text, now=datetime(2026, 11, 30, tzinfo=UTC))
