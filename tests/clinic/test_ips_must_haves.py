"""IPS must-haves the FHIR base models do not check: a MedicationStatement says when
(``effective[x]`` 1..1 in the IPS profile), or says that it is unknown."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from wallet.errors import InvalidRecord
from wallet.records.ips import DATA_ABSENT, build_ips, check_ips

PATIENT = {"resourceType": "Patient", "id": "p1", "name": [{"given": ["Zoë"], "family": "Núñez"}]}
UNDATED = {"resourceType": "MedicationStatement", "id": "m1", "status": "active",
           "medicationCodeableConcept": {"text": "Salbutamol inhaler"}, "subject": {"reference": "Patient/p1"}}
DATED = dict(UNDATED, id="m2", effectiveDateTime="2024-01-02")


def test_undated_statement_gets_data_absent_reason_and_dated_one_is_kept() -> None:
    bundle = build_ips([PATIENT, UNDATED, DATED], now=datetime(2026, 1, 1, tzinfo=UTC))
    check_ips(bundle)
    by_id = {e["resource"].get("id"): e["resource"] for e in bundle["entry"]}
    assert by_id["m1"]["_effectiveDateTime"]["extension"] == [{"url": DATA_ABSENT, "valueCode": "unknown"}]
    assert "effectiveDateTime" not in by_id["m1"]
    assert by_id["m2"]["effectiveDateTime"] == "2024-01-02" and "_effectiveDateTime" not in by_id["m2"]
    assert "_effectiveDateTime" not in UNDATED  # the wallet's own record is not changed

    broken = copy.deepcopy(bundle)
    for entry in broken["entry"]:
        entry["resource"].pop("_effectiveDateTime", None)
    with pytest.raises(InvalidRecord, match="effective"):
        check_ips(broken)
