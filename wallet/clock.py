"""Time as a parameter: every expiry check takes ``now`` from a :class:`Clock`."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

__all__ = ["Clock", "FixedClock", "SystemClock"]


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware UTC datetime."""
        ...

    def timestamp(self) -> int:
        """Seconds since the epoch."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def timestamp(self) -> int:
        return int(time.time())


@dataclass
class FixedClock:
    """A clock tests can set and advance."""

    at: datetime

    def now(self) -> datetime:
        return self.at

    def timestamp(self) -> int:
        return int(self.at.timestamp())

    def advance(self, seconds: float) -> None:
        from datetime import timedelta

        self.at = self.at + timedelta(seconds=seconds)
