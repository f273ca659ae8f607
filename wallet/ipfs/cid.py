"""Content identifiers: a CID is checked when it is built, so a live ``Cid`` is well formed.

Accepted: CIDv0 (base58btc ``Qm…``, a SHA-256 multihash of a dag-pb node) and CIDv1
in base32 (``b…``, Kubo's default text form), base58btc (``z…``) or base16 (``f…``).
The check is structural (multibase, varints, multihash length); whether any node holds
the content is for the network to say.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from ..errors import InvalidCid, quoted

__all__ = ["Cid"]

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}
_MAX_TEXT = 200
_SHA2_256 = 0x12
_DAG_PB = 0x70


def _b58decode(text: str) -> bytes:
    n = 0
    for ch in text:
        n = n * 58 + _B58_INDEX[ch]  # KeyError on a character outside the alphabet
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    zeros = len(text) - len(text.lstrip("1"))
    return b"\0" * zeros + body


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    for i in range(pos, min(len(data), pos + 9)):
        byte = data[i]
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, i + 1
        shift += 7
    raise ValueError("bad varint")


def _check_multihash(data: bytes, pos: int) -> None:
    _code, pos = _varint(data, pos)
    length, pos = _varint(data, pos)
    if length == 0 or len(data) - pos != length:
        raise ValueError("multihash length does not match its digest")


def _decode(text: str) -> tuple[int, bytes]:
    if len(text) == 46 and text.startswith("Qm"):
        raw = _b58decode(text)
        if len(raw) != 34 or raw[0] != _SHA2_256 or raw[1] != 32:
            raise ValueError("not a CIDv0")
        return 0, raw
    prefix, body = text[:1], text[1:]
    if prefix == "b":
        if body != body.lower():
            raise ValueError("base32 CIDs are lower case")
        raw = base64.b32decode(body.upper() + "=" * (-len(body) % 8))
    elif prefix == "z":
        raw = _b58decode(body)
    elif prefix == "f":
        raw = bytes.fromhex(body)
    else:
        raise ValueError("unknown multibase")
    version, pos = _varint(raw, 0)
    if version != 1:
        raise ValueError("unsupported CID version")
    _codec, pos = _varint(raw, pos)
    _check_multihash(raw, pos)
    return 1, raw


@dataclass(frozen=True)
class Cid:
    """An IPFS content identifier in its text form, e.g. ``Qm…`` or ``bafy…``.

    Built only valid: anything else raises :class:`~wallet.errors.InvalidCid` (also a
    ``ValueError``) with the one message :attr:`MESSAGE`.
    """

    value: str
    MESSAGE = "{} is not an IPFS CID."

    def __post_init__(self) -> None:
        text = self.value
        if not isinstance(text, str) or not text or len(text) > _MAX_TEXT or text != text.strip():
            raise InvalidCid(self.MESSAGE.format(quoted(text)))
        try:
            _decode(text)
        except (ValueError, KeyError, IndexError) as exc:
            raise InvalidCid(self.MESSAGE.format(quoted(text))) from exc

    @property
    def version(self) -> int:
        return _decode(self.value)[0]

    @classmethod
    def parse(cls, text: str) -> Cid:
        """Build from user or network input; strips ``ipfs://`` and ``/ipfs/`` prefixes."""
        if not isinstance(text, str):
            raise InvalidCid(cls.MESSAGE.format(quoted(text)))
        text = text.strip()
        for prefix in ("ipfs://", "/ipfs/"):
            if text.startswith(prefix):
                text = text[len(prefix) :]
        return cls(text.rstrip("/"))

    def __str__(self) -> str:
        return self.value
