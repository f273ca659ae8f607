"""Shares a doctor's wallet was handed: the tokens, kept sealed in the wallet home.

A version 2 token carries a grant that may not be on chain yet and a label for the doctor
(:mod:`wallet.share.label`); the doctor's "Shared with me" lists them before anything is
opened. The file ``received-shares.sealed`` is one :func:`wallet.vault.aead.seal` blob
(purpose :data:`PURPOSE`, key from the wallet's keys), written atomically, mode 0600; its
plaintext is versioned JSON::

    {"format": "health-wallet/received-shares", "version": 1,
     "shares": [{"grant_id": "0x…", "chain_id": 100, "token": "hwshare:2:…", "added_at": "…Z"}]}
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .. import untrusted
from ..atomicfile import write_atomic
from ..errors import DecryptionError, InputRefused, ShareError
from ..formats import FileFormat
from ..vault import aead
from .token import ShareToken, parse_token

__all__ = ["RECEIVED_FILE", "ReceivedShare", "ReceivedShares"]

RECEIVED_FILE = "received-shares.sealed"
PURPOSE = "received-shares"
FORMAT = "health-wallet/received-shares"
RECEIVED_FORMAT: FileFormat[dict[str, object]] = FileFormat("received shares file", 1, (), error=ShareError)
MAX_SHARES = 10_000


@dataclass(frozen=True)
class ReceivedShare:
    """One token this wallet was handed, and when."""

    token: ShareToken
    text: str
    added_at: datetime

    @property
    def grant_id(self) -> str:
        return self.token.grant_id.lower()


class ReceivedShares:
    """The received tokens of one wallet home (``key``: the wallet's key for this file)."""

    def __init__(self, home: Path, key: bytes) -> None:
        self.path = Path(home) / RECEIVED_FILE
        self._key = key

    def __repr__(self) -> str:
        return f"ReceivedShares({self.path})"

    def all(self) -> list[ReceivedShare]:
        """Every kept token, oldest first; a token this app can no longer read is skipped."""
        if not self.path.exists():
            return []
        try:
            blob = untrusted.read_bytes(self.path, max_bytes=MAX_SHARES * 2200)
            doc = untrusted.loads(aead.open_sealed(self._key, blob, purpose=PURPOSE), what="the received shares file")
        except (InputRefused, DecryptionError) as exc:
            raise ShareError(f"The received shares file {self.path} cannot be read; move it away to start a new "
                             "one (the shares can be added again from their tokens).") from exc
        if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("shares"), list):
            raise ShareError(f"The received shares file {self.path} has an unknown format.")
        RECEIVED_FORMAT.check_version(doc.get("version"), self.path)
        out = []
        for item in doc["shares"]:
            try:
                out.append(ReceivedShare(parse_token(item["token"]), item["token"],
                                         datetime.fromisoformat(item["added_at"])))
            except (ShareError, KeyError, TypeError, ValueError):
                continue  # one damaged entry does not lose the others
        return out

    def add(self, text: str, *, now: datetime) -> ReceivedShare:
        """Keep ``text`` (replacing an earlier token of the same grant); the kept share."""
        share = ReceivedShare(parse_token(text), text.strip(), now.astimezone(UTC))
        kept = [*[s for s in self.all() if s.grant_id != share.grant_id][-(MAX_SHARES - 1):], share]
        doc = {"format": FORMAT, "version": RECEIVED_FORMAT.current, "shares": [
            {"grant_id": s.grant_id, "chain_id": s.token.chain_id, "token": s.text,
             "added_at": s.added_at.isoformat(timespec="seconds")} for s in kept]}
        write_atomic(self.path, aead.seal(self._key, json.dumps(doc).encode(), purpose=PURPOSE), mode=0o600)
        return share

    def find(self, grant_id: str) -> ReceivedShare | None:
        wanted = grant_id.lower()
        return next((s for s in self.all() if s.grant_id == wanted), None)
