"""The keeper and the client against each other, over real Kubo nodes."""

from __future__ import annotations

import json
import time

import pytest

from tests.pinning.conftest import KEEPER_TOKEN
from wallet.errors import PinningServiceError
from wallet.ipfs.cid import Cid
from wallet.ipfs.pinning_api import PinRequest, PinStatus
from wallet.ipfs.pinning_client import PinningServiceClient
from wallet.ipfs.pinning_keeper import Keeper


def wait_for(client: PinningServiceClient, status: PinStatus, *, until: tuple[str, ...] = ("pinned", "failed"),
             seen: list[str] | None = None) -> PinStatus:
    for _ in range(600):
        status = client.get(status.requestid)
        if seen is not None and (not seen or seen[-1] != status.status):
            seen.append(status.status)
        if status.status in until:
            return status
        time.sleep(0.1)
    raise AssertionError(f"the pin stayed {status.status}")


def test_pin_with_origins_reaches_pinned_and_outlives_the_origin(keeper, make_node, ciphertext) -> None:
    origin = make_node("patient")
    cid = origin.add(ciphertext)
    client = PinningServiceClient("home", keeper.url, KEEPER_TOKEN)
    queued = client.add(PinRequest(cid, "share", origin.node_info().dial_addresses))
    assert queued.status == "queued" and queued.pin.cid == cid
    assert queued.delegates and all(d.endswith("/p2p/" + keeper.node.node_info().peer_id) for d in queued.delegates)

    seen = ["queued"]
    pinned = wait_for(client, queued, seen=seen)
    assert pinned.status == "pinned"
    assert seen[-1] == "pinned" and set(seen) <= {"queued", "pinning", "pinned"}

    count, results = client.list()
    assert count == 1 and results[0].requestid == queued.requestid

    origin.close()  # the patient's computer goes away
    reader = make_node("doctor")
    reader.connect(keeper.node.node_info().dial_addresses[0])
    assert reader.get(cid, timeout=60) == ciphertext


def test_pin_list_survives_a_restart_and_each_token_sees_its_own(keeper, make_node, ciphertext, tmp_path) -> None:
    origin = make_node("patient")
    cid = origin.add(ciphertext)
    client = PinningServiceClient("home", keeper.url, KEEPER_TOKEN)
    status = wait_for(client, client.add(PinRequest(cid, "", origin.node_info().dial_addresses)))
    assert status.status == "pinned"

    on_disk = json.loads((keeper.directory / "pins.json").read_text())
    assert on_disk["version"] == 1 and KEEPER_TOKEN not in json.dumps(on_disk)

    again = Keeper(keeper.node, keeper.directory)
    again.start()
    try:
        owner = on_disk["pins"][0]["owner"]
        assert again.get(owner, status.requestid).status == "pinned"
        assert again.get("someone-else", status.requestid) is None
    finally:
        again.stop()

    client.remove(status.requestid)
    assert client.list()[0] == 0
    assert cid not in {p.cid for p in keeper.node.pins()}  # unpinned from the keeper's node
    with pytest.raises(PinningServiceError, match=r"home has no such pin.*\(404"):
        client.get(status.requestid)


def test_a_cid_nobody_has_ends_failed_with_a_reason(keeper, tmp_path) -> None:
    short = Keeper(keeper.node, tmp_path / "short", pin_timeout=1)
    short.start()
    try:
        absent = Cid.parse("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku")
        status = short.add("me", PinRequest(absent))
        for _ in range(300):
            current = short.get("me", status.requestid)
            if current.status == "failed":
                break
            time.sleep(0.05)
        assert current.status == "failed" and "could not be fetched" in current.info["reason"]
    finally:
        short.stop()


def test_the_keeper_refuses_what_the_spec_refuses(keeper) -> None:
    import requests

    bad = PinningServiceClient("home", keeper.url, "not-the-token-0000000000")
    with pytest.raises(PinningServiceError, match=r"home refused the access token \(401") as caught:
        bad.list()
    assert caught.value.status == 401 and "not-the-token" not in caught.value.user_message
    answer = requests.post(keeper.url + "/pins", json={"cid": "not a cid"},
                           headers={"Authorization": f"Bearer {KEEPER_TOKEN}"}, timeout=10)
    assert answer.status_code == 400 and answer.json()["error"]["reason"] == "BAD_REQUEST"
    answer = requests.get(keeper.url + "/pins?status=lost", headers={"Authorization": f"Bearer {KEEPER_TOKEN}"},
                          timeout=10)
    assert answer.status_code == 400


def test_replace_and_list_filters_follow_the_spec(keeper, make_node, ciphertext) -> None:
    origin = make_node("patient")
    first, second = origin.add(ciphertext), origin.add(ciphertext[::-1])
    client = PinningServiceClient("home", keeper.url, KEEPER_TOKEN)
    origins = origin.node_info().dial_addresses
    one = wait_for(client, client.add(PinRequest(first, "one", origins)))
    replaced = client.replace(one.requestid, PinRequest(second, "two", origins))
    assert replaced.requestid != one.requestid and replaced.pin.cid == second
    with pytest.raises(PinningServiceError, match=r"\(404"):
        client.get(one.requestid)
    wait_for(client, replaced)
    assert client.list(cids=[second])[0] == 1
    assert client.list(cids=[first])[0] == 0
    assert client.list(statuses=["failed"])[0] == 0
    assert first not in {p.cid for p in keeper.node.pins()} and second in {p.cid for p in keeper.node.pins()}


def test_requests_left_queued_are_taken_up_on_the_next_start(keeper, make_node, ciphertext, tmp_path) -> None:
    origin = make_node("patient")
    cid = origin.add(ciphertext)
    folder = tmp_path / "restarted"
    stopped = Keeper(keeper.node, folder)  # never started: the request stays queued on disk
    folder.mkdir()
    status = stopped.add("me", PinRequest(cid, "", origin.node_info().dial_addresses))
    assert json.loads((folder / "pins.json").read_text())["pins"][0]["status"]["status"] == "queued"
    again = Keeper(keeper.node, folder, pin_timeout=60)
    again.start()
    try:
        for _ in range(600):
            if again.get("me", status.requestid).status in ("pinned", "failed"):
                break
            time.sleep(0.1)
        assert again.get("me", status.requestid).status == "pinned"
    finally:
        again.stop()
