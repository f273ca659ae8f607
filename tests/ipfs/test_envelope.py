"""The chunked envelope (wallet.vault.stream): round trips, and every tampering is DecryptionError."""

from __future__ import annotations

import io
import os
import struct

import pytest

from wallet.errors import Cancelled, DecryptionError
from wallet.events import CancelToken, Progress
from wallet.vault import aead, stream

KEY = bytes(range(32))
CHUNK = 1024  # the smallest chunk size, so small inputs span many chunks


def seal(data: bytes, **kw) -> bytes:
    kw.setdefault("purpose", "share")
    kw.setdefault("chunk_size", CHUNK)
    out = io.BytesIO()
    stream.seal_stream(kw.pop("key", KEY), data, out, **kw)
    return out.getvalue()


def header_len(purpose: str = "share") -> int:
    return 12 + len(purpose) + 32 + 7


def chunks(blob: bytes, purpose: str = "share") -> tuple[bytes, list[bytes]]:
    h = header_len(purpose)
    body = blob[h:]
    size = CHUNK + 16
    return blob[:h], [body[i : i + size] for i in range(0, len(body), size)]


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 5 * CHUNK, 300_000])
@pytest.mark.parametrize("compress", [True, False])
def test_round_trip_across_chunk_boundaries(size: int, compress: bool) -> None:
    data = os.urandom(size // 2) + b"A" * (size - size // 2)
    blob = seal(data, compress=compress, aad=b"grant-7")
    assert stream.open_bytes(KEY, blob, purpose="share", aad=b"grant-7") == data
    sink = io.BytesIO()
    assert stream.open_stream(KEY, io.BytesIO(blob), sink, purpose="share", aad=b"grant-7") == size
    assert sink.getvalue() == data


def test_from_and_to_files(tmp_path) -> None:
    data = b'{"resourceType": "Bundle", "entry": []}' * 5000
    src = tmp_path / "bundle.json"
    src.write_bytes(data)
    sealed = tmp_path / "bundle.sealed"
    with src.open("rb") as fin, sealed.open("wb") as fout:
        written = stream.seal_stream(KEY, fin, fout, purpose="share")
    assert written == sealed.stat().st_size
    assert written < len(data) // 10  # FHIR JSON compresses well
    assert data not in sealed.read_bytes()
    with sealed.open("rb") as fin:
        out = io.BytesIO()
        stream.open_stream(KEY, fin, out, purpose="share")
    assert out.getvalue() == data


def test_header_layout_is_versioned_and_documented() -> None:
    blob = seal(b"x", purpose="share")
    magic, version, alg, compression, chunk, plen = struct.unpack(">4sBBBIB", blob[:12])
    assert (magic, version, alg, compression, chunk, plen) == (b"HWSE", 1, 1, 1, CHUNK, 5)
    assert blob[12:17] == b"share"
    # two seals of the same input differ (fresh salt and nonce prefix)
    assert seal(b"x") != seal(b"x")


def test_every_byte_flip_fails() -> None:
    data = os.urandom(3 * CHUNK + 100)
    blob = seal(data, compress=False, aad=b"a")
    for i in range(len(blob)):
        bad = bytearray(blob)
        bad[i] ^= 0x80
        with pytest.raises(DecryptionError):
            stream.open_bytes(KEY, bytes(bad), purpose="share", aad=b"a")


def test_truncation_reordering_and_trailing_data_fail() -> None:
    blob = seal(os.urandom(4 * CHUNK + 10), compress=False)
    head, parts = chunks(blob)
    assert len(parts) == 5
    variants = {
        "drop last chunk": head + b"".join(parts[:-1]),
        "drop middle chunk": head + b"".join(parts[:2] + parts[3:]),
        "swap two chunks": head + b"".join([parts[1], parts[0], *parts[2:]]),
        "repeat a chunk": head + b"".join(parts[:2] + parts[1:]),
        "trailing bytes": blob + b"\0",
        "trailing chunk": blob + parts[-1],
        "cut inside a chunk": blob[:-5],
        "header only": head,
        "empty": b"",
    }
    for name, bad in variants.items():
        with pytest.raises(DecryptionError):
            stream.open_bytes(KEY, bad, purpose="share")
        assert name


def test_exact_multiple_of_chunk_size_detects_dropped_final_chunk() -> None:
    blob = seal(os.urandom(3 * CHUNK), compress=False)
    head, parts = chunks(blob)
    assert [len(p) for p in parts] == [CHUNK + 16] * 3
    with pytest.raises(DecryptionError):
        stream.open_bytes(KEY, head + b"".join(parts[:2]), purpose="share")


@pytest.mark.parametrize(
    "change",
    [{"purpose": "backup"}, {"aad": b"other"}, {"key": b"\1" * 32}, {"key": b"short"}],
)
def test_wrong_context_fails(change: dict) -> None:
    blob = seal(b"glucose 6.3 mmol/l", aad=b"grant-1")
    args = {"key": KEY, "purpose": "share", "aad": b"grant-1"} | change
    with pytest.raises(DecryptionError):
        stream.open_bytes(args["key"], blob, purpose=args["purpose"], aad=args["aad"])


def test_not_interchangeable_with_single_shot_seal() -> None:
    single = aead.seal(KEY, b"x", purpose="share")
    with pytest.raises(DecryptionError):
        stream.open_bytes(KEY, single, purpose="share")


def test_decompression_bomb_is_stopped_at_the_limit() -> None:
    bomb = seal(b"\0" * (64 * 1024 * 1024), chunk_size=stream.DEFAULT_CHUNK_SIZE)
    assert len(bomb) < 400_000  # over 150:1
    sink = io.BytesIO()
    with pytest.raises(DecryptionError) as err:
        stream.open_stream(KEY, bomb, sink, purpose="share", max_plaintext=1024 * 1024)
    assert "larger than" in err.value.user_message
    assert len(sink.getvalue()) <= 2 * 1024 * 1024  # stopped early, not after inflating 64 MB


def test_authenticated_content_that_is_not_zlib_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    # A sender holding the key seals bytes that claim compression but are not a zlib stream.
    class NoDeflate:
        def compress(self, data: bytes) -> bytes:
            return bytes(data)

        def flush(self) -> bytes:
            return b""

    monkeypatch.setattr(stream.zlib, "compressobj", lambda *a: NoDeflate())
    blob = seal(b"not zlib at all" * 10)
    monkeypatch.undo()
    assert blob[6] == 1
    with pytest.raises(DecryptionError):
        stream.open_bytes(KEY, blob, purpose="share")


def test_header_claims_are_authenticated() -> None:
    blob = bytearray(seal(b"plain" * 10, compress=False))
    blob[6] = 1  # now claims zlib
    with pytest.raises(DecryptionError):
        stream.open_bytes(KEY, bytes(blob), purpose="share")


def test_progress_and_cancel() -> None:
    seen: list[Progress] = []
    data = os.urandom(3 * 1024 * 1024)
    stream.seal_stream(KEY, data, io.BytesIO(), purpose="share", progress=seen.append)
    assert seen[-1].done == seen[-1].total == len(data)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        stream.seal_stream(KEY, data, io.BytesIO(), purpose="share", cancel=token)


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError):
        seal(b"x", chunk_size=10)
    with pytest.raises(ValueError):
        seal(b"x", purpose="")
    with pytest.raises(ValueError):
        seal(b"x", key=b"k" * 16)
