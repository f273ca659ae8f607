"""The grants domain: what a patient shared with whom, until when, and what happened since.

A grant id is 32 bytes: the grantee's address in the high 20 bytes and 12 random bytes
below. The contract checks ``recordAccess`` callers against the id itself, so a grant
needs one storage slot (see ``contracts/HealthGrants.sol``). Times are aware UTC
datetimes with whole seconds, as on chain.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .values import Address, GrantId

__all__ = [
    "AccessEvent",
    "AccessGrant",
    "Address",
    "EventKind",
    "GrantId",
    "GrantStage",
    "GrantStatus",
    "from_chain_time",
    "grant_id_hex",
    "grantee_of",
    "new_grant_id",
    "parse_grant_id",
    "to_chain_time",
]

GRANT_ID_SIZE = GrantId.SIZE
MAX_CHAIN_TIME = 2**64 - 1
_LAST_SECOND = int(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp())


class GrantStatus(enum.StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


class GrantStage(enum.StrEnum):
    """Where a grant id stands in the contract's storage."""

    UNUSED = "unused"  # never granted nor burned: a signed grant can still be submitted
    GRANTED = "granted"
    BURNED = "burned"  # revoked before it was submitted: it can never be granted


class EventKind(enum.StrEnum):
    GRANTED = "granted"
    REVOKED = "revoked"
    ACCESSED = "accessed"


def checksum(address: str) -> Address:
    """A 0x address in checksum form; :class:`~wallet.errors.InvalidAddress` (a ``ValueError``) otherwise."""
    return Address(address)


def new_grant_id(grantee: str) -> GrantId:
    """A fresh grant id addressed to ``grantee``: its address, then 96 random bits."""
    return GrantId.new(grantee)


def grantee_of(grant_id: bytes) -> Address:
    """The address a grant id is addressed to."""
    return GrantId(grant_id).grantee


def parse_grant_id(text: str) -> GrantId:
    """A grant id from its 0x-prefixed hex form; :class:`~wallet.errors.InvalidGrantId` if malformed."""
    return GrantId.parse(text)


def grant_id_hex(grant_id: bytes) -> str:
    return GrantId(grant_id).hex_id


def to_chain_time(moment: datetime) -> int:
    """Seconds since the epoch, as the contract stores them."""
    _check_time(moment, "time")
    return int(moment.timestamp())


def from_chain_time(seconds: int) -> datetime:
    """The moment a chain timestamp names; far-future values (up to 2**64 - 1) stop at year 9999."""
    return datetime.fromtimestamp(min(max(int(seconds), 1), _LAST_SECOND), UTC)


def _check_time(moment: datetime, name: str) -> None:
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise ValueError(f"{name} must be an aware datetime")
    if not 0 < moment.timestamp() < MAX_CHAIN_TIME:
        raise ValueError(f"{name} is out of range")


@dataclass(frozen=True)
class AccessGrant:
    """One grant as recorded on chain (storage and the events that carry its data)."""

    grant_id: bytes
    patient: str
    grantee: str
    expires_at: datetime
    cid: str
    wrapped_key: bytes = field(repr=False)
    revoked: bool = False
    granted_at: datetime | None = None
    grant_tx: str | None = None
    revoked_at: datetime | None = None
    accesses: int = 0
    last_access_at: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "grant_id", GrantId(self.grant_id))
        object.__setattr__(self, "patient", checksum(self.patient))
        object.__setattr__(self, "grantee", checksum(self.grantee))
        if self.grantee != grantee_of(self.grant_id):
            raise ValueError("the grant id is not addressed to this grantee")
        _check_time(self.expires_at, "expires_at")
        if not self.cid:
            raise ValueError("a grant needs a CID")
        if self.accesses < 0:
            raise ValueError("accesses must be non-negative")
        if self.revoked_at is not None and not self.revoked:
            raise ValueError("revoked_at needs revoked")

    @property
    def id_hex(self) -> str:
        return grant_id_hex(self.grant_id)

    def __repr__(self) -> str:
        return (f"AccessGrant({self.id_hex}, patient={self.patient}, grantee={self.grantee}, "
                f"expires_at={self.expires_at.isoformat()}, cid={self.cid}, revoked={self.revoked}, "
                f"accesses={self.accesses})")

    def status(self, now: datetime) -> GrantStatus:
        """Revoked wins over expired; a grant expires at ``expires_at`` exactly."""
        _check_time(now, "now")
        if self.revoked:
            return GrantStatus.REVOKED
        if now >= self.expires_at:
            return GrantStatus.EXPIRED
        return GrantStatus.ACTIVE

    def is_active(self, now: datetime) -> bool:
        return self.status(now) is GrantStatus.ACTIVE


@dataclass(frozen=True)
class AccessEvent:
    """One entry of the on-chain access log."""

    kind: EventKind
    grant_id: bytes
    patient: str
    grantee: str
    at: datetime
    block: int
    tx_hash: str
    log_index: int = 0
    expires_at: datetime | None = None  # for ``granted``

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", EventKind(self.kind))
        object.__setattr__(self, "grant_id", GrantId(self.grant_id))
        object.__setattr__(self, "patient", checksum(self.patient))
        object.__setattr__(self, "grantee", checksum(self.grantee))
        _check_time(self.at, "at")
        if self.block < 0 or self.log_index < 0:
            raise ValueError("block and log index are non-negative")

    @property
    def id_hex(self) -> str:
        return grant_id_hex(self.grant_id)

    def __repr__(self) -> str:
        return (f"AccessEvent({self.kind.value} {self.id_hex}, patient={self.patient}, grantee={self.grantee}, "
                f"at={self.at.isoformat()}, block={self.block}, tx={self.tx_hash})")

    def party(self, me: str) -> str:
        """The other side of the event, seen from ``me``."""
        return self.grantee if checksum(me) == self.patient else self.patient
