"""The chain's domain values, each parsed by one rule with one message: addresses and grant ids.

An :class:`Address` is a ``str`` and a :class:`GrantId` is ``bytes``, validated when built,
so they travel unchanged into JSON output, ABI calls and equality checks with plain
values; building one from anything malformed raises :class:`~wallet.errors.InvalidAddress`
or :class:`~wallet.errors.InvalidGrantId` (both also ``ValueError``), whose user message
says what a well-formed value looks like.

This module imports no Ethereum library (EIP-55 comes from :mod:`wallet.vault.bip32`), so the
GUI can check what the user types without loading the chain stack.
"""

from __future__ import annotations

import functools
import os

from ..errors import InvalidAddress, InvalidGrantId, quoted
from ..vault.bip32 import eip55

__all__ = ["Address", "GrantId"]

_HEX = frozenset("0123456789abcdefABCDEF")


class Address(str):
    """An EVM account address in EIP-55 checksum form (``0x`` + 40 hex digits).

    ``Address(text)`` accepts any case and surrounding spaces; a mixed-case ``text``
    must match its EIP-55 checksum (a mixed-case address with one mistyped letter is
    refused rather than silently "corrected"). Raises :class:`InvalidAddress`.
    """

    __slots__ = ()
    MESSAGE = "{} is not a wallet address (0x followed by 40 hex digits)."
    CHECKSUM_MESSAGE = "{} is not a wallet address: its capitals do not match its checksum (a mistyped letter?)."

    def __new__(cls, text: str) -> Address:
        if isinstance(text, Address):
            return text
        return super().__new__(cls, _eip55(text))

    @classmethod
    def parse(cls, text: str) -> Address:
        """The address a user or a file gave; raises :class:`InvalidAddress` with the one message."""
        return cls(text)

    @classmethod
    def from_bytes(cls, raw: bytes) -> Address:
        """The address of 20 raw bytes (as in a grant id or an ABI word)."""
        if len(raw) != 20:
            raise InvalidAddress(cls.MESSAGE.format(quoted(raw)))
        return cls("0x" + bytes(raw).hex())

    @property
    def raw(self) -> bytes:
        """The 20 bytes of the address."""
        return bytes.fromhex(self[2:])


def _eip55(text: object) -> str:
    if not isinstance(text, str):
        raise InvalidAddress(Address.MESSAGE.format(quoted(text)))
    return _eip55_text(str(text))


@functools.lru_cache(maxsize=1024)
def _eip55_text(text: str) -> str:
    """:func:`_eip55` of a string, kept: an open meets the same few addresses (the contract,
    the doctor, the patient) a dozen times, and each checksum is a Keccak-256 in Python."""
    value = text.strip()
    body = value[2:]
    if not value.startswith(("0x", "0X")) or len(body) != 40 or not _HEX.issuperset(body):
        raise InvalidAddress(Address.MESSAGE.format(quoted(text)))
    result = eip55(body.lower())
    if body not in (body.lower(), body.upper()) and body != result[2:]:
        raise InvalidAddress(Address.CHECKSUM_MESSAGE.format(quoted(text)))
    return result


class GrantId(bytes):
    """A grant id: 32 bytes, the grantee's address in the high 20 and 12 random bytes below.

    The contract checks ``recordAccess`` callers against the id itself (see
    ``contracts/HealthGrants.sol``). Its text form is ``0x`` + 64 hex digits
    (:attr:`hex_id`, also ``str(grant_id)``). Raises :class:`InvalidGrantId`.
    """

    __slots__ = ()
    SIZE = 32
    RANDOM_SIZE = 12
    MESSAGE = "{} is not a grant id (0x followed by 64 hex digits)."

    def __new__(cls, raw: bytes) -> GrantId:
        if isinstance(raw, GrantId):
            return raw
        if not isinstance(raw, (bytes, bytearray)) or len(raw) != cls.SIZE or not any(raw[:20]):
            raise InvalidGrantId(cls.MESSAGE.format(quoted(raw.hex() if isinstance(raw, (bytes, bytearray)) else raw)))
        return super().__new__(cls, raw)

    @classmethod
    def parse(cls, text: str) -> GrantId:
        """A grant id from its hex form, with or without ``0x``, any case; the one message otherwise."""
        raw = text.strip().lower() if isinstance(text, str) else ""
        if raw.startswith("0x"):
            raw = raw[2:]
        if len(raw) != 2 * cls.SIZE or not _HEX.issuperset(raw):
            raise InvalidGrantId(cls.MESSAGE.format(quoted(text)))
        return cls(bytes.fromhex(raw))

    @classmethod
    def new(cls, grantee: str) -> GrantId:
        """A fresh grant id addressed to ``grantee``: its address, then 96 random bits."""
        return cls(Address(grantee).raw + os.urandom(cls.RANDOM_SIZE))

    @property
    def grantee(self) -> Address:
        """The address this grant id is addressed to."""
        return Address.from_bytes(self[:20])

    @property
    def hex_id(self) -> str:
        return "0x" + self.hex()

    def __str__(self) -> str:
        return self.hex_id
