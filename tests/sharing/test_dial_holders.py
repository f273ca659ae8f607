"""Dialling a share's holders: the fetch goes on as soon as one holder answers, however long
an offline one (typically the sharing computer itself) takes to give up.

The node here is a stand-in whose dials are held and released by the test, so the order of
events is fixed and nothing depends on how fast the machine is."""

from __future__ import annotations

import threading

from wallet.errors import IpfsUnavailable
from wallet.ipfs.holders import dial_first

ANSWERS = "/ip4/198.18.0.2/tcp/4001/p2p/12D3KooWKeeper"
SILENT = "/ip4/198.18.0.3/tcp/4001/p2p/12D3KooWPatient"


class HeldDials:
    """``connect`` answers at once for ``ANSWERS``; for any other address it waits until
    released (or ``timeout``), then fails as an unreachable peer does."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.silent_done = threading.Event()

    def connect(self, address: str, *, timeout: float = 30.0) -> None:
        if address == ANSWERS:
            return
        try:
            self.release.wait(timeout)
            raise IpfsUnavailable(f"Could not reach the IPFS peer {address} within {timeout:g} seconds.")
        finally:
            self.silent_done.set()


def test_the_first_holder_that_answers_is_used_while_an_offline_one_still_dials() -> None:
    node = HeldDials()
    try:
        assert dial_first(node, [SILENT, ANSWERS], timeout=10) == ANSWERS  # type: ignore[arg-type]
        assert not node.silent_done.is_set()  # it did not wait for the offline holder's dial to end
    finally:
        node.release.set()


def test_no_holder_answering_is_known_once_every_dial_failed() -> None:
    node = HeldDials()
    node.release.set()  # every silent dial fails at once
    assert dial_first(node, [SILENT, SILENT.replace("0.3", "0.4")], timeout=10) is None  # type: ignore[arg-type]
    assert node.silent_done.is_set()
