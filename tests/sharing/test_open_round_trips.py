"""How many times the doctor's open waits for the chain node.

On a real network the chain is a JSON-RPC endpoint tens of milliseconds away, so every
sequential round trip an open makes is time the doctor waits. A real anvil (chain 100,
standing in for a public chain) sits behind :class:`CountingProxy`, which counts every
HTTP request the wallet makes (one call or a batch: one round trip each); the receipt
polls a node answers "not mined yet" to are left out (their number depends on the node's
mining, not on the wallet).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.chain.counting_proxy import CountingProxy
from tests.sharing.conftest import SMALL_PATIENT
from tests.signed_grants import RICH, PublicChain, on_chain100
from wallet.services import Sharing
from wallet.services.expiry import parse_expiry
from wallet.share.token import parse_token


@pytest.fixture
def proxy(chain100: PublicChain) -> Iterator[CountingProxy]:
    counting = CountingProxy(chain100.url)
    yield counting
    counting.close()


def _shares(open_wallet, chain100: PublicChain, proxy: CountingProxy, *, active: bool, count: int):
    """A patient's signed (not submitted) shares to a funded doctor whose profile for chain 100
    goes through ``proxy`` (its active network when ``active``)."""
    patient = open_wallet("patient")
    on_chain100(patient, chain100.url, active=True)
    patient.import_file(SMALL_PATIENT)
    doctor = open_wallet("doctor")
    on_chain100(doctor, proxy.url, active=active)
    chain100.rpc("anvil_setBalance", doctor.identity.address, RICH)
    public = chain100.backend
    public.register_key(doctor.keys.account, doctor.identity.encryption_key)
    sharing = Sharing(patient)
    ids = sharing.choose_records(types=["Immunization"])
    tokens = [sharing.grant(doctor.identity.address, record_ids=ids,
                            expires_at=parse_expiry("7d", now=public.now())).token for _ in range(count)]
    return doctor, tokens


def _open(sharing: Sharing, proxy: CountingProxy, token: str) -> list[tuple[str, ...]]:
    with proxy.counting() as requests:
        opened = sharing.open(token)
    assert opened.counts == {"Immunization": 7, "Patient": 1}
    return proxy.round_trips(requests)


CONNECT = ("eth_chainId", "eth_getCode")  # the chain id and the contract's code, checked genuine
READ = ("eth_call", "eth_getBlockByNumber", "eth_maxPriorityFeePerGas", "eth_getBalance", "eth_getTransactionCount",
        "eth_getTransactionCount", "eth_estimateGas", "eth_estimateGas")  # storage, time, the access priced
FIRST_READ = (*READ, "eth_call")  # a backend's first open also asks where the grants' events start
SEND = ("eth_sendRawTransactionSync",)  # the access log, answered with its receipt (EIP-7966)
SEND_BATCH = ("eth_sendRawTransaction", "eth_getTransactionReceipt")  # where the node does not offer that
EVENTS = ("eth_getLogs",)  # a submitted grant's events (its CID and wrapped key), read beside the fetch


def test_an_open_waits_for_the_chain_twice(open_wallet, chain100: PublicChain, proxy: CountingProxy) -> None:
    """A signed grant's first open: the grant's storage, the chain's time and the access-log
    transaction priced (both ways it may be sent) in one batch, then the transaction sent and
    its receipt answered in one request. The first open of a process connects first, in one
    round trip. A submitted grant's open adds the event query, which runs beside the fetch."""
    doctor, (first, second) = _shares(open_wallet, chain100, proxy, active=True, count=2)
    sharing = Sharing(doctor)
    assert _open(sharing, proxy, first) == [CONNECT, FIRST_READ, SEND]
    assert _open(sharing, proxy, second) == [READ, SEND]
    granted = _open(sharing, proxy, first)  # submitted by the first open
    assert sorted(granted) == sorted([READ, EVENTS, SEND])
    assert [r for r in granted if r != EVENTS] == [READ, SEND]  # what the open waits for in turn
    by_id = _open(sharing, proxy, parse_token(first).grant_id)  # the token kept at the first open is used
    assert sorted(by_id) == sorted([READ, EVENTS, SEND])


def test_a_node_without_synchronous_sends_gets_the_send_and_the_receipt_in_one_batch(
        open_wallet, chain100: PublicChain) -> None:
    """A node without ``eth_sendRawTransactionSync`` says so once per connection; from then on
    the send and a receipt request go in one batch (the receipt is asked again, not counted
    here, when the node had not mined it yet)."""
    proxy = CountingProxy(chain100.url, sync_sends=False)
    try:
        doctor, (first, second) = _shares(open_wallet, chain100, proxy, active=True, count=2)
        sharing = Sharing(doctor)
        assert _open(sharing, proxy, first) == [CONNECT, FIRST_READ, SEND, SEND_BATCH]
        assert _open(sharing, proxy, second) == [READ, SEND_BATCH]
    finally:
        proxy.close()


def test_a_profile_that_is_not_active_is_connected_once(open_wallet, chain100: PublicChain,
                                                        proxy: CountingProxy) -> None:
    """A share on a network profile other than the active one: the first open connects to it,
    the next ones reuse that connection (its chain id and its checked contract)."""
    doctor, (first, second) = _shares(open_wallet, chain100, proxy, active=False, count=2)
    sharing = Sharing(doctor)
    assert _open(sharing, proxy, first) == [CONNECT, FIRST_READ, SEND]
    assert _open(sharing, proxy, second) == [READ, SEND]
    assert len(doctor.app.network_chains) == 1


def test_a_node_without_batches_is_asked_one_call_at_a_time(open_wallet, chain100: PublicChain) -> None:
    """A node that takes no batch (and no synchronous send): the open asks one call at a time,
    after one refused batch and one refused synchronous send per connection, and opens the same."""
    proxy = CountingProxy(chain100.url, batches=False, sync_sends=False)
    try:
        doctor, (first, second) = _shares(open_wallet, chain100, proxy, active=True, count=2)
        sharing = Sharing(doctor)
        _open(sharing, proxy, first)
        trips = _open(sharing, proxy, second)
        assert [m for (m,) in trips] == ["eth_call", "eth_getBlockByNumber", "eth_estimateGas",
                                         "eth_getBlockByNumber", "eth_maxPriorityFeePerGas", "eth_getBalance",
                                         "eth_getTransactionCount", "eth_getTransactionCount",
                                         "eth_sendRawTransaction", "eth_getTransactionReceipt"]
    finally:
        proxy.close()
