"""The label a share carries for its doctor: whose records, what is in them, a short message.

The doctor's wallet shows it in "Shared with me" before the share is opened (before any
fetch or access log), so the doctor sees a name rather than a per-grant address. It is
sealed (:func:`wallet.vault.aead.seal`, purpose :data:`PURPOSE`, the grant id as associated
data) with a key derived by HKDF from the share's content key
(``health-wallet/share-label/v1``). The content key is wrapped to the doctor's published
X25519 key in the grant, so only the doctor (and the patient) can read the label, and it
cannot be moved onto another grant.

Plaintext: compact JSON ``{"n": name, "c": [[category, count]…], "m": message}`` compressed
with zlib (RFC 1950), at most :data:`MAX_PLAINTEXT` bytes once compressed, so a token stays one
QR code. What does not fit is cut: the message first, then the smallest categories.
The text is the patient's and untrusted for the doctor: show it as plain text.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass

from .. import untrusted
from ..errors import InputRefused, ShareError
from ..vault import aead

__all__ = ["MAX_MESSAGE", "MAX_NAME", "PURPOSE", "ShareLabel", "open_label", "seal_label"]

PURPOSE = "share-label"
KEY_PURPOSE = "health-wallet/share-label/v1"
MAX_NAME = 60
MAX_MESSAGE = 140
MAX_PLAINTEXT = 200
"""Compressed plaintext bytes at most (the sealed label adds 35)."""

_MAX_INFLATED = 4096
_LIMITS = untrusted.Limits(max_bytes=_MAX_INFLATED, max_depth=4, max_items=32, max_number_chars=9)


def _line(text: str | None, most: int) -> str | None:
    if text is None:
        return None
    flat = " ".join(str(text).split())
    if not flat:
        return None
    return flat if len(flat) <= most else flat[: most - 1] + "…"


@dataclass(frozen=True)
class ShareLabel:
    """Whose records a share holds (``name``), what (``contents``: category → count, largest
    first) and the patient's optional ``message``; each text one line, cut to its limit."""

    name: str | None
    contents: tuple[tuple[str, int], ...] = ()
    message: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", _line(self.name, MAX_NAME))
        object.__setattr__(self, "message", _line(self.message, MAX_MESSAGE))
        contents = []
        for category, count in self.contents:
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise ShareError("A share label's counts are whole numbers.")
            text = _line(category, 40)
            if text:
                contents.append((text, count))
        object.__setattr__(self, "contents", tuple(sorted(contents, key=lambda c: (-c[1], c[0]))))

    @property
    def records(self) -> int:
        return sum(count for _category, count in self.contents)

    def describe(self) -> str:
        """``"3 Conditions, 12 Lab results"``: what a list shows."""
        return ", ".join(f"{count} {category}" for category, count in self.contents)

    def as_json(self) -> dict[str, object]:
        return {"name": self.name, "contents": dict(self.contents), "message": self.message}

    def _compressed(self) -> bytes:
        doc: dict[str, object] = {"n": self.name, "c": [list(c) for c in self.contents]}
        if self.message:
            doc["m"] = self.message
        return zlib.compress(json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode(), 9)

    def fitted(self) -> ShareLabel:
        """This label, cut until it fits :data:`MAX_PLAINTEXT` (message, then smallest categories)."""
        label = self
        while len(label._compressed()) > MAX_PLAINTEXT:
            if label.message:
                shorter = label.message[: len(label.message) // 2]
                label = ShareLabel(label.name, label.contents, shorter if len(shorter) > 8 else None)
            elif label.contents:
                label = ShareLabel(label.name, label.contents[:-1], None)
            else:
                label = ShareLabel((label.name or "")[:20] or None)
        return label


def _key(content_key: bytes) -> bytes:
    return aead.derive_key(content_key, KEY_PURPOSE)


def seal_label(label: ShareLabel, content_key: bytes, grant_id: bytes) -> bytes:
    """The label sealed for the share with ``content_key`` and grant ``grant_id``; cut to fit first."""
    return aead.seal(_key(content_key), label.fitted()._compressed(), purpose=PURPOSE, aad=bytes(grant_id))


def open_label(sealed: bytes, content_key: bytes, grant_id: bytes) -> ShareLabel:
    """The label; :class:`~wallet.errors.DecryptionError` if it is not this share's, :class:`ShareError`
    when it opens but is malformed (the input gate applies to its JSON)."""
    packed = aead.open_sealed(_key(content_key), sealed, purpose=PURPOSE, aad=bytes(grant_id))
    try:
        inflater = zlib.decompressobj()
        plain = inflater.decompress(packed, _MAX_INFLATED)
        if inflater.unconsumed_tail:
            raise ShareError("The share's label is too large.")
        doc = untrusted.loads(plain, what="The share's label", limits=_LIMITS)
    except zlib.error as exc:
        raise ShareError("The share's label is damaged.") from exc
    except InputRefused as exc:
        raise ShareError(exc.user_message) from exc
    if not isinstance(doc, dict):
        raise ShareError("The share's label is damaged.")
    name, contents, message = doc.get("n"), doc.get("c", []), doc.get("m")
    if (name is not None and not isinstance(name, str)) or (message is not None and not isinstance(message, str)) \
            or not isinstance(contents, list) \
            or not all(isinstance(c, list) and len(c) == 2 and isinstance(c[0], str) for c in contents):
        raise ShareError("The share's label is damaged.")
    return ShareLabel(name, tuple((c[0], c[1]) for c in contents), message)

