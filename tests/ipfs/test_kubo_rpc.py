"""The Kubo RPC backend over real HTTP on loopback.

Which endpoint it talks to: a Kubo daemon when ``HEALTH_WALLET_TEST_KUBO_API`` names
one (e.g. ``/ip4/127.0.0.1/tcp/5001`` of IPFS Desktop or ``ipfs daemon``); otherwise
``tests/ipfs/kubo_rpc_server.py``, a loopback HTTP server that answers Kubo's documented
request and response shapes and stores everything in a real embedded Kubo node. Either
way the content then moves between real Kubo nodes over libp2p. The failure cases
(nothing listening, a silent server, a server that is not Kubo, a Kubo too old) use
their own loopback servers.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from wallet.errors import DecryptionError, IpfsError, IpfsNotFound, IpfsUnavailable
from wallet.ipfs import Cid, IpfsBackend, PinInfo
from wallet.ipfs.kubo_rpc import KuboRpcBackend, api_multiaddr
from wallet.ipfs.sealed import fetch_sealed, publish_sealed
from wallet.vault import stream

from .conftest import MakeNode
from .kubo_rpc_server import KuboRpcServer

NOBODY_HAS_THIS = Cid("QmYMobsHUtQ2z8tKWLjCcyXytKpA2uuWLhQMkegcNLWiCt")
REAL_DAEMON = os.environ.get("HEALTH_WALLET_TEST_KUBO_API", "")


@pytest.fixture
def rpc(make_node: MakeNode) -> Iterator[KuboRpcBackend]:
    if REAL_DAEMON:
        backend = KuboRpcBackend(REAL_DAEMON, timeout=10)
        yield backend
        backend.close()
        return
    with KuboRpcServer(make_node("daemon"), cat_timeout=20) as server:
        backend = KuboRpcBackend(server.api, timeout=10)
        yield backend
        backend.close()


def test_round_trip_pins_and_identity(rpc: KuboRpcBackend, content_key: bytes, bundle_bytes: bytes) -> None:
    assert isinstance(rpc, IpfsBackend)
    info = rpc.wait_ready()
    assert info.peer_id and "Kubo" in rpc.description
    cid = publish_sealed(rpc, content_key, bundle_bytes, purpose="share", aad=b"grant-9")
    assert fetch_sealed(rpc, cid, content_key, purpose="share", aad=b"grant-9", timeout=20) == bundle_bytes
    assert PinInfo(cid) in rpc.pins()
    rpc.unpin(cid)
    rpc.unpin(cid)  # not pinned any more: no error
    assert PinInfo(cid) not in rpc.pins()
    rpc.pin(cid, timeout=20)
    assert PinInfo(cid) in rpc.pins()
    rpc.unpin(cid)


def test_blocks_move_between_the_daemon_and_an_embedded_node(
    rpc: KuboRpcBackend, make_node: MakeNode, content_key: bytes, bundle_bytes: bytes
) -> None:
    doctor = make_node("doctor")
    cid = publish_sealed(rpc, content_key, bundle_bytes, purpose="share")
    loopback = [a for a in rpc.node_info().dial_addresses if a.startswith("/ip4/127.0.0.1/tcp/")]
    assert loopback, rpc.node_info()
    doctor.connect(loopback[0])
    assert fetch_sealed(doctor, cid, content_key, purpose="share", timeout=30) == bundle_bytes
    # and the other way: the daemon dials the embedded node and pins what it published
    back = doctor.add(stream.seal_bytes(content_key, b"reply", purpose="share"))
    rpc.connect(doctor.node_info().dial_addresses[0])
    rpc.pin(back, timeout=30)
    assert fetch_sealed(rpc, back, content_key, purpose="share", timeout=10) == b"reply"
    rpc.unpin(back)
    rpc.unpin(cid)


def test_altered_envelope_is_a_decryption_error(rpc: KuboRpcBackend, content_key: bytes) -> None:
    blob = bytearray(stream.seal_bytes(content_key, b"x" * 10_000, purpose="share"))
    blob[30] ^= 0x01
    cid = rpc.add(bytes(blob))
    with pytest.raises(DecryptionError):
        fetch_sealed(rpc, cid, content_key, purpose="share", timeout=10)
    rpc.unpin(cid)


def test_missing_content_is_not_found(rpc: KuboRpcBackend) -> None:
    start = time.monotonic()
    with pytest.raises(IpfsNotFound):
        rpc.get(NOBODY_HAS_THIS, timeout=1.5)
    assert time.monotonic() - start < 10


def test_bad_peer_address_is_refused(rpc: KuboRpcBackend) -> None:
    with pytest.raises(IpfsError):
        rpc.connect("/ip4/127.0.0.1/tcp/1")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_nothing_listening_is_unavailable() -> None:
    backend = KuboRpcBackend(f"/ip4/127.0.0.1/tcp/{_free_port()}", timeout=2)
    with pytest.raises(IpfsUnavailable) as err:
        backend.wait_ready()
    assert "IPFS Desktop" in err.value.user_message
    with pytest.raises(IpfsUnavailable):
        backend.add(b"x")


def test_silent_server_times_out_as_unavailable() -> None:
    with socket.socket() as silent:  # accepts connections (backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        backend = KuboRpcBackend(f"/ip4/127.0.0.1/tcp/{silent.getsockname()[1]}", timeout=1)
        start = time.monotonic()
        with pytest.raises(IpfsUnavailable) as err:
            backend.wait_ready()
        assert time.monotonic() - start < 10
    assert "no answer" in err.value.user_message


def test_server_that_is_not_kubo_is_unavailable() -> None:
    class NotKubo(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(404)
            self.send_header("Content-Length", "9")
            self.end_headers()
            self.wfile.write(b"not found")

        def log_message(self, *args: object) -> None:
            pass

    httpd = HTTPServer(("127.0.0.1", 0), NotKubo)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with pytest.raises(IpfsUnavailable):
            KuboRpcBackend(f"http://127.0.0.1:{httpd.server_address[1]}", timeout=3).wait_ready()
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_old_kubo_is_refused(make_node: MakeNode) -> None:
    with KuboRpcServer(make_node("old"), version="0.4.23") as server, pytest.raises(IpfsUnavailable) as err:
        KuboRpcBackend(server.api, timeout=3).wait_ready()
    assert "too old" in err.value.user_message


def test_daemon_that_goes_away_is_unavailable(make_node: MakeNode) -> None:
    server = KuboRpcServer(make_node("gone")).start()
    backend = KuboRpcBackend(server.api, timeout=3)
    backend.wait_ready()
    server.stop()
    with pytest.raises(IpfsUnavailable):
        backend.get(NOBODY_HAS_THIS, timeout=2)


def test_api_addresses() -> None:
    assert api_multiaddr("/ip4/127.0.0.1/tcp/5001") == "/ip4/127.0.0.1/tcp/5001"
    assert api_multiaddr("http://127.0.0.1:5001") == "/ip4/127.0.0.1/tcp/5001/http"
    assert api_multiaddr("localhost:5001") == "/dns/localhost/tcp/5001/http"
    with pytest.raises(IpfsUnavailable):
        api_multiaddr("ftp://127.0.0.1:21")
