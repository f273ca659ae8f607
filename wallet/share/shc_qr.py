"""SMART Health Card QR text (``shc:/``) and QR codes.

Numeric mode: each character of the compact JWS becomes two digits, ``ord(c) - 45``
(base64url and ``.`` map to 00..77). A card fits one QR code when it fits version 22
at error correction L (the spec's limit: a JWS of at most 1195 characters).

Chunked QR (``shc:/<index>/<total>/<digits>``) is deprecated by the spec but still
appears in its examples, so it is read, never written. Reassembly refuses a missing
chunk, a chunk given twice, an index above the total, totals that disagree, and more
than :data:`MAX_CHUNKS` chunks. The scheme is matched case-insensitively (``SHC:/`` is
what a QR alphanumeric-mode scanner may report; URI schemes are case-insensitive).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import segno

from ..errors import ShareError

__all__ = ["MAX_CHUNKS", "MAX_QR_VERSION", "decode_qr_text", "encode_numeric", "parse_qr_text", "qr_for_card"]

MAX_CHUNKS = 10  # chunked cards were at most a few codes; more is not a card
MAX_QR_VERSION = 22
MAX_QR_TEXT = 16 * 1024
_SINGLE = re.compile(r"shc:/(\d*)", re.IGNORECASE)
_CHUNK = re.compile(r"shc:/(\d+)/(\d+)/(\d*)", re.IGNORECASE)


def _digits_to_jws(digits: str, where: str) -> str:
    if not digits:
        raise ShareError(f"{where} holds no data after shc:/.")
    if len(digits) % 2:
        raise ShareError(f"{where} has an odd number of digits; the QR text is truncated or damaged.")
    out = []
    for i in range(0, len(digits), 2):
        value = int(digits[i : i + 2])
        if value > 77:
            raise ShareError(f"{where} has the digit pair {digits[i:i + 2]}, which is not a valid code (00-77).")
        out.append(chr(value + 45))
    return "".join(out)


def encode_numeric(jws: str) -> str:
    """``shc:/`` followed by the numeric encoding of ``jws``."""
    digits = []
    for ch in jws:
        value = ord(ch) - 45
        if not 0 <= value <= 77:
            raise ShareError("The card's JWS holds a character that cannot be put in an shc:/ QR code.")
        digits.append(f"{value:02d}")
    return "shc:/" + "".join(digits)


def decode_qr_text(text: str) -> str:
    """One un-chunked ``shc:/…`` QR text → compact JWS."""
    return parse_qr_text([text])


def parse_qr_text(texts: str | Iterable[str]) -> str:
    """The text of one QR code, or of every chunk of a chunked card (any order) → JWS."""
    items = [texts] if isinstance(texts, str) else list(texts)
    if not items:
        raise ShareError("No QR text was given.")
    if len(items) > MAX_CHUNKS:
        raise ShareError(f"{len(items)} QR codes were given; a card has at most {MAX_CHUNKS}.")
    cleaned = []
    for text in items:
        if not isinstance(text, str) or len(text) > MAX_QR_TEXT:
            raise ShareError("The QR text is not text or is far too long for a health card.")
        cleaned.append(text.strip())
    if len(cleaned) == 1 and (m := _SINGLE.fullmatch(cleaned[0])):
        return _digits_to_jws(m.group(1), "The QR code")
    return _reassemble(cleaned)


def _reassemble(texts: list[str]) -> str:
    chunks: dict[int, str] = {}
    total: int | None = None
    for text in texts:
        m = _CHUNK.fullmatch(text)
        if m is None:
            if _SINGLE.fullmatch(text):
                raise ShareError("An un-chunked shc:/ QR code was mixed with other QR codes; scan one card at a time.")
            raise ShareError("This is not SMART Health Card QR text: it must start with shc:/.")
        index, count, digits = int(m.group(1)), int(m.group(2)), m.group(3)
        if count < 1 or count > MAX_CHUNKS:
            raise ShareError(f"A QR code says the card has {count} parts; at most {MAX_CHUNKS} are allowed.")
        if total is None:
            total = count
        elif count != total:
            raise ShareError(f"The QR codes belong to different cards (one says {total} parts, another {count}).")
        if not 1 <= index <= count:
            raise ShareError(f"A QR code says it is part {index} of {count}, which is impossible.")
        if index in chunks:
            raise ShareError(f"Part {index} of {count} was scanned twice; scan each part once.")
        chunks[index] = _digits_to_jws(digits, f"Part {index} of {count}")
    assert total is not None
    missing = [i for i in range(1, total + 1) if i not in chunks]
    if missing:
        listed = ", ".join(map(str, missing))
        raise ShareError(f"Part(s) {listed} of {total} are missing; scan every QR code of the card.")
    return "".join(chunks[i] for i in range(1, total + 1))


def qr_for_card(jws: str) -> segno.QRCode | None:
    """A QR code for the card (byte segment ``shc:/`` + numeric segment), or ``None``
    when the card is too large for one version-22 code (show the file instead)."""
    digits = encode_numeric(jws)[len("shc:/"):]
    try:
        # Two segments; segno picks byte mode for "shc:/" and numeric mode for the digits.
        qr = segno.make(["shc:/", digits],  # type: ignore[arg-type]  # segno takes a list of segments; its stubs say one
                        error="L", boost_error=False, micro=False)
    except segno.DataOverflowError:
        return None
    # micro=False: the version is a number (Micro QR versions are strings such as "M4")
    return qr if isinstance(qr.version, int) and qr.version <= MAX_QR_VERSION else None
