"""A share a pinning service holds is not at risk: the services are asked (a real keeper)."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import FIXTURES
from tests.pinning.conftest import KEEPER_TOKEN, RunningKeeper, keeper, make_node  # noqa: F401 - fixtures
from wallet.services import Sharing
from wallet.services.availability import ShareWatch, issued_shares
from wallet.services.pinning import RemotePinning, origins_of, pin_remotely, unpin_remotely

SMALL_PATIENT = FIXTURES / "synthea" / "Ned_Hintz_e4b9259d-0f54-48d1-a35d-b526729a4dfe.json"


def test_the_services_say_which_unopened_shares_they_hold(open_wallet, keeper: RunningKeeper) -> None:  # noqa: F811
    patient, doctor = open_wallet("patient"), open_wallet("doctor")
    patient.import_file(SMALL_PATIENT)
    assert Sharing(doctor).register_key() is not None

    RemotePinning(patient).add("Home", keeper.url, KEEPER_TOKEN)
    sharing = Sharing(patient)
    receipt = sharing.grant(doctor.identity.address, record_ids=sharing.choose_records(types=["Immunization"]),
                            expires_at=sharing.now() + timedelta(days=7), grantee_name="Dr Quinn")
    unpin_remotely(patient, receipt.cid)  # whatever the grant itself asked for: start from "held only here"
    watch = ShareWatch()
    watch.update(issued_shares(patient), now=patient.app.clock.now())
    assert [s.held_remotely for s in watch.shares] == [False] and watch.quit_warning() is not None

    held = pin_remotely(patient, receipt.cid, origins_of(patient))
    assert [h.status for h in held] == ["pinned"]
    watch.update(issued_shares(patient), now=patient.app.clock.now())
    assert [s.held_remotely for s in watch.shares] == [True] and watch.quit_warning() is None
