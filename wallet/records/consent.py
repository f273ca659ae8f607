"""The local record of consent: each grant as a FHIR ``Consent``, each grant, revoke,
open and export as a FHIR ``AuditEvent``. Both are stored like any other record, so
they are sealed at rest and travel with backups."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "AUDIT_ACTIONS",
    "GRANT_KEY_SYSTEM",
    "GRANT_SYSTEM",
    "TOKEN_SYSTEM",
    "TX_SYSTEM",
    "audit_event",
    "consent_ids",
    "grant_consent",
    "revoke_consent",
]

ETH = "urn:ietf:rfc:3986"  # identifiers are URIs: "eip155:<chain>:<address>"
GRANT_SYSTEM = "urn:health-wallet:grant"
TX_SYSTEM = "urn:health-wallet:tx"
GRANT_KEY_SYSTEM = "urn:health-wallet:grant-key-index"  # the per-grant key m/44'/60'/18519'/0/<value>
TOKEN_SYSTEM = "urn:health-wallet:share-token"  # the token handed to the doctor (it holds the signed grant)

# action -> (AuditEvent.action code, subtype display)
AUDIT_ACTIONS = {
    "grant": ("C", "Access granted"),
    "revoke": ("D", "Access revoked"),
    "open": ("R", "Shared records opened"),
    "export": ("R", "Signed export written"),
    "backup": ("C", "Backup published"),
}


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _account(chain_id: int | None, address: str) -> dict[str, Any]:
    """An account as a URI: CAIP-10 ``eip155:<chain>:<address>`` on a chain, else ``ethereum:<address>``."""
    value = f"eip155:{chain_id}:{address}" if chain_id else f"ethereum:{address}"
    return {"identifier": {"system": ETH, "value": value}}


def _grant_hex(grant_id: str) -> str:
    digits = grant_id[2:] if grant_id[:2] in ("0x", "0X") else grant_id
    return digits.lower()


def consent_ids(grant_id: str) -> tuple[str, str]:
    """(id, legacy id) of the ``Consent`` kept for ``grant_id`` (``0x`` + 64 hex digits).

    The id is the grant id's 64 hex digits (FHIR ids hold up to 64 of ``[A-Za-z0-9.-]``,
    R4 "id" datatype), so every grant has its own Consent. Wallets before this rule used
    ``grant-`` and the first 16 hex digits, which are the grantee's address, so all grants
    to one doctor shared one id: a Consent found under the legacy id belongs to this grant
    only if its identifier (system :data:`GRANT_SYSTEM`) is this grant id.
    """
    digits = _grant_hex(grant_id)
    return digits, f"grant-{digits[:16]}"


def grant_consent(*, grant_id: str, chain_id: int, patient: str, grantee: str, grantee_name: str | None,
                  starts: datetime, expires: datetime, record_refs: Iterable[str], cid: str,
                  grant_key_index: int | None = None, token: str | None = None) -> dict[str, Any]:
    """A ``Consent`` (scope: patient-privacy, OPTIN permit) for one grant.

    A signed grant also keeps the index of its per-grant key (identifier system
    :data:`GRANT_KEY_SYSTEM`) and the share token (:data:`TOKEN_SYSTEM`), so the wallet can
    revoke, burn or hand it out again; ``patient`` is then the per-grant address."""
    actor = _account(chain_id, grantee)
    if grantee_name:
        actor["display"] = grantee_name
    identifiers = [{"system": GRANT_SYSTEM, "value": grant_id}]
    if grant_key_index is not None:
        identifiers.append({"system": GRANT_KEY_SYSTEM, "value": str(int(grant_key_index))})
    if token is not None:
        identifiers.append({"system": TOKEN_SYSTEM, "value": token})
    return {
        "resourceType": "Consent",
        "id": consent_ids(grant_id)[0],
        "identifier": identifiers,
        "status": "active",
        "scope": {"coding": [
            {"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"},
        ]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}]}],
        "dateTime": _iso(starts),
        "performer": [_account(chain_id, patient)],
        "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTIN"}]},
        "sourceReference": {"display": f"On-chain grant {grant_id}; content ipfs://{cid}"},
        "provision": {
            "type": "permit",
            "period": {"start": _iso(starts), "end": _iso(expires)},
            "actor": [{
                "role": {"coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP"},
                ]},
                "reference": actor,
            }],
            "action": [{"coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/consentaction", "code": "access"},
            ]}],
            "data": [{"meaning": "instance", "reference": {"reference": ref}} for ref in record_refs],
        },
    }


def revoke_consent(consent: dict[str, Any], *, at: datetime) -> dict[str, Any]:
    """The same Consent, now inactive, its period ended at the revocation."""
    out = dict(consent)
    out["status"] = "inactive"
    provision = dict(out["provision"])
    provision["period"] = {**provision["period"], "end": _iso(at)}
    out["provision"] = provision
    return out


def audit_event(action: str, *, chain_id: int | None, actor: str, at: datetime, detail: str,
                grant_id: str | None = None, tx: str | None = None) -> dict[str, Any]:
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    code, display = AUDIT_ACTIONS[action]
    entity: list[dict[str, Any]] = []
    if grant_id:
        entity.append({"what": {"identifier": {"system": GRANT_SYSTEM, "value": grant_id}}, "description": detail})
    if tx:
        entity.append({"what": {"identifier": {"system": TX_SYSTEM, "value": tx}}})
    return {
        "resourceType": "AuditEvent",
        "id": str(uuid.uuid4()),
        "type": {"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "110106", "display": "Export"}
        if action == "export" else
        {"system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "rest",
         "display": "RESTful Operation"},
        "subtype": [{"system": "urn:health-wallet:audit", "code": action, "display": display}],
        "action": code,
        "recorded": _iso(at),
        "outcome": "0",
        "outcomeDesc": detail,
        "agent": [{"who": _account(chain_id, actor), "requestor": True}],
        "source": {"observer": {"display": "Health Wallet"}},
        "entity": entity or [{"description": detail}],
    }
