"""Share tokens: what a patient hands a doctor (as text or one QR code) to open a grant.

Version 1, ``hwshare:1:<base64url(JSON)>``: the chain id, contract address, grant id and
the multiaddrs of the patient's IPFS node. The grant is on chain; the token holds no key
and no record. Every wallet keeps opening these.

Version 2, ``hwshare:2:<base64url(bytes)>``: the same, plus the patient's EIP-712 signed
grant (so the grant need not be on chain yet: the doctor's wallet submits it on first
open), a small label sealed to the doctor (:mod:`wallet.share.label`), and ``delegates``,
the multiaddrs of pinning services' nodes that hold the ciphertext. The bytes, all
integers big-endian, every length checked and nothing left over::

    chain id (8) | contract (20) | grant id (32) | flags (1: 1 = signed grant, 2 = label)
    [signed]  expiresAt (8) | signature r‖s‖v (65) | len (1) wrapped key | len (1) CID (ASCII)
    [label]   len (2) sealed label
    peers     count (1), each len (1) multiaddr (ASCII)
    delegates count (1), each len (1) multiaddr (ASCII)

A token this app writes is at most :data:`MAX_TOKEN_LENGTH` (1,000) characters, one QR
code: :meth:`ShareToken.encode` leaves out addresses from the last until it fits, keeping
one of the patient's node and one delegate as long as it can (the signed grant and the label
always stay).
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field, replace

from .. import untrusted
from ..chain.values import Address, GrantId
from ..errors import InputRefused, InvalidAddress, InvalidGrantId, ShareError

__all__ = ["MAX_TOKEN_LENGTH", "ShareToken", "SignedGrantParts", "parse_token"]

PREFIX = "hwshare:1:"
PREFIX_V2 = "hwshare:2:"
MAX_PEERS = 4
"""Most IPFS provider addresses one token carries (it must fit in one QR code)."""

MAX_DELEGATES = 4
"""Most pinning-service node addresses one token carries."""

MAX_TOKEN_CHARS = 2048
"""Longest share token read, in characters."""

MAX_TOKEN_LENGTH = 1000
"""Longest share token this app writes: one QR code."""

MAX_CHAIN_ID = 4503599627370476
"""Largest EVM chain id (EIP-2294: floor(MAX_UINT64 / 2) - 36), so a signature's ``v`` fits in 64 bits."""

MAX_CID_CHARS = 100
MAX_LABEL_BYTES = 400
SIGNATURE_SIZE = 65
_FLAG_SIGNED, _FLAG_LABEL = 1, 2

TOKEN_LIMITS = untrusted.Limits(max_bytes=MAX_TOKEN_CHARS, max_depth=3, max_items=16, max_number_chars=20)
"""Input gate limits for a version 1 token's JSON: one object holding a short list of peers."""


@dataclass(frozen=True)
class SignedGrantParts:
    """The signed grant a version 2 token carries, as bytes (no Ethereum library needed to read it).

    ``expires_at`` is chain time (seconds), ``signature`` is r‖s‖v (65 bytes). The signer is
    recovered from the signature (:func:`wallet.chain.eip712.recover_signed_grant`)."""

    cid: str
    wrapped_key: bytes = field(repr=False)
    expires_at: int
    signature: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.cid, str) or not 0 < len(self.cid) <= MAX_CID_CHARS or not self.cid.isascii() \
                or not self.cid.isalnum():
            raise ShareError("The share token has an invalid content address (CID).")
        if not isinstance(self.wrapped_key, bytes) or not 0 < len(self.wrapped_key) < 256:
            raise ShareError("The share token has an invalid wrapped key.")
        if isinstance(self.expires_at, bool) or not isinstance(self.expires_at, int) \
                or not 0 < self.expires_at < 2**64:
            raise ShareError("The share token has an invalid expiry.")
        if not isinstance(self.signature, bytes) or len(self.signature) != SIGNATURE_SIZE:
            raise ShareError("The share token has an invalid signature.")


def _multiaddrs(values: tuple[str, ...], most: int, what: str) -> None:
    if len(values) > most or not all(isinstance(p, str) and p.startswith("/") and 1 < len(p) < 256 and p.isascii()
                                     for p in values):
        raise ShareError(f"The share token has invalid {what}.")


@dataclass(frozen=True)
class ShareToken:
    """A share token's contents. ``signed``, ``label`` or ``delegates`` make it version 2."""

    chain_id: int
    contract: str
    grant_id: str
    peers: tuple[str, ...] = ()
    signed: SignedGrantParts | None = None
    label: bytes | None = field(default=None, repr=False)
    delegates: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if (isinstance(self.chain_id, bool) or not isinstance(self.chain_id, int)
                or not 0 < self.chain_id <= MAX_CHAIN_ID):
            raise ShareError("The share token has an invalid chain id.")
        # The parts are checked by the one rule for each value; the message names the token.
        try:
            Address(self.contract)
        except InvalidAddress as exc:
            raise ShareError("The share token has an invalid contract address.") from exc
        if not isinstance(self.grant_id, str) or not self.grant_id.startswith("0x"):
            raise ShareError("The share token has an invalid grant id.")
        try:
            GrantId.parse(self.grant_id)
        except InvalidGrantId as exc:
            raise ShareError("The share token has an invalid grant id.") from exc
        object.__setattr__(self, "peers", tuple(self.peers))
        object.__setattr__(self, "delegates", tuple(self.delegates))
        _multiaddrs(self.peers, MAX_PEERS, "peer addresses")
        _multiaddrs(self.delegates, MAX_DELEGATES, "delegate addresses")
        if self.label is not None and (not isinstance(self.label, bytes) or not 0 < len(self.label) <= MAX_LABEL_BYTES):
            raise ShareError("The share token has an invalid label.")

    @property
    def version(self) -> int:
        return 2 if (self.signed is not None or self.label is not None or self.delegates) else 1

    def encode(self) -> str:
        """The token text: version 1 when it carries only what version 1 can, else version 2,
        at most :data:`MAX_TOKEN_LENGTH` characters: peers beyond the first, then delegates
        beyond the first, then those two are left out until it fits (:class:`ShareError` if
        even the signed grant and label do not)."""
        if self.version == 1:
            doc: dict[str, object] = {"c": self.chain_id, "a": self.contract, "g": self.grant_id}
            if self.peers:
                doc["p"] = list(self.peers)
            raw = json.dumps(doc, separators=(",", ":")).encode()
            return PREFIX + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        token = self
        while True:
            text = PREFIX_V2 + base64.urlsafe_b64encode(token._bytes()).rstrip(b"=").decode()
            if len(text) <= MAX_TOKEN_LENGTH:
                return text
            if len(token.peers) > 1:
                token = replace(token, peers=token.peers[:-1])
            elif len(token.delegates) > 1:
                token = replace(token, delegates=token.delegates[:-1])
            elif token.peers:
                token = replace(token, peers=())
            elif token.delegates:
                token = replace(token, delegates=())
            else:
                raise ShareError(f"The share token would be longer than {MAX_TOKEN_LENGTH} characters.")

    def fitted(self) -> ShareToken:
        """This token as :meth:`encode` writes it (with the addresses that fit)."""
        return parse_token(self.encode())

    def _bytes(self) -> bytes:
        out = bytearray(self.chain_id.to_bytes(8, "big"))
        out += Address(self.contract).raw + GrantId.parse(self.grant_id)
        out.append((_FLAG_SIGNED if self.signed else 0) | (_FLAG_LABEL if self.label is not None else 0))
        if self.signed is not None:
            s = self.signed
            out += s.expires_at.to_bytes(8, "big") + s.signature
            out += bytes([len(s.wrapped_key)]) + s.wrapped_key + bytes([len(s.cid)]) + s.cid.encode()
        if self.label is not None:
            out += len(self.label).to_bytes(2, "big") + self.label
        for addresses in (self.peers, self.delegates):
            out.append(len(addresses))
            for address in addresses:
                out += bytes([len(address)]) + address.encode()
        return bytes(out)


class _Reader:
    """Reads the version 2 layout; any short or malformed field is a damaged token."""

    def __init__(self, raw: bytes) -> None:
        self.raw, self.at = raw, 0

    def take(self, n: int) -> bytes:
        if self.at + n > len(self.raw):
            raise ShareError("The share token is damaged (it ends too soon).")
        part = self.raw[self.at:self.at + n]
        self.at += n
        return part

    def number(self, n: int) -> int:
        return int.from_bytes(self.take(n), "big")

    def ascii(self) -> str:
        try:
            return self.take(self.number(1)).decode("ascii")
        except UnicodeDecodeError as exc:
            raise ShareError("The share token is damaged (text outside ASCII).") from exc

    def addresses(self) -> tuple[str, ...]:
        return tuple(self.ascii() for _ in range(self.number(1)))


def _decode_body(body: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]+", body) or len(body) % 4 == 1:
        raise ShareError("The share token is damaged (characters outside base64url).")
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))


def _parse_v2(raw: bytes) -> ShareToken:
    reader = _Reader(raw)
    chain_id = reader.number(8)
    contract = "0x" + reader.take(20).hex()
    grant_id = "0x" + reader.take(32).hex()
    flags = reader.number(1)
    if flags & ~(_FLAG_SIGNED | _FLAG_LABEL):
        raise ShareError("The share token is of a newer kind than this app reads; update Health Wallet.")
    signed = None
    if flags & _FLAG_SIGNED:
        expires, signature = reader.number(8), reader.take(SIGNATURE_SIZE)
        wrapped = reader.take(reader.number(1))
        signed = SignedGrantParts(reader.ascii(), wrapped, expires, signature)
    label = reader.take(reader.number(2)) if flags & _FLAG_LABEL else None
    peers, delegates = reader.addresses(), reader.addresses()
    if reader.at != len(raw):
        raise ShareError("The share token is damaged (bytes after its end).")
    return ShareToken(chain_id, contract, grant_id, peers, signed, label, delegates)


def parse_token(text: str) -> ShareToken:
    """The token in ``text`` (surrounding whitespace ignored), version 1 or 2.

    A version 1 token's JSON goes through the input gate (:mod:`wallet.untrusted`) with
    :data:`TOKEN_LIMITS`; a version 2 token's bytes are read field by field with every
    length checked. Raises :class:`ShareError` with one line."""
    if not isinstance(text, str):
        raise ShareError("A share token is text (hwshare:…).")
    text = text.strip()
    if len(text) > MAX_TOKEN_CHARS:
        raise ShareError(f"The share token is longer than {MAX_TOKEN_CHARS} characters; it is not one this app made.")
    if text.startswith(PREFIX_V2):
        return _parse_v2(_decode_body(text[len(PREFIX_V2):]))
    if not text.startswith(PREFIX):
        if re.match(r"hwshare:\d+:", text):
            raise ShareError("This share token is of a newer version than this app reads; update Health Wallet.")
        raise ShareError("This is not a Health Wallet share token (it should start with 'hwshare:').")
    raw = _decode_body(text[len(PREFIX):])
    try:
        doc = untrusted.loads(raw, what="The share token", limits=TOKEN_LIMITS)
    except InputRefused as exc:
        raise ShareError(exc.user_message) from exc
    if not isinstance(doc, dict):
        raise ShareError("The share token is damaged.")
    chain_id, contract, grant, peers = doc.get("c"), doc.get("a"), doc.get("g"), doc.get("p", [])
    if isinstance(chain_id, bool) or not isinstance(chain_id, int) or not 0 < chain_id <= MAX_CHAIN_ID:
        raise ShareError("The share token has an invalid chain id.")
    if not isinstance(contract, str) or not isinstance(grant, str):
        raise ShareError("The share token is damaged.")
    if not isinstance(peers, list):
        raise ShareError("The share token has invalid peer addresses.")
    return ShareToken(chain_id, contract, grant, tuple(peers))
