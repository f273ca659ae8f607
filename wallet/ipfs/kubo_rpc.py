"""IPFS through a Kubo RPC API: IPFS Desktop or ``ipfs daemon`` (default ``/ip4/127.0.0.1/tcp/5001``).

Uses ``ipfshttpclient.Client(addr)`` directly: ``ipfshttpclient.connect()`` refuses
every Kubo newer than 0.8 because of a version check the library never updated. We
do our own check instead — ``/api/v0/version`` must name Kubo (or go-ipfs)
>= :data:`MIN_VERSION` and ``/api/v0/id`` must give a peer id — and turn every
failure into :class:`~wallet.errors.IpfsUnavailable` with a sentence that says what
to do. Endpoints used: add, cat, pin/add, pin/rm, pin/ls, id, version, swarm/connect.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, TypeVar
from urllib.parse import urlsplit

from ..errors import IpfsError, IpfsNotFound, IpfsUnavailable
from .backend import DEFAULT_GET_TIMEOUT, MAX_GET_BYTES, NodeInfo, PinInfo
from .cid import Cid

__all__ = ["DEFAULT_API", "MIN_VERSION", "KuboRpcBackend", "api_multiaddr"]

log = logging.getLogger(__name__)

DEFAULT_API = "/ip4/127.0.0.1/tcp/5001"
MIN_VERSION = (0, 10, 0)
_T = TypeVar("_T")

# ipfshttpclient 0.7 passes an argument urllib3 2 no longer wants; harmless, and noisy.
warnings.filterwarnings("ignore", message="The 'strict' parameter", category=FutureWarning)


def api_multiaddr(api: str) -> str:
    """Accept a multiaddr (``/ip4/…/tcp/5001``) or a URL (``http://127.0.0.1:5001``)."""
    api = api.strip()
    if api.startswith("/"):
        return api
    parts = urlsplit(api if "://" in api else f"http://{api}")
    if parts.scheme not in ("http", "https") or not parts.hostname or not parts.port:
        raise IpfsUnavailable(f"{api!r} is not a Kubo RPC address; use e.g. /ip4/127.0.0.1/tcp/5001.")
    host = parts.hostname
    if re.fullmatch(r"[\d.]+", host):
        proto = "ip4"
    elif ":" in host:
        proto = "ip6"
    else:
        proto = "dns"
    suffix = "/https" if parts.scheme == "https" else "/http"
    return f"/{proto}/{host}/tcp/{parts.port}{suffix}"


def _version_tuple(text: str) -> tuple[int, ...] | None:
    match = re.match(r"^v?(\d+)\.(\d+)\.(\d+)", text)
    return tuple(int(x) for x in match.groups()) if match else None


class KuboRpcBackend:
    """A Kubo node reached over its RPC API."""

    def __init__(self, api: str = DEFAULT_API, *, timeout: float = 10.0) -> None:
        self.api = api_multiaddr(api)
        self.timeout = float(timeout)
        self._client: Any = None
        self._lock = threading.Lock()
        self._info: NodeInfo | None = None
        self._version = ""
        self._closed = False

    def __repr__(self) -> str:
        return f"KuboRpcBackend({self.api!r})"

    @property
    def description(self) -> str:
        return f"Kubo RPC at {self.api}" + (f" (Kubo {self._version})" if self._version else "")

    # --- lifecycle ----------------------------------------------------------------

    def start(self) -> None:
        """Nothing runs in the background; the daemon is checked on first use."""

    def wait_ready(self, timeout: float = 30.0) -> NodeInfo:
        self._connected(min(timeout, self.timeout))
        return self.node_info()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            client, self._client = self._client, None
        if client is not None:
            try:
                client.close()
            except Exception:  # closing a session never matters to the user
                log.debug("closing the Kubo RPC session failed", exc_info=True)

    def __enter__(self) -> KuboRpcBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _unavailable(self, why: str) -> IpfsUnavailable:
        return IpfsUnavailable(
            f"No usable IPFS node at {self.api}: {why}. Start IPFS Desktop or `ipfs daemon`, "
            "or set ipfs.api to embedded."
        )

    def _connected(self, timeout: float | None = None) -> Any:
        with self._lock:
            if self._closed:
                raise IpfsUnavailable("The IPFS connection was closed.")
            if self._client is not None:
                return self._client
            import ipfshttpclient
            from ipfshttpclient import exceptions as ipfs_exc

            wait = timeout or self.timeout
            try:
                client = ipfshttpclient.Client(self.api, timeout=(wait, wait))
            except ipfs_exc.AddressError as exc:
                raise IpfsUnavailable(f"{self.api!r} is not a Kubo RPC address.") from exc
            try:
                version = client.version()
                ident = client.id()
            except ipfs_exc.ConnectionError as exc:
                raise self._unavailable("nothing answers there") from exc
            except ipfs_exc.TimeoutError as exc:
                raise self._unavailable(f"no answer within {wait:g} seconds") from exc
            except ipfs_exc.Error as exc:
                raise self._unavailable(f"it does not speak the Kubo RPC API ({exc})") from exc
            found = _version_tuple(str(_field(version, "Version", "")))
            if found is None:
                raise self._unavailable("it did not report a Kubo version")
            if found < MIN_VERSION:
                wanted = ".".join(map(str, MIN_VERSION))
                raise self._unavailable(f"Kubo {'.'.join(map(str, found))} is too old (need {wanted} or newer)")
            peer_id = str(_field(ident, "ID", ""))
            if not peer_id:
                raise self._unavailable("it did not report a peer id")
            self._version = ".".join(map(str, found))
            self._info = NodeInfo(
                peer_id=peer_id,
                addresses=tuple(a for a in (_field(ident, "Addresses", None) or ()) if str(a).startswith("/")),
                agent=str(_field(ident, "AgentVersion", "")),
            )
            self._client = client
            return client

    def _call(self, what: str, fn: Callable[[Any], _T], *, not_found: str | None = None) -> _T:
        from ipfshttpclient import exceptions as ipfs_exc

        client = self._connected()
        try:
            return fn(client)
        except ipfs_exc.ConnectionError as exc:
            with self._lock:
                self._client = None  # the daemon went away: check it again next time
            raise self._unavailable("the connection was lost") from exc
        except ipfs_exc.TimeoutError as exc:
            if not_found is not None:
                raise IpfsNotFound(not_found) from exc
            raise self._unavailable(f"it did not answer in time while {what}") from exc
        except ipfs_exc.ErrorResponse as exc:
            raise IpfsError(f"The IPFS node refused {what}: {exc}.") from exc
        except ipfs_exc.Error as exc:
            raise IpfsError(f"The IPFS node failed while {what}: {exc}.") from exc

    # --- content ------------------------------------------------------------------

    def add(self, source: bytes | BinaryIO | os.PathLike[str]) -> Cid:
        def run(client: Any) -> Any:
            if isinstance(source, (bytes, bytearray, memoryview)):
                return client.add_bytes(bytes(source))
            if isinstance(source, (str, os.PathLike)):
                with open(Path(source), "rb") as fh:
                    return client.add(fh, pin=True)
            return client.add(source, pin=True)

        result = self._call("storing the data", run)
        text = result if isinstance(result, str) else _field(result, "Hash", "")
        try:
            return Cid(str(text))
        except ValueError as exc:
            raise IpfsError("The IPFS node answered the upload with no valid CID.") from exc

    def get(self, cid: Cid, *, timeout: float = DEFAULT_GET_TIMEOUT) -> bytes:
        cid = _as_cid(cid)
        message = (
            f"The shared data ({cid}) was not found on IPFS within {timeout:g} seconds; "
            "the sharing wallet's node may be offline."
        )
        data = self._call(
            f"fetching {cid}",
            lambda c: c.cat(str(cid), length=MAX_GET_BYTES + 1, timeout=(self.timeout, timeout)),
            not_found=message,
        )
        if len(data) > MAX_GET_BYTES:
            raise IpfsError(f"{cid} is larger than any data this app shares; it was not read.")
        return bytes(data)

    def pin(self, cid: Cid, *, timeout: float = DEFAULT_GET_TIMEOUT) -> None:
        cid = _as_cid(cid)
        self._call(
            f"pinning {cid}",
            lambda c: c.pin.add(str(cid), timeout=(self.timeout, timeout)),
            not_found=f"{cid} could not be fetched to pin it within {timeout:g} seconds.",
        )

    def unpin(self, cid: Cid) -> None:
        cid = _as_cid(cid)
        try:
            self._call(f"unpinning {cid}", lambda c: c.pin.rm(str(cid)))
        except IpfsError as exc:
            if "not pinned" not in str(exc):
                raise

    def pins(self) -> tuple[PinInfo, ...]:
        result = self._call("listing pins", lambda c: c.pin.ls(type="recursive"))
        keys = _field(result, "Keys", {}) or {}
        out = []
        for text in keys:
            try:
                out.append(PinInfo(Cid(str(text))))
            except ValueError:
                continue
        return tuple(out)

    # --- peers --------------------------------------------------------------------

    def node_info(self) -> NodeInfo:
        self._connected()
        ident = self._call("reading its identity", lambda c: c.id())
        assert self._info is not None
        addresses = tuple(str(a) for a in (_field(ident, "Addresses", None) or ()) if str(a).startswith("/"))
        return NodeInfo(peer_id=self._info.peer_id, addresses=addresses, agent=self._info.agent)

    def connect(self, address: str, *, timeout: float = 30.0) -> None:
        if not isinstance(address, str) or ("/p2p/" not in address and "/ipfs/" not in address):
            raise IpfsError(f"{address!r} is not a peer address (it needs /p2p/<peer id>).")
        self._call(
            f"connecting to {address}",
            lambda c: c.swarm.connect(address, timeout=(self.timeout, timeout)),
        )


def _field(response: Any, name: str, default: Any) -> Any:
    try:
        return response[name]
    except (KeyError, TypeError, IndexError):
        return default


def _as_cid(cid: Cid | str) -> Cid:
    return cid if isinstance(cid, Cid) else Cid.parse(cid)
