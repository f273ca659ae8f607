"""Pinning services of a wallet: tokens kept safely, pin_remotely/unpin_remotely, backups held remotely."""

from __future__ import annotations

import json

import keyring
import pytest
from keyring.backends import null

from tests.pinning.conftest import KEEPER_TOKEN
from tests.pinning.spec_server import TOKEN, SpecServer
from tests.sharing.conftest import SMALL_PATIENT
from wallet.errors import ConfigError, IpfsNotFound, PinningServiceError
from wallet.events import CancelToken
from wallet.services import HEALTH_RECORDS, Backups
from wallet.services.backups import where_held
from wallet.services.pinning import (
    NO_SHARE_HOLDER,
    RemotePinning,
    availability,
    dial_hints,
    pin_remotely,
    pinned_remotely,
    unpin_remotely,
)
from wallet.services.pinning_tokens import SEALED, TOKENS_FILE, TokenStore
from wallet.share.backup_pointer import parse_pointer


def files_text(home) -> str:
    return "".join(p.read_bytes().decode("latin-1") for p in home.iterdir() if p.is_file())


def test_tokens_go_to_the_keyring_never_to_config(open_wallet, keeper, memory_keyring) -> None:
    wallet = open_wallet("patient")
    state = RemotePinning(wallet).add("Home", keeper.url, KEEPER_TOKEN)
    assert (state.name, state.pins, state.status, state.token_in) == ("Home", 0, "ok", "keyring")
    assert KEEPER_TOKEN in memory_keyring.items.values()
    assert KEEPER_TOKEN not in files_text(wallet.app.home)
    assert json.loads((wallet.app.home / "pinning.json").read_text())["services"][0]["token"] == "keyring"
    assert KEEPER_TOKEN not in repr(RemotePinning(wallet).client(RemotePinning(wallet).services()[0]))

    with pytest.raises(ConfigError, match="already called"):
        RemotePinning(wallet).add("home", keeper.url, KEEPER_TOKEN)
    RemotePinning(wallet).remove("Home")
    assert RemotePinning(wallet).services() == [] and KEEPER_TOKEN not in memory_keyring.items.values()


def test_without_a_keyring_tokens_are_sealed_by_the_wallet_keys(open_wallet, monkeypatch) -> None:
    monkeypatch.setattr(keyring.core, "_keyring_backend", null.Keyring())
    wallet = open_wallet("patient")
    store = TokenStore(wallet.app.home, wallet.keys, backend=None)
    assert store.put("Acme", TOKEN) == SEALED
    assert TOKEN.encode() not in (wallet.app.home / TOKENS_FILE).read_bytes()
    assert store.get("Acme", SEALED) == TOKEN
    other = open_wallet("someone-else")
    (other.app.home / TOKENS_FILE).write_bytes((wallet.app.home / TOKENS_FILE).read_bytes())
    with pytest.raises(Exception, match="damaged"):
        TokenStore(other.app.home, other.keys, backend=None).get("Acme", SEALED)
    store.delete("Acme", SEALED)
    assert not (wallet.app.home / TOKENS_FILE).exists()


def test_a_refused_token_keeps_nothing(open_wallet, keeper) -> None:
    wallet = open_wallet("patient")
    with pytest.raises(PinningServiceError, match=r"401"):
        RemotePinning(wallet).add("Home", keeper.url, "wrong-token-000000000000")
    assert RemotePinning(wallet).services() == []


def test_pin_remotely_reports_progress_and_returns_the_holders(open_wallet, keeper, ciphertext) -> None:
    wallet = open_wallet("patient")
    RemotePinning(wallet).add("Home", keeper.url, KEEPER_TOKEN)
    ipfs = wallet.ipfs()
    cid = ipfs.add(ciphertext)
    steps: list[str] = []
    held = pin_remotely(wallet, cid, ipfs.node_info().dial_addresses, lambda p: steps.append(p.message), None)
    assert [h.service for h in held] == ["Home"] and held[0].pinned and held[0].problem is None
    assert held[0].delegates == keeper.keeper.delegates
    assert steps[0] == "Home: queued" and steps[-1] == "Home: pinned"
    assert set(steps) <= {"Home: queued", "Home: pinning", "Home: pinned"}
    assert availability(held) == "Available without this computer: held by Home."
    assert dial_hints(held) and all("/p2p/" in a for a in dial_hints(held))
    assert cid in {p.cid for p in keeper.node.pins()}
    assert pinned_remotely(wallet) == {cid.value}

    assert unpin_remotely(wallet, cid) == []
    assert pinned_remotely(wallet) == frozenset()
    assert RemotePinning(wallet).check("Home").pins == 0
    assert cid not in {p.cid for p in keeper.node.pins()}


def test_failures_are_lines_in_the_result_and_the_data_stays(open_wallet, ciphertext) -> None:
    wallet = open_wallet("patient")
    cid = wallet.ipfs().add(ciphertext)
    with SpecServer("ok") as failing, SpecServer("ok") as refusing:
        RemotePinning(wallet).add("Acme", failing.url, TOKEN)
        RemotePinning(wallet).add("Other", refusing.url, TOKEN)
        failing.mode, refusing.mode = "failed", "unauthorized"
        held = pin_remotely(wallet, cid, (), None, None, timeout=30)
        states = RemotePinning(wallet).states()
    by_name = {h.service: h for h in held}
    assert by_name["Acme"].status == "failed" and "Acme could not keep a copy" in by_name["Acme"].problem
    assert by_name["Other"].status == "error" and "401" in by_name["Other"].problem
    assert availability(held) == "Available only while this computer is online."
    assert next(s.status for s in states if s.name == "Other").startswith("The pinning service Other refused")
    assert cid in {p.cid for p in wallet.ipfs().pins()}  # still here: the share itself is untouched


def test_cancel_stops_the_wait_not_the_pin(open_wallet, ciphertext) -> None:
    wallet = open_wallet("patient")
    cid = wallet.ipfs().add(ciphertext)
    with SpecServer("ok") as server:  # it never says pinned
        RemotePinning(wallet).add("Acme", server.url, TOKEN)
        cancel = CancelToken()
        cancel.cancel()
        held = pin_remotely(wallet, cid, (), None, cancel, timeout=600)
    assert held[0].status == "queued" and "goes on in the background" in held[0].problem
    assert availability(held).startswith("Available only while this computer is online, until Acme")


def test_a_backup_held_by_the_keeper_restores_from_the_phrase_alone(open_wallet, keeper) -> None:
    from wallet.vault.keys import new_phrase

    phrase = new_phrase()
    old = open_wallet("old-laptop", phrase)
    old.import_file(SMALL_PATIENT)
    RemotePinning(old).add("Home", keeper.url, KEEPER_TOKEN)
    first = Backups(old).publish()
    assert [(h.service, h.status) for h in first.held_by] == [("Home", "pinned")]
    pointer = Backups(old).latest()
    assert pointer.cid.value == first.cid and [h.name for h in pointer.holders] == ["Home"]
    assert pointer.holders[0].delegates and where_held(pointer) == "at Home"
    second = Backups(old).publish()  # a new envelope (fresh nonce, and the first backup's note)
    assert second.cid != first.cid
    remaining = {p.cid.value for p in keeper.node.pins()}
    assert second.cid in remaining and first.cid not in remaining  # the superseded backup is unpinned there
    old.lock()  # the old laptop is gone

    new = open_wallet("new-laptop", phrase)
    cid, result = Backups(new).restore()  # no CID, no peer: the pointer says where
    assert cid == second.cid and result.total == second.records + 1  # the first backup's note goes along, uncounted
    assert len(new.summaries(category=HEALTH_RECORDS)) == second.records


def test_no_reachable_holder_is_said_within_seconds(open_wallet, doctor) -> None:
    from wallet.services import Sharing

    patient = open_wallet("patient")
    patient.import_file(SMALL_PATIENT)
    sharing = Sharing(patient)
    receipt = sharing.grant(doctor.identity.address, record_ids=sharing.choose_records(types=["Condition"]),
                            expires_at=sharing.expires_at("7d"))
    patient.lock()  # the patient's computer goes offline; no pinning service holds the share
    with pytest.raises(IpfsNotFound) as caught:
        Sharing(doctor).open(receipt.token, timeout=600)  # the one line comes from the quick path, not the wait
    assert caught.value.user_message == NO_SHARE_HOLDER


def test_old_plain_cid_pointers_still_read() -> None:
    pointer = parse_pointer("QmXJSRUi43ACLCCwQs3UHcEarRLWrsyMAWnqhatYZnXrxF")
    assert pointer.version == 0 and pointer.holders == () and where_held(pointer) == "only on your old computer"


def test_the_token_never_reaches_a_log_or_a_repr(open_wallet, keeper, ciphertext, caplog) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    wallet = open_wallet("patient")
    pinning = RemotePinning(wallet)
    pinning.add("Home", keeper.url, KEEPER_TOKEN)
    cid = wallet.ipfs().add(ciphertext)
    held = pin_remotely(wallet, cid, wallet.ipfs().node_info().dial_addresses)
    unpin_remotely(wallet, cid)
    pinning.states()
    shown = caplog.text + repr(pinning) + repr(held) + repr(pinning.services()) + repr(pinning._tokens())
    assert caplog.records and KEEPER_TOKEN not in shown
