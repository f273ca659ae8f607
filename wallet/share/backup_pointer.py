"""The on-chain backup pointer: which CID is the latest backup, and who holds it.

The contract stores one string per backup (``publishBackup(string)``, its ABI unchanged).
Two forms are read:

- version 0 (older wallets): the CID alone, e.g. ``bafy…`` or ``Qm…``;
- version 1: ``hwbackup:1:<base64url(JSON)>`` with ``{"c": CID, "h": [{"n": NAME, "d":
  [MULTIADDR…]}…], "o": [MULTIADDR…]}`` — the pinning services holding it (their names
  and a few of their delegates) and the addresses of the computer that made it.

The string is public and anyone's wallet may have written it, so it is parsed as
untrusted input (:mod:`wallet.untrusted`, :data:`POINTER_LIMITS`): a malformed pointer is
one :class:`~wallet.errors.ShareError`, never a crash. Written pointers stay under
:data:`MAX_POINTER_CHARS` (cost of the transaction's calldata).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from .. import untrusted
from ..errors import InputRefused, InvalidCid, ShareError
from ..ipfs.cid import Cid

__all__ = ["MAX_POINTER_CHARS", "POINTER_LIMITS", "BackupHolder", "BackupPointer", "parse_pointer"]

PREFIX = "hwbackup:1:"
MAX_POINTER_CHARS = 2048
MAX_HOLDERS = 4
MAX_ADDRESSES = 4
_MAX_NAME = 40
_MAX_ADDR = 300
POINTER_LIMITS = untrusted.Limits(max_bytes=MAX_POINTER_CHARS, max_depth=4, max_items=8, max_number_chars=4)
"""Input gate limits for a pointer's JSON: a CID, a few holders, a few addresses each."""


def _addresses(value: object, what: str) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or len(value) > MAX_ADDRESSES or not all(
            isinstance(a, str) and a.startswith("/") and "/p2p/" in a and len(a) <= _MAX_ADDR
            and a.isprintable() and " " not in a for a in value):
        raise ShareError(f"The backup pointer on chain has invalid {what}.")
    return tuple(value)


@dataclass(frozen=True)
class BackupHolder:
    """A pinning service holding the backup: its ``name`` (as the patient called it) and
    ``delegates`` (multiaddrs of its nodes, dialled to fetch)."""

    name: str
    delegates: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not 0 < len(self.name) <= _MAX_NAME or not self.name.isprintable():
            raise ShareError("The backup pointer on chain names a holder badly.")
        _addresses(list(self.delegates), "holder addresses")


@dataclass(frozen=True)
class BackupPointer:
    """The latest backup: its CID, its holders and the addresses of the computer that made it."""

    cid: Cid
    holders: tuple[BackupHolder, ...] = ()
    origins: tuple[str, ...] = ()
    version: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.cid, Cid):
            raise ShareError("A backup pointer needs a CID.")
        if len(self.holders) > MAX_HOLDERS:
            raise ShareError("The backup pointer on chain names too many holders.")
        _addresses(list(self.origins), "addresses")

    @property
    def addresses(self) -> tuple[str, ...]:
        """Every multiaddr worth dialling: the holders' first, then the old computer's."""
        out: list[str] = []
        for holder in self.holders:
            out.extend(a for a in holder.delegates if a not in out)
        out.extend(a for a in self.origins if a not in out)
        return tuple(out)

    def encode(self) -> str:
        """The string for ``publishBackup``; drops addresses (old computer's first) to fit."""
        holders = [(h.name, list(h.delegates)) for h in self.holders]
        origins = list(self.origins)
        while True:
            doc: dict[str, object] = {"c": str(self.cid)}
            if holders:
                doc["h"] = [{"n": name, "d": addrs} for name, addrs in holders]
            if origins:
                doc["o"] = origins
            raw = json.dumps(doc, separators=(",", ":")).encode()
            text = PREFIX + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
            if len(text) <= MAX_POINTER_CHARS:
                return text
            if origins:
                origins.pop()
                continue
            longest = max((addrs for _name, addrs in holders), key=len, default=[])
            if not longest:
                raise ShareError("The backup pointer does not fit on chain.")
            longest.pop()


def parse_pointer(text: str) -> BackupPointer:
    """A pointer read from chain; raises :class:`ShareError` with one line if malformed."""
    if not isinstance(text, str) or len(text) > MAX_POINTER_CHARS * 2:
        raise ShareError("The backup pointer on chain is not one this app can read.")
    text = text.strip()
    if not text.startswith("hwbackup:"):
        try:
            return BackupPointer(Cid.parse(text), version=0)
        except InvalidCid as exc:
            raise ShareError("The backup pointer on chain is neither a CID nor a backup pointer.") from exc
    if not text.startswith(PREFIX):
        raise ShareError("The backup pointer on chain was written by a newer version of Health Wallet; update it.")
    body = text[len(PREFIX):]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        doc = untrusted.loads(raw, what="the backup pointer on chain", limits=POINTER_LIMITS)
    except (ValueError, InputRefused) as exc:
        raise ShareError("The backup pointer on chain is damaged.") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("c"), str):
        raise ShareError("The backup pointer on chain has no CID.")
    try:
        cid = Cid.parse(doc["c"])
    except InvalidCid as exc:
        raise ShareError("The backup pointer on chain has an invalid CID.") from exc
    holders_doc = doc.get("h", [])
    if not isinstance(holders_doc, list) or len(holders_doc) > MAX_HOLDERS:
        raise ShareError("The backup pointer on chain names its holders badly.")
    holders = []
    for item in holders_doc:
        if not isinstance(item, dict) or not isinstance(item.get("n"), str):
            raise ShareError("The backup pointer on chain names a holder badly.")
        holders.append(BackupHolder(item["n"], _addresses(item.get("d", []), "holder addresses")))
    return BackupPointer(cid, tuple(holders), _addresses(doc.get("o", []), "addresses"))
