"""``--since DAY`` is a day of the user's calendar: from local midnight for records with a
time, as written for records dated by a day or month, in zones far east and west of UTC."""

from __future__ import annotations

from datetime import UTC, tzinfo
from zoneinfo import ZoneInfo

import pytest

from wallet.errors import RecordError
from wallet.records.instants import local_text, start_instant
from wallet.records.local_days import local_since

AUCKLAND = ZoneInfo("Pacific/Auckland")  # UTC+13 in March (daylight saving time)
LOS_ANGELES = ZoneInfo("America/Los_Angeles")  # UTC-8 in January


@pytest.mark.parametrize(("tz", "day", "midnight", "before", "on"), [
    (AUCKLAND, "2024-03-10", "2024-03-09T11:00:00Z", "2024-03-09T23:30:00+13:00", "2024-03-10T00:30:00+13:00"),
    # written in UTC, shown (and so filtered) in NZDT
    (AUCKLAND, "2024-03-10", "2024-03-09T11:00:00Z", "2024-03-09T10:30:00Z", "2024-03-09T11:30:00Z"),
    (LOS_ANGELES, "2024-01-10", "2024-01-10T08:00:00Z", "2024-01-09T23:30:00-08:00", "2024-01-10T00:30:00-08:00"),
    (LOS_ANGELES, "2024-01-10", "2024-01-10T08:00:00Z", "2024-01-10T07:30:00Z", "2024-01-10T08:30:00Z"),
])
def test_a_time_is_kept_from_local_midnight(tz: ZoneInfo, day: str, midnight: str, before: str, on: str) -> None:
    since = local_since(day, tz=tz)
    assert since.start == start_instant(midnight)
    eve = f"{day[:8]}{int(day[8:]) - 1:02d}"
    assert local_text(before, tz=tz).startswith(f"{eve} 23:30") and local_text(on, tz=tz).startswith(f"{day} 00:30")
    assert not since.keeps(before) and since.keeps(on)


@pytest.mark.parametrize("tz", [AUCKLAND, LOS_ANGELES, UTC])
def test_a_date_without_a_time_is_compared_as_written_in_every_zone(tz: tzinfo) -> None:
    since = local_since("2024-03-10", tz=tz)
    assert since.keeps("2024-03-10") and since.keeps("2024-03-11") and not since.keeps("2024-03-09")
    assert since.keeps("2024-03") and not since.keeps("2024-02")  # a month overlapping the day is kept
    assert since.keeps("2024") and not since.keeps("2023")
    # the store's bound lets every kept record through
    assert start_instant(since.bound) is not None
    assert start_instant(since.bound) <= min(since.start, since.day_start)  # type: ignore[operator]


def test_a_time_with_its_zone_is_that_instant_and_one_without_is_local() -> None:
    zoned = local_since("2024-03-10T08:00:00+01:00", tz=AUCKLAND)
    assert zoned.start == start_instant("2024-03-10T07:00:00Z") and zoned.bound == "2024-03-10T07:00:00Z"
    local = local_since("2024-03-10T08:00", tz=AUCKLAND)
    assert local.start == start_instant("2024-03-10T08:00:00+13:00")
    assert local.keeps("2024-03-10T08:00:00+13:00") and not local.keeps("2024-03-10T07:59:59+13:00")


def test_the_computer_zone_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    for name, start in (("Pacific/Auckland", "2024-03-09T11:00:00Z"), ("America/Los_Angeles", "2024-03-10T08:00:00Z")):
        monkeypatch.setenv("TZ", name)
        time.tzset()
        try:
            assert local_since("2024-03-10").start == start_instant(start)
        finally:
            monkeypatch.delenv("TZ")
            time.tzset()


@pytest.mark.parametrize("text", ["yesterday", "2024-02-30", "2024-13", "", "10/03/2024", "2024-03-10T25:00"])
def test_text_that_is_no_date_is_refused_with_a_clear_message(text: str) -> None:
    with pytest.raises(RecordError, match="is not a date; give one like 2024-03-10"):
        local_since(text)
