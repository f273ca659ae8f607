"""Share tokens: what a patient hands a doctor (as text or one QR code) to open a grant.

``hwshare:1:<base64url(JSON)>`` with the chain id, contract address, grant id and the
multiaddrs of the patient's IPFS node. It holds no key and no record: the wrapped key
is on chain, the ciphertext on IPFS, and only the doctor's wallet can unwrap the key.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass

from .. import untrusted
from ..chain.values import Address, GrantId
from ..errors import InputRefused, InvalidAddress, InvalidGrantId, ShareError

__all__ = ["ShareToken", "parse_token"]

PREFIX = "hwshare:1:"
MAX_PEERS = 4
"""Most IPFS provider addresses one token carries (it must fit in one QR code)."""

MAX_TOKEN_CHARS = 2048
"""Longest share token read, in characters; one this app writes is under 700."""

MAX_CHAIN_ID = 4503599627370476
"""Largest EVM chain id (EIP-2294: floor(MAX_UINT64 / 2) - 36), so a signature's ``v`` fits in 64 bits."""

TOKEN_LIMITS = untrusted.Limits(max_bytes=MAX_TOKEN_CHARS, max_depth=3, max_items=16, max_number_chars=20)
"""Input gate limits for a token's JSON: one object holding a short list of peers."""


@dataclass(frozen=True)
class ShareToken:
    chain_id: int
    contract: str
    grant_id: str
    peers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if (isinstance(self.chain_id, bool) or not isinstance(self.chain_id, int)
                or not 0 < self.chain_id <= MAX_CHAIN_ID):
            raise ShareError("The share token has an invalid chain id.")
        # The parts are checked by the one rule for each value; the message names the token.
        try:
            Address(self.contract)
        except InvalidAddress as exc:
            raise ShareError("The share token has an invalid contract address.") from exc
        if not self.grant_id.startswith("0x"):
            raise ShareError("The share token has an invalid grant id.")
        try:
            GrantId.parse(self.grant_id)
        except InvalidGrantId as exc:
            raise ShareError("The share token has an invalid grant id.") from exc
        if len(self.peers) > MAX_PEERS or not all(isinstance(p, str) and p.startswith("/") and len(p) < 512
                                                  for p in self.peers):
            raise ShareError("The share token has invalid peer addresses.")

    def encode(self) -> str:
        doc = {"c": self.chain_id, "a": self.contract, "g": self.grant_id}
        if self.peers:
            doc["p"] = list(self.peers)
        raw = json.dumps(doc, separators=(",", ":")).encode()
        return PREFIX + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def parse_token(text: str) -> ShareToken:
    """The token in ``text`` (surrounding whitespace ignored). The decoded JSON goes through
    the input gate (:mod:`wallet.untrusted`) with :data:`TOKEN_LIMITS`; the chain id must be
    a JSON integer within :data:`MAX_CHAIN_ID`, every other field a string. Raises
    :class:`ShareError` with one line."""
    if not isinstance(text, str):
        raise ShareError("A share token is text (hwshare:1:…).")
    text = text.strip()
    if len(text) > MAX_TOKEN_CHARS:
        raise ShareError(f"The share token is longer than {MAX_TOKEN_CHARS} characters; it is not one this app made.")
    if not text.startswith(PREFIX):
        raise ShareError("This is not a Health Wallet share token (it should start with 'hwshare:1:').")
    body = text[len(PREFIX):]
    if not re.fullmatch(r"[A-Za-z0-9_-]+", body) or len(body) % 4 == 1:
        raise ShareError("The share token is damaged (characters outside base64url).")
    try:
        doc = untrusted.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)), what="The share token",
                              limits=TOKEN_LIMITS)
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
