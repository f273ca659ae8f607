"""One line of the sharing audit log (:meth:`~wallet.services.sharing.Sharing.audit`).

Two sources: ``chain``, an event of the grants contract where this wallet is a party
(``granted``, ``revoked`` or ``accessed``; the ``Granted``/``Revoked``/``Accessed`` logs
of HealthGrants), and ``local``, one of this wallet's own FHIR ``AuditEvent`` records
(shares, opens, exports, backups). :meth:`AuditEntry.to_json` is the ``audit --json``
object: the fields of its source, in this order, under these names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["AUDIT_SOURCES", "AuditEntry"]

AUDIT_SOURCES = ("chain", "local")
_CHAIN_FIELDS = ("source", "event", "grant_id", "at", "party", "patient", "grantee", "tx", "block")
_LOCAL_FIELDS = ("source", "event", "at", "detail", "id", "grant_id", "tx")


@dataclass(frozen=True)
class AuditEntry:
    """An event of the audit log. ``at``: ISO 8601 (chain: the block's time, UTC; local: the
    AuditEvent's recorded time). ``grant_id`` (``0x`` + 64 hex digits) and ``tx`` (a
    transaction hash) when known. Chain events carry ``party`` (the other side's address),
    ``patient``, ``grantee`` and ``block``; local ones ``detail`` and ``id`` (the record id).

    Raises ``ValueError`` for an unknown source or a chain event without its block."""

    source: str
    event: str
    at: str
    grant_id: str | None = None
    tx: str | None = None
    party: str | None = None
    patient: str | None = None
    grantee: str | None = None
    block: int | None = None
    detail: str | None = None
    id: str | None = None

    def __post_init__(self) -> None:
        if self.source not in AUDIT_SOURCES:
            raise ValueError(f"unknown audit source {self.source!r}")
        if self.source == "chain" and (self.block is None or self.party is None):
            raise ValueError("a chain event names its block and the other party")
        if self.source == "local" and self.id is None:
            raise ValueError("a local audit event names its record")

    def to_json(self) -> dict[str, Any]:
        """The ``audit --json`` object of this event (the keys its source has always had)."""
        return {name: getattr(self, name) for name in (_CHAIN_FIELDS if self.source == "chain" else _LOCAL_FIELDS)}
