"""The SMART Health Links this wallet made: one file in the home, sealed (vault AEAD) with a
key derived from the wallet's keys. It holds each link's key, a keyed hash of its passcode,
the attempts left, expiry, revocation and the access log, so none of it is on disk in the clear.
The encrypted files themselves (JWE) live beside it under ``shl/<id>/``.
"""

from __future__ import annotations

import hmac
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: the in-process lock only
    fcntl = None  # type: ignore[assignment]

from ..atomicfile import write_atomic
from ..errors import DecryptionError, ShareError
from ..vault import aead

__all__ = ["MAX_ATTEMPTS", "Access", "LinkStore", "StoredLink"]

MAX_ATTEMPTS = 10  # wrong passcodes before a link is disabled for good
_FILE = "links.sealed"
_PURPOSE = "shl-links"


@dataclass(frozen=True)
class Access:
    at: str  # ISO 8601 UTC
    recipient: str
    outcome: str  # "opened", "wrong passcode", "expired", "revoked", "disabled"


@dataclass(frozen=True)
class StoredLink:
    """One link. ``key`` (base64url) and ``passcode_mac`` are secrets: not in repr."""

    id: str
    url: str
    flags: str
    label: str
    created_at: str
    expires_at: str | None
    content_types: tuple[str, ...]
    key: str = field(repr=False)
    passcode_mac: str = field(default="", repr=False)
    attempts_left: int = MAX_ATTEMPTS
    revoked: bool = False
    log: tuple[Access, ...] = ()

    @property
    def accesses(self) -> int:
        return sum(1 for a in self.log if a.outcome == "opened")

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and datetime.fromisoformat(self.expires_at) <= now

    def to_json(self) -> dict[str, Any]:
        doc = dict(self.__dict__)
        doc["content_types"] = list(self.content_types)
        doc["log"] = [a.__dict__ for a in self.log]
        return doc

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> StoredLink:
        doc = dict(doc)
        doc["content_types"] = tuple(doc["content_types"])
        doc["log"] = tuple(Access(**a) for a in doc.get("log", []))
        return cls(**doc)


class LinkStore:
    """The sealed list of links in ``<home>/shl``; every change is one atomic rewrite."""

    def __init__(self, folder: Path, *, key: bytes) -> None:
        self.folder = Path(folder)
        self._key = key
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"LinkStore({self.folder})"

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer at a time, across threads and processes (``serve --shl`` runs while
        ``shl revoke`` may change the same file)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.folder / ".lock", "a+b") as fh:
            if fcntl is not None:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                if fcntl is not None:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def passcode_mac(self, passcode: str) -> str:
        return aead.keyed_hash(self._key, b"passcode:" + passcode.encode("utf-8")).hex()

    def passcode_matches(self, link: StoredLink, passcode: str) -> bool:
        return bool(link.passcode_mac) and hmac.compare_digest(link.passcode_mac, self.passcode_mac(passcode))

    def _load(self) -> dict[str, StoredLink]:
        path = self.folder / _FILE
        if not path.exists():
            return {}
        try:
            doc = json.loads(aead.open_sealed(self._key, path.read_bytes(), purpose=_PURPOSE))
        except (OSError, ValueError, DecryptionError) as exc:
            raise ShareError(f"The list of SMART Health Links in {self.folder} cannot be read.") from exc
        return {d["id"]: StoredLink.from_json(d) for d in doc["links"]}

    def _save(self, links: dict[str, StoredLink]) -> None:
        body = json.dumps({"version": 1, "links": [lk.to_json() for lk in links.values()]}).encode()
        write_atomic(self.folder / _FILE, aead.seal(self._key, body, purpose=_PURPOSE))

    def all(self) -> list[StoredLink]:
        with self._locked():
            return sorted(self._load().values(), key=lambda lk: lk.created_at)

    def get(self, link_id: str) -> StoredLink | None:
        with self._locked():
            return self._load().get(link_id)

    def add(self, link: StoredLink, files: list[str]) -> None:
        """Keep ``link`` and its encrypted files (JWE text, in order of ``content_types``)."""
        with self._locked():
            links = self._load()
            folder = self.folder / link.id
            for n, token in enumerate(files):
                write_atomic(folder / f"{n}.jwe", token.encode("ascii"))
            links[link.id] = link
            self._save(links)

    def files(self, link: StoredLink) -> list[str]:
        return [(self.folder / link.id / f"{n}.jwe").read_text("ascii") for n in range(len(link.content_types))]

    def revoke(self, link_id: str) -> StoredLink:
        with self._locked():
            links = self._load()
            link = self._find(links, link_id)
            links[link.id] = replace(link, revoked=True)
            self._save(links)
            return links[link.id]

    def record(self, link_id: str, recipient: str, outcome: str, *, now: datetime,
               spend_attempt: bool = False) -> StoredLink:
        """Append to the access log (and count a wrong passcode); returns the link after."""
        with self._locked():
            links = self._load()
            link = links[link_id]
            entry = Access(now.astimezone(UTC).isoformat(timespec="seconds"), recipient[:200], outcome)
            left = max(0, link.attempts_left - 1) if spend_attempt else link.attempts_left
            links[link_id] = replace(link, attempts_left=left, log=(*link.log, entry))
            self._save(links)
            return links[link_id]

    @staticmethod
    def _find(links: dict[str, StoredLink], link_id: str) -> StoredLink:
        if link_id in links:
            return links[link_id]
        matches = [lk for lk in links.values() if lk.id.startswith(link_id)] if len(link_id) >= 6 else []
        if len(matches) != 1:
            raise ShareError(f"No SMART Health Link {link_id!r} in this wallet; 'shl list' shows them.")
        return matches[0]
