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

from ..chain.values import Address, GrantId
from ..errors import InvalidAddress, InvalidGrantId, ShareError

__all__ = ["ShareToken", "parse_token"]

PREFIX = "hwshare:1:"
MAX_PEERS = 4


@dataclass(frozen=True)
class ShareToken:
    chain_id: int
    contract: str
    grant_id: str
    peers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.chain_id, int) or self.chain_id <= 0:
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
        if len(self.peers) > MAX_PEERS or not all(isinstance(p, str) and p.startswith("/") for p in self.peers):
            raise ShareError("The share token has invalid peer addresses.")

    def encode(self) -> str:
        doc = {"c": self.chain_id, "a": self.contract, "g": self.grant_id}
        if self.peers:
            doc["p"] = list(self.peers)
        raw = json.dumps(doc, separators=(",", ":")).encode()
        return PREFIX + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def parse_token(text: str) -> ShareToken:
    text = text.strip()
    if not text.startswith(PREFIX):
        raise ShareError("This is not a Health Wallet share token (it should start with 'hwshare:1:').")
    body = text[len(PREFIX):]
    if not re.fullmatch(r"[A-Za-z0-9_-]+", body):
        raise ShareError("The share token is damaged (characters outside base64url).")
    try:
        doc = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        return ShareToken(int(doc["c"]), str(doc["a"]), str(doc["g"]), tuple(doc.get("p", ())))
    except ShareError:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise ShareError("The share token is damaged.") from exc
