"""Which shares depend on this computer, what changed, and a locked wallet that keeps serving."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import FIXTURES, PASSPHRASE
from wallet.errors import IpfsUnavailable
from wallet.services import Sharing, WalletService
from wallet.services.availability import (
    ShareWatch,
    WatchedShare,
    issued_shares,
    keep_sharing_after_close,
    refresh_shares,
    set_keep_sharing_after_close,
)

SMALL_PATIENT = FIXTURES / "synthea" / "Ned_Hintz_e4b9259d-0f54-48d1-a35d-b526729a4dfe.json"
NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
GID = "0x" + "ab" * 20 + "00" * 12


def share(**changes) -> WatchedShare:
    values = {"grant_id": GID, "grantee": "0x" + "ab" * 20, "name": "Dr Quinn", "cid": "bafy", "accesses": 0,
              "expires_at": NOW + timedelta(days=7), "status": "active"}
    return WatchedShare(**{**values, **changes})


def test_a_share_is_at_risk_while_active_unopened_and_held_only_here() -> None:
    assert share().at_risk
    assert not share(accesses=1).at_risk
    assert not share(held_remotely=True).at_risk
    assert not share(status="revoked").at_risk and not share(status="expired").at_risk
    for bad in ({"status": "pending?"}, {"accesses": -1}, {"expires_at": datetime(2030, 1, 1)},
                {"grant_id": "0x12"}):
        with pytest.raises(ValueError):  # InvalidGrantId is a ValueError too
            share(**bad)


def test_the_watch_announces_opens_after_its_first_reading_and_expiry_once() -> None:
    watch = ShareWatch()
    assert watch.update([share(accesses=2)], now=NOW) == []  # the baseline: earlier opens are not news
    assert watch.quit_warning() is None
    opened = watch.update([share(accesses=3)], now=NOW)
    assert [(n.kind, n.text) for n in opened] == [("opened", "Dr Quinn opened the records you shared.")]
    twice = watch.update([share(accesses=5)], now=NOW)
    assert twice[0].text == "Dr Quinn opened the records you shared 2 times."
    assert watch.update([share(accesses=5)], now=NOW) == []

    soon = NOW + timedelta(days=7) - timedelta(hours=3, minutes=10)
    expiring = watch.update([share(accesses=5)], now=soon)
    assert [(n.kind, n.text) for n in expiring] == [
        ("expiring", "Your share with Dr Quinn ends in about 3 hours (2030-01-08 12:00 UTC).")]
    assert watch.update([share(accesses=5)], now=soon + timedelta(hours=1)) == []  # told once
    assert watch.update([share(accesses=5, status="revoked")], now=NOW + timedelta(days=6, hours=23)) == []


def test_the_quit_warning_names_the_unopened_shares_held_only_here() -> None:
    watch = ShareWatch()
    other = "0x" + "cd" * 20
    watch.update([share(), share(grant_id=other + "00" * 12, grantee=other, name=None),
                  share(grant_id="0x" + "ef" * 20 + "00" * 12, grantee="0x" + "ef" * 20, held_remotely=True)],
                 now=NOW)
    assert len(watch.at_risk) == 2
    warning = watch.quit_warning()
    assert warning is not None and warning.startswith("2 shares nobody has opened yet are held only on this computer")
    assert "Dr Quinn" in warning and other in warning and "pinning service" in warning
    watch.update([share(accesses=1)], now=NOW)
    assert watch.quit_warning() is None


def test_keep_sharing_is_a_typed_setting(make_service) -> None:
    service = make_service("home")
    assert keep_sharing_after_close(service.app) is True
    set_keep_sharing_after_close(service.app, False)
    assert WalletService(service.app).app.config.settings.sharing_keep_after_close is False
    assert '"sharing.keep_after_close": false' in (service.app.home / "config.json").read_text()


def test_a_locked_wallet_keeps_serving_and_hears_of_the_doctors_open(open_wallet) -> None:
    patient, doctor = open_wallet("patient"), open_wallet("doctor")
    assert issued_shares(patient) == []  # nothing shared: the chain is not even asked
    patient.import_file(SMALL_PATIENT)
    assert Sharing(doctor).register_key() is not None
    sharing = Sharing(patient)
    ids = sharing.choose_records(types=["Immunization"])
    receipt = sharing.grant(doctor.identity.address, record_ids=ids, expires_at=sharing.now() + timedelta(days=7),
                            grantee_name="Dr Quinn")

    watch = ShareWatch()
    shares = issued_shares(patient)
    assert [(s.grant_id, s.name, s.accesses, s.status, s.at_risk) for s in shares] == [
        (receipt.grant_id, "Dr Quinn", 0, "active", True)]
    assert watch.update(shares, now=NOW) == []
    assert watch.quit_warning() is not None

    # The window closes: keys and records leave memory, the node stays with the app.
    service = WalletService(patient.app)
    node = patient.ipfs()
    patient.lock(keep_serving=True)
    assert service.serving and patient.app.serving is node
    try:
        opened = Sharing(doctor).open(receipt.token, timeout=60)
        assert opened.counts["Immunization"] == 7

        again = refresh_shares(patient.app, shares)  # by id, with no key
        assert [(s.accesses, s.status) for s in again] == [(1, "active")]
        notices = watch.update(again, now=NOW)
        assert [n.text for n in notices] == ["Dr Quinn opened the records you shared."]
        assert watch.quit_warning() is None

        # Unlocking again takes the node back rather than starting a second one.
        unlocked = service.unlock(PASSPHRASE)
        assert unlocked.ipfs() is node and not service.serving
        unlocked.lock(keep_serving=True)
        assert service.serving
    finally:
        service.stop_serving()
    assert not service.serving
    with pytest.raises(IpfsUnavailable):  # the node is stopped
        node.node_info()


def test_keep_serving_starts_a_node_that_was_not_running(open_wallet) -> None:
    wallet = open_wallet("patient")
    service = WalletService(wallet.app)
    wallet.lock(keep_serving=True)
    try:
        assert service.serving
        assert wallet.app.serving is not None and wallet.app.serving.wait_ready(60).peer_id
    finally:
        service.stop_serving()
