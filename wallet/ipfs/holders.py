"""Fetch sealed data from the nodes said to hold it, and say within seconds when none is reachable.

A share token or a backup pointer names who holds the data: the sharing computer's node
and the pinning services' delegates. Waiting the whole fetch time-out (a minute) to learn
that nobody answers is the slow way; instead :func:`fetch_sealed_from`:

1. dials every named holder at once, each for at most :data:`DIAL_TIMEOUT` seconds, and
   goes on as soon as the first one answers (an offline holder, typically the sharing
   computer itself, must not hold the fetch up for its whole dial time-out);
2. when none answers, looks for the data for :data:`QUICK_LOOK` seconds only (it may be
   in this node already, or with a peer it is connected to) and otherwise raises
   :class:`~wallet.errors.IpfsNotFound` with the caller's one line (``unreachable``);
3. when one answers, fetches with the full time-out.

With no holder named there is nothing to decide early: the fetch waits as before.
The embedded Kubo library has no content routing call (``findprovs``), so reaching a
named holder is the test; a node found through the DHT still serves step 2 and 3.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from ..errors import IpfsNotFound, WalletError
from ..vault.stream import DEFAULT_MAX_PLAINTEXT
from .backend import DEFAULT_GET_TIMEOUT, IpfsBackend
from .cid import Cid
from .sealed import fetch_sealed

__all__ = ["DIAL_TIMEOUT", "QUICK_LOOK", "dial_first", "dial_holders", "fetch_sealed_from"]

DIAL_TIMEOUT = 5.0
"""Seconds one holder's address gets to answer a dial."""

QUICK_LOOK = 3.0
"""Seconds spent looking for the data when no named holder answered."""


def dial_holders(ipfs: IpfsBackend, addresses: Sequence[str], *, timeout: float = DIAL_TIMEOUT) -> tuple[str, ...]:
    """Dial every address at once; the ones that connected (in the order given)."""
    reached: list[bool] = [False] * len(addresses)

    def dial(i: int) -> None:
        try:
            ipfs.connect(addresses[i], timeout=timeout)
        except WalletError:
            return
        reached[i] = True

    threads = [threading.Thread(target=dial, args=(i,), name="ipfs-dial", daemon=True)
               for i in range(len(addresses))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout + 1)
    return tuple(a for a, ok in zip(addresses, reached, strict=True) if ok)


def dial_first(ipfs: IpfsBackend, addresses: Sequence[str], *, timeout: float = DIAL_TIMEOUT) -> str | None:
    """Dial every address at once; the first that connected, or ``None`` once all failed
    (at most ``timeout`` seconds). The other dials go on in the background: a holder that
    answers later still serves the fetch."""
    answered = threading.Condition()
    state: dict[str, Any] = {"first": None, "failed": 0}

    def dial(address: str) -> None:
        ok = False
        try:
            ipfs.connect(address, timeout=timeout)
            ok = True
        except WalletError:
            return
        finally:
            with answered:
                if ok and state["first"] is None:
                    state["first"] = address
                elif not ok:
                    state["failed"] += 1
                answered.notify_all()

    for address in addresses:
        threading.Thread(target=dial, args=(address,), name="ipfs-dial", daemon=True).start()
    with answered:
        answered.wait_for(lambda: state["first"] is not None or state["failed"] >= len(addresses), timeout + 1)
        first: str | None = state["first"]
        return first


def fetch_sealed_from(ipfs: IpfsBackend, cid: Cid, key: bytes, *, holders: Sequence[str], unreachable: str,
                      purpose: str, aad: bytes = b"", max_plaintext: int = DEFAULT_MAX_PLAINTEXT,
                      timeout: float = DEFAULT_GET_TIMEOUT) -> bytes:
    """Fetch and open ``cid`` after dialling ``holders`` (multiaddrs with ``/p2p/``).

    Raises :class:`IpfsNotFound` with ``unreachable`` within about
    ``DIAL_TIMEOUT + QUICK_LOOK`` seconds when holders were named and none answered, and
    the errors of :func:`~wallet.ipfs.sealed.fetch_sealed` otherwise.
    """
    named = [a for a in holders if isinstance(a, str) and "/p2p/" in a]
    if named and dial_first(ipfs, named) is None:
        try:
            return fetch_sealed(ipfs, cid, key, purpose=purpose, aad=aad, max_plaintext=max_plaintext,
                                timeout=min(QUICK_LOOK, timeout))
        except IpfsNotFound as exc:
            raise IpfsNotFound(unreachable) from exc
    return fetch_sealed(ipfs, cid, key, purpose=purpose, aad=aad, max_plaintext=max_plaintext, timeout=timeout)
