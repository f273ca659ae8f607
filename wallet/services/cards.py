"""SMART Health Cards: reading them as an import source (``.smart-health-card`` files
and ``shc:/`` numeric QR text, checked against the trusted issuers, their FHIR bundles
turned into one all-or-nothing import), and the issuers the wallet trusts (the VCI
directory by default, plus the user's own list)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..app import App
from ..errors import InvalidRecord, ShareError
from ..records.parse import MAX_FILE_BYTES, ParsedFile, parse_bytes
from ..share.encoding import json_loads
from ..share.issuers import USER_SOURCE, IssuerStore, TrustedIssuer, add_trusted_issuer, remove_trusted_issuer
from ..share.shc import HealthCard, card_file_bytes, read_card_file
from ..share.shc_qr import parse_qr_text
from ..share.vci_directory import CREDIT, IssuerDirectory, install_directory, refresh_directory

__all__ = [
    "DIRECTORY_CREDIT",
    "USER_SOURCE",
    "CardInput",
    "IssuerDirectory",
    "card_status",
    "check_card_file",
    "distrust_issuer",
    "install_issuer_directory",
    "is_qr_chunk",
    "read_card_input",
    "read_qr_chunks",
    "refresh_issuer_directory",
    "trust_issuer",
    "trusted_issuers",
]

DIRECTORY_CREDIT = CREDIT

CARD_SUFFIX = ".smart-health-card"


@dataclass(frozen=True)
class CardInput:
    cards: tuple[HealthCard, ...]
    parsed: ParsedFile
    file_bytes: bytes  # what is kept and re-exported byte for byte


def _is_qr_text(data: bytes) -> bool:
    return data.lstrip()[:5].lower() == b"shc:/"


_COMPACT_JWS = re.compile(rb"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")


def _bare_jws(data: bytes) -> str | None:
    """A file holding just a compact JWS (as cards are often saved), or ``None``."""
    text = data.strip()
    if len(text) < 64 or not _COMPACT_JWS.match(text):
        return None
    return text.decode("ascii")


def card_status(card: HealthCard) -> tuple[str, str]:
    """(issuer as shown, "valid" | "expired" | "unverified") for lists and import reports.

    An unknown issuer comes first: an unverified card's expiry says nothing trustworthy.
    """
    if not card.verified:
        return (card.issuer, "unverified")
    return (card.issuer_name or card.issuer, "expired" if card.expired else "valid")


def check_card_file(data: bytes, *, issuers: IssuerStore, now: datetime) -> list[HealthCard]:
    return read_card_file(data, issuers=issuers, now=now)


def is_qr_chunk(path: Path) -> bool:
    """A file holding one part of a multi-QR card (``shc:/2/3/...``)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(32).lstrip().lower()
    except OSError:
        return False
    parts = head[5:].split(b"/")
    return head.startswith(b"shc:/") and len(parts) >= 3 and parts[0].isdigit() and parts[1].isdigit()


def read_qr_chunks(paths: list[Path], *, issuers: IssuerStore, now: datetime) -> CardInput:
    """One card from the parts of a multi-QR card, one part per file."""
    texts = []
    for path in paths:
        try:
            texts += [ln.strip() for ln in Path(path).read_text("ascii").splitlines() if ln.strip()]
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidRecord(f"Cannot read {Path(path).name} as QR text.") from exc
    name = " + ".join(Path(p).name for p in paths)
    try:
        data = card_file_bytes([parse_qr_text(texts)])
    except ShareError as exc:
        raise InvalidRecord(f"{name}: {exc.user_message}") from exc
    return _card_input(data, name, issuers=issuers, now=now)


def read_card_input(path: Path, *, issuers: IssuerStore, now: datetime) -> CardInput | None:
    """The cards in ``path``, or ``None`` when it is not a card (an ordinary FHIR file)."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidRecord(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    if _is_qr_text(data):
        return read_qr_chunks([path], issuers=issuers, now=now)
    jws = _bare_jws(data)
    if jws is not None:
        return _card_input(card_file_bytes([jws]), path.name, issuers=issuers, now=now)
    if path.suffix.lower() != CARD_SUFFIX:
        return None
    return _card_input(data, path.name, issuers=issuers, now=now)


def _card_input(data: bytes, name: str, *, issuers: IssuerStore, now: datetime) -> CardInput:
    try:
        cards = tuple(read_card_file(data, issuers=issuers, now=now))
    except ShareError as exc:
        raise InvalidRecord(f"{name}: {exc.user_message}") from exc
    refused = [c for c in cards if c.revoked]
    if refused:
        raise InvalidRecord(f"{name}: the issuer {refused[0].issuer_name or refused[0].issuer} has revoked this card.")
    entries = []
    for n, card in enumerate(cards):
        for entry in card.fhir_bundle.get("entry", []):
            if len(cards) > 1 and isinstance(entry, dict) and isinstance(entry.get("fullUrl"), str):
                entry = {**entry, "fullUrl": f"{entry['fullUrl']}#card{n}"}  # "resource:0" repeats per card
            entries.append(entry)
    combined = {"resourceType": "Bundle", "type": "collection", "entry": entries}
    parsed = parse_bytes(json.dumps(combined).encode(), name=name)
    return CardInput(cards, parsed, data)


# --- the issuers this wallet trusts ----------------------------------------------------


def trusted_issuers(app: App) -> IssuerStore:
    """The VCI directory in use, the user's list and any issuers trusted for this run."""
    return IssuerStore.load(app.home, extra_trusted=app.extra_trusted_issuers)


def _read(path: Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ShareError(f"Cannot read {what} {path}: {exc.strerror or exc}.") from exc


def trust_issuer(app: App, iss: str, jwks_file: Path, *, name: str | None = None,
                 crl_files: tuple[Path, ...] = ()) -> TrustedIssuer:
    """Trust ``iss`` with its key set (a saved ``.well-known/jwks.json``) and revocation
    lists, in the wallet home's list. Raises :class:`ShareError` for a file that is not one."""
    jwks = json_loads(_read(jwks_file, "the key set"), what=f"key set {jwks_file}")
    crls = [json_loads(_read(c, "the revocation list"), what=f"revocation list {c}") for c in crl_files]
    try:
        issuer = TrustedIssuer.from_jwks(iss, jwks, name=name, crls=crls)
    except ShareError as exc:
        raise ShareError(f"That is not an issuer key set: {exc.user_message}") from exc
    add_trusted_issuer(app.home, issuer)
    return issuer


def distrust_issuer(app: App, iss: str) -> bool:
    """Stop trusting ``iss`` (from the user's list, or from the directory); ``False`` if
    it was not trusted."""
    shared = [i.iss for i in trusted_issuers(app) if i.source != USER_SOURCE]
    return remove_trusted_issuer(app.home, iss, shared=shared)


def install_issuer_directory(app: App, path: Path, *, signature: Path | None = None) -> IssuerDirectory:
    """Use a newer VCI directory snapshot from ``path`` (``vci_snapshot.json``). Its
    signature (``signature``, or ``vci_snapshot.sig`` beside it) must verify when present.
    Raises :class:`ShareError`; nothing changes then."""
    path = Path(path)
    sig_path = signature if signature is not None else path.with_suffix(".sig")
    sig = _read(sig_path, "the directory signature") if signature is not None or sig_path.is_file() else None
    return install_directory(app.home, _read(path, "the issuer directory"), signature=sig, origin=str(path))


def refresh_issuer_directory(app: App) -> IssuerDirectory:
    """Download the published VCI directory snapshot, check its signature, keep it (needs the network)."""
    return refresh_directory(app.home)
