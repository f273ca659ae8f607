"""A JSON-RPC endpoint in front of a real node that counts round trips.

Every HTTP request the wallet makes is one round trip to the node, whether it carries one
call or a batch; :class:`CountingProxy` forwards each to the node unchanged and keeps the
methods it carried, so a test can assert how many round trips an operation makes and
which calls rode in each.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["CountingProxy"]

RECEIPT_POLL = ("eth_getTransactionReceipt",)
SYNC_SEND = "eth_sendRawTransactionSync"  # EIP-7966: sends and answers with the receipt


class CountingProxy:
    """``url`` forwards to ``upstream``; ``requests`` lists, per HTTP request, its methods."""

    def __init__(self, upstream: str, *, batches: bool = True, sync_sends: bool = True) -> None:
        """``batches=False``: a batch is answered with one error object, as by a node that
        takes none (JSON-RPC 2.0, section 6); ``sync_sends=False``: ``eth_sendRawTransactionSync``
        (EIP-7966) is answered "method not found", as by a node that does not offer it."""
        self.upstream = upstream
        self.requests: list[tuple[str, ...]] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a node's endpoint offers

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                doc: Any = json.loads(body)
                calls = doc if isinstance(doc, list) else [doc]
                with proxy._lock:
                    proxy.requests.append(tuple(str(c.get("method")) for c in calls))
                if isinstance(doc, list) and not batches:
                    self._refuse(None, -32600, "batch requests are not supported")
                    return
                if not isinstance(doc, list) and doc.get("method") == SYNC_SEND and not sync_sends:
                    self._refuse(doc.get("id"), -32601, f"the method {SYNC_SEND} does not exist/is not available")
                    return
                request = urllib.request.Request(proxy.upstream, data=body,
                                                 headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(request, timeout=30) as response:
                    self._answer(response.read())

            def _refuse(self, request_id: Any, code: int, message: str) -> None:
                error = {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}
                self._answer(json.dumps(error).encode())

            def _answer(self, payload: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="counting-proxy", daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __repr__(self) -> str:
        return f"CountingProxy({self.url} -> {self.upstream}, {len(self.requests)} requests)"

    @contextmanager
    def counting(self) -> Iterator[list[tuple[str, ...]]]:
        """The requests made inside the ``with`` block (filled in as they happen)."""
        with self._lock:
            start = len(self.requests)
        seen: list[tuple[str, ...]] = []
        try:
            yield seen
        finally:
            with self._lock:
                seen.extend(self.requests[start:])

    @staticmethod
    def round_trips(requests: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
        """The requests but the receipt polls after a transaction's first receipt request:
        how often a node is asked again before the transaction is mined depends on the
        node's mining, not on the wallet."""
        out: list[tuple[str, ...]] = []
        asked = False  # the receipt of the last transaction sent was asked for already
        for request in requests:
            if "eth_sendRawTransaction" in request or SYNC_SEND in request:
                asked = False
            if request == RECEIPT_POLL and asked:
                continue
            asked = asked or "eth_getTransactionReceipt" in request or SYNC_SEND in request
            out.append(request)
        return out

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
