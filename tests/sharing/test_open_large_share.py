"""A large share opened by a running wallet: validated on both CPUs, refused the same way."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.conftest import FIXTURES
from tests.sharing.test_hostile_share import crafted_share
from wallet.errors import InvalidRecord
from wallet.services import Sharing
from wallet.share import protocol
from wallet.share.envelope_validator import LARGE

LARGE_PATIENT = FIXTURES / "synthea" / "Olen_Kulas_bf2aac98-44db-4ac3-87d6-bfc62a111ca6.json"  # 533 records


def test_a_running_wallet_validates_large_shares_beside_itself_and_refuses_the_same(open_wallet, clock) -> None:
    patient = open_wallet("patient")
    doctor = open_wallet("doctor")
    Sharing(doctor).register_key()
    resources = [e["resource"] for e in json.loads(LARGE_PATIENT.read_text())["entry"]]
    assert len(resources) >= LARGE
    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

    first = crafted_share(patient, doctor, protocol.envelope(resources, now=now), clock=clock)
    assert sum(Sharing(doctor).open(first, keep_validating=False).counts.values()) == len(resources)
    assert not doctor.app.validating_tried and doctor.app.envelope_validator() is None  # a one-off open starts none
    assert sum(Sharing(doctor).open(first).counts.values()) == len(resources)
    validator = doctor.app.keep_envelope_validator()  # the open started it for the wallet's next opens
    assert doctor.app.validating_tried
    assert validator is not None and validator.wait_ready(120), "the validating process did not start"

    broken = [dict(r) for r in resources]
    broken[400] = {**broken[400], "notAnElement": True}
    plain = protocol.envelope(broken, now=now)
    with pytest.raises(InvalidRecord) as alone:
        protocol.read_envelope(plain)
    bad = crafted_share(patient, doctor, plain, clock=clock)
    with pytest.raises(InvalidRecord) as opened:
        Sharing(doctor).open(bad)
    assert opened.value.user_message == alone.value.user_message
    assert opened.value.user_message.startswith("the shared bundle entry[400]")
    refused = [g for g in Sharing(doctor).received() if g.grant.accesses == 0]
    assert len(refused) == 1  # the refused share logged no access; the first one did (twice)

    again = crafted_share(patient, doctor, protocol.envelope(resources, now=now), clock=clock)
    assert sum(Sharing(doctor).open(again).counts.values()) == len(resources)
    assert validator.alive and doctor.app.envelope_validator() is validator  # kept for the session
