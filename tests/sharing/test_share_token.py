"""Share tokens: version 2 carries the signed grant, the sealed label and delegates in at most
1,000 characters; version 1 tokens still read; a damaged or altered token is refused in one line."""

from __future__ import annotations

import base64
from dataclasses import replace

import pytest

from wallet.errors import DecryptionError, ShareError
from wallet.share.label import MAX_MESSAGE, ShareLabel, open_label, seal_label
from wallet.share.token import MAX_TOKEN_LENGTH, PREFIX_V2, ShareToken, SignedGrantParts, parse_token
from wallet.vault import aead

GRANT_ID = "0x" + "ab" * 20 + "cd" * 12
CID = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"
PEER = "/ip4/192.168.100.200/tcp/40123/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo"
DELEGATE = "/dns4/pinning.example.org/tcp/4001/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo"


def _signed() -> SignedGrantParts:
    return SignedGrantParts(CID, bytes(range(93)), 2_000_000_000, bytes(range(64)) + b"\x1b")


def _largest_label() -> bytes:
    label = ShareLabel("Maximiliana Alexandrina Vanderbilt-Montgomery-Featherstonehaugh",
                       tuple((c, 1000 + n) for n, c in enumerate(
                           ("Conditions", "Medications", "Allergies", "Lab results", "Vital signs", "Immunizations",
                            "Procedures", "Encounters", "Documents", "Other"))),
                       "Bitte vor dem Termin lesen: " + "x" * MAX_MESSAGE)
    return seal_label(label, aead.new_key(), bytes.fromhex(GRANT_ID[2:]))


def test_the_largest_token_fits_one_qr_code_and_keeps_the_grant_and_label() -> None:
    token = ShareToken(100, "0x" + "11" * 20, GRANT_ID, (PEER,) * 4, _signed(), _largest_label(), (DELEGATE,) * 4)
    text = token.encode()
    assert text.startswith(PREFIX_V2) and len(text) <= MAX_TOKEN_LENGTH
    back = parse_token(text)
    assert back.signed == token.signed and back.label == token.label and back.chain_id == 100
    # addresses are left out last-first, one of each kind kept
    assert back.peers == (PEER,) and back.delegates == token.delegates[: len(back.delegates)] and back.delegates
    assert token.fitted() == back


def test_a_typical_token_keeps_everything() -> None:
    label = seal_label(ShareLabel("Ned Hintz", (("Immunizations", 7),)), aead.new_key(), bytes.fromhex(GRANT_ID[2:]))
    token = ShareToken(100, "0x" + "11" * 20, GRANT_ID, (PEER,), _signed(), label, (DELEGATE,))
    text = token.encode()
    assert len(text) < 800 and parse_token(text) == token


def test_version_one_tokens_still_read_and_write() -> None:
    old = ShareToken(31337, "0x" + "a" * 40, "0x" + "b" * 64, ("/ip4/127.0.0.1/tcp/4001",))
    assert old.version == 1 and old.encode().startswith("hwshare:1:")
    assert parse_token(old.encode()) == old


@pytest.mark.parametrize("cut", [1, 10, 100])
def test_a_truncated_or_extended_token_is_refused(cut: int) -> None:
    text = ShareToken(100, "0x" + "11" * 20, GRANT_ID, (PEER,), _signed(), b"label-bytes").encode()
    raw = base64.urlsafe_b64decode(text[len(PREFIX_V2):] + "==")
    for damaged in (raw[:-cut], raw + b"\x00" * cut):
        with pytest.raises(ShareError) as refused:
            parse_token(PREFIX_V2 + base64.urlsafe_b64encode(damaged).rstrip(b"=").decode())
        assert "\n" not in refused.value.user_message


def test_unknown_flags_and_versions_say_to_update() -> None:
    text = ShareToken(100, "0x" + "11" * 20, GRANT_ID, signed=_signed()).encode()
    raw = bytearray(base64.urlsafe_b64decode(text[len(PREFIX_V2):] + "=="))
    raw[60] |= 0x80
    with pytest.raises(ShareError, match="newer"):
        parse_token(PREFIX_V2 + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode())
    with pytest.raises(ShareError, match="newer"):
        parse_token("hwshare:3:AAAA")


def test_the_label_opens_only_with_its_key_and_grant() -> None:
    key, gid = aead.new_key(), bytes.fromhex(GRANT_ID[2:])
    sealed = seal_label(ShareLabel("Ned  Hintz\n", (("Lab results", 3), ("Conditions", 5)), "see you"), key, gid)
    label = open_label(sealed, key, gid)
    assert label.name == "Ned Hintz" and label.contents == (("Conditions", 5), ("Lab results", 3))
    assert label.describe() == "5 Conditions, 3 Lab results" and label.message == "see you"
    with pytest.raises(DecryptionError):
        open_label(sealed, aead.new_key(), gid)
    with pytest.raises(DecryptionError):
        open_label(sealed, key, bytes(32))


def test_invalid_parts_are_refused_when_built() -> None:
    with pytest.raises(ShareError):
        replace(_signed(), signature=b"short")
    with pytest.raises(ShareError):
        replace(_signed(), cid="not a cid!")
    with pytest.raises(ShareError):
        ShareToken(100, "0x" + "11" * 20, GRANT_ID, delegates=("not-a-multiaddr",))


def test_mutated_version_two_tokens_never_crash_the_reader() -> None:
    import random

    rng = random.Random(12)
    text = ShareToken(100, "0x" + "11" * 20, GRANT_ID, (PEER,), _signed(), b"label-bytes", (DELEGATE,)).encode()
    raw = base64.urlsafe_b64decode(text[len(PREFIX_V2):] + "==")
    for _ in range(2000):
        damaged = bytearray(raw)
        for _edit in range(rng.randint(1, 4)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        candidate = PREFIX_V2 + base64.urlsafe_b64encode(bytes(damaged)).rstrip(b"=").decode()
        try:
            token = parse_token(candidate)
        except ShareError as exc:
            assert exc.user_message and "\n" not in exc.user_message
        else:
            assert parse_token(token.encode()) == token  # whatever reads, reads the same again
