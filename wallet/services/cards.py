"""Reading SMART Health Cards as an import source: ``.smart-health-card`` files and
``shc:/`` numeric QR text, checked against the trusted issuers, their FHIR bundles
turned into one all-or-nothing import."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from .. import untrusted
from ..errors import InputRefused, InvalidRecord, ShareError
from ..records import fhir_json
from ..records.parse import MAX_FILE_BYTES, Located, ParsedFile, parse_bytes
from ..share.issuers import IssuerStore
from ..share.shc import HealthCard, card_file_bytes, read_card_file
from ..share.shc_qr import parse_qr_text

__all__ = ["UNVERIFIED_CARD", "CardInput", "card_qr_png", "card_status", "check_card_file", "is_qr_chunk",
           "read_card_input", "read_qr_chunks"]

CARD_SUFFIX = ".smart-health-card"
# What an "unverified" card is, said the same by import and verify: the signature is fine, the
# issuer is unknown. "Invalid" is kept for a bad signature or a changed card.
UNVERIFIED_CARD = "the issuer is not in your trusted list (the card is intact: its signature matches its key)"


@dataclass(frozen=True)
class CardInput:
    cards: tuple[HealthCard, ...]
    parsed: ParsedFile
    file_bytes: bytes  # what is kept and re-exported byte for byte


def _is_qr_text(data: bytes) -> bool:
    """``shc:/`` QR text; or only digits (64 or more), as QR text that lost its prefix: the
    QR reader then says it must start with ``shc:/``."""
    text = data.strip()
    return text[:5].lower() == b"shc:/" or (len(text) >= 64 and text.isdigit())


_JWS_LIKE = re.compile(rb"^eyJ[^\s{}\[\]\"]*$")  # base64url of '{"' starts every JOSE header


def _bare_jws(data: bytes) -> str | None:
    """A file holding just a compact JWS (as cards are often saved), or ``None``. Text that
    only looks like one (two parts, a character outside base64url) is taken too, so the
    card reader says what is wrong with it rather than a JSON parser."""
    text = data.strip()
    if len(text) < 64 or not _JWS_LIKE.match(text):
        return None
    return text.decode("ascii", errors="replace")


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
            data = untrusted.read_bytes(path, max_bytes=MAX_FILE_BYTES)
            texts += [ln.strip() for ln in data.decode("ascii").splitlines() if ln.strip()]
        except InputRefused as exc:
            raise InvalidRecord(exc.user_message) from exc
        except UnicodeDecodeError as exc:
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
    try:  # a folder, a device or a FIFO is refused here, before it is opened
        data = untrusted.read_bytes(path, max_bytes=MAX_FILE_BYTES)
    except InputRefused as exc:
        raise InvalidRecord(exc.user_message) from exc
    if _is_qr_text(data):
        return read_qr_chunks([path], issuers=issuers, now=now)
    jws = _bare_jws(data)
    if jws is not None:
        try:
            data = card_file_bytes([jws])
        except ShareError as exc:
            raise InvalidRecord(f"{path.name}: {exc.user_message}") from exc
        return _card_input(data, path.name, issuers=issuers, now=now)
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
    if len(cards) == 1:
        return CardInput(cards, parse_bytes(fhir_json.dumps(cards[0].fhir_bundle).encode(), name=name), data)
    # Each card numbers its resources from "resource:0": its references resolve inside it
    items: list[Located] = []
    for n, card in enumerate(cards):
        parsed = parse_bytes(fhir_json.dumps(card.fhir_bundle).encode(), name=f"{name} card {n + 1}")
        items.extend(replace(i, position=f"card {n + 1} {i.position}", scope=f"card {n + 1}") for i in parsed.items)
    return CardInput(cards, ParsedFile("bundle", tuple(items), "collection"), data)


def card_qr_png(jws: str, *, scale: int = 3) -> bytes | None:
    """A card as one QR code (PNG bytes, ``scale`` pixels per module), or ``None`` when it
    does not fit one QR code of version 22 (SMART Health Cards spec, "Creating a QR code")."""
    import io

    from ..share.shc_qr import qr_for_card

    qr = qr_for_card(jws)
    if qr is None:
        return None
    out = io.BytesIO()
    qr.save(out, kind="png", scale=scale, border=4)
    return out.getvalue()
