"""Serving this wallet's SMART Health Links (HL7 SHL IG, "SMART Health Link Manifest").

Routes, relative to each link's ``url`` (``<base>/<id>``):

- ``POST <base>/<id>`` with ``{recipient, passcode?, embeddedLengthMax?}`` → the manifest
  ``{files: [{contentType, embedded | location}]}``. Unknown, revoked, expired or disabled
  links answer 404; a missing or wrong passcode answers 401 ``{remainingAttempts}`` and spends
  one attempt (at zero the link is disabled for good).
- ``GET <base>/<id>/file/<token>``: a file named by a manifest answer; the token is random,
  lasts one hour and is known only in this process.
- ``GET <base>/<id>?recipient=…``: a direct-file (``U``) link.

Every request to a link is written to its access log (sealed in the home). Answers carry
``Access-Control-Allow-Origin: *`` so browser-based viewers can fetch.
"""

from __future__ import annotations

import json
import secrets
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..clock import Clock
from .shl_links import LinkStore, StoredLink

__all__ = ["MAX_REQUEST_BYTES", "SHLServer"]

MAX_REQUEST_BYTES = 16 * 1024
LOCATION_LIFETIME = timedelta(hours=1)


class SHLServer:
    """An HTTP server for the links in ``store``; ``start()`` runs it on a thread."""

    def __init__(self, store: LinkStore, *, clock: Clock, host: str, port: int) -> None:
        self.store = store
        self.clock = clock
        self._locations: dict[str, tuple[str, int, Any]] = {}
        self._lock = threading.Lock()
        outer = self

        class Handler(_Handler):
            server_state = outer

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"SHLServer({self.address})"

    @property
    def address(self) -> str:
        host, port = self.httpd.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else str(host)
        return f"{name}:{port}"

    def start(self) -> None:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="shl-server", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # --- answers -----------------------------------------------------------------

    def manifest(self, link_id: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        now = self.clock.now()
        link = self.store.get(link_id)
        recipient = body.get("recipient")
        if link is None or "U" in link.flags:
            return 404, {"error": "no such link"}
        if not isinstance(recipient, str) or not recipient.strip():
            return 400, {"error": "recipient is required"}
        refusal = self._refusal(link, now)
        if refusal:
            self.store.record(link.id, recipient, refusal, now=now)
            return 404, {"error": f"link {refusal}"}
        if "P" in link.flags:
            passcode = body.get("passcode")
            if not isinstance(passcode, str) or not self.store.passcode_matches(link, passcode):
                after = self.store.record(link.id, recipient, "wrong passcode", now=now, spend_attempt=True)
                return 401, {"remainingAttempts": after.attempts_left}
        self.store.record(link.id, recipient, "opened", now=now)
        limit = body.get("embeddedLengthMax")
        files = []
        for n, (cty, token) in enumerate(zip(link.content_types, self.store.files(link), strict=True)):
            if isinstance(limit, int) and not isinstance(limit, bool) and len(token) <= limit:
                files.append({"contentType": cty, "embedded": token})
            else:
                files.append({"contentType": cty, "location": self._location(link, n)})
        return 200, {"files": files}

    def direct(self, link_id: str, recipient: str) -> tuple[int, str | None]:
        now = self.clock.now()
        link = self.store.get(link_id)
        if link is None or "U" not in link.flags:
            return 404, None
        refusal = self._refusal(link, now)
        self.store.record(link.id, recipient or "(not given)", refusal or "opened", now=now)
        return (404, None) if refusal else (200, self.store.files(link)[0])

    def located(self, link_id: str, token: str) -> str | None:
        with self._lock:
            found = self._locations.get(token)
        if found is None or found[0] != link_id or found[2] <= self.clock.now():
            return None
        link = self.store.get(link_id)
        if link is None or self._refusal(link, self.clock.now()):
            return None
        return self.store.files(link)[found[1]]

    def _location(self, link: StoredLink, n: int) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            now = self.clock.now()
            self._locations = {k: v for k, v in self._locations.items() if v[2] > now}
            self._locations[token] = (link.id, n, now + LOCATION_LIFETIME)
        return f"{link.url}/file/{token}"

    @staticmethod
    def _refusal(link: StoredLink, now: Any) -> str:
        if link.revoked:
            return "revoked"
        if link.expired(now):
            return "expired"
        if "P" in link.flags and link.attempts_left <= 0:
            return "disabled"
        return ""


class _Handler(BaseHTTPRequestHandler):
    server_state: SHLServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the access log is the sealed one; nothing about requests goes to stderr

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, doc: dict[str, Any]) -> None:
        self._send(status, json.dumps(doc).encode(), "application/json")

    def _parts(self) -> tuple[list[str], dict[str, list[str]]]:
        split = urlsplit(self.path)
        return [p for p in split.path.split("/") if p], parse_qs(split.query)

    def do_OPTIONS(self) -> None:
        self.send_response(204)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
        self.send_header("Access-Control-Allow-Headers", "Content-Type")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        parts, _ = self._parts()
        length = int(self.headers.get("Content-Length") or 0)
        if not parts or length > MAX_REQUEST_BYTES:
            self._json(404 if not parts else 413, {"error": "not found" if not parts else "request too large"})
            return
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            self._json(400, {"error": "the body must be a JSON object"})
            return
        status, doc = self.server_state.manifest(parts[-1], body)
        self._json(status, doc)

    def do_GET(self) -> None:
        parts, query = self._parts()
        if len(parts) >= 3 and parts[-2] == "file":
            token = self.server_state.located(parts[-3], parts[-1])
            if token is None:
                self._json(404, {"error": "not found or no longer available"})
            else:
                self._send(200, token.encode("ascii"), "application/jose")
            return
        if parts:
            status, direct = self.server_state.direct(parts[-1], (query.get("recipient") or [""])[0])
            if direct is not None:
                self._send(200, direct.encode("ascii"), "application/jose")
                return
            self._json(status, {"error": "not found"})
            return
        self._json(404, {"error": "not found"})
