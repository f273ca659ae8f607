"""A test's trend as the filtered table shows it: the values of the rows the filter keeps.

The chart draws what the table lists: with a filter ("2023", "high", a word of a note)
only the values of matching rows, on the axes of the whole series (its unit, its
reference range), and says on the chart how many of the test's values that is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from ..services import StoredSummary
from .models import TrendSeries, trend_series

__all__ = ["filter_note", "filtered_series"]


def filtered_series(full: TrendSeries, rows: Iterable[StoredSummary]) -> TrendSeries | None:
    """The values of ``full`` that ``rows`` hold (the rows a filter keeps), oldest first, with
    ``full``'s title, unit and reference range; ``None`` when ``rows`` hold none of them.
    Values in another unit than ``full``'s are left out, as :func:`trend_series` leaves them."""
    mine = [r for r in rows if r.summary.code == full.code and r.summary.unit == full.unit]
    part = trend_series(mine).get(full.code)
    if part is None:
        return None
    return replace(part, title=full.title, low=full.low, high=full.high, range_text=full.range_text)


def filter_note(shown: int, total: int, words: str) -> str:
    """What a filtered chart says above its plot: ``Filtered by “2023”: 3 of 40 values``."""
    return f"Filtered by “{words}”: {shown:,} of {total:,} value{'' if total == 1 else 's'}"
