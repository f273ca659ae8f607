"""A large share validated on both CPUs: the same checks, the same refusal, the first bad entry named."""

from __future__ import annotations

import copy
import json
import select
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.conftest import FIXTURES
from wallet.errors import InvalidRecord
from wallet.records.validate import validate_file
from wallet.share import protocol
from wallet.share.envelope_validator import LARGE, EnvelopeValidator, validated_entries

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
LARGE_PATIENT = FIXTURES / "synthea" / "Olen_Kulas_bf2aac98-44db-4ac3-87d6-bfc62a111ca6.json"  # 533 records


@pytest.fixture(scope="module")
def resources() -> list[dict[str, Any]]:
    bundle = json.loads(LARGE_PATIENT.read_text())
    found = [e["resource"] for e in bundle["entry"]]
    assert len(found) >= LARGE
    return found


@pytest.fixture(scope="module")
def validator() -> Iterator[EnvelopeValidator]:
    """The validating process, ready; the test fails (never skips) when it cannot start."""
    started = EnvelopeValidator.start(only_where_it_helps=False)
    assert started is not None, "the validating process could not start"
    try:
        assert started.wait_ready(120), "the validating process did not load the FHIR models"
        yield started
    finally:
        started.close()


def _broken(resources: list[dict[str, Any]], at: dict[int, str]) -> bytes:
    """The share's plaintext with the resources at these indexes made invalid, each its own way."""
    changed = copy.deepcopy(resources)
    for index, how in at.items():
        resource = changed[index]
        if how == "unknown element":
            resource["notAnElement"] = True
        elif how == "status":
            resource["resourceType"], resource["status"] = "Observation", "bogus"
        elif how == "json type":
            resource["resourceType"], resource["status"] = "Observation", "final"
            resource["valueQuantity"] = {"value": "6.3", "unit": "mmol/L"}
    return protocol.envelope(changed, now=NOW)


def _refusal(plain: bytes, validator: EnvelopeValidator | None) -> str:
    with pytest.raises(InvalidRecord) as info:
        protocol.read_envelope(plain, validator=validator)
    return info.value.user_message


def _answered_in_full(validator: EnvelopeValidator, plain: bytes) -> tuple[int, str] | None:
    """The other process alone over every entry of ``plain``: its lowest fault."""
    job = validator.begin(plain)
    assert job is not None, "the ready process took no share"
    try:
        while not (job.low == 0 or not validator.alive):
            select.select([validator._answers], [], [], 1.0)  # an answer to read
            validator.progress(job)
        assert job.low == 0 and job.count == len(protocol.gated_document(plain)[1].items)
        return job.fault
    finally:
        validator.end(job)


@pytest.mark.parametrize("at", [
    {0: "unknown element"},
    {532: "status"},
    {270: "json type"},
    {5: "status", 500: "unknown element"},
    {300: "json type", 301: "status", 530: "unknown element"},
])
def test_a_bad_entry_is_refused_as_one_process_refuses_it(resources, validator, at) -> None:
    plain = _broken(resources, at)
    alone = _refusal(plain, None)
    first = min(at)
    assert alone.startswith(f"the shared bundle entry[{first}]")
    assert _refusal(plain, validator) == alone
    with pytest.raises(InvalidRecord) as whole_file:  # what validating the Bundle as one file says
        validate_file(protocol.gated_document(plain)[1], name="the shared bundle", single_patient=False)
    assert whole_file.value.user_message == alone


def test_the_other_process_names_the_lowest_bad_entry_it_met(resources, validator) -> None:
    plain = _broken(resources, {40: "status", 520: "unknown element"})
    fault = _answered_in_full(validator, plain)
    assert fault == (40, _refusal(plain, None))
    assert _answered_in_full(validator, protocol.envelope(resources, now=NOW)) is None


def test_a_valid_share_reads_the_same_on_both_processes(resources, validator) -> None:
    plain = protocol.envelope(resources, now=NOW)
    alone = protocol.read_envelope(plain)
    both = protocol.read_envelope(plain, validator=validator)
    assert both.resources == alone.resources and both.bundle == alone.bundle
    assert both.parsed.items == alone.parsed.items


def test_a_share_refused_at_the_gate_says_so_whichever_process_reads_it(validator) -> None:
    plain = b'{"resourceType": "Bundle", "type": "collection", "entry": [' + b"[" * 100 + b"]" * 100 + b"]}"
    assert _refusal(plain, validator) == _refusal(plain, None)
    assert "nested deeper" in _refusal(plain, None)
    not_a_type = protocol.envelope([{"resourceType": "Basic", "code": {"text": "x"}}] * LARGE, now=NOW)
    not_a_type = not_a_type.replace(b'"type":"collection"', b'"type":"pile"')
    assert _refusal(not_a_type, validator) == _refusal(not_a_type, None) == (
        "the shared bundle: Bundle.type 'pile' is not a FHIR bundle type.")


def test_a_process_that_stopped_mid_share_leaves_the_work_here(resources) -> None:
    stopping = EnvelopeValidator.start(only_where_it_helps=False)
    assert stopping is not None and stopping.wait_ready(120)
    plain = _broken(resources, {500: "status"})
    job = stopping.begin(plain)
    assert job is not None
    stopping._process.kill()  # type: ignore[union-attr]  # gone before it answered (or part way)
    with pytest.raises(InvalidRecord) as info:
        validated_entries(protocol.gated_document(plain)[1].items, name="the shared bundle", job=job,
                          validator=stopping)
    assert info.value.user_message == _refusal(plain, None)
    stopping.close()
    assert stopping.begin(plain) is None  # a stopped process takes no more shares
    good = protocol.envelope(resources, now=NOW)
    assert protocol.read_envelope(good, validator=stopping).resources == protocol.read_envelope(good).resources


def test_one_share_at_a_time(resources, validator) -> None:
    plain = protocol.envelope(resources, now=NOW)
    job = validator.begin(plain)
    assert job is not None
    try:
        assert validator.begin(plain) is None  # another open at the same time validates alone
    finally:
        validator.end(job)
    again = validator.begin(plain)
    assert again is not None
    validator.end(again)
