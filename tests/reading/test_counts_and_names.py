"""What the record views list and count, on a real wallet: the wallet's own activity is
never a record, insurance is a category of its own, every count agrees, titles that were
only a code or a reference are named from the rest of the wallet."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import FIXTURES
from wallet.records.store import NewRecord
from wallet.records.summary import ACTIVITY, Summary, summarize
from wallet.services import ALL_RECORDS, HEALTH_RECORDS, INSURANCE

REALWORLD = FIXTURES / "realworld"


def _bundle(path: Path, resources: list[dict]) -> Path:
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection",
                                "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources]}))
    return path


def _consent() -> dict:
    return json.loads((FIXTURES / "fhir-examples" / "Consent-consent-example-basic.json").read_text("utf-8"))


def test_counts_agree_everywhere_and_the_trail_is_no_record(open_wallet, tmp_path: Path) -> None:
    wallet = open_wallet("counts")
    wallet.import_file(REALWORLD / "titles" / "medication-goal-coverage.json")
    wallet.import_file(REALWORLD / "lab-flags" / "interpretation-vs-range.json")
    consent = _consent()
    store = wallet.store
    # the wallet's own trail, and a claim and a consent stored before they had categories of their own
    store.put(NewRecord(store.record_id(consent), consent, summarize(consent)))
    old_claim = {"resourceType": "Claim", "id": "old-claim", "status": "active"}
    old_audit = {"resourceType": "AuditEvent", "id": "old-audit", "recorded": "2020-01-01T00:00:00Z"}
    for res in (old_claim, old_audit):
        legacy = Summary(res["resourceType"], "Other", res["resourceType"])
        store.put(NewRecord(store.record_id(res), res, legacy))

    counts = wallet.record_counts()
    by_category = wallet.counts_by_category()
    assert ACTIVITY not in by_category and counts.activity == 2
    assert by_category["Other"] == 1  # the family history; not the old claim, not the old audit event
    assert by_category[INSURANCE] == 3  # two coverages and the old claim
    health = wallet.summaries(category=HEALTH_RECORDS)
    timeline = wallet.summaries(category=ALL_RECORDS)
    assert len(health) == counts.total == sum(by_category.values()) == wallet.profiles()[0].records == 10
    assert len(timeline) == counts.clinical == counts.total - by_category[INSURANCE]
    assert not {r.summary.resource_type for r in health} & {"Consent", "AuditEvent"}
    assert not {r.summary.resource_type for r in timeline} & {"Claim", "Coverage", "Consent", "AuditEvent"}
    for name, n in by_category.items():
        assert len(wallet.summaries(category=name)) == n, name
    assert {r.summary.resource_type for r in wallet.summaries(category=INSURANCE)} == {"Claim", "Coverage"}
    assert {r.summary.resource_type for r in wallet.summaries(category=ACTIVITY)} == {"Consent", "AuditEvent"}


def test_a_medication_named_by_reference_takes_the_medications_name(open_wallet) -> None:
    wallet = open_wallet("names")
    wallet.import_file(REALWORLD / "titles" / "medication-goal-coverage.json")
    titles = {r.summary.resource_type: r.summary.title for r in wallet.summaries(category="Medications")}
    assert titles == {"Medication": "Anastrozole 1 mg tablet", "MedicationStatement": "Anastrozole 1 mg tablet"}
    overview = wallet.overview()
    assert [r.summary.title for r in overview.active_medications] == ["Anastrozole 1 mg tablet"]


def test_a_bare_code_takes_the_display_another_record_gives_it(open_wallet, tmp_path: Path) -> None:
    wallet = open_wallet("index")
    bare = {"resourceType": "Observation", "id": "bare", "status": "final", "effectiveDateTime": "2024-01-01",
            "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4"}]},
            "valueQuantity": {"value": 6.1, "unit": "%"}, "subject": {"reference": "Patient/p1"}}
    wallet.import_file(_bundle(tmp_path / "bare.json", [bare]))
    assert [r.summary.title for r in wallet.summaries(category="Lab results")] == ["LOINC 4548-4"]
    named = {**bare, "id": "named", "effectiveDateTime": "2024-02-01",
             "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4", "display": "Hemoglobin A1c"}]}}
    wallet.import_file(_bundle(tmp_path / "named.json", [named]))
    assert [r.summary.title for r in wallet.summaries(category="Lab results")] == ["Hemoglobin A1c"] * 2


def test_references_are_resolved_to_names(open_wallet, tmp_path: Path) -> None:
    wallet = open_wallet("refs")
    wallet.import_file(REALWORLD / "titles" / "practitioner-relatedperson-names.json")
    request = {"resourceType": "MedicationRequest", "id": "rx", "status": "active", "intent": "order",
               "subject": {"reference": "Patient/p1"}, "requester": {"reference": "Practitioner/pr1"},
               "medicationCodeableConcept": {"text": "Metformin 500 mg"},
               "reasonReference": [{"reference": "urn:uuid:nobody"}, {"display": "Diabetes"}]}
    names = wallet.reference_names(request)
    assert names == {"Practitioner/pr1": "Dr Jordan Example"}


def test_records_outside_the_store_are_named_among_themselves() -> None:
    from wallet.services import named_within

    doc = json.loads((REALWORLD / "titles" / "medication-goal-coverage.json").read_text("utf-8"))
    resources = [e["resource"] for e in doc["entry"]]
    bare = {"resourceType": "Observation", "id": "o1",
            "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4"}]}}
    named = {"resourceType": "Observation", "id": "o2",
             "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4", "display": "Hemoglobin A1c"}]}}
    titles = [s.title for s in named_within([*resources, bare, named])]
    assert titles[1] == "Anastrozole 1 mg tablet"  # the MedicationStatement, by its reference
    assert titles[-2:] == ["Hemoglobin A1c", "Hemoglobin A1c"]


def test_vaccines_stored_by_an_earlier_version_as_a_bare_number_are_named(open_wallet) -> None:
    wallet = open_wallet("old-titles")
    shot = {"resourceType": "Immunization", "id": "i1", "status": "completed", "occurrenceDateTime": "2021-01-01",
            "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "229"}]}}
    old = Summary("Immunization", "Immunizations", "229", "given 2021-01-01", "2021-01-01")  # as stored before
    wallet.store.put(NewRecord(wallet.store.record_id(shot), shot, old))
    assert [r.summary.title for r in wallet.summaries(category="Immunizations")] == ["COVID-19 vaccine (Moderna)"]


def test_rows_stored_as_other_are_shown_under_their_category_by_type() -> None:
    from wallet.services import shown_category

    assert shown_category(Summary("Claim", "Other", "Claim")) == INSURANCE
    assert shown_category(Summary("AuditEvent", "Other", "Audit")) == ACTIVITY
    assert shown_category(Summary("Basic", "Other", "Basic")) == "Other"
    assert shown_category(summarize({"resourceType": "Condition", "code": {"text": "Asthma"}})) == "Conditions"


def test_references_between_records_outside_the_store_are_named() -> None:
    from wallet.services import names_within

    doctor = {"resourceType": "Practitioner", "id": "d1", "name": [{"prefix": ["Dr"], "family": "Bone"}]}
    rx = {"resourceType": "MedicationRequest", "id": "m1", "requester": {"reference": "urn:uuid:d1"}}
    assert names_within([doctor, rx])["urn:uuid:d1"] == names_within([doctor, rx])["Practitioner/d1"] == "Dr Bone"


def test_an_age_and_sex_specific_range_applies_to_the_person_it_names(open_wallet, tmp_path: Path) -> None:
    wallet = open_wallet("ranges")
    man = {"resourceType": "Patient", "id": "p1", "gender": "male", "birthDate": "1980-05-01",
           "name": [{"family": "Doe", "given": ["John"]}]}
    range_for = [{"low": {"value": 13.5, "unit": "g/dL"}, "high": {"value": 17.5, "unit": "g/dL"},
                  "appliesTo": [{"coding": [{"system": "http://hl7.org/fhir/administrative-gender", "code": "male"}]}],
                  "age": {"low": {"value": 18, "unit": "a"}}},
                 {"low": {"value": 12.0, "unit": "g/dL"}, "high": {"value": 15.5, "unit": "g/dL"},
                  "appliesTo": [{"coding": [{"system": "http://hl7.org/fhir/administrative-gender",
                                             "code": "female"}]}]}]
    hb = {"resourceType": "Observation", "id": "hb", "status": "final", "effectiveDateTime": "2024-01-01",
          "category": [{"coding": [{"code": "laboratory"}]}], "code": {"text": "Hemoglobin"},
          "subject": {"reference": "Patient/p1"}, "valueQuantity": {"value": 12.5, "unit": "g/dL"},
          "referenceRange": range_for}
    wallet.import_file(_bundle(tmp_path / "hb.json", [man, hb]))
    (row,) = wallet.summaries(category="Lab results")
    assert (row.summary.flag, row.summary.flag_source, row.summary.range_label) == ("L", "range", "13.5–17.5 g/dL")
    # a later file without a Patient: the profile's person is used
    later = {**hb, "id": "hb2", "effectiveDateTime": "2024-06-01", "valueQuantity": {"value": 15.0, "unit": "g/dL"}}
    wallet.import_file(_bundle(tmp_path / "hb2.json", [later]))
    newest = wallet.summaries(category="Lab results")[0].summary
    assert (newest.flag, newest.range_label) == ("", "13.5–17.5 g/dL")


def test_a_report_stored_with_its_status_as_result_shows_no_result(open_wallet) -> None:
    wallet = open_wallet("old-report")
    report = {"resourceType": "DiagnosticReport", "id": "r1", "status": "final", "code": {"text": "Lipid Panel"},
              "effectiveDateTime": "2021-01-01"}
    old = Summary("DiagnosticReport", "Lab results", "Lipid Panel", "final", "2021-01-01", status="final")
    wallet.store.put(NewRecord(wallet.store.record_id(report), report, old))
    assert [r.summary.detail for r in wallet.summaries(category="Lab results")] == [""]


def test_a_condition_stored_with_its_status_code_reads_in_words(open_wallet) -> None:
    wallet = open_wallet("old-condition")
    res = {"resourceType": "Condition", "id": "c1", "code": {"text": "Asthma"}, "onsetDateTime": "2020-01-01",
           "clinicalStatus": {"coding": [{"code": "active"}]}}
    old = Summary("Condition", "Conditions", "Asthma", "active, since 2020-01-01", "2020-01-01", status="active")
    wallet.store.put(NewRecord(wallet.store.record_id(res), res, old))
    assert [r.summary.detail for r in wallet.summaries(category="Conditions")] == ["current, since 2020-01-01"]
