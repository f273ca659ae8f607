"""The keeper's HTTP layer: the IPFS Pinning Service API (ipfs/pinning-services-api-spec v1.0.0) on aiohttp.

Routes (spec paths; bodies and answers are the spec's JSON schemas)::

    GET    /pins               200 PinResults   (query: cid, name, status, before, after, limit)
    POST   /pins               202 PinStatus    (body: Pin)
    GET    /pins/{requestid}   200 PinStatus
    POST   /pins/{requestid}   202 PinStatus    (replace)
    DELETE /pins/{requestid}   202

Every request needs ``Authorization: Bearer <token>`` with a token from the keeper's
tokens file (401 otherwise); errors are the spec's ``Failure`` object with the reasons
it names (``BAD_REQUEST``, ``UNAUTHORIZED``, ``NOT_FOUND``). Bodies are capped at 64 KiB.
The server runs its event loop on a thread of its own: :meth:`KeeperServer.start`
returns once it listens, :meth:`KeeperServer.stop` closes it.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import ssl
import threading
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp import web

from ..errors import InvalidCid, IpfsUnavailable
from .cid import Cid
from .pinning_api import PIN_STATUSES, PinRequest, failure_json
from .pinning_keeper import Keeper, owner_of

__all__ = ["KeeperServer"]

_MAX_BODY = 64 * 1024
_OWNER = web.RequestKey("owner", str)  # who the bearer token is (owner_of), set by the auth middleware
_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _failure(status: int, reason: str, details: str = "") -> web.Response:
    return web.json_response(failure_json(reason, details), status=status)


class KeeperServer:
    """Serve ``keeper`` on ``host:port`` (port 0: any free port) to holders of ``tokens``,
    over HTTPS when ``ssl_context`` is given (:mod:`.keeper_tls`), plain HTTP otherwise."""

    def __init__(self, keeper: Keeper, tokens: Sequence[str], *, host: str = "127.0.0.1", port: int = 0,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        if not tokens:
            raise ValueError("a keeper needs at least one access token")
        self.keeper = keeper
        self._owners = [(t.encode(), owner_of(t)) for t in tokens]
        self.host = host
        self.port = int(port)
        self._ssl = ssl_context  # None: plain HTTP
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None

    def __repr__(self) -> str:
        return f"KeeperServer({self.host}:{self.port}, tokens={len(self._owners)})"

    @property
    def endpoint(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self._ssl is not None else 'http'}://{host}:{self.port}"

    # --- lifecycle ----------------------------------------------------------------

    def start(self, timeout: float = 30.0) -> str:
        """Listen; returns the endpoint URL. :class:`IpfsUnavailable` if the address cannot be used."""
        self._thread = threading.Thread(target=self._run, name="keeper-http", daemon=True)
        self._thread.start()
        if not self._started.wait(timeout) or self._error is not None:
            raise IpfsUnavailable(f"The keeper could not listen on {self.host}:{self.port} "
                                  f"({self._error or 'timed out'}).") from self._error
        return self.endpoint

    def stop(self) -> None:
        loop, runner = self._loop, self._runner
        if loop is not None and runner is not None and loop.is_running():
            asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._listen())
        except BaseException as exc:  # noqa: BLE001 - handed to start()
            self._error = exc
            self._started.set()
            loop.close()
            return
        self._started.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    async def _listen(self) -> None:
        app = web.Application(middlewares=[self._auth], client_max_size=_MAX_BODY)
        app.add_routes([
            web.get("/pins", self._list),
            web.post("/pins", self._add),
            web.get("/pins/{requestid}", self._get),
            web.post("/pins/{requestid}", self._replace),
            web.delete("/pins/{requestid}", self._remove),
        ])
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, ssl_context=self._ssl)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []  # the real port when port was 0
        if sockets:
            self.port = int(sockets[0].getsockname()[1])

    # --- requests -----------------------------------------------------------------

    @web.middleware
    async def _auth(self, request: web.Request, handler: _Handler) -> web.StreamResponse:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        owner = None
        if scheme.lower() == "bearer" and token:
            given = token.strip().encode()
            for secret, who in self._owners:
                if hmac.compare_digest(given, secret):
                    owner = who
        if owner is None:
            return _failure(401, "UNAUTHORIZED", "An access token from the keeper's tokens file is required.")
        request[_OWNER] = owner
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if exc.status == 413:
                return _failure(413, "BAD_REQUEST", "The request body is too large.")
            if exc.status in (404, 405):
                return _failure(exc.status, "NOT_FOUND" if exc.status == 404 else "BAD_REQUEST", exc.reason)
            raise

    async def _off_loop(self, fn: Callable[[], Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, fn)

    async def _pin_body(self, request: web.Request) -> PinRequest | web.Response:
        try:
            doc = json.loads(await request.read())
            return PinRequest.from_json(doc)
        except (ValueError, InvalidCid) as exc:
            return _failure(400, "BAD_REQUEST", f"Not a Pin object: {exc}"[:200])

    async def _add(self, request: web.Request) -> web.Response:
        pin = await self._pin_body(request)
        if isinstance(pin, web.Response):
            return pin
        status = await self._off_loop(lambda: self.keeper.add(request[_OWNER], pin))
        return web.json_response(status.to_json(), status=202)

    async def _get(self, request: web.Request) -> web.Response:
        status = self.keeper.get(request[_OWNER], request.match_info["requestid"])
        if status is None:
            return _failure(404, "NOT_FOUND", "No pin request with that id.")
        return web.json_response(status.to_json())

    async def _replace(self, request: web.Request) -> web.Response:
        pin = await self._pin_body(request)
        if isinstance(pin, web.Response):
            return pin
        status = await self._off_loop(lambda: self.keeper.replace(request[_OWNER], request.match_info["requestid"],
                                                                  pin))
        if status is None:
            return _failure(404, "NOT_FOUND", "No pin request with that id.")
        return web.json_response(status.to_json(), status=202)

    async def _remove(self, request: web.Request) -> web.Response:
        removed = await self._off_loop(lambda: self.keeper.remove(request[_OWNER], request.match_info["requestid"]))
        if not removed:
            return _failure(404, "NOT_FOUND", "No pin request with that id.")
        return web.Response(status=202)

    async def _list(self, request: web.Request) -> web.Response:
        query = request.query
        try:
            cids = [Cid.parse(c) for c in query.get("cid", "").split(",") if c]
            if len(cids) > 10:
                raise ValueError("at most 10 CIDs")
            statuses = [s for s in query.get("status", "pinned").split(",") if s]
            if not statuses or not set(statuses) <= set(PIN_STATUSES):
                raise ValueError("status is a list of queued, pinning, pinned, failed")
            limit = int(query.get("limit", "10"))
            if not 1 <= limit <= 1000:
                raise ValueError("limit is 1 to 1000")
        except (ValueError, InvalidCid) as exc:
            return _failure(400, "BAD_REQUEST", str(exc)[:200])
        count, results = self.keeper.list(request[_OWNER], cids=cids, name=query.get("name"), statuses=statuses,
                                          before=query.get("before"), after=query.get("after"), limit=limit)
        return web.json_response({"count": count, "results": [s.to_json() for s in results]})
