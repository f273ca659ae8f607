"""Sharing with a clinic: ``ips`` (International Patient Summary)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..services import WalletService
from ..services.clinic import write_ips
from .output import Output
from .records_cmds import unlocked

__all__ = ["register"]

SECTION_NAMES = {"11450-4": "problems", "48765-2": "allergies", "10160-0": "medications",
                 "11348-0": "past illness", "11369-6": "immunizations", "30954-2": "results",
                 "47519-4": "procedures", "8716-3": "vital signs"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ips", help="write an International Patient Summary (FHIR document) for a clinic")
    p.add_argument("--out", metavar="FILE", required=True, help="the JSON file to write")
    p.set_defaults(func=cmd_ips)


def cmd_ips(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    with unlocked(service, args) as wallet:
        doc = write_ips(wallet, Path(args.out))
    names = ", ".join(SECTION_NAMES.get(c, c) for c in doc.sections)
    out.result({"path": str(Path(args.out)), "sections": list(doc.sections)},
               f"Wrote the patient summary to {args.out} ({names}).\n"
               "It is not encrypted: give it only to the clinic you mean it for.")
    return 0
