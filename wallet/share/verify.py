"""Verify an export folder offline: no wallet, no network, only the folder.

:func:`verify_export` raises instead of returning a failure: a
:class:`~wallet.errors.SignatureInvalid` when anything was changed, added, removed or
signed by another key (the message says which file and how), a
:class:`~wallet.errors.ShareError` when the path is not an export or a passphrase is
needed, a :class:`~wallet.errors.DecryptionError` for a wrong passphrase. On success
it returns a :class:`VerifiedExport`.

Checks, in order: the folder holds only regular files with portable names; every file
but ``SHA256SUMS``/``SHA256SUMS.jws`` is listed in ``SHA256SUMS`` with its digest, and
every listed file is present; ``SHA256SUMS.jws`` is a valid ES256K signature over
``SHA256SUMS``; ``bundle.json`` is a FHIR Bundle whose ``Bundle.signature`` verifies
and was made by the same account (over the bytes read, signature member cut out, for
the layout this release writes; by re-canonicalising for any other,
:mod:`wallet.share.signed_bundle`); every reference to a resource that is in
``bundle.json`` resolves to it (FHIR R4 Bundle, "Resolving references in Bundles");
``provenance.json`` names that account and the bundle; each card file is a
well-formed ``.smart-health-card`` file (its issuer's signature is checked when the
wallet imports it, against its trusted issuers).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import untrusted
from ..chain.values import Address
from ..errors import InputRefused, ShareError, SignatureInvalid
from ..records.references import unresolved_in_bundle
from .encoding import json_loads
from .export_layout import (
    BUNDLE_FILE,
    EXPORT_PREFIX,
    HOWTO_FILE,
    MANIFEST_FILE,
    MANIFEST_SIG_FILE,
    MAX_FILE_BYTES,
    MAX_FILES,
    MAX_TOTAL_BYTES,
    PROVENANCE_FILE,
    SEALED_FILE,
    is_card_file,
    parse_manifest,
    valid_name,
)
from .export_sealing import open_sealed_files
from .issuers import IssuerStore
from .jws import verify_detached
from .shc import MAX_FILE_BYTES as MAX_CARD_FILE_BYTES
from .shc import HealthCard, parse_card_file, read_card_file
from .signed_bundle import account_identifier, signature_form, verify_bundle_bytes, verify_bundle_signature

__all__ = ["VerifiedExport", "export_is_encrypted", "verify_card_file", "verify_export"]

_REQUIRED = (BUNDLE_FILE, PROVENANCE_FILE, HOWTO_FILE, MANIFEST_FILE, MANIFEST_SIG_FILE)


@dataclass(frozen=True)
class VerifiedExport:
    """An export that verified: who signed it and what it holds."""

    path: Path
    signer: str
    signed_at: datetime | None
    resources_by_type: Mapping[str, int]
    files: tuple[str, ...]
    cards: tuple[str, ...]
    encrypted: bool
    manifest_sha256: str
    bundle: dict[str, Any] = field(repr=False, hash=False, compare=False)
    # the canonical form Bundle.signature covers: "rfc8785-exact-decimals", or "rfc8785"
    # (earlier releases: a decimal's written precision, 5.10 against 5.1, is not covered)
    signature_form: str = "rfc8785-exact-decimals"

    def __post_init__(self) -> None:
        if Address(self.signer) != self.signer:  # InvalidAddress (a ValueError) for a non-address
            raise ValueError("signer must be an EIP-55 address")

    @property
    def resource_count(self) -> int:
        return sum(self.resources_by_type.values())


def export_is_encrypted(path: Path) -> bool:
    """``True`` when ``path`` is an encrypted export (ask for its passphrase)."""
    return (Path(path) / SEALED_FILE).is_file()


def _read_folder(path: Path) -> dict[str, bytes]:
    try:
        entries = sorted(os.scandir(path), key=lambda e: e.name)
    except NotADirectoryError as exc:
        raise ShareError(f"{path} is not an export folder.") from exc
    except FileNotFoundError as exc:
        raise ShareError(f"{path} does not exist.") from exc
    except OSError as exc:
        raise ShareError(f"{path} cannot be read: {exc.strerror}.") from exc
    _refuse_folder_of_exports(path, entries)
    if len(entries) > MAX_FILES:
        raise ShareError(f"{path} holds more files than any export.")
    files: dict[str, bytes] = {}
    total = 0
    for entry in entries:
        if not entry.is_file(follow_symlinks=False):
            raise SignatureInvalid(f"{entry.name} in the export is not a regular file; something was added.")
        if not valid_name(entry.name):
            raise SignatureInvalid(f"The file {entry.name!r} does not belong to an export; something was added.")
        size = entry.stat(follow_symlinks=False).st_size
        total += size
        if size > MAX_FILE_BYTES or total > MAX_TOTAL_BYTES:
            raise ShareError(f"{path} is larger than any export this app writes.")
        with open(entry.path, "rb") as fh:
            files[entry.name] = fh.read(MAX_FILE_BYTES + 1)
    return files


def _refuse_folder_of_exports(path: Path, entries: list[os.DirEntry[str]]) -> None:
    """Raise :class:`ShareError` naming the export to verify when ``path`` is the folder an
    export was written to (``export --to``), not the export: it holds no manifest and one or
    more ``health-export-…`` folders. A folder with a manifest is checked as an export, so a
    folder added beside its files still fails as "something was added"."""
    if any(e.name == MANIFEST_FILE for e in entries):
        return
    exports = sorted(e.name for e in entries if e.name.startswith(EXPORT_PREFIX) and e.is_dir(follow_symlinks=False))
    if exports:
        newest = path / exports[-1]
        more = f" (the newest of {len(exports)})" if len(exports) > 1 else ""
        raise ShareError(f"{path} is the folder exports were saved in, not an export: verify {newest}{more}.")


def _check_files(files: Mapping[str, bytes]) -> tuple[str, str]:
    """Manifest digests and manifest signature; returns (signer, manifest sha256)."""
    for name in (MANIFEST_FILE, MANIFEST_SIG_FILE):
        if name not in files:
            raise SignatureInvalid(f"{name} is missing from the export, so it cannot be checked.")
    listed = parse_manifest(files[MANIFEST_FILE])
    for name in (MANIFEST_FILE, MANIFEST_SIG_FILE):
        if name in listed:
            raise SignatureInvalid(f"{MANIFEST_FILE} lists {name}; the manifest was altered.")
    added = sorted(set(files) - set(listed) - {MANIFEST_FILE, MANIFEST_SIG_FILE})
    if added:
        raise SignatureInvalid(f"{added[0]} was added to the export after it was signed.")
    for name, digest in listed.items():
        if name not in files:
            raise SignatureInvalid(f"{name} is missing from the export.")
        if not hmac.compare_digest(hashlib.sha256(files[name]).hexdigest(), digest):
            raise SignatureInvalid(f"{name} was changed after the export was signed (its SHA-256 does not match).")
    try:
        token = files[MANIFEST_SIG_FILE].decode("ascii")
    except UnicodeDecodeError as exc:
        raise SignatureInvalid(f"{MANIFEST_SIG_FILE} is damaged.") from exc
    signer = verify_detached(token, files[MANIFEST_FILE], what=f"signature in {MANIFEST_SIG_FILE}")
    return signer, hashlib.sha256(files[MANIFEST_FILE]).hexdigest()


def _signed_at(bundle: dict[str, Any]) -> datetime | None:
    stamp = bundle.get("timestamp")
    if not isinstance(stamp, str):
        return None
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None


def _check_content(files: Mapping[str, bytes], signer: str) -> tuple[dict[str, Any], Counter[str], tuple[str, ...]]:
    for name in _REQUIRED:
        if name not in files:
            raise SignatureInvalid(f"{name} is missing from the export.")
    read = verify_bundle_bytes(files[BUNDLE_FILE], what=BUNDLE_FILE)  # the layout this release writes
    bundle = read[0] if read is not None else json_loads(files[BUNDLE_FILE], what=BUNDLE_FILE)
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle" or bundle.get("type") != "collection":
        raise ShareError(f"{BUNDLE_FILE} is not a FHIR collection Bundle.")
    bundle_signer = read[1] if read is not None else verify_bundle_signature(bundle)
    if bundle_signer != signer:
        raise SignatureInvalid(f"{BUNDLE_FILE} was signed by {bundle_signer} but the export by {signer}.")
    entries = bundle.get("entry", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) and isinstance(e.get("resource"), dict)
                                                for e in entries):
        raise ShareError(f"{BUNDLE_FILE} has an entry without a resource.")
    counts = Counter(str(e["resource"].get("resourceType")) for e in entries)
    broken = unresolved_in_bundle(bundle, source=files[BUNDLE_FILE])
    if broken:
        more = f" (and {len(broken) - 1} more)" if len(broken) > 1 else ""
        raise ShareError(f"{BUNDLE_FILE}: {broken[0]}{more}; the records' links are broken.")

    provenance = json_loads(files[PROVENANCE_FILE], what=PROVENANCE_FILE)
    if not isinstance(provenance, dict) or provenance.get("resourceType") != "Provenance":
        raise ShareError(f"{PROVENANCE_FILE} is not a FHIR Provenance.")
    listed_agents = provenance.get("agent")
    agents = listed_agents if isinstance(listed_agents, list) else []
    identifiers = [a.get("who", {}).get("identifier") for a in agents if isinstance(a, dict)
                   and isinstance(a.get("who"), dict)]
    if account_identifier(signer) not in identifiers:
        raise SignatureInvalid(f"{PROVENANCE_FILE} does not name the signing account {signer}.")
    listed = provenance.get("target")
    targets = [t.get("reference") for t in (listed if isinstance(listed, list) else []) if isinstance(t, dict)]
    if f"Bundle/{bundle.get('id')}" not in targets:
        raise ShareError(f"{PROVENANCE_FILE} is about another bundle.")

    cards = tuple(sorted(name for name in files if is_card_file(name)))
    for name in cards:
        try:
            parse_card_file(files[name])
        except ShareError as exc:
            raise ShareError(f"{name} is not a valid health card file: {exc.user_message}") from exc
    return bundle, counts, cards


def verify_export(
    path: Path,
    *,
    passphrase: str | None = None,
    expected_signer: str | None = None,
) -> VerifiedExport:
    """Verify the export folder at ``path``; raise with the reason, or return what it holds.

    ``expected_signer``: if given, an export signed by any other account is refused.
    """
    path = Path(path)
    outer = _read_folder(path)
    encrypted = SEALED_FILE in outer
    if encrypted:
        extra = sorted(set(outer) - {SEALED_FILE, HOWTO_FILE})
        if extra:
            raise SignatureInvalid(f"{extra[0]} was added to the encrypted export.")
        if HOWTO_FILE not in outer:
            raise SignatureInvalid(f"{HOWTO_FILE} is missing from the encrypted export.")
        if passphrase is None:
            raise ShareError("This export is encrypted; its passphrase is needed to verify it.")
        files = open_sealed_files(outer[SEALED_FILE], passphrase)
        if SEALED_FILE in files:
            raise ShareError("The encrypted export holds another encrypted export.")
    else:
        files = outer
    signer, manifest_digest = _check_files(files)
    if encrypted and outer[HOWTO_FILE] != files.get(HOWTO_FILE):
        raise SignatureInvalid(f"{HOWTO_FILE} beside the encrypted file was changed.")
    bundle, counts, cards = _check_content(files, signer)
    if expected_signer is not None and Address(expected_signer) != signer:
        raise SignatureInvalid(f"The export was signed by {signer}, not by {Address(expected_signer)}.")
    return VerifiedExport(
        path=path,
        signer=signer,
        signed_at=_signed_at(bundle),
        resources_by_type=dict(sorted(counts.items())),
        files=tuple(sorted(outer)),
        cards=cards,
        encrypted=encrypted,
        manifest_sha256=manifest_digest,
        bundle=bundle,
        signature_form=signature_form(bundle),
    )


def verify_card_file(path: Path, *, issuers: IssuerStore, now: datetime) -> list[HealthCard]:
    """Verify a ``.smart-health-card`` file offline (``health-wallet verify FILE``)."""
    path = Path(path)
    try:  # a folder, a device or a FIFO is refused before it is opened
        data = untrusted.read_bytes(path, max_bytes=MAX_CARD_FILE_BYTES)
    except InputRefused as exc:
        raise ShareError(exc.user_message) from exc
    return read_card_file(data, issuers=issuers, now=now)
