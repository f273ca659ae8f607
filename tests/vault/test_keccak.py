"""The plain-Python Keccak-256 against the published empty-input digest and pycryptodome's
C implementation, across block boundaries (136-byte rate)."""

from __future__ import annotations

import random

import pytest
from Crypto.Hash import keccak as c_keccak

from wallet.vault.keccak import keccak256


def reference(data: bytes) -> bytes:
    return c_keccak.new(digest_bits=256, data=data).digest()


def test_published_vectors() -> None:
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    # the Solidity selector everyone knows: transfer(address,uint256) -> a9059cbb
    assert keccak256(b"transfer(address,uint256)")[:4].hex() == "a9059cbb"


@pytest.mark.parametrize("length", [1, 55, 64, 134, 135, 136, 137, 271, 272, 273, 1000])
def test_matches_c_implementation_at_block_edges(length: int) -> None:
    data = random.Random(length).randbytes(length)
    assert keccak256(data) == reference(data)


def test_matches_c_implementation_on_every_short_length() -> None:
    rng = random.Random(7)
    for length in range(0, 300):
        data = rng.randbytes(length)
        assert keccak256(data) == reference(data), length


def test_is_not_nist_sha3() -> None:
    import hashlib

    assert keccak256(b"abc") != hashlib.sha3_256(b"abc").digest()
