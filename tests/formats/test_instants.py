"""The UTC start of FHIR dates and dateTimes (FHIR R4 §2.24.0.1), as schema 2 stores it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from wallet.records.instants import start_instant


def utc(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(("text", "expected"), [
    ("2020", utc(2020, 1, 1)),
    ("2020-05", utc(2020, 5, 1)),
    ("2020-05-03", utc(2020, 5, 3)),
    ("1951-01-20", utc(1951, 1, 20)),
    ("2012-03-07T20:15:35+00:00", utc(2012, 3, 7, 20, 15, 35)),
    ("2012-03-07T20:15:35Z", utc(2012, 3, 7, 20, 15, 35)),
    ("2020-05-03T01:30:00+02:00", utc(2020, 5, 2, 23, 30)),
    ("2020-05-03T22:00:00-05:00", utc(2020, 5, 4, 3, 0)),
    ("2020-05-03T10:00:00.250+00:00", utc(2020, 5, 3, 10) + 0.25),
    ("2020-05-03T10:00:00", utc(2020, 5, 3, 10)),  # no zone (not valid FHIR): read as UTC
])
def test_start_instant(text: str, expected: float) -> None:
    assert start_instant(text) == expected


@pytest.mark.parametrize("text", ["", "childhood", "2020-13", "2021-02-30", "20200503", "2020-05-03T25:00:00Z",
                                  "2020-05-03T10:00:00+15:00", "0000"])
def test_no_instant(text: str) -> None:
    assert start_instant(text) is None
