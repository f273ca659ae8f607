"""The audit log's entries: frozen, checked when built, and written as the JSON objects
'audit --json' has always printed."""

from __future__ import annotations

import dataclasses

import pytest

from wallet.services.audit_log import AuditEntry

GRANT = "0x" + "ab" * 32
TX = "0x" + "cd" * 32


def test_a_chain_event_writes_the_chain_fields_in_order() -> None:
    entry = AuditEntry("chain", "accessed", "2026-05-01T10:00:00+00:00", grant_id=GRANT, tx=TX,
                       party="0x" + "11" * 20, patient="0x" + "22" * 20, grantee="0x" + "11" * 20, block=42)
    assert list(entry.to_json().items()) == [
        ("source", "chain"), ("event", "accessed"), ("grant_id", GRANT), ("at", "2026-05-01T10:00:00+00:00"),
        ("party", "0x" + "11" * 20), ("patient", "0x" + "22" * 20), ("grantee", "0x" + "11" * 20), ("tx", TX),
        ("block", 42)]
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.event = "revoked"  # type: ignore[misc]


def test_a_local_event_writes_the_local_fields_in_order() -> None:
    entry = AuditEntry("local", "Exported", "2026-05-01T10:00:00Z", detail="Export of 3 records", id="rec-1")
    assert entry.to_json() == {"source": "local", "event": "Exported", "at": "2026-05-01T10:00:00Z",
                               "detail": "Export of 3 records", "id": "rec-1", "grant_id": None, "tx": None}
    assert list(entry.to_json()) == ["source", "event", "at", "detail", "id", "grant_id", "tx"]


def test_an_entry_that_cannot_be_is_refused() -> None:
    with pytest.raises(ValueError, match="source"):
        AuditEntry("gossip", "accessed", "2026-05-01T10:00:00Z", id="x")
    with pytest.raises(ValueError, match="block"):
        AuditEntry("chain", "accessed", "2026-05-01T10:00:00Z", party="0x" + "11" * 20)
    with pytest.raises(ValueError, match="record"):
        AuditEntry("local", "Exported", "2026-05-01T10:00:00Z")
