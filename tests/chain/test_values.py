"""Addresses, grant ids, CIDs and durations: one parser and one message each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from wallet.errors import InvalidAddress, InvalidCid, InvalidDuration, InvalidGrantId, IpfsError, ShareError
from wallet.services import Address, Cid, Duration, GrantId, parse_expiry

DOCTOR = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_an_address_is_checksummed_and_stays_a_string() -> None:
    address = Address.parse(f"  {DOCTOR.lower()} ")
    assert address == DOCTOR and isinstance(address, str) and str(address) == DOCTOR
    assert Address(address) is address and Address(DOCTOR.upper().replace("0X", "0x")) == DOCTOR
    assert Address.from_bytes(address.raw) == DOCTOR


@pytest.mark.parametrize("bad", ["0x1234", "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0x" + "g" * 40, "", None, 42])
def test_every_malformed_address_gets_the_one_message(bad: object) -> None:
    with pytest.raises(InvalidAddress, match=r"is not a wallet address \(0x followed by 40 hex digits\)\.$") as info:
        Address.parse(bad)  # type: ignore[arg-type]
    assert isinstance(info.value, ShareError) and isinstance(info.value, ValueError)


def test_a_mistyped_capital_is_named_as_such() -> None:
    with pytest.raises(InvalidAddress, match="is not a wallet address: its capitals do not match its checksum"):
        Address.parse(DOCTOR[:-1] + "D")


def test_a_hostile_value_is_cut_short_in_the_message() -> None:
    with pytest.raises(InvalidAddress) as info:
        Address.parse("x" * 10_000)
    assert len(info.value.user_message) < 160


def test_grant_ids_parse_in_any_case_and_print_as_hex() -> None:
    gid = GrantId.new(DOCTOR)
    assert isinstance(gid, bytes) and len(gid) == 32 and gid.grantee == DOCTOR
    assert GrantId.parse(gid.hex_id) == gid == GrantId.parse(gid.hex().upper()) == GrantId.parse("0X" + gid.hex())
    assert str(gid) == gid.hex_id == "0x" + gid.hex()


@pytest.mark.parametrize("bad", ["0x1234", "zz" * 32, "0x" + "00" * 32, "", "0x" + "ab" * 33])
def test_every_malformed_grant_id_gets_the_one_message(bad: str) -> None:
    with pytest.raises(InvalidGrantId, match=r"is not a grant id \(0x followed by 64 hex digits\)\.$"):
        GrantId.parse(bad)
    with pytest.raises(InvalidGrantId):
        GrantId(b"\0" * 32)


@pytest.mark.parametrize("bad", ["hello", "", "Qm" + "1" * 44, "b" + "A" * 58, 7])
def test_every_malformed_cid_gets_the_one_message(bad: object) -> None:
    for build in (Cid, Cid.parse):
        with pytest.raises(InvalidCid, match=r"is not an IPFS CID\.$") as info:
            build(bad)  # type: ignore[operator]
        assert isinstance(info.value, IpfsError) and isinstance(info.value, ValueError)


def test_durations() -> None:
    assert Duration.parse("7d").delta == timedelta(days=7) == Duration.parse(" 1 W ").delta
    assert Duration.parse("30m").seconds == 1800
    for bad in ("7", "d", "0d", "-1d", "1y", "1.5d"):
        with pytest.raises(InvalidDuration, match=r"is not a duration \(7d, 12h, 30m or 2w\)\.$"):
            Duration.parse(bad)
    for too_long in ("1826d", "9" * 5000 + "d"):  # past five years, and past int()'s digit limit
        with pytest.raises(InvalidDuration, match="at most five years"):
            Duration.parse(too_long)


def test_expiry_is_a_duration_or_a_date_in_the_future() -> None:
    assert parse_expiry("1d", now=NOW) == NOW + timedelta(days=1)
    assert parse_expiry("2026-12-31", now=NOW) == datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)
    with pytest.raises(InvalidDuration, match=r"is not a duration \(7d, 12h, 2w\) or a date"):
        parse_expiry("soon", now=NOW)
    with pytest.raises(InvalidDuration, match="in the past"):
        parse_expiry("2020-01-01", now=NOW)
    with pytest.raises(InvalidDuration, match="at most five years"):
        parse_expiry("99999999999999w", now=NOW)
    with pytest.raises(InvalidDuration, match="at most five years"):
        parse_expiry("9999-12-31", now=NOW)
