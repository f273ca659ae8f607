"""Finding a wallet's per-grant keys again after a restore (the gap rule).

Grant key ``i`` lives at ``m/44'/60'/18519'/0/i`` (:func:`wallet.vault.keys.grant_key_path`);
the wallet uses them in order, one per grant. A wallet restored from its phrase
derives keys 0, 1, 2… and asks the chain whether each address appears as a patient
(a ``Granted`` or ``Revoked`` event). It stops after :data:`GAP_LIMIT` unused
addresses in a row, as BIP-44 account discovery does (BIP-44 §"Address gap limit").
A grant that was signed but never submitted leaves nothing on chain, so a scan cannot
see it; the next key after the last one found is used for the next grant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["GAP_LIMIT", "GrantKeyScan", "scan_grant_keys", "scan_grant_keys_batched"]

GAP_LIMIT = 20


@dataclass(frozen=True)
class GrantKeyScan:
    """Which grant key indices the chain knows, and the index for the next grant."""

    used: tuple[int, ...]
    next_index: int

    def __post_init__(self) -> None:
        if any(i < 0 for i in self.used) or self.next_index < 0:
            raise ValueError("grant key indices are non-negative")
        if self.used and self.next_index <= max(self.used):
            raise ValueError("the next index comes after every used one")


def scan_grant_keys(address_at: Callable[[int], str], used: Callable[[str], bool], *,
                    gap: int = GAP_LIMIT, start: int = 0) -> GrantKeyScan:
    """Indices from ``start`` whose address ``used`` says the chain has seen, up to ``gap``
    unused ones in a row. ``address_at(i)`` is the address of grant key ``i``."""
    if gap < 1:
        raise ValueError("the gap limit is at least 1")
    found: list[int] = []
    index, misses = start, 0
    while misses < gap:
        if used(address_at(index)):
            found.append(index)
            misses = 0
        else:
            misses += 1
        index += 1
    return GrantKeyScan(tuple(found), (found[-1] + 1) if found else start)


def scan_grant_keys_batched(address_at: Callable[[int], str], used_among: Callable[[list[str]], set[str]], *,
                            gap: int = GAP_LIMIT, start: int = 0) -> GrantKeyScan:
    """The same rule as :func:`scan_grant_keys`, asking about ``gap`` addresses at a time:
    ``used_among(addresses)`` returns those the chain has seen (one log query each round).
    The scan ends at the first window of ``gap`` addresses after the last used one with none used."""
    if gap < 1:
        raise ValueError("the gap limit is at least 1")
    found: list[int] = []
    index = start
    while True:
        window = {address_at(i): i for i in range(index, index + gap)}
        hits = sorted(window[a] for a in used_among(list(window)) if a in window)
        if not hits:
            break
        found.extend(hits)
        index = hits[-1] + 1
    return GrantKeyScan(tuple(found), (found[-1] + 1) if found else start)
