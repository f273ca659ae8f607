"""Vaccine names for CVX codes, the code system SMART Health Cards use for vaccines.

Health cards carry bare codes (``{"system": "http://hl7.org/fhir/sid/cvx", "code": "207"}``
and no display), so the wallet names the vaccines itself, from a small table of facts
taken from the CDC's CVX list (``data/cvx.json``; its ``source`` names the publication;
public domain). The table holds the codes health cards and common immunization records
use: the COVID-19 vaccines, influenza, hepatitis A and B, MMR, Tdap, polio and others.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["CVX_SYSTEM", "CvxVaccine", "cvx_source", "cvx_vaccine"]

CVX_SYSTEM = "http://hl7.org/fhir/sid/cvx"  # FHIR R4 terminology: "CVX" (CDC vaccines administered)


@dataclass(frozen=True)
class CvxVaccine:
    """One CVX code: ``short_description`` as the CDC publishes it, ``group`` the disease in
    plain words, ``manufacturer`` where the CDC's COVID-19 table names one."""

    code: str
    short_description: str
    group: str
    manufacturer: str = ""

    def __post_init__(self) -> None:
        if not self.code.isdigit() or not self.short_description or not self.group:
            raise ValueError(f"incomplete CVX row {self.code!r}")

    @property
    def name(self) -> str:
        """The name a patient reads: ``COVID-19 vaccine (Moderna)``, ``Hepatitis B vaccine``."""
        return f"{self.group} vaccine" + (f" ({self.manufacturer})" if self.manufacturer else "")


@cache
def _table() -> tuple[str, dict[str, CvxVaccine]]:
    raw: dict[str, Any] = json.loads(resources.files("wallet.records").joinpath("data/cvx.json").read_text("utf-8"))
    codes = {code: CvxVaccine(code, row["short_description"], row["group"], row.get("manufacturer", ""))
             for code, row in raw["codes"].items()}
    return str(raw["source"]), codes


def cvx_vaccine(code: str) -> CvxVaccine | None:
    """The table's row for a CVX ``code`` (leading zeros as written: ``03``), else ``None``.
    ``3`` finds ``03``: CVX codes are numbers written with at least two digits."""
    code = code.strip()
    codes = _table()[1]
    return codes.get(code) or (codes.get(code.zfill(2)) if code.isdigit() else None)


def cvx_source() -> str:
    """Where the table's facts come from (shown in the docs and the About box)."""
    return _table()[0]
