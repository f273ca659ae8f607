"""Strict decoders for what share code reads from outside: base64url and JSON.

Lenient decoders are a tampering channel: Python's ``urlsafe_b64decode`` drops
characters outside the alphabet, and the unused low bits of a segment's last
character can change without changing the bytes. Here a segment must use only the
base64url alphabet, carry no padding, and be the canonical encoding of its bytes, so
any changed character changes the decoded bytes or is refused.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from .. import untrusted
from ..errors import InputRefused, ShareError

__all__ = ["b64url_decode", "b64url_encode", "json_loads"]

_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(segment: str, *, what: str) -> bytes:
    """Decode unpadded base64url, refusing anything that is not its canonical form."""
    if not isinstance(segment, str) or not _B64URL.fullmatch(segment) or len(segment) % 4 == 1:
        raise ShareError(f"The {what} is not valid base64url.")
    data = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    if b64url_encode(data) != segment:
        raise ShareError(f"The {what} is not valid base64url (non-canonical encoding).")
    return data


def json_loads(data: bytes | str, *, what: str, limits: untrusted.Limits = untrusted.DEFAULT_LIMITS) -> Any:
    """JSON through the input gate (:func:`wallet.untrusted.loads`): refuses duplicate keys,
    NaN/Infinity, invalid UTF-8, and input beyond ``limits`` (size, depth, entries, digits,
    time). Raises :class:`ShareError` with the gate's one-line message."""
    try:
        return untrusted.loads(data, what=f"The {what}", limits=limits)  # decimals as Decimal
    except InputRefused as exc:
        raise ShareError(exc.user_message) from exc
