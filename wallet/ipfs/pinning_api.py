"""The values of the IPFS Pinning Service API (ipfs/pinning-services-api-spec, v1.0.0).

The spec's schemas, as the wallet's client and its keeper both read and write them:

- ``Pin``: ``{cid, name?, origins?, meta?}`` (``origins``: multiaddrs of nodes that
  hold the data; ``meta``: string to string).
- ``PinStatus``: ``{requestid, status, created, pin, delegates, info?}``, ``status`` one
  of :data:`PIN_STATUSES`; ``delegates``: multiaddrs of the service's nodes that will
  fetch the data (peers should connect to them).
- ``PinResults``: ``{count, results: [PinStatus]}``.
- ``Failure``: ``{error: {reason, details?}}``.

Everything a service sends is untrusted: :func:`pin_status_from_json` checks types,
lengths and counts before a value is built, and raises ``ValueError`` for anything else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .cid import Cid

__all__ = [
    "MAX_DELEGATES",
    "MAX_ORIGINS",
    "PIN_STATUSES",
    "PinRequest",
    "PinStatus",
    "failure_json",
    "pin_status_from_json",
]

PIN_STATUSES = ("queued", "pinning", "pinned", "failed")
"""The spec's ``Status`` enum, in the order a pin goes through it."""

MAX_ORIGINS = 20  # spec: Pin.origins maxItems 20
MAX_DELEGATES = 20  # spec: PinStatus.delegates maxItems 20
_MAX_NAME = 255  # spec: Pin.name maxLength 255
_MAX_ADDR = 512
_MAX_META = 20
_MAX_TEXT = 2000


def _multiaddrs(value: Any, *, most: int, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > most:
        raise ValueError(f"{what} must be a list of at most {most} multiaddrs")
    out = []
    for item in value:
        if not isinstance(item, str) or not item.startswith("/") or len(item) > _MAX_ADDR \
                or any(c.isspace() or not c.isprintable() for c in item):
            raise ValueError(f"{what} holds something that is not a multiaddr")
        out.append(item)
    return tuple(out)


def _strings(value: Any, *, what: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > _MAX_META:
        raise ValueError(f"{what} must be an object of at most {_MAX_META} strings")
    out: dict[str, str] = {}
    for k, v in value.items():
        if not isinstance(k, str) or not isinstance(v, str) or len(k) > _MAX_NAME or len(v) > _MAX_TEXT:
            raise ValueError(f"{what} must map short strings to short strings")
        out[k] = v
    return out


@dataclass(frozen=True)
class PinRequest:
    """A ``Pin`` object: what to pin, a name, where the data can be fetched from."""

    cid: Cid
    name: str = ""
    origins: tuple[str, ...] = ()
    meta: dict[str, str] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.cid, Cid):
            raise ValueError("a pin request needs a Cid")
        if not isinstance(self.name, str) or len(self.name) > _MAX_NAME:
            raise ValueError("a pin's name is at most 255 characters")
        _multiaddrs(list(self.origins), most=MAX_ORIGINS, what="origins")
        _strings(self.meta, what="meta")

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"cid": str(self.cid)}
        if self.name:
            doc["name"] = self.name
        if self.origins:
            doc["origins"] = list(self.origins)
        if self.meta:
            doc["meta"] = dict(self.meta)
        return doc

    @classmethod
    def from_json(cls, doc: Any) -> PinRequest:
        """A ``Pin`` from untrusted JSON; ``ValueError`` (or :class:`~wallet.errors.InvalidCid`) if malformed."""
        if not isinstance(doc, dict) or not isinstance(doc.get("cid"), str):
            raise ValueError("a Pin object needs a cid")
        name = doc.get("name", "")
        if name is None:
            name = ""
        if not isinstance(name, str):
            raise ValueError("a pin's name must be text")
        return cls(Cid.parse(doc["cid"]), name, _multiaddrs(doc.get("origins"), most=MAX_ORIGINS, what="origins"),
                   _strings(doc.get("meta"), what="meta"))


@dataclass(frozen=True)
class PinStatus:
    """A ``PinStatus`` object: one pin request and where it stands."""

    requestid: str
    status: str
    created: str  # RFC 3339 timestamp, as the service wrote it
    pin: PinRequest
    delegates: tuple[str, ...] = ()
    info: dict[str, str] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.requestid, str) or not 0 < len(self.requestid) <= _MAX_NAME \
                or any(c.isspace() or c in "/?#" for c in self.requestid):
            raise ValueError("a pin status needs a request id")
        if self.status not in PIN_STATUSES:
            raise ValueError(f"unknown pin status {self.status!r}")
        if not isinstance(self.created, str) or len(self.created) > 64:
            raise ValueError("a pin status needs its creation time")

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"requestid": self.requestid, "status": self.status, "created": self.created,
                               "pin": self.pin.to_json(), "delegates": list(self.delegates)}
        if self.info:
            doc["info"] = dict(self.info)
        return doc


def pin_status_from_json(doc: Any) -> PinStatus:
    """A ``PinStatus`` from a service's untrusted JSON; ``ValueError`` if it is not one."""
    if not isinstance(doc, dict):
        raise ValueError("a PinStatus is a JSON object")
    return PinStatus(
        requestid=doc["requestid"] if isinstance(doc.get("requestid"), str) else "",
        status=doc["status"] if isinstance(doc.get("status"), str) else "",
        created=doc.get("created", ""),
        pin=PinRequest.from_json(doc.get("pin")),
        delegates=_multiaddrs(doc.get("delegates"), most=MAX_DELEGATES, what="delegates"),
        info=_strings(doc.get("info"), what="info"),
    )


def failure_json(reason: str, details: str = "") -> dict[str, Any]:
    """A ``Failure`` body: ``{"error": {"reason": …, "details": …}}``."""
    error = {"reason": reason}
    if details:
        error["details"] = details
    return {"error": error}
