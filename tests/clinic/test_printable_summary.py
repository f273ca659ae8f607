"""What the printouts say, before any PDF: the IPS selection in plain words."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.conftest import FIXTURES
from wallet.errors import InvalidRecord
from wallet.records.ips import build_ips
from wallet.records.printable_summary import ALLERGIES, MEDICATIONS, PROBLEMS, plain, printable_summary

BOB = next((FIXTURES / "synthea").glob("Bob965_*.json"))


def test_empty_required_sections_say_the_document_knows_nothing() -> None:
    bundle = json.loads(BOB.read_text("utf-8"))
    summary = printable_summary(build_ips([e["resource"] for e in bundle["entry"]], now=datetime.now(UTC)))
    assert summary.name == "Bob965 Keeling57" and summary.birth_date == "1991-07-08"
    for code, words in ((ALLERGIES, "No information about allergies"), (MEDICATIONS, "No information about "
                        "medications"), (PROBLEMS, "No information about problems")):
        section = summary.section(code)
        assert section.items == () and section.absent == words
    assert "PrintableSummary(" in repr(summary) and "Bob" not in repr(summary)


def test_untrusted_text_is_made_printable() -> None:
    assert plain("Pen\x00ic\u202eillin\n\t allergy") == "Pen ic illin allergy"
    assert plain("x" * 400) == "x" * 299 + "…"
    with pytest.raises(InvalidRecord):
        printable_summary({"resourceType": "Bundle", "type": "document", "entry": []})
