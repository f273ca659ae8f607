"""A record the models refuse is explained in plain words, naming its file once."""

from __future__ import annotations

import pytest

from tests.conftest import FIXTURES
from wallet.errors import InvalidRecord
from wallet.records.parse import parse_bytes
from wallet.records.validate import validate_file

INVALID = FIXTURES / "invalid"


@pytest.mark.parametrize(("name", "said"), [
    ("fhir-patient-birthdate-feb30.json", "birthDate ('1974-02-30') is not a date on the calendar"),
    ("fhir-patient-birthdate-us-format.json",
     "birthDate ('12/25/1974') is not a FHIR date (YYYY, YYYY-MM or YYYY-MM-DD)"),
    ("fhir-observation-bad-datetime.json",
     "effectivePeriod.start ('2013-13-45T25:61:00+01:00') is not a FHIR dateTime"),
    ("fhir-wrong-resourcetype-mismatch.json", "status is not an element of this resource type (and 8 more)"),
])
def test_refusals_in_plain_words(name: str, said: str) -> None:
    path = INVALID / name
    with pytest.raises(InvalidRecord) as refused:
        validate_file(parse_bytes(path.read_bytes(), name=name), name=name)
    message = refused.value.user_message
    assert said in message
    assert message.count(name) == 1 and message.startswith(f"{name}: ")
    assert "spec regex" not in message and "Value error" not in message
