"""The recipe layer: every tampering is one DecryptionError, purposes do not mix."""

from __future__ import annotations

import pytest

from wallet.errors import DecryptionError
from wallet.vault import aead


def test_seal_round_trip_and_every_byte_flip_fails() -> None:
    key = aead.new_key()
    blob = aead.seal(key, b"glucose 6.3 mmol/l", purpose="record", aad=b"id|Observation")
    assert aead.open_sealed(key, blob, purpose="record", aad=b"id|Observation") == b"glucose 6.3 mmol/l"
    for i in range(len(blob)):
        bad = bytearray(blob)
        bad[i] ^= 0x01
        with pytest.raises(DecryptionError):
            aead.open_sealed(key, bytes(bad), purpose="record", aad=b"id|Observation")


@pytest.mark.parametrize(
    "change",
    [
        {"purpose": "backup"},
        {"aad": b"other|Observation"},
        {"key": b"\0" * 32},
        {"blob_cut": 1},
    ],
)
def test_wrong_context_fails(change: dict) -> None:
    key = aead.new_key()
    blob = aead.seal(key, b"x", purpose="record", aad=b"a")
    args = {"key": key, "purpose": "record", "aad": b"a"}
    cut = change.pop("blob_cut", 0)
    args.update(change)
    with pytest.raises(DecryptionError):
        aead.open_sealed(args["key"], blob[: len(blob) - cut], purpose=args["purpose"], aad=args["aad"])


def test_wrap_key_only_opens_for_recipient_and_context() -> None:
    doctor = aead.new_key()
    stranger = aead.new_key()
    content_key = aead.new_key()
    wrapped = aead.wrap_key(aead.x25519_public(doctor), content_key, context=b"grant-1")
    assert len(wrapped) == aead.WRAPPED_KEY_SIZE
    assert aead.unwrap_key(doctor, wrapped, context=b"grant-1") == content_key
    with pytest.raises(DecryptionError):
        aead.unwrap_key(stranger, wrapped, context=b"grant-1")
    with pytest.raises(DecryptionError):
        aead.unwrap_key(doctor, wrapped, context=b"grant-2")
    bad = bytearray(wrapped)
    bad[-1] ^= 1
    with pytest.raises(DecryptionError):
        aead.unwrap_key(doctor, bytes(bad), context=b"grant-1")


def test_hkdf_matches_rfc5869_case_3() -> None:
    # RFC 5869 test case 3: SHA-256, no salt, empty info.
    ikm = bytes.fromhex("0b" * 22)
    expected = "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
    assert aead.derive_key(ikm, "", length=42).hex() == expected
