"""A date a person types (``records --since 2024-03-10``) read as a day of their own calendar.

Lists show a record's time in the local zone (:func:`~wallet.records.instants.local_text`),
so a day typed means the local day: ``--since 2024-03-10`` starts at local midnight of
10 March, not at 00:00 UTC. A reading taken at 23:30 local time on the 9th is before it
in every zone, one at 00:30 on the 10th after it, whatever their UTC dates.

Records are of two kinds (FHIR R4 §2.24.0.1, ``date`` and ``dateTime``):

* a time with a zone is an instant: kept when it is at or after the local start;
* a date, or a partial date (``2024-03``), has no zone: it is a day (month, year) of the
  same calendar, shown as written, so it is compared as written: kept when its period
  ends after the day typed begins (FHIR search ``ge``: the periods overlap), in any zone.

What is typed: ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``, or a time (``2024-03-10T08:00``,
local without a zone; with a zone, ``2024-03-10T08:00:00+01:00``, that instant).

The record store filters by one instant (``since`` of
:meth:`~wallet.records.store.RecordStore.page`, compared as UTC), so :attr:`LocalSince.bound`
is the earlier of the two starts (every record kept is among those the store returns), and
:meth:`LocalSince.keeps` decides exactly, row by row.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from ..errors import RecordError
from .instants import date_parts, period_end, start_instant

__all__ = ["LocalSince", "local_since"]


@dataclass(frozen=True)
class LocalSince:
    """What ``--since`` keeps. ``text``: as typed; ``start``: UTC epoch seconds at which it
    starts in the local zone (records with a time are compared with it); ``day_start``: UTC
    epoch seconds of the same calendar fields read without a zone (records dated by a day,
    month or year are compared with it). Raises ``ValueError`` for a text that is no date."""

    text: str
    start: float
    day_start: float

    def __post_init__(self) -> None:
        if start_instant(self.text) is None:
            raise ValueError(f"{self.text!r} is not a FHIR date or dateTime")

    @property
    def bound(self) -> str:
        """The earlier start as a FHIR dateTime in UTC (``2024-03-09T11:00:00Z``): the store's
        ``since``, which keeps every record :meth:`keeps` keeps (and perhaps a few more)."""
        when = datetime.fromtimestamp(min(self.start, self.day_start), tz=UTC)
        return when.isoformat().replace("+00:00", "Z")

    def keeps(self, date: str) -> bool:
        """Whether a record of FHIR date/dateTime ``date`` is on or after the day typed: a time
        at or after :attr:`start`; a date or partial date whose period ends after
        :attr:`day_start`. A record with no readable date is not kept."""
        parts = date_parts(date)
        instant = start_instant(date)
        if parts is None or instant is None:
            return False
        if parts["hour"] is not None:
            return instant >= self.start
        end = period_end(date)
        return end is not None and end > self.day_start


def local_since(text: str, *, tz: tzinfo | None = None) -> LocalSince:
    """``text`` typed by a person, read in ``tz`` (default: this computer's zone, the one
    lists show times in; ``TZ`` is honoured). Raises :class:`RecordError` when ``text`` is
    not a date (``2024-03-10``, ``2024-03``, ``2024``) or a time (``2024-03-10T08:00``, or
    with its zone)."""
    text = text.strip()
    parts = date_parts(text)
    day_start = start_instant(text)
    if parts is None or day_start is None:
        raise RecordError(f"{text!r} is not a date; give one like 2024-03-10 (or 2024-03, "
                          "or 2024-03-10T08:00:00+01:00).")
    if parts["zone"]:
        return LocalSince(text, day_start, day_start)  # an instant: the same everywhere
    fields = (int(parts["year"] or 0), int(parts["month"] or 1), int(parts["day"] or 1),
              int(parts["hour"] or 0), int(parts["minute"] or 0), int(parts["second"] or 0))
    fraction = float("0" + parts["fraction"]) if parts["fraction"] else 0.0
    try:
        start = _local_start(fields, tz)
    except (OverflowError, ValueError, OSError):  # before year 1 or beyond the platform's clock
        start = day_start - fraction
    return LocalSince(text, start + fraction, day_start)


def _local_start(fields: tuple[int, int, int, int, int, int], tz: tzinfo | None) -> float:
    """UTC epoch seconds of local time ``fields`` (year … second) in ``tz``; with no ``tz``,
    in the C library's zone, which ``datetime.astimezone()`` uses for the lists (``time.mktime``:
    daylight saving time as it applied that day)."""
    if tz is not None:
        return datetime(*fields, tzinfo=tz).timestamp()
    return time.mktime((*fields, 0, 0, -1))
