"""The International Patient Summary: built from real records, valid FHIR R4 (R4B models),
the IPS must-haves, narratives that are plain escaped XHTML, and it imports back."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES
from wallet.errors import InvalidRecord
from wallet.records.importer import import_parsed
from wallet.records.ips import ABSENT_UNKNOWN, build_ips, check_ips
from wallet.records.parse import parse_bytes, read_file
from wallet.records.store import RecordStore
from wallet.records.validate import validate_file
from wallet.vault import aead

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
SYNTHEA = sorted(p for p in (FIXTURES / "synthea").glob("*.json") if p.name != "MANIFEST.json")
IPS_EXAMPLE = FIXTURES / "smart-health-links" / "hl7-ig-stu1" / "IPS_IG-bundle-01.json"


def resources(path: Path) -> list[dict[str, Any]]:
    return [e["resource"] for e in json.loads(path.read_text("utf-8"))["entry"]]


def valid(bundle: dict[str, Any]) -> list[str]:
    data = json.dumps(bundle).encode()
    assert validate_file(parse_bytes(data, name="ips.json"), name="ips.json") == []
    return check_ips(bundle)


@pytest.mark.parametrize("path", SYNTHEA, ids=lambda p: p.name[:20])
def test_every_synthea_record_makes_a_valid_ips(path: Path) -> None:
    source = resources(path)
    before = json.dumps(source, sort_keys=True)
    bundle = build_ips(source, now=NOW)
    assert json.dumps(source, sort_keys=True) == before  # the records themselves are not changed
    sections = valid(bundle)
    assert sections[:3] == ["11450-4", "48765-2", "10160-0"]
    entries = bundle["entry"]
    assert entries[0]["resource"]["resourceType"] == "Composition"
    assert entries[1]["resource"]["resourceType"] == "Patient"
    comp = entries[0]["resource"]
    assert comp["subject"]["reference"] == entries[1]["fullUrl"]
    assert {c["code"] for c in comp["type"]["coding"]} == {"60591-5"}
    types = {r["resourceType"] for r in source}
    assert ("11369-6" in sections) == ("Immunization" in types)
    assert ("47519-4" in sections) == ("Procedure" in types)


def test_sections_hold_what_the_record_holds() -> None:
    source = resources(next(p for p in SYNTHEA if p.name.startswith("Chet")))
    bundle = build_ips(source, now=NOW)
    assert valid(bundle) == ["11450-4", "48765-2", "10160-0", "11348-0", "11369-6", "30954-2",
                             "47519-4", "8716-3"]
    by_url = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    comp = bundle["entry"][0]["resource"]
    section = {s["code"]["coding"][0]["code"]: [by_url[e["reference"]] for e in s["entry"]] for s in comp["section"]}
    # No allergy in the record: one explicit "no information" entry, never "no known allergies".
    [allergy] = section["48765-2"]
    assert allergy["code"]["coding"][0] == {"system": ABSENT_UNKNOWN, "code": "no-allergy-info",
                                            "display": "No information about allergies"}
    # Vital signs and results: the newest value of each code, once.
    vitals = section["8716-3"]
    codes = [v["code"]["coding"][0]["code"] for v in vitals]
    assert len(codes) == len(set(codes)) > 3
    all_bmi = [r for r in source if r["resourceType"] == "Observation" and r["code"]["coding"][0]["code"] == "39156-5"]
    if all_bmi:
        newest = max(all_bmi, key=lambda r: r["effectiveDateTime"])
        assert newest["id"] in {v["id"] for v in vitals}
    # Every Immunization and Procedure goes in; no Claim or Encounter does.
    assert len(section["11369-6"]) == sum(r["resourceType"] == "Immunization" for r in source)
    assert {r["resourceType"] for r in by_url.values()} <= {
        "Composition", "Patient", "Condition", "AllergyIntolerance", "MedicationRequest", "MedicationStatement",
        "Immunization", "Observation", "Procedure"}


def test_references_point_inside_the_document() -> None:
    source = resources(next(p for p in SYNTHEA if p.name.startswith("Chet")))
    bundle = build_ips(source, now=NOW)
    text = json.dumps(bundle)
    urls = {e["fullUrl"] for e in bundle["entry"]}
    for entry in bundle["entry"]:
        res = entry["resource"]
        for key in ("subject", "patient"):
            if key in res and "reference" in res[key]:
                assert res[key]["reference"] == bundle["entry"][1]["fullUrl"]
        if res["resourceType"] == "Procedure" and "encounter" in res:
            assert "reference" not in res["encounter"] and res["encounter"]["display"]
    assert "Encounter/" not in text and "Practitioner?" not in text
    assert all(u.startswith("urn:uuid:") for u in urls) and len(urls) == len(bundle["entry"])


XDIV = '<div xmlns="http://www.w3.org/1999/xhtml">'


def test_narratives_are_escaped_plain_text() -> None:
    patient = {"resourceType": "Patient", "id": "p1", "name": [{"text": "Ann <script>alert(1)</script> & Co"}],
               "text": {"status": "generated", "div": XDIV + "<img src=x onerror=alert(1)></div>"}}
    allergy = {"resourceType": "AllergyIntolerance", "id": "a1", "patient": {"reference": "Patient/p1"},
               "code": {"text": "Peanut <b>bold</b>"},
               "text": {"status": "generated", "div": XDIV + '<a href="javascript:x">x</a></div>'}}
    bundle = build_ips([patient, allergy], now=NOW)
    valid(bundle)
    comp = bundle["entry"][0]["resource"]
    divs = " ".join([comp["text"]["div"], *(s["text"]["div"] for s in comp["section"])])
    assert "<script>" not in divs and "<b>" not in divs
    assert "onerror" not in json.dumps(bundle) and "javascript:" not in json.dumps(bundle)
    comp = bundle["entry"][0]["resource"]
    allergies = next(s for s in comp["section"] if s["code"]["coding"][0]["code"] == "48765-2")
    assert allergies["text"]["div"] == XDIV + "<ul><li>Peanut &lt;b&gt;bold&lt;/b&gt;</li></ul></div>"
    assert "Ann &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in comp["text"]["div"]
    assert all("text" not in e["resource"] for e in bundle["entry"][1:])


def test_empty_record_gets_three_no_information_entries() -> None:
    bundle = build_ips([{"resourceType": "Patient", "id": "p1"}], now=NOW)
    assert valid(bundle) == ["11450-4", "48765-2", "10160-0"]
    codes = [e["resource"].get("code", e["resource"].get("medicationCodeableConcept"))["coding"][0]["code"]
             for e in bundle["entry"][2:]]
    assert codes == ["no-problem-info", "no-allergy-info", "no-medication-info"]
    again = build_ips([{"resourceType": "Patient", "id": "p1"}], now=NOW)
    assert [e["fullUrl"] for e in again["entry"][1:]] == [e["fullUrl"] for e in bundle["entry"][1:]]


def test_no_patient_is_refused() -> None:
    with pytest.raises(InvalidRecord, match="no Patient"):
        build_ips([{"resourceType": "Condition", "id": "c", "subject": {"reference": "Patient/x"}}], now=NOW)


@pytest.mark.parametrize("breakage, rule", [
    (lambda b: b.update(type="collection"), "type document"),
    (lambda b: b.pop("identifier"), "identifier"),
    (lambda b: b["entry"].reverse(), "first entry"),
    (lambda b: b["entry"][0]["resource"]["section"].pop(1), "48765-2"),
    (lambda b: b["entry"][0]["resource"]["section"][0]["entry"].clear(), "11450-4"),
    (lambda b: b["entry"][2].update(fullUrl=b["entry"][1]["fullUrl"]), "fullUrl"),
    (lambda b: b["entry"][2]["resource"].update(subject={"reference": "Patient/elsewhere"}), "Patient/elsewhere"),
    (lambda b: b["entry"][0]["resource"]["section"][0].pop("text"), "narrative"),
])
def test_check_ips_names_the_rule_broken(breakage: Any, rule: str) -> None:
    bundle = build_ips([{"resourceType": "Patient", "id": "p1"}], now=NOW)
    check_ips(bundle)
    breakage(bundle)
    with pytest.raises(InvalidRecord, match=rule):
        check_ips(bundle)


def test_hl7_ips_example_passes_the_checks_and_imports_as_its_entries(tmp_path: Path) -> None:
    doc = json.loads(IPS_EXAMPLE.read_text("utf-8"))
    assert "48765-2" in check_ips(doc)
    store = RecordStore(tmp_path / "r.sqlite3", record_key=aead.new_key(), index_key=aead.new_key())
    try:
        result = import_parsed(store, read_file(IPS_EXAMPLE), name=IPS_EXAMPLE.name)
        assert "Composition" not in result.imported
        assert result.total == len(doc["entry"]) - 1
    finally:
        store.close()


def test_own_ips_imports_back_into_a_new_wallet(tmp_path: Path) -> None:
    source = resources(next(p for p in SYNTHEA if p.name.startswith("Chet")))
    bundle = build_ips(source, now=NOW)
    store = RecordStore(tmp_path / "r.sqlite3", record_key=aead.new_key(), index_key=aead.new_key())
    try:
        data = json.dumps(bundle).encode()
        first = import_parsed(store, parse_bytes(data, name="ips.json"), name="ips.json")
        assert first.total == len(bundle["entry"]) - 1 and first.warnings == ()
        again = import_parsed(store, parse_bytes(data, name="ips.json"), name="ips.json")
        assert again.total == 0 and again.skipped_duplicates == len(bundle["entry"]) - 1
        # The imported records make the same summary again (same sections, no second "no information").
        rebuilt = build_ips([r for _, r in store.resources(store.ids())], now=NOW)
        assert check_ips(rebuilt) == check_ips(bundle)
        assert len(rebuilt["entry"]) == len(bundle["entry"])
    finally:
        store.close()


def test_a_referenced_medication_travels_with_the_summary() -> None:
    source = resources(IPS_EXAMPLE)
    wallet_records = [r for r in source if r["resourceType"] != "Composition"]
    bundle = build_ips(wallet_records, now=NOW)
    valid(bundle)
    by_url = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    statements = [r for r in by_url.values() if r["resourceType"] == "MedicationStatement"]
    assert statements
    for st in statements:
        assert by_url[st["medicationReference"]["reference"]]["resourceType"] == "Medication"
