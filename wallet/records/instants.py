"""The instant a FHIR date or dateTime starts: UTC epoch seconds, for ordering and filters.

FHIR R4 §2.24.0.1 (primitive types ``date``, ``dateTime``, ``instant``): a value is a
year (``2020``), a month (``2020-05``), a day (``2020-05-03``) or a time with a zone
(``2020-05-03T10:00:00+02:00``, seconds may carry a fraction). A partial value names a
period; its instant is the period's START in UTC (``2020`` → 2020-01-01T00:00:00Z). A time
with an offset is converted to UTC; a time without one (not valid FHIR, but found in
real files) is read as UTC. Anything else has no instant (``None``), so it sorts apart
instead of being guessed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo

__all__ = ["date_parts", "local_text", "period_end", "start_instant", "utc_text"]

_FHIR_DATETIME = re.compile(
    r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?P<fraction>\.\d+)?)?"
    r"(?P<zone>Z|[+-]\d{2}:\d{2})?)?)?)?"
)


def date_parts(value: str) -> dict[str, str | None] | None:
    """The fields of a FHIR date/dateTime as written (``year``, ``month``, ``day``, ``hour``,
    ``minute``, ``second``, ``fraction``, ``zone``; ``None`` where absent), or ``None`` when
    ``value`` is not one. Not range-checked (see :func:`start_instant`)."""
    match = _FHIR_DATETIME.fullmatch(value.strip()) if isinstance(value, str) else None
    return match.groupdict() if match is not None else None


def start_instant(value: str) -> float | None:
    """UTC epoch seconds at which ``value`` (a FHIR date/dateTime/instant) starts, or ``None``.

    >>> start_instant("1970-01-02")
    86400.0
    >>> start_instant("1970-01-01T01:00:00+01:00")
    0.0
    """
    match = _FHIR_DATETIME.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        return None
    g = match.groupdict()
    try:
        start = datetime(int(g["year"]), int(g["month"] or 1), int(g["day"] or 1),
                         int(g["hour"] or 0), int(g["minute"] or 0), int(g["second"] or 0), tzinfo=UTC)
    except ValueError:
        return None  # month 13, February 30, hour 25
    if g["zone"] and g["zone"] != "Z":
        sign = 1 if g["zone"][0] == "+" else -1
        hours, minutes = int(g["zone"][1:3]), int(g["zone"][4:6])
        if hours > 14 or minutes > 59:
            return None
        start = start.replace(tzinfo=timezone(sign * timedelta(hours=hours, minutes=minutes)))
    seconds = start.timestamp()
    if g["fraction"]:
        seconds += float("0" + g["fraction"])
    return seconds




def period_end(value: str) -> float | None:
    """UTC epoch seconds at which the period ``value`` names ends (exclusive), or ``None``.

    A partial date is a period (FHIR R4 §2.24.0.1; search: "the range of the value"):
    ``2020`` ends at 2021-01-01T00:00:00Z, ``2020-05`` at 2020-06-01, ``2020-05-03`` at the
    next day. A time is a point: its end is its start.

    >>> period_end("1970") == start_instant("1971")
    True
    """
    match = _FHIR_DATETIME.fullmatch(value.strip()) if isinstance(value, str) else None
    start = start_instant(value)
    if match is None or start is None:
        return None
    g = match.groupdict()
    if g["hour"] is not None:
        return start
    year, month = int(g["year"]), int(g["month"] or 1)
    if g["month"] is None:
        return datetime(year + 1, 1, 1, tzinfo=UTC).timestamp()
    if g["day"] is None:
        return datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC).timestamp()
    return start + 86400.0


def utc_text(value: str) -> str:
    """The instant ``value`` starts, as ISO 8601 UTC (``2024-03-10T04:30:00Z``), or ``""``."""
    start = start_instant(value)
    if start is None:
        return ""
    when = datetime.fromtimestamp(start, tz=UTC)
    return when.isoformat(timespec="milliseconds" if when.microsecond else "seconds").replace("+00:00", "Z")


def local_text(value: str, *, tz: tzinfo | None = None) -> str:
    """``value`` as a person reads it: a time in the local zone, with the zone named
    (``2024-03-10 05:30 CET``); a date or partial date as written (it has no zone).

    ``tz``: the zone to show (default: this computer's).
    """
    match = _FHIR_DATETIME.fullmatch(value.strip()) if isinstance(value, str) else None
    start = start_instant(value)
    if match is None or start is None:
        return value.strip() if isinstance(value, str) else ""
    if match.group("hour") is None:
        return value.strip()
    when = datetime.fromtimestamp(start, tz=UTC)
    local = when.astimezone(tz) if tz is not None else when.astimezone()
    name = local.tzname() or ""
    offset = local.strftime("%z")
    if not name or name[0] in "+-" or (name.startswith("UTC") and name != "UTC"):
        name = f"UTC{offset[:3]}:{offset[3:]}" if offset not in ("+0000", "") else "UTC"
    return f"{local:%Y-%m-%d %H:%M} {name}"
