"""Byte counts in words people read on a drive's label (decimal units, as drives are sold)."""

from __future__ import annotations

__all__ = ["human_bytes"]

_UNITS = ("KB", "MB", "GB", "TB")


def human_bytes(n: int | None) -> str:
    """``1_400_000`` → ``"1.4 MB"``; ``None`` → ``"—"`` (unknown)."""
    if n is None:
        return "—"
    if n < 1000:
        return f"{max(0, int(n))} bytes"
    value = float(n)
    for unit in _UNITS:
        value /= 1000
        if value < 999.5 or unit == _UNITS[-1]:
            return f"{value:.1f} {unit}" if value < 100 else f"{value:.0f} {unit}"
    raise AssertionError("unreachable")
