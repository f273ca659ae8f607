"""When a grant ends: durations (``7d``, ``12h``, ``2w``) or dates, always in the future."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from ..errors import WalletError

__all__ = ["PRESETS", "parse_expiry"]

_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
MAX_GRANT = timedelta(days=5 * 365)
# Shown in the GUI: label -> duration text.
PRESETS = {"1 hour": "1h", "1 day": "1d", "1 week": "1w", "30 days": "30d", "1 year": "365d"}


def parse_expiry(text: str, *, now: datetime) -> datetime:
    """An aware UTC time from ``7d``/``12h``/``30m``/``2w``, ``YYYY-MM-DD`` (end of that day,
    UTC) or an ISO 8601 date-time."""
    raw = text.strip()
    m = re.fullmatch(r"(\d+)\s*([mhdw])", raw.lower())
    if m:
        # Bound the count before any arithmetic: 99999999999999d overflows a timedelta.
        digits = m.group(1).lstrip("0") or "0"
        if len(digits) > 9 or int(digits) * _UNITS[m.group(2)] > MAX_GRANT.total_seconds():
            raise WalletError("Grants last at most five years; choose an earlier expiry.")
        at = now + timedelta(seconds=int(digits) * _UNITS[m.group(2)])
    else:
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
                at = datetime.fromisoformat(raw).replace(hour=23, minute=59, second=59, tzinfo=UTC)
            else:
                at = datetime.fromisoformat(raw.replace("Z", "+00:00"))
                if at.tzinfo is None:
                    at = at.astimezone()  # a local time, as the user typed it
        except ValueError as exc:
            raise WalletError(f"{text[:40]!r} is not a duration (7d, 12h, 2w) or a date (2026-12-31).") from exc
    try:
        at = at.astimezone(UTC).replace(microsecond=0)
    except OverflowError as exc:  # a date at the edge of the calendar, e.g. 0001-01-01T00:00+14:00
        raise WalletError(f"{text[:40]!r} is outside the dates a grant can have.") from exc
    if at <= now:
        raise WalletError(f"The expiry {at:%Y-%m-%d %H:%M} UTC is in the past; choose a later one.")
    if at - now > MAX_GRANT:
        raise WalletError("Grants last at most five years; choose an earlier expiry.")
    return at
