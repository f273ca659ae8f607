"""Share planning: one clock (the chain's), names from the address book, the core's checks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from wallet.errors import KeyNotRegistered, ShareError
from wallet.services import Sharing, plan_share


def test_the_expiry_is_read_on_the_chain_clock(patient, doctor, clock) -> None:
    # The doctor's registration mined a block at the clock's time; set this computer's clock
    # a month back: the chain's clock (never before its latest block) is now a month ahead.
    chain_now = Sharing(patient).now()
    clock.at = chain_now - timedelta(days=30)
    assert Sharing(patient).now() == chain_now != patient.app.clock.now()

    plan = plan_share(patient, categories=["Immunizations"], record_ids=[], grantee=doctor.identity.address,
                      name="  Dr   Quinn ", expiry="7d")
    assert plan.expires_at == chain_now + timedelta(days=7)  # not the app clock's now + 7 days
    assert plan.grantee_name == "Dr Quinn" and plan.records == 7 and plan.gas

    # the grant it plans is accepted by the chain (an app-clock expiry would already be past there)
    receipt = Sharing(patient).grant(plan.grantee, record_ids=plan.record_ids, expires_at=plan.expires_at)
    assert receipt.expires_at == chain_now + timedelta(days=7)


def test_a_saved_name_names_the_doctor(patient, doctor, open_wallet) -> None:
    patient.address_book().save_contact("Dr Quinn", doctor.identity.address)
    plan = plan_share(patient, categories=["Immunizations"], record_ids=[], grantee="dr  quinn", name="",
                      expiry="1d")
    assert plan.grantee == doctor.identity.address

    with pytest.raises(ShareError, match="address book"):
        plan_share(patient, categories=["Immunizations"], record_ids=[], grantee="Dr Who", name="", expiry="1d")
    stranger = open_wallet("stranger")  # no key on chain
    with pytest.raises(KeyNotRegistered):
        plan_share(patient, categories=["Immunizations"], record_ids=[], grantee=stranger.identity.address,
                   name="", expiry="1d")
    with pytest.raises(ShareError, match="own address"):
        plan_share(patient, categories=["Immunizations"], record_ids=[], grantee=patient.identity.address,
                   name="", expiry="1d")
