"""One person per profile: identity matching, whose records a file holds, where it goes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from wallet.errors import InvalidRecord, PatientMismatch, RecordError
from wallet.records.identity import BY_IDENTIFIER, BY_NAME_BIRTHDATE, PatientIdentity, match_patients
from wallet.records.importer import import_file, import_parsed
from wallet.records.parse import parse_bytes, read_file
from wallet.records.profiles import OWNER, Profile, place_file
from wallet.records.store import RecordStore
from wallet.records.subjects import people_in_file
from wallet.vault import aead

SYNTHEA = FIXTURES / "synthea"
NED = SYNTHEA / "Ned_Hintz_e4b9259d-0f54-48d1-a35d-b526729a4dfe.json"
KERMIT = SYNTHEA / "Kermit_Trantow_f1a650a5-737e-4fd7-828e-03c3348b9524.json"
MANY = FIXTURES / "realworld" / "one-file-many-patients"


@pytest.fixture
def store(tmp_path: Path) -> RecordStore:
    s = RecordStore(tmp_path / "records.sqlite3", record_key=aead.new_key(), index_key=aead.new_key())
    yield s
    s.close()


def patient_of(path: Path) -> dict:
    doc = json.loads(path.read_text("utf-8"))
    return next(e["resource"] for e in doc["entry"] if e["resource"]["resourceType"] == "Patient")


def ident(**fields) -> PatientIdentity:
    return PatientIdentity.from_resource({"resourceType": "Patient", **fields})


def test_identifiers_decide_when_both_sides_have_one_system() -> None:
    ned = patient_of(NED)
    copy = {**ned, "name": [{"family": "Hintz", "given": ["Ned"]}]}  # another system's spelling
    found = match_patients(PatientIdentity.from_resource(ned), PatientIdentity.from_resource(copy))
    assert found is not None and found.rule == BY_IDENTIFIER
    assert found.detail == "http://hl7.org/fhir/sid/us-ssn|999-32-7438"
    # same name and birth date, but the same identifier system says another number: another person
    other = {**ned, "identifier": [{"system": "http://hl7.org/fhir/sid/us-ssn", "value": "999-00-0000"}]}
    assert match_patients(PatientIdentity.from_resource(ned), PatientIdentity.from_resource(other)) is None


def test_shared_identifier_with_contradicting_person_is_no_match() -> None:
    mrn = [{"system": "urn:oid:1.2.36.146.595.217.0.1", "value": "12345"}]
    a = ident(identifier=mrn, name=[{"family": "Chalmers", "given": ["Peter"]}], birthDate="1974-12-25")
    b = ident(identifier=mrn, name=[{"family": "Other", "given": ["Person"]}], birthDate="1974-12-25")
    assert match_patients(a, b) is None


def test_name_and_birth_date_when_identifiers_cannot_decide() -> None:
    card = ident(name=[{"family": "Anyperson", "given": ["John", "B."]}], birthDate="1951-01-20")
    ehr = ident(name=[{"family": "ANYPERSON", "given": ["john"]}], birthDate="1951-01-20",
                identifier=[{"system": "urn:example:mrn", "value": "7"}])
    found = match_patients(card, ehr)
    assert found is not None and found.rule == BY_NAME_BIRTHDATE
    next_day = ident(name=[{"family": "Anyperson", "given": ["John"]}], birthDate="1951-01-21")
    assert match_patients(card, next_day) is None
    assert match_patients(card, ident(name=[{"family": "Anyperson", "given": ["John"]}])) is None  # no birth date
    assert match_patients(ident(name=[{"family": "Mejía", "given": ["Gustavo"]}], birthDate="2000-01-01"),
                          ident(name=[{"family": "Mejia", "given": ["Gustavo"]}], birthDate="2000-01-01")) is not None


def test_records_are_checked_by_whose_they_are_not_by_patient_rows() -> None:
    ndjson = read_file(MANY / "input-ndjson-two-patients.ndjson")  # no Patient rows at all
    people = people_in_file(ndjson)
    assert [p.references for p in people] == [("Patient/patient-one",), ("Patient/patient-two",)]
    with pytest.raises(InvalidRecord, match="2 different patients") as info:
        place_file(ndjson, name="two.ndjson", profile=OWNER, profiles=[])
    assert "Patient/patient-one" in info.value.user_message and "Patient/patient-two" in info.value.user_message


def test_nested_bundles_are_unpacked_and_their_people_told_apart(store: RecordStore) -> None:
    parsed = read_file(MANY / "input-nested-bundles.json")
    assert [i.resource["resourceType"] for i in parsed.items] == ["Patient", "Observation"] * 2  # no "Bundle" record
    assert parsed.items[1].position == "entry[0] entry[1]"
    with pytest.raises(InvalidRecord) as info:
        import_file(store, MANY / "input-nested-bundles.json")
    assert "Sam Firstexample" in info.value.user_message and "Sam Secondexample" in info.value.user_message
    assert store.count() == 0
    one = json.loads((MANY / "input-nested-bundles.json").read_text())
    one["entry"] = one["entry"][:1]
    result = import_parsed(store, parse_bytes(json.dumps(one).encode(), name="one.json"), name="one.json",
                           check_person=True)
    assert result.imported == {"Observation": 1, "Patient": 1} and result.new_profile
    assert store.counts_by_type() == {"Observation": 1, "Patient": 1}


def test_synthea_patients_one_per_profile(store: RecordStore) -> None:
    first = import_parsed(store, read_file(NED), name=NED.name, check_person=True)
    assert first.new_profile and first.person == "Ned Hintz (born 1993-12-08)" and first.matched_by is None
    before = store.count()
    with pytest.raises(PatientMismatch) as info:
        import_parsed(store, read_file(KERMIT), name=KERMIT.name, check_person=True)
    message = info.value.user_message
    assert "Kermit Trantow (born 1993-06-21)" in message and "Ned Hintz (born 1993-12-08)" in message
    assert "'owner'" in message and "--profile" in message and len(message.splitlines()) == 1
    assert store.count() == before

    child = import_parsed(store, read_file(KERMIT), name=KERMIT.name, check_person=True, profile="child")
    assert child.new_profile and child.profile == "child"
    assert store.count(profile="child") == child.total == 117 and store.count(profile=OWNER) == before
    (owner, kid) = store.profiles()
    assert (owner.name, owner.is_owner, kid.name, kid.is_owner) == (OWNER, True, "child", False)
    assert kid.identity is not None and kid.identity.display.startswith("Kermit Trantow")

    again = import_parsed(store, read_file(NED), name=NED.name, check_person=True)
    assert again.matched_by is not None and again.matched_by.rule == BY_IDENTIFIER and again.total == 0
    # the refusal points at the profile that holds the person
    with pytest.raises(PatientMismatch) as info:
        import_parsed(store, read_file(KERMIT), name=KERMIT.name, check_person=True)
    assert info.value.suggested == "child" and "--profile 'child'" in info.value.user_message


def test_a_person_gets_one_profile_not_a_second_under_a_new_name(store: RecordStore) -> None:
    import_parsed(store, read_file(NED), name=NED.name, check_person=True)
    import_parsed(store, read_file(KERMIT), name=KERMIT.name, check_person=True, profile="child")
    before = store.count()
    for person, holder in ((NED, OWNER), (KERMIT, "child")):
        with pytest.raises(RecordError) as info:
            import_parsed(store, read_file(person), name=person.name, check_person=True, profile="another name")
        message = info.value.user_message
        assert f"already has the profile '{holder}'" in message and f"--profile '{holder}'" in message
        assert ("without --profile" in message) is (holder == OWNER) and len(message.splitlines()) == 1
    assert [p.name for p in store.profiles()] == [OWNER, "child"] and store.count() == before


def test_same_person_is_the_users_word(store: RecordStore) -> None:
    import_parsed(store, read_file(NED), name=NED.name, check_person=True)
    confirmed = import_parsed(store, read_file(KERMIT), name=KERMIT.name, check_person=True, same_person=True)
    assert confirmed.matched_by is not None and confirmed.matched_by.rule == "confirmed by the user"
    assert store.count(profile=OWNER) == store.count()


def test_same_fhir_id_in_two_profiles_does_not_collide(store: RecordStore, tmp_path: Path) -> None:
    ndjson = (MANY / "input-ndjson-two-patients.ndjson").read_text().splitlines()
    one, two = tmp_path / "one.ndjson", tmp_path / "two.ndjson"
    one.write_text(ndjson[0] + "\n")
    two.write_text(ndjson[1].replace('"imm-b"', '"imm-a"') + "\n")  # the same id, another person
    import_parsed(store, read_file(one), name="one.ndjson", check_person=True)
    with pytest.raises(PatientMismatch, match="Patient/patient-two"):
        import_parsed(store, read_file(two), name="two.ndjson", check_person=True)
    other = import_parsed(store, read_file(two), name="two.ndjson", check_person=True, profile="second")
    assert other.total == 1 and other.skipped_duplicates == 0
    assert store.count(profile=OWNER) == 1 and store.count(profile="second") == 1


def test_profile_values_are_checked() -> None:
    with pytest.raises(Exception, match="not a profile name"):
        Profile("../etc")
    with pytest.raises(ValueError):
        Profile("kid", patient={"resourceType": "Observation"})


def test_a_person_known_only_by_a_reference_is_named_in_plain_words() -> None:
    assert Profile(OWNER, True, None, ("Patient/p1",)).person_words() == "an unnamed patient, id p1"
