"""A tiny IPFS Pinning Service API server written from the spec (ipfs/pinning-services-api-spec
v1.0.0) for the error paths a real service shows rarely: 401, 404, 409, 429 with
``Retry-After``, a ``failed`` status, a service that does not answer in time.

It answers on loopback with the spec's JSON shapes (``PinStatus``, ``PinResults``,
``Failure``); ``mode`` says how it misbehaves. It pins nothing: the keeper is the real
service in the other tests.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "spec-server-token-0123456789"


class SpecServer:
    """``mode``: ok | unauthorized | insufficient_funds | rate_limited | rate_limited_once |
    failed | slow | not_found."""

    def __init__(self, mode: str = "ok", *, retry_after: str = "1", slow_seconds: float = 5.0) -> None:
        self.mode = mode
        self.retry_after = retry_after
        self.slow_seconds = slow_seconds
        self.requests: list[tuple[str, str, str]] = []  # (method, path, authorization)
        self.pins: dict[str, dict[str, Any]] = {}
        self._limited = False
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, code: int, doc: Any = None, headers: dict[str, str] | None = None) -> None:
                body = b"" if doc is None else json.dumps(doc).encode()
                self.send_response(code)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up waiting
                    self.wfile.write(body)

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                server.requests.append((method, self.path, self.headers.get("Authorization", "")))
                mode = server.mode
                if mode == "slow":
                    time.sleep(server.slow_seconds)
                if self.headers.get("Authorization") != f"Bearer {TOKEN}" or mode == "unauthorized":
                    return self._send(401, {"error": {"reason": "UNAUTHORIZED", "details": "bad token"}})
                if mode == "insufficient_funds":
                    return self._send(409, {"error": {"reason": "INSUFFICIENT_FUNDS", "details": "top up"}})
                if mode == "rate_limited" or (mode == "rate_limited_once" and not server._limited):
                    server._limited = True
                    return self._send(429, {"error": {"reason": "RATE_LIMITED"}},
                                      {"Retry-After": server.retry_after})
                if mode == "not_found" and self.path.startswith("/pins"):
                    return self._send(404, {"error": {"reason": "NOT_FOUND"}})
                if method == "GET" and (self.path == "/pins" or self.path.startswith("/pins?")):
                    return self._send(200, {"count": len(server.pins), "results": list(server.pins.values())})
                if method == "POST" and self.path == "/pins":
                    pin = json.loads(body)
                    status = {"requestid": str(uuid.uuid4()), "status": "queued",
                              "created": "2026-01-01T00:00:00Z", "pin": pin,
                              "delegates": ["/ip4/127.0.0.1/tcp/9/p2p/QmQ8Ygc6pEanCeNS2atM24nPgKuwbYavu1f3JopVxP67ff"]}
                    server.pins[status["requestid"]] = status
                    return self._send(202, status)
                if self.path.startswith("/pins/"):
                    rid = self.path.split("/")[2]
                    if rid not in server.pins:
                        return self._send(404, {"error": {"reason": "NOT_FOUND"}})
                    if method == "DELETE":
                        del server.pins[rid]
                        return self._send(202)
                    status = server.pins[rid]
                    if mode == "failed":
                        status["status"] = "failed"
                        status["info"] = {"reason": "the content could not be found"}
                    return self._send(200, status)
                return self._send(400, {"error": {"reason": "BAD_REQUEST"}})

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_DELETE(self) -> None:
                self._handle("DELETE")

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> SpecServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
