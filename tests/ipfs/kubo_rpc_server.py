"""A loopback HTTP server speaking the Kubo RPC API, backed by a real embedded Kubo node.

Used when no Kubo daemon is given (``HEALTH_WALLET_TEST_KUBO_API``). It answers the
endpoints :class:`~wallet.ipfs.kubo_rpc.KuboRpcBackend` uses with the request and
response shapes documented for Kubo's RPC API (docs.ipfs.tech/reference/kubo/rpc):

- every command is ``POST /api/v0/<command>`` with arguments as ``?arg=``; GET is 405;
- errors are HTTP 500 with ``{"Message": …, "Code": 0, "Type": "error"}``;
- ``add`` takes ``multipart/form-data`` (the client streams it with chunked transfer
  encoding) and answers one JSON object per line: ``{"Name", "Hash", "Size"}``;
- ``cat`` answers the raw bytes with ``X-Stream-Output: 1``;
- ``pin/add`` and ``pin/rm`` answer ``{"Pins": [cid]}``; ``pin/ls`` answers
  ``{"Keys": {cid: {"Type": "recursive"}}}``;
- ``id`` answers ``{"ID", "PublicKey", "Addresses", "AgentVersion", "ProtocolVersion",
  "Protocols"}``; ``version`` answers ``{"Version", "Commit", "Repo", "System", "Golang"}``;
- ``swarm/connect`` answers ``{"Strings": ["connect <peer> success"]}``.

The content operations go to the embedded node, so blocks really move over libp2p.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from wallet.errors import IpfsNotFound, WalletError
from wallet.ipfs import Cid
from wallet.ipfs.kubo_embedded import EmbeddedKuboBackend

__all__ = ["KuboRpcServer"]


def _multipart_files(body: bytes, content_type: str) -> list[tuple[str, bytes]]:
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        raise ValueError("multipart body without a boundary")
    delimiter = b"--" + match.group(1).encode()
    files = []
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        head, _, content = part.partition(b"\r\n\r\n")
        if content.endswith(b"\r\n"):
            content = content[:-2]
        name = re.search(rb'filename="([^"]*)"', head)
        files.append(((name.group(1).decode() if name else ""), content))
    return files


class KuboRpcServer:
    """``with KuboRpcServer(node) as server: server.api`` → ``/ip4/127.0.0.1/tcp/<port>``."""

    def __init__(self, node: EmbeddedKuboBackend, *, version: str = "0.22.0", cat_timeout: float = 30.0) -> None:
        self.node = node
        self.version = version
        self.cat_timeout = cat_timeout
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                self._send(405, b"405 - Method Not Allowed", "text/plain")

            def do_POST(self) -> None:
                url = urlsplit(self.path)
                body = self._body()
                if not url.path.startswith("/api/v0/"):
                    self._send(404, b"404 page not found", "text/plain")
                    return
                command = url.path[len("/api/v0/") :]
                server.requests.append(command)
                args = parse_qs(url.query).get("arg", [])
                handler = getattr(server, "_cmd_" + command.replace("/", "_"), None)
                if handler is None:
                    self._send(404, b"404 page not found", "text/plain")
                    return
                try:
                    status, payload, ctype, extra = handler(args, parse_qs(url.query), body, self.headers)
                except WalletError as exc:
                    self._error(exc.user_message)
                    return
                except (ValueError, KeyError) as exc:
                    self._error(str(exc), status=400)
                    return
                self._send(status, payload, ctype, extra)

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    parts = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            break
                        parts.append(self.rfile.read(size))
                        self.rfile.readline()
                    return b"".join(parts)
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _error(self, message: str, status: int = 500) -> None:
                doc = {"Message": message, "Code": 0, "Type": "error"}
                self._send(status, json.dumps(doc).encode(), "application/json")

            def _send(self, status: int, payload: bytes, ctype: str, extra: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Server", "kubo/" + server.version)
                for k, v in (extra or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(payload)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that gave up and hung up is normal here

        self._httpd = Server(("127.0.0.1", 0), Handler)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def api(self) -> str:
        return f"/ip4/127.0.0.1/tcp/{self.port}"

    def start(self) -> KuboRpcServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="kubo-rpc-test", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> KuboRpcServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- commands: (status, payload, content type, extra headers) --------------------

    @staticmethod
    def _json(doc: Any) -> tuple[int, bytes, str, dict[str, str]]:
        return 200, json.dumps(doc).encode(), "application/json", {}

    def _cmd_version(self, args, query, body, headers):  # type: ignore[no-untyped-def]
        return self._json(
            {"Version": self.version, "Commit": "", "Repo": "14", "System": "amd64/linux", "Golang": "go1.19"})

    def _cmd_id(self, args, query, body, headers):  # type: ignore[no-untyped-def]
        info = self.node.node_info()
        return self._json(
            {
                "ID": info.peer_id,
                "PublicKey": "",
                "Addresses": list(info.dial_addresses),
                "AgentVersion": f"kubo/{self.version}/",
                "ProtocolVersion": "ipfs/0.1.0",
                "Protocols": ["/ipfs/bitswap/1.2.0", "/ipfs/id/1.0.0"],
            }
        )

    def _cmd_add(self, args, query, body, headers):  # type: ignore[no-untyped-def]
        lines = []
        for name, content in _multipart_files(body, headers.get("Content-Type", "")):
            cid = self.node.add(content)
            lines.append(json.dumps({"Name": name or str(cid), "Hash": str(cid), "Size": str(len(content))}))
        return 200, ("\n".join(lines) + "\n").encode(), "application/json", {"X-Chunked-Output": "1"}

    def _cmd_cat(self, args, query, body, headers):  # type: ignore[no-untyped-def]
        data = self.node.get(Cid.parse(args[0]), timeout=self.cat_timeout)
        return 200, data, "text/plain", {"X-Stream-Output": "1", "X-Content-Length": str(len(data))}

    def _cmd_pin_add(self, args, query, body, headers):  # type: ignore[no-untyped-def]
        cid = Cid.parse(args[0])
        self.node.pin(cid, timeout=self.cat_timeout)
        return self._json({"Pins": [str(cid)]})

    def _cmd_pin_rm(self, args, query, body, headers):  # type: ignore[no-untyped-def]
        cid = Cid.parse(args[0])
        if cid not in {p.cid for p in self.node.pins()}:
            raise IpfsNotFound("not pinned or pinned indirectly")
        self.node.unpin(cid)
        return self._json({"Pins": [str(cid)]})

    def _cmd_pin_ls(self, args, query, body, headers):  # type: ignore[no-untyped-def]
        kind = query.get("type", ["all"])[0]
        keys = {str(p.cid): {"Type": "recursive"} for p in self.node.pins()} if kind in ("all", "recursive") else {}
        return self._json({"Keys": keys})

    def _cmd_swarm_connect(self, args, query, body, headers):  # type: ignore[no-untyped-def]
        address = args[0]
        self.node.connect(address, timeout=20)
        return self._json({"Strings": [f"connect {address.rsplit('/', 1)[-1]} success"]})
