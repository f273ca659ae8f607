"""A unit typed as lists show it ("mmHg", "°C", "kg/m²", "µg/L", "10³/µL") finds the records
that write its UCUM code ("mm[Hg]", "Cel", "kg/m2", "ug/L", "10*3/uL"), in a wallet's
encrypted store and with ``records --search``; the UCUM code typed still finds them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.cli_runner import cli
from tests.conftest import FIXTURES, PASSPHRASE
from wallet.records.display_values import shown_unit, ucum_forms
from wallet.records.search_text import match_expression

UCUM = "http://unitsofmeasure.org"
GUSTAVO = FIXTURES / "synthea" / "Gustavo_Mejía_59a8543c-e24f-4a01-b28b-47ccde6bc11d.json"


def _quantity(value: float, code: str) -> dict[str, Any]:
    return {"value": value, "unit": code, "system": UCUM, "code": code}


def _observation(oid: str, title: str, day: str, **value: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": oid, "status": "final", "code": {"text": title},
            "subject": {"reference": "Patient/p1"}, "effectiveDateTime": day, **value}


PRESSURE = _observation("bp", "Blood pressure panel", "2024-03-01", component=[
    {"code": {"text": "Systolic"}, "valueQuantity": _quantity(120, "mm[Hg]")},
    {"code": {"text": "Diastolic"}, "valueQuantity": _quantity(80, "mm[Hg]")}])
PRESSURE_IN_WORDS = _observation("bp-words", "Systolic reading", "2024-03-02",
                                 valueQuantity={"value": 131, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"})
TEMPERATURE = _observation("temp", "Body temperature", "2024-03-03", valueQuantity=_quantity(37.2, "Cel"))
BMI = _observation("bmi", "Body mass index", "2024-03-04", valueQuantity=_quantity(24.1, "kg/m2"))
FERRITIN = _observation("ferritin", "Ferritin", "2024-03-05", valueQuantity=_quantity(88, "ug/L"))
LEUKOCYTES = _observation("wbc", "Leukocytes", "2024-03-06", valueQuantity=_quantity(6.1, "10*3/uL"))
GLUCOSE = _observation("glucose", "Glucose", "2024-03-07", valueQuantity=_quantity(95, "mg/dL"))
RECORDS = [PRESSURE, PRESSURE_IN_WORDS, TEMPERATURE, BMI, FERRITIN, LEUKOCYTES, GLUCOSE]


@pytest.mark.parametrize(("shown", "codes"), [
    ("mmHg", ("mm[Hg]",)), ("°C", ("Cel",)), ("°F", ("[degF]",)), ("kg/m²", ("kg/m2",)), ("µg/L", ("ug/L",)),
    ("μg/L", ("ug/L",)),  # Greek mu, as some keyboards type it
    ("10³/µL", ("10*3/uL",)), ("10⁹/L", ("10*9/L",)), ("MMHG", ("mm[Hg]",)), ("IU/L", ("[IU]/L", "[iU]/L")),
    ("mm[Hg]", ()), ("mg/dL", ()), ("pressure", ()), ("score", ()), ("/", ()), ("", ())])
def test_a_shown_unit_stands_for_the_ucum_codes_shown_that_way(shown: str, codes: tuple[str, ...]) -> None:
    assert ucum_forms(shown) == codes
    assert all(shown_unit(code).casefold() == shown.casefold() for code in codes)


def test_the_query_offers_the_ucum_code_beside_the_word_as_typed() -> None:
    assert match_expression("120 mmHg") == '"120" AND ("mmHg" OR "mm[Hg]")'
    assert match_expression("°C*") == '("°C"* OR "Cel"*)'
    assert match_expression("blood pressure") == '("blood" OR "bloods") AND ("pressure" OR "pressures")'
    assert match_expression('mm"Hg') == '"mm""Hg"'  # still never query syntax


def test_a_unit_typed_as_shown_finds_its_records_in_the_wallet(make_service: Any, tmp_path: Path) -> None:
    bundle = tmp_path / "vitals.json"
    bundle.write_text(json.dumps({"resourceType": "Bundle", "type": "collection",
                                  "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in RECORDS]}))
    service = make_service()
    service.create(PASSPHRASE)
    wallet = service.unlock(PASSPHRASE)
    try:
        wallet.import_file(bundle)

        def found(text: str) -> list[str]:
            return sorted(wallet.store.get(r.id)["id"] for r in wallet.search(text))

        assert found("mmHg") == found("mm[Hg]") == ["bp", "bp-words"]
        assert found("°C") == found("Cel") == ["temp"]
        assert found("kg/m²") == ["bmi"]
        assert found("µg/L") == found("μg/L") == found("ug/L") == ["ferritin"]
        assert found("10³/µL") == ["wbc"]
        assert found("120 mmHg") == ["bp"] and found("diastolic mmHg") == ["bp"]
        assert found("°F") == [] and found("glucose mmHg") == []
        # the filter box's page and count, as the GUI asks for them
        page = wallet.search_page("mmHg", category="All records")
        assert len(page.page.rows) == 2 and page.count.exact and page.count.value == 2
        assert wallet.count(text="°C") == 1
    finally:
        wallet.lock()


def test_records_search_finds_synthea_vitals_by_the_units_the_list_shows(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert cli(home, "init").code == 0
    assert cli(home, "import", str(GUSTAVO)).code == 0

    def ids(*args: str) -> set[str]:
        run = cli(home, "records", *args, "--json")
        assert run.code == 0, run.stderr
        return {r["id"] for r in run.json}

    temperatures = {r["id"] for r in cli(home, "records", "--type", "Vital signs", "--json").json
                    if r["unit"] == "Cel"}
    assert temperatures and temperatures <= ids("--search", "°C")
    assert ids("--search", "Cel") <= ids("--search", "°C")
    pressure = ids("--search", "mm[Hg]")
    assert pressure and ids("--search", "mmHg") == pressure
    listed = cli(home, "records", "--search", "mmHg")
    assert listed.code == 0 and "mmHg" in listed.stdout and "No records match." not in listed.stdout
