"""Property-based fuzzing of every entry point that reads outside data.

Each property: whatever the input, the call returns a result or raises a
:class:`~wallet.errors.WalletError` (one line), never another exception, never a crash,
never a hang. Inputs are generated (arbitrary text and bytes, random JSON, deep nesting)
and mutated (real FHIR fixtures, share tokens and health cards with bytes changed,
inserted or cut).

Bounded for CI: the default ``ci`` profile runs a fixed, derandomized set of examples so
the whole file takes well under a minute on two cores; a generous per-example deadline
turns a hang into a failure. ``HYPOTHESIS_PROFILE=explore`` runs many more, randomly.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import FIXTURES
from wallet import untrusted
from wallet.errors import WalletError
from wallet.records.importer import import_parsed
from wallet.records.narrative import remove_unsafe_narratives, unsafe_reason
from wallet.records.parse import parse_bytes
from wallet.records.store import RecordStore
from wallet.records.validate import validate_file
from wallet.share.issuers import IssuerStore
from wallet.share.shc import read_card_file
from wallet.share.shc_qr import parse_qr_text
from wallet.share.token import PREFIX, ShareToken, parse_token
from wallet.vault import aead

settings.register_profile(
    "ci", max_examples=60, deadline=timedelta(seconds=10), derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile(
    "explore", max_examples=5000, deadline=timedelta(seconds=10), database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

NOW = datetime(2026, 11, 30, tzinfo=UTC)
PATIENT = (FIXTURES / "fhir-examples" / "Patient-example.json").read_bytes()
OBSERVATION = (FIXTURES / "fhir-examples" / "Observation-f001.json").read_bytes()
LIPIDS = (FIXTURES / "fhir-examples" / "Bundle-lipids.json").read_bytes()
NARRATIVE = (FIXTURES / "realworld" / "narrative-script" / "narrative-script.json").read_bytes()
CARD_FILE = (FIXTURES / "smart-health-cards" / "example-00-e-file.smart-health-card").read_bytes()
CARD_QR = (FIXTURES / "smart-health-cards" / "example-00-f-qr-code-numeric-value-0.txt").read_text().strip()
SEEDS = [PATIENT, OBSERVATION, LIPIDS, NARRATIVE]


@cache
def issuers() -> IssuerStore:
    return IssuerStore.load(None)


@cache
def store() -> RecordStore:
    folder = Path(tempfile.mkdtemp(prefix="hw-fuzz-"))
    return RecordStore(folder / "records.sqlite3", record_key=aead.new_key(), index_key=aead.new_key())


# --- strategies -------------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=20) | st.decimals(
    allow_nan=False, allow_infinity=False, places=None).map(str).map(lambda s: json.loads(s, parse_float=float)
                                                                     if "E" not in s.upper() else 0)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=40,
)


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A seed with a few bytes replaced, inserted or cut, or a chunk duplicated."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["replace", "insert", "cut", "repeat", "truncate"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "replace" and data:
            data[at] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.sampled_from([b"[", b"{", b"]", b"}", b",", b'"', b"\\", b"1e999", b"-0.0",
                                                b"NaN", b"9" * 400, b'"x":', b"\xff", b"\x00", b"<script>"]))
        elif op == "cut":
            del data[at:at + draw(st.integers(1, 64))]
        elif op == "repeat":
            chunk = bytes(data[at:at + draw(st.integers(1, 32))])
            data[at:at] = chunk * draw(st.integers(1, 50))
        else:
            del data[at:]
    return bytes(data)


@st.composite
def deep_fhir(draw: st.DrawFn) -> bytes:
    """A Patient with nested extensions (the shape that crashed the process), some depth."""
    levels = draw(st.integers(1, 1500))
    inner = '{"url":"http://example.org/x","valueString":"v"}'
    text = inner
    for _ in range(levels):
        text = '{"url":"http://example.org/x","extension":[' + text + "]}"
    return ('{"resourceType":"Patient","id":"deep","extension":[' + text + "]}").encode()


RESOURCE_TYPES = ["Patient", "Observation", "Bundle", "Immunization", "Condition", "Encounter",
                  "AllergyIntolerance", "MedicationRequest", "Questionnaire", "Patinet", ""]
FIELDS = ["id", "gender", "status", "type", "entry", "birthDate", "valueQuantity", "code", "text", "extension",
          "contained", "subject", "effectiveDateTime", "criticality", "name", "identifier", "item", "meta"]


@st.composite
def fhir_shaped(draw: st.DrawFn) -> bytes:
    """Resources of real types whose common elements hold arbitrary JSON (or a narrative)."""
    resource: dict[str, Any] = {"resourceType": draw(st.sampled_from(RESOURCE_TYPES))}
    for field in draw(st.lists(st.sampled_from(FIELDS), max_size=5, unique=True)):
        if field == "text":
            resource[field] = {"status": "generated", "div": draw(st.text(max_size=80))}
        elif field == "entry":
            resource[field] = draw(st.lists(st.fixed_dictionaries(
                {"resource": st.fixed_dictionaries({"resourceType": st.sampled_from(RESOURCE_TYPES)})}) | json_values,
                max_size=3))
        else:
            resource[field] = draw(json_values)
    return json.dumps(resource).encode()


def must_be_wallet_error_or_value(call: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return call(*args, **kwargs)
    except WalletError as exc:
        assert exc.user_message and "\n" not in exc.user_message.strip(), exc.user_message
        return None


# --- properties -------------------------------------------------------------------


@given(st.binary(max_size=2000) | st.text(max_size=2000).map(str.encode))
def test_gate_on_arbitrary_bytes(data: bytes) -> None:
    must_be_wallet_error_or_value(untrusted.loads, data, what="x")


@given(json_values)
def test_gate_returns_what_json_holds(value: Any) -> None:
    text = json.dumps(value)
    assert must_be_wallet_error_or_value(untrusted.loads, text, what="x", parse_float=float) in (value, None)


@given(st.integers(1, 20_000), st.sampled_from(["[", "{\"a\":", "[{\"b\":"]))
def test_gate_on_deep_nesting(depth: int, opener: str) -> None:
    closer = {"[": "]", "{\"a\":": "}", "[{\"b\":": "}]"}[opener]
    text = opener * depth + "1" + closer * depth
    result = must_be_wallet_error_or_value(untrusted.loads, text, what="x")
    assert (result is not None) == (depth * (2 if opener.startswith("[{") else 1) <= untrusted.MAX_DEPTH)


@given(mutated(SEEDS) | deep_fhir() | fhir_shaped() | json_values.map(lambda v: json.dumps(v).encode()))
def test_importer_checks(data: bytes) -> None:
    """What an import does before storing: parse, drop unsafe narratives, validate."""
    parsed = must_be_wallet_error_or_value(parse_bytes, data, name="fuzz.json")
    if parsed is None:
        return
    for item in parsed.items:
        remove_unsafe_narratives(item.resource, where=item.position)
    must_be_wallet_error_or_value(validate_file, parsed, name="fuzz.json")


@settings(max_examples=25)
@given(fhir_shaped() | mutated(SEEDS) | deep_fhir())
def test_import_into_a_store(data: bytes) -> None:
    parsed = must_be_wallet_error_or_value(parse_bytes, data, name="fuzz.json")
    if parsed is None:
        return
    before = store().count()
    result = must_be_wallet_error_or_value(import_parsed, store(), parsed, name="fuzz.json", single_patient=False)
    if result is None:
        assert store().count() == before  # all or nothing


def _token_text(body: bytes) -> str:
    return PREFIX + base64.urlsafe_b64encode(body).rstrip(b"=").decode()


GOOD_TOKEN = ShareToken(1, "0x" + "a" * 40, "0x" + "b" * 64, ("/ip4/127.0.0.1/tcp/4001",)).encode()


@given(st.text(max_size=300)
       | st.binary(max_size=300).map(_token_text)
       | json_values.map(lambda v: _token_text(json.dumps(v).encode()))
       | mutated([GOOD_TOKEN.encode()]).map(lambda b: b.decode("utf-8", "replace")))
def test_share_token_parser(text: str) -> None:
    token = must_be_wallet_error_or_value(parse_token, text)
    if token is not None:
        assert parse_token(token.encode()) == token


@given(mutated([CARD_FILE]) | st.binary(max_size=500)
       | json_values.map(lambda v: json.dumps({"verifiableCredential": [json.dumps(v)]}).encode()))
def test_card_file_parsing(data: bytes) -> None:
    must_be_wallet_error_or_value(read_card_file, data, issuers=issuers(), now=NOW)


@given(mutated([CARD_QR.encode()]).map(lambda b: b.decode("ascii", "replace"))
       | st.text(alphabet="0123456789/shc:", max_size=300))
def test_qr_text_parsing(text: str) -> None:
    jws = must_be_wallet_error_or_value(parse_qr_text, [text])
    if jws is not None:
        must_be_wallet_error_or_value(read_card_file, json.dumps({"verifiableCredential": [jws]}).encode(),
                                      issuers=issuers(), now=NOW)


@given(st.text(max_size=500) | mutated([b'<div xmlns="http://www.w3.org/1999/xhtml"><p>a <b>b</b></p></div>'])
       .map(lambda b: b.decode("utf-8", "replace")))
def test_narrative_checker(div: str) -> None:
    reason = unsafe_reason(div)
    assert reason is None or (isinstance(reason, str) and "\n" not in reason)
