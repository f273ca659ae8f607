"""A JSON-RPC chain: unreachable nodes, missing contracts, real gas money, POA blocks, stuck transactions."""

from __future__ import annotations

import json
import os
import threading
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from eth_account import Account
from web3 import Web3
from web3.exceptions import ExtraDataLengthError, TransactionNotFound

from tests.chain.anvil_node import AnvilNode, _free_port
from tests.chain.conftest import CID
from wallet.chain import connect_rpc, new_grant_id
from wallet.errors import ChainUnavailable, InsufficientFunds, TransactionPending


def test_a_node_that_is_not_running_is_reported_clearly() -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    with pytest.raises(ChainUnavailable) as info:
        connect_rpc(url, timeout=2)
    assert url in info.value.user_message and "not reachable" in info.value.user_message


def test_a_node_that_stops_mid_session_is_reported_clearly() -> None:
    node = AnvilNode().start()
    try:
        backend = connect_rpc(node.url, timeout=2)
        backend.deploy(Account.create())
        gid = new_grant_id(Account.create().address)
        assert backend.is_active(gid) is False
    finally:
        node.stop()
    for attempt in (lambda: backend.is_active(gid), lambda: backend.register_key(Account.create(), os.urandom(32)),
                    lambda: backend.grants_by_patient(Account.create().address), backend.now):
        with pytest.raises(ChainUnavailable) as info:
            attempt()
        assert node.url in info.value.user_message


def test_only_http_urls() -> None:
    with pytest.raises(ChainUnavailable):
        connect_rpc("ipc:///tmp/nothing")


def test_missing_or_absent_contract(anvil: AnvilNode) -> None:
    nowhere = Account.create().address
    with pytest.raises(ChainUnavailable) as info:
        connect_rpc(anvil.url, contract_address=nowhere)
    assert nowhere in info.value.user_message and "deploy" in info.value.user_message
    with AnvilNode("--chain-id", "100") as node:  # not a development chain: nothing is deployed by itself
        unconfigured = connect_rpc(node.url)
        assert unconfigured.contract_address is None
        with pytest.raises(ChainUnavailable) as info:
            unconfigured.is_active(new_grant_id(nowhere))
        assert "deploy-contract" in info.value.user_message
        assert unconfigured.canonical_address in info.value.user_message


def test_on_other_chains_the_wallet_says_how_much_gas_money_it_needs() -> None:
    with AnvilNode("--chain-id", "4242") as node:
        backend = connect_rpc(node.url)
        assert backend.chain_id == 4242 and not backend.is_development
        poor = Account.create()
        with pytest.raises(InsufficientFunds) as info:
            backend.deploy(poor)
        assert poor.address in info.value.user_message and "ETH" in info.value.user_message
        node.rpc("anvil_setBalance", poor.address, hex(10**18))
        deployment = backend.deploy(poor)
        assert deployment.address == backend.contract_address
        doctor = Account.create()
        with pytest.raises(InsufficientFunds):
            backend.register_key(doctor, os.urandom(32))  # no faucet here
        assert backend.balance(doctor.address) == 0


class _PoaProxy(BaseHTTPRequestHandler):
    """Forwards JSON-RPC to anvil and gives every block a 97-byte extraData, as POA chains do."""

    upstream = ""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = urllib.request.Request(self.upstream, data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            doc = json.loads(response.read())
        calls = json.loads(body)
        for call, answer in zip(calls if isinstance(calls, list) else [calls], doc if isinstance(doc, list) else [doc]):
            if call.get("method", "").startswith("eth_getBlockBy") and isinstance(answer.get("result"), dict):
                answer["result"]["extraData"] = "0x" + "ab" * 97
        payload = json.dumps(doc).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def poa_url(anvil: AnvilNode) -> Iterator[str]:
    handler = type("Proxy", (_PoaProxy,), {"upstream": anvil.url})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_proof_of_authority_blocks_are_accepted(poa_url: str, anvil_contract: str) -> None:
    with pytest.raises(ExtraDataLengthError):
        Web3(Web3.HTTPProvider(poa_url)).eth.get_block("latest")  # what the middleware is for
    backend = connect_rpc(poa_url, contract_address=anvil_contract, poll_interval=0.05)
    patient, doctor = Account.create(), Account.create()
    gid = new_grant_id(doctor.address)
    backend.grant(patient, gid, doctor.address, CID, os.urandom(93), backend.now() + timedelta(hours=1))
    assert backend.is_active(gid)
    assert backend.access_log(patient.address)[0].at.year >= 2024


def test_a_transaction_that_is_not_mined_in_time_does_not_block_the_next() -> None:
    with AnvilNode() as node:
        backend = connect_rpc(node.url, receipt_timeout=0.5, poll_interval=0.05)
        backend.deploy(Account.create())
        patient, doctor = Account.create(), Account.create()
        node.rpc("anvil_setBalance", patient.address, hex(10**18))
        node.rpc("evm_setAutomine", False)  # the node stops mining: the grant stays pending
        first = new_grant_id(doctor.address)
        expires = backend.now() + timedelta(hours=1)
        with pytest.raises(TransactionPending) as info:
            backend.grant(patient, first, doctor.address, CID, os.urandom(93), expires)
        assert info.value.tx_hash in info.value.user_message
        assert not backend.is_active(first)

        # The next grant re-sends the stuck one with a higher fee, then goes out with the
        # next nonce; one block (mined while it waits) confirms both.
        backend.receipt_timeout = 20
        timer = threading.Timer(0.3, node.rpc, args=("evm_mine",))
        timer.start()
        second = new_grant_id(doctor.address)
        backend.grant(patient, second, doctor.address, CID, os.urandom(93), expires)
        timer.join()
        assert backend.is_active(first) and backend.is_active(second)
        assert backend.web3.eth.get_transaction_count(patient.address) == 2
        replacement = backend.grant_info(first).grant_tx
        assert replacement != info.value.tx_hash
        with pytest.raises(TransactionNotFound):  # the underpriced original was replaced, never mined
            backend.web3.eth.get_transaction(info.value.tx_hash)
