"""JSON types the FHIR models would coerce are refused whether the line's text or the
parsed resource is read to find them: the same refusals, naming the same element."""

from __future__ import annotations

import json

import pytest

from wallet.errors import InvalidRecord
from wallet.records import validate
from wallet.records.parse import ndjson_line
from wallet.records.validate import validate_resource

GOOD = {"resourceType": "Observation", "id": "o1", "status": "final", "code": {"text": "Pulse"},
        "valueQuantity": {"value": 60, "unit": "/min"}}


@pytest.mark.parametrize("changed", [
    {"valueQuantity": {"value": "60", "unit": "/min"}},
    {"valueQuantity": {"value": True, "unit": "/min"}},
    {"valueQuantity": {"value": None, "unit": "/min"}},
    {"valueQuantity": None, "valueInteger": "5"},
    {"valueQuantity": None, "valueBoolean": "true"},
    {"valueQuantity": None, "valueDecimal": False},
    {"component": [{"code": {"text": "a"}, "valueQuantity": {"value": "1.5", "code": "mm[Hg]"}}]},
    {"extension": [{"url": "http://example.org/x", "valueInteger": 1.5e0, "valueBoolean": 0}]},
])
def test_a_value_of_the_wrong_json_type_is_refused_as_the_walk_refuses_it(changed: dict) -> None:
    resource = {k: v for k, v in {**GOOD, **changed}.items() if v is not None or k == "valueQuantity"}
    if resource.get("valueQuantity") is None:
        resource.pop("valueQuantity", None)
    for text in (json.dumps(resource), json.dumps(resource, indent=1), json.dumps(resource).replace(":", " : ")):
        (item,) = ndjson_line(text.replace("\n", " ").encode(), 3, name="x.ndjson")
        with pytest.raises(InvalidRecord) as info:
            validate.validate_resource(item)
        with pytest.raises(InvalidRecord) as walked:
            validate._check_json_types(item.resource, "Observation")
        assert info.value.user_message == f"line 3: {walked.value.user_message}"


def test_a_line_of_right_types_passes_and_its_references_are_found() -> None:
    for resource in (GOOD, {**GOOD, "subject": {"reference": "urn:uuid:1234"}, "code": {"text": 'say \\"hi\\"'}},
                     {**GOOD, "identifier": [{"system": "urn:x", "value": "A-1"}], "valueQuantity": {"value": -0.5}}):
        (item,) = ndjson_line(json.dumps(resource).encode(), 1, name="x.ndjson")
        assert item.source is not None
        assert validate_resource(item) == validate._check_json_types(item.resource, "Observation")
