"""Sharing with a clinic that runs no Health Wallet: the International Patient Summary.

The IPS is built from every record of the wallet (:mod:`wallet.records.ips`), validated with
the FHIR R4B models and the IPS must-haves, and only then written, atomically.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..atomicfile import write_atomic
from ..errors import InvalidRecord, RecordError, WalletError
from ..records import fhir_json
from ..records.ips import build_ips, check_ips
from ..records.parse import parse_bytes
from ..records.validate import validate_file
from .wallet import UnlockedWallet

__all__ = ["IpsDocument", "make_ips", "write_ips"]


@dataclass(frozen=True)
class IpsDocument:
    """A built and checked IPS: the Bundle as JSON bytes and the LOINC codes of its sections."""

    data: bytes
    sections: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.data or not self.sections:
            raise ValueError("an IPS document has content and sections")

    def __repr__(self) -> str:  # the bytes are health data
        return f"IpsDocument({len(self.data)} bytes, sections={list(self.sections)})"

    @property
    def bundle(self) -> dict[str, Any]:
        doc: dict[str, Any] = fhir_json.loads(self.data)
        return doc


def make_ips(wallet: UnlockedWallet, *, profile: str | None = None) -> IpsDocument:
    """Build the IPS of one profile (default: the active one; one person per summary) and
    check it: FHIR R4 validity of every entry (R4B models), references resolving inside the
    document and the IPS must-haves.

    Raises :class:`~wallet.errors.InvalidRecord` (no Patient, or a rule broken) and
    :class:`~wallet.errors.RecordError` for an unknown profile.
    """
    name = wallet.profile if profile is None else profile
    if name not in wallet.profile_names():
        raise RecordError(f"No profile {name!r}; this wallet has {', '.join(wallet.profile_names())}.")
    store = wallet.store
    resources = [res for _, res in store.resources(store.ids(newest_first=False, profile=name))]
    bundle = build_ips(resources, now=wallet.app.clock.now())
    try:
        data = fhir_json.dumps(bundle).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise InvalidRecord(f"A record holds a value JSON cannot represent ({exc}); no summary was made.") from exc
    try:
        warnings = validate_file(parse_bytes(data, name="patient summary"), name="patient summary")
    except InvalidRecord as exc:
        raise InvalidRecord(f"The patient summary did not pass FHIR validation: {exc.user_message}") from exc
    if warnings:
        raise InvalidRecord(f"The patient summary has an unresolved reference: {warnings[0]}")
    sections = check_ips(bundle)
    return IpsDocument(data, tuple(sections))


def write_ips(wallet: UnlockedWallet, out: Path, *, profile: str | None = None) -> IpsDocument:
    """Build, check and write the IPS to ``out`` atomically (mode 0600). Nothing is written
    when a check fails. Raises :class:`~wallet.errors.WalletError` when ``out`` cannot be written."""
    doc = make_ips(wallet, profile=profile)
    out = Path(out)
    if out.is_dir():
        raise WalletError(f"{out} is a folder; name the file to write.")
    try:
        write_atomic(out, doc.data)
    except OSError as exc:
        raise WalletError(f"Cannot write {out}: {exc.strerror or exc}.") from exc
    return doc
