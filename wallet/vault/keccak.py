"""Keccak-256 (the original Keccak padding Ethereum uses, not NIST SHA3-256) in plain Python.

Only what opening a wallet needs goes through it: the address of the wallet's key and
the EIP-55 checksum of an address, one or two 136-byte blocks each, well under a
millisecond. The C implementations (``pycryptodome``, ``eth_hash``) load through cffi
and its C parser, which costs more at start-up than every hash the app computes before
it signs. Tests compare it with ``pycryptodome`` on inputs of every length up to
several blocks.
"""

from __future__ import annotations

__all__ = ["keccak256"]

_RATE = 136  # bytes: 1600 - 2 * 256 bits
_MASK = (1 << 64) - 1

_ROUND_CONSTANTS = (
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
)


def _rho_pi() -> tuple[tuple[int, int, int], ...]:
    """(source lane, destination lane, rotation) for the ρ and π steps, lane = x + 5y."""
    steps = [(1, 1, 0)]  # lane (0,0) is neither moved nor rotated
    x, y = 1, 0
    for t in range(24):
        rotation = ((t + 1) * (t + 2) // 2) % 64
        steps.append((x + 5 * y, y + 5 * ((2 * x + 3 * y) % 5), rotation))
        x, y = y, (2 * x + 3 * y) % 5
    return tuple(steps[1:])


_RHO_PI = _rho_pi()


def _permute(lanes: list[int]) -> None:
    """Keccak-f[1600] on 25 little-endian 64-bit lanes, in place."""
    moved = [0] * 25
    for constant in _ROUND_CONSTANTS:
        # θ
        c = [lanes[x] ^ lanes[x + 5] ^ lanes[x + 10] ^ lanes[x + 15] ^ lanes[x + 20] for x in range(5)]
        for x in range(5):
            d = c[(x - 1) % 5] ^ (((c[(x + 1) % 5] << 1) | (c[(x + 1) % 5] >> 63)) & _MASK)
            for y in range(0, 25, 5):
                lanes[x + y] ^= d
        # ρ and π
        moved[0] = lanes[0]
        for source, target, r in _RHO_PI:
            v = lanes[source]
            moved[target] = ((v << r) | (v >> (64 - r))) & _MASK if r else v
        # χ
        for y in range(0, 25, 5):
            row = moved[y:y + 5]
            for x in range(5):
                lanes[x + y] = row[x] ^ (~row[(x + 1) % 5] & row[(x + 2) % 5])
        # ι
        lanes[0] ^= constant


def keccak256(data: bytes) -> bytes:
    """The 32-byte Keccak-256 digest of ``data``."""
    padded = bytearray(data)
    padded.append(0x01)
    padded.extend(b"\x00" * (-len(padded) % _RATE))
    padded[-1] |= 0x80
    lanes = [0] * 25
    for start in range(0, len(padded), _RATE):
        block = padded[start:start + _RATE]
        for i in range(_RATE // 8):
            lanes[i] ^= int.from_bytes(block[8 * i:8 * i + 8], "little")
        _permute(lanes)
    return b"".join(lane.to_bytes(8, "little") for lane in lanes[:4])
