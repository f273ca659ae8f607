"""The keeper's pin service: the IPFS Pinning Service API's semantics over one IPFS node.

:class:`Keeper` is the service behind ``health-wallet keeper`` (the HTTP layer is
:mod:`wallet.ipfs.pinning_server`). It follows ipfs/pinning-services-api-spec v1.0.0:

- every pin request gets a fresh opaque ``requestid`` (a random UUID, as the spec
  advises) and goes ``queued`` → ``pinning`` → ``pinned`` (or ``failed``, with
  ``info.reason``); pinning the same CID again is a new request;
- before pinning, the keeper dials the request's ``origins`` (the requester's node), so
  the data comes straight from it; its ``delegates`` are its own node's addresses;
- each access token sees only its own pins (the owner is a hash of the token);
- removing a request unpins the CID from the node unless another request still holds it.

The pin list is a JSON file written atomically on every change (``pins.json`` in the
keeper's folder); requests still queued or pinning when the keeper stopped are taken up
again when it starts. The node holds only what clients ask it to pin: for Health Wallet
that is sealed ciphertext, never a record or a key.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import queue
import threading
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import untrusted
from ..atomicfile import write_atomic
from ..errors import InputRefused, WalletError
from .backend import IpfsBackend
from .cid import Cid
from .holders import dial_holders
from .pinning_api import MAX_DELEGATES, PIN_STATUSES, PinRequest, PinStatus, pin_status_from_json

__all__ = ["DEFAULT_PIN_TIMEOUT", "Keeper", "owner_of", "read_tokens_file"]

log = logging.getLogger(__name__)

DEFAULT_PIN_TIMEOUT = 600.0
"""Seconds the keeper tries to fetch one CID before the request is ``failed``."""

ORIGIN_DIAL_TIMEOUT = 10.0
_PINS_FILE = "pins.json"
_PINS_VERSION = 1
_MAX_TOKENS = 1000
_PINS_LIMITS = untrusted.Limits(max_bytes=256 * 1024 * 1024, max_depth=8, max_items=1_000_000)


def owner_of(token: str) -> str:
    """Who a bearer token is, as the pin list records it (never the token itself)."""
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def read_tokens_file(path: Path) -> tuple[str, ...]:
    """Access tokens, one per line (blank lines and ``#`` comments ignored).

    Raises :class:`WalletError` for an unreadable file or one without a token.
    """
    try:
        text = untrusted.read_bytes(path, max_bytes=1024 * 1024).decode("utf-8")
    except (InputRefused, UnicodeDecodeError) as exc:
        raise WalletError(f"The tokens file {path} cannot be read; it holds one access token per line.") from exc
    tokens = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if any(c.isspace() or not c.isprintable() for c in line) or len(line) < 16:
            raise WalletError(f"The tokens file {path} has a line that is not a token (at least 16 characters, "
                              "no spaces).")
        tokens.append(line)
    if not tokens or len(tokens) > _MAX_TOKENS:
        raise WalletError(f"The tokens file {path} holds no access token; put one per line.")
    return tuple(tokens)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Keeper:
    """A pin service over ``ipfs`` (started by the caller), keeping its list in ``directory``."""

    def __init__(self, ipfs: IpfsBackend, directory: Path, *, pin_timeout: float = DEFAULT_PIN_TIMEOUT,
                 workers: int = 2) -> None:
        self.ipfs = ipfs
        self.directory = Path(directory)
        self.pin_timeout = float(pin_timeout)
        self._path = self.directory / _PINS_FILE
        self._lock = threading.Lock()
        self._pins: dict[str, tuple[str, PinStatus]] = {}  # requestid -> (owner, status)
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._workers = [threading.Thread(target=self._work, name=f"keeper-pin-{i}", daemon=True)
                         for i in range(max(1, workers))]
        self._stopping = threading.Event()
        self._delegates: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"Keeper({str(self.directory)!r}, pins={len(self._pins)})"

    # --- lifecycle ----------------------------------------------------------------

    def start(self) -> None:
        """Load the pin list, learn the node's addresses, take up unfinished requests."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._load()
        self._delegates = tuple(self.ipfs.node_info().dial_addresses[:MAX_DELEGATES])
        for worker in self._workers:
            worker.start()
        for requestid, (_owner, status) in list(self._pins.items()):
            if status.status in ("queued", "pinning"):
                self._queue.put(requestid)

    def stop(self) -> None:
        """Stop taking up requests (one being pinned is taken up again on the next start)."""
        self._stopping.set()
        for _ in self._workers:
            self._queue.put(None)
        for worker in self._workers:
            if worker.is_alive():
                worker.join(2)

    @property
    def delegates(self) -> tuple[str, ...]:
        return self._delegates

    # --- the spec's operations --------------------------------------------------------

    def add(self, owner: str, pin: PinRequest) -> PinStatus:
        status = PinStatus(str(uuid.uuid4()), "queued", _now(), pin, self._delegates)
        with self._lock:
            self._pins[status.requestid] = (owner, status)
            self._save()
        self._queue.put(status.requestid)
        return status

    def get(self, owner: str, requestid: str) -> PinStatus | None:
        with self._lock:
            entry = self._pins.get(requestid)
        return entry[1] if entry is not None and entry[0] == owner else None

    def replace(self, owner: str, requestid: str, pin: PinRequest) -> PinStatus | None:
        """The spec's replace: remove ``requestid`` and add ``pin`` as a new request."""
        if self.get(owner, requestid) is None:
            return None
        status = self.add(owner, pin)
        self.remove(owner, requestid)
        return status

    def remove(self, owner: str, requestid: str) -> bool:
        with self._lock:
            entry = self._pins.get(requestid)
            if entry is None or entry[0] != owner:
                return False
            del self._pins[requestid]
            cid = entry[1].pin.cid
            still_held = any(s.pin.cid == cid for _o, s in self._pins.values())
            self._save()
        if not still_held:
            try:
                self.ipfs.unpin(cid)
            except WalletError as exc:  # the request is gone either way; the block is collected later
                log.warning("keeper could not unpin %s: %s", cid, exc.user_message)
        return True

    def list(self, owner: str, *, cids: Iterable[Cid] = (), name: str | None = None,
             statuses: Iterable[str] = ("pinned",), before: str | None = None, after: str | None = None,
             limit: int = 10) -> tuple[int, list[PinStatus]]:
        """``(count, newest first up to limit)`` of the owner's requests that match (spec: GET /pins)."""
        wanted_cids = {c.value for c in cids}
        wanted = set(statuses)
        with self._lock:
            mine = [s for o, s in self._pins.values() if o == owner]
        matches = [s for s in mine if s.status in wanted
                   and (not wanted_cids or s.pin.cid.value in wanted_cids)
                   and (name is None or s.pin.name == name)
                   and (before is None or s.created < before)
                   and (after is None or s.created > after)]
        matches.sort(key=lambda s: s.created, reverse=True)
        return len(matches), matches[:limit]

    # --- the work ------------------------------------------------------------------------

    def _set(self, requestid: str, status: str, reason: str = "") -> PinStatus | None:
        with self._lock:
            entry = self._pins.get(requestid)
            if entry is None:
                return None
            owner, old = entry
            info = dict(old.info)
            if reason:
                info["reason"] = reason
            new = PinStatus(old.requestid, status, old.created, old.pin, self._delegates or old.delegates, info)
            self._pins[requestid] = (owner, new)
            self._save()
            return new

    def _work(self) -> None:
        while True:
            requestid = self._queue.get()
            if requestid is None or self._stopping.is_set():
                return
            current = self._set(requestid, "pinning")
            if current is None:
                continue  # removed while queued
            origins = [o for o in current.pin.origins if "/p2p/" in o]
            if origins:  # all at once: an unroutable origin must not hold up the others
                dial_holders(self.ipfs, origins, timeout=ORIGIN_DIAL_TIMEOUT)
            try:
                self.ipfs.pin(current.pin.cid, timeout=self.pin_timeout)
            except WalletError as exc:
                if self._stopping.is_set():
                    return  # still "pinning" on disk: taken up again on the next start
                log.info("keeper could not pin %s: %s", current.pin.cid, exc.user_message)
                self._set(requestid, "failed", "the data could not be fetched from its origins or the network")
                continue
            if self._set(requestid, "pinned") is None:  # removed while it was being fetched
                with self._lock:
                    still_held = any(s.pin.cid == current.pin.cid for _o, s in self._pins.values())
                if not still_held:
                    with contextlib.suppress(WalletError):
                        self.ipfs.unpin(current.pin.cid)

    # --- the pin list on disk -------------------------------------------------------------

    def _load(self) -> None:
        try:
            raw = self._path.read_bytes()
        except FileNotFoundError:
            return
        try:
            doc = untrusted.loads(raw, what=f"the keeper's pin list {self._path}", limits=_PINS_LIMITS)
            if not isinstance(doc, dict) or doc.get("version") != _PINS_VERSION:
                raise ValueError("unknown version")
            pins = {}
            for item in doc["pins"]:
                status = pin_status_from_json(item["status"])
                pins[status.requestid] = (str(item["owner"]), status)
        except (InputRefused, ValueError, KeyError, TypeError) as exc:
            raise WalletError(f"The keeper's pin list {self._path} is damaged; move it away to start afresh.") \
                from exc
        self._pins = pins

    def _save(self) -> None:
        doc: dict[str, Any] = {"version": _PINS_VERSION, "statuses": list(PIN_STATUSES),
                               "pins": [{"owner": o, "status": s.to_json()} for o, s in self._pins.values()]}
        write_atomic(self._path, json.dumps(doc, indent=1).encode())
