"""Human or JSON output: one JSON document on stdout with ``--json``."""

from __future__ import annotations

import sys
from decimal import Decimal
from typing import Any

from ..services import fhir_json_text

__all__ = ["Output", "count_of"]


def count_of(n: int, word: str) -> str:
    """``1 record``, ``2 records``, ``0 records``, ``50,000 records`` (English plural with an
    ``s``; thousands grouped as the GUI and the tables group them)."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


class Output:
    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json

    def result(self, doc: Any, human: str | None = None) -> None:
        if self.as_json:
            sys.stdout.write(fhir_json_text(_jsonable(doc), indent=2) + "\n")
        elif human is not None:
            sys.stdout.write(human if human.endswith("\n") else human + "\n")

    def info(self, text: str) -> None:
        """Progress and notes go to stderr so stdout stays machine-readable."""
        sys.stderr.write(text + "\n")

    def table(self, rows: list[list[str]], headers: list[str]) -> str:
        widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
        lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=False))]
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) for r in rows]
        return "\n".join(line.rstrip() for line in lines)


def _jsonable(doc: Any) -> Any:
    """``doc`` with values JSON has no type for (paths, datetimes) as text; numbers,
    decimals included, stay numbers written exactly."""
    if isinstance(doc, dict):
        return {str(k): _jsonable(v) for k, v in doc.items()}
    if isinstance(doc, (list, tuple)):
        return [_jsonable(v) for v in doc]
    if doc is None or isinstance(doc, (str, int, float, Decimal)):
        return doc
    return str(doc)
