"""Grant ids and the grants domain values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from eth_account import Account

from wallet.chain import (
    AccessEvent,
    AccessGrant,
    EventKind,
    GrantStatus,
    grant_id_hex,
    grantee_of,
    new_grant_id,
    parse_grant_id,
)

NOW = datetime(2030, 1, 1, tzinfo=UTC)
PATIENT, DOCTOR = Account.create().address, Account.create().address


def _grant(**changes) -> AccessGrant:
    values = {"grant_id": new_grant_id(DOCTOR), "patient": PATIENT, "grantee": DOCTOR,
              "expires_at": NOW + timedelta(hours=1), "cid": "bafy", "wrapped_key": b"k" * 93}
    values.update(changes)
    return AccessGrant(**values)


def test_grant_ids_carry_the_grantee_and_are_random() -> None:
    a, b = new_grant_id(DOCTOR), new_grant_id(DOCTOR.lower())
    assert len(a) == 32 and a != b
    assert grantee_of(a) == DOCTOR
    assert parse_grant_id(grant_id_hex(a)) == a == parse_grant_id(a.hex().upper())
    for bad in ("0x1234", "zz" * 32, "0x" + "00" * 32):
        with pytest.raises(ValueError):
            parse_grant_id(bad)
    with pytest.raises(ValueError):
        new_grant_id("not an address")


def test_status_at_the_boundary() -> None:
    grant = _grant()
    assert grant.status(NOW) is GrantStatus.ACTIVE and grant.is_active(NOW)
    assert grant.status(grant.expires_at - timedelta(seconds=1)) is GrantStatus.ACTIVE
    assert grant.status(grant.expires_at) is GrantStatus.EXPIRED
    revoked = _grant(revoked=True, revoked_at=NOW)
    assert revoked.status(NOW) is GrantStatus.REVOKED
    assert revoked.status(NOW + timedelta(days=9)) is GrantStatus.REVOKED  # revoked wins over expired
    with pytest.raises(ValueError):
        grant.status(datetime(2030, 1, 1))  # naive time


def test_a_grant_is_valid_when_built() -> None:
    with pytest.raises(ValueError):
        _grant(grantee=PATIENT)  # the id says DOCTOR
    with pytest.raises(ValueError):
        _grant(cid="")
    with pytest.raises(ValueError):
        _grant(expires_at=datetime(2030, 1, 1))
    with pytest.raises(ValueError):
        _grant(accesses=-1)
    with pytest.raises(ValueError):
        _grant(revoked_at=NOW)
    assert _grant(patient=PATIENT.lower()).patient == PATIENT
    assert "wrapped_key" not in repr(_grant())


def test_access_events_name_the_other_party() -> None:
    event = AccessEvent(kind="accessed", grant_id=new_grant_id(DOCTOR), patient=PATIENT, grantee=DOCTOR, at=NOW,
                        block=3, tx_hash="0x" + "ab" * 32)
    assert event.kind is EventKind.ACCESSED
    assert event.party(PATIENT) == DOCTOR and event.party(DOCTOR) == PATIENT
    with pytest.raises(ValueError):
        AccessEvent(kind="opened", grant_id=event.grant_id, patient=PATIENT, grantee=DOCTOR, at=NOW, block=1,
                    tx_hash="0x")
