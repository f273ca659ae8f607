"""When a grant ends: durations (``7d``, ``12h``, ``2w``) or dates, always in the future.

:class:`Duration` is the one parser of a grant's length; :func:`parse_expiry` the one
parser of what a user types for "until when" (a duration or a date). Both raise
:class:`~wallet.errors.InvalidDuration` (a :class:`~wallet.errors.ShareError` and a
``ValueError``) with a message saying what to type instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ..errors import InvalidDuration, quoted

__all__ = ["MAX_GRANT", "PRESETS", "Duration", "parse_expiry"]

_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"(\d+)\s*([mhdw])")
MAX_GRANT = timedelta(days=5 * 365)
# Shown in the GUI: label -> duration text.
PRESETS = {"1 hour": "1h", "1 day": "1d", "1 week": "1w", "30 days": "30d", "1 year": "365d"}
TOO_LONG = "Grants last at most five years; choose an earlier expiry."
EXPIRY_MESSAGE = "{} is not a duration (7d, 12h, 2w) or a date (2026-12-31)."


@dataclass(frozen=True)
class Duration:
    """How long a grant lasts, in whole seconds: more than zero, at most :data:`MAX_GRANT`."""

    seconds: int
    MESSAGE = "{} is not a duration (7d, 12h, 30m or 2w)."

    def __post_init__(self) -> None:
        if not isinstance(self.seconds, int) or isinstance(self.seconds, bool) or self.seconds <= 0:
            raise InvalidDuration(self.MESSAGE.format(quoted(self.seconds)))
        if self.seconds > MAX_GRANT.total_seconds():
            raise InvalidDuration(TOO_LONG)

    @classmethod
    def parse(cls, text: str) -> Duration:
        """``7d``, ``12h``, ``30m`` or ``2w`` (a count and a unit; spaces and case do not matter)."""
        m = _DURATION.fullmatch(text.strip().lower()) if isinstance(text, str) else None
        if m is None:
            raise InvalidDuration(cls.MESSAGE.format(quoted(text)))
        if len(m.group(1).lstrip("0")) > 12:  # beyond any grant, and beyond int()'s digit limit
            raise InvalidDuration(TOO_LONG)
        seconds = int(m.group(1)) * _UNITS[m.group(2)]
        if seconds <= 0:
            raise InvalidDuration(cls.MESSAGE.format(quoted(text)))
        return cls(seconds)

    @property
    def delta(self) -> timedelta:
        return timedelta(seconds=self.seconds)


def parse_expiry(text: str, *, now: datetime) -> datetime:
    """An aware UTC time (whole seconds) from a :class:`Duration` after ``now``, ``YYYY-MM-DD``
    (end of that day, UTC) or an ISO 8601 date-time (local time when it has no offset).

    Raises :class:`InvalidDuration` when ``text`` is neither, when the time is not after
    ``now``, or when it is more than five years after ``now``."""
    raw = text.strip() if isinstance(text, str) else ""
    if _DURATION.fullmatch(raw.lower()):
        at = now + Duration.parse(raw).delta
    else:
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
                at = datetime.fromisoformat(raw).replace(hour=23, minute=59, second=59, tzinfo=UTC)
            else:
                at = datetime.fromisoformat(raw.replace("Z", "+00:00"))
                if at.tzinfo is None:
                    at = at.astimezone()  # a local time, as the user typed it
            at = at.astimezone(UTC)
        except OverflowError as exc:  # a date at the edge of the calendar, e.g. 0001-01-01T00:00+14:00
            raise InvalidDuration(f"{quoted(text)} is outside the dates a grant can have.") from exc
        except ValueError as exc:
            raise InvalidDuration(EXPIRY_MESSAGE.format(quoted(text))) from exc
    at = at.replace(microsecond=0)
    if at <= now:
        raise InvalidDuration(f"The expiry {at:%Y-%m-%d %H:%M} UTC is in the past; choose a later one.")
    if at - now > MAX_GRANT:
        raise InvalidDuration(TOO_LONG)
    return at
