"""Human or JSON output: one JSON document on stdout with ``--json``."""

from __future__ import annotations

import json
import sys
from typing import Any

__all__ = ["Output"]


class Output:
    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json

    def result(self, doc: Any, human: str | None = None) -> None:
        if self.as_json:
            json.dump(doc, sys.stdout, indent=2, ensure_ascii=False, default=str)
            sys.stdout.write("\n")
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
