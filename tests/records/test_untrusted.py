"""The input gate: every limit fires before a parser sees the data, with one typed line."""

from __future__ import annotations

import os
import socket
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from wallet import untrusted
from wallet.errors import (
    InputNotJson,
    InputRefused,
    InputTooDeep,
    InputTooLarge,
    InputTooSlow,
    InputUnreadable,
    WalletError,
)
from wallet.untrusted import Limits

DEEP = FIXTURES / "realworld" / "deep-nesting"


def one_line(exc: WalletError) -> str:
    message = exc.user_message
    assert message and len(message.splitlines()) == 1 and "Traceback" not in message
    return message


def test_decimals_keep_their_precision() -> None:
    doc = untrusted.loads(b'{"value": 5.10, "low": 3.90, "n": 7, "big": 1234567890.1234567890123456}', what="x")
    assert doc == {"value": Decimal("5.10"), "low": Decimal("3.90"), "n": 7,
                   "big": Decimal("1234567890.1234567890123456")}
    assert str(doc["value"]) == "5.10" and isinstance(doc["n"], int)
    assert untrusted.loads("[1.5]", what="x", parse_float=float) == [1.5]


@pytest.mark.parametrize("depth, ok", [(untrusted.MAX_DEPTH, True), (untrusted.MAX_DEPTH + 1, False), (100_000, False)])
def test_depth_is_checked_before_parsing(depth: int, ok: bool) -> None:
    text = "[" * depth + "]" * depth
    if ok:
        assert untrusted.loads(text, what="deep.json") == _nested(depth)
    else:
        with pytest.raises(InputTooDeep) as info:
            untrusted.loads(text, what="deep.json")
        assert one_line(info.value).startswith("deep.json is nested deeper than 64 levels")


def _nested(depth: int) -> list:
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


def test_brackets_inside_strings_are_not_nesting() -> None:
    text = '{"div": "' + "[{" * 10_000 + '\\"]"}'
    assert untrusted.loads(text, what="x")["div"].startswith("[{[{")


@pytest.mark.parametrize("name", ["patient-nested-ext-150.json", "patient-nested-ext-300.json",
                                  "patient-nested-ext-500.json"])
def test_realworld_deep_nesting_is_refused(name: str) -> None:
    with pytest.raises(InputTooDeep, match=name):
        untrusted.loads(untrusted.read_bytes(DEEP / name), what=name, limits=untrusted.KEEP_LIMITS)


def test_keep_limits_leave_room_for_the_bundle_a_share_wraps() -> None:
    record_depth = untrusted.KEEP_LIMITS.max_depth
    in_share = record_depth + 3  # Bundle{ entry[ { resource{ ... } } ] }
    assert in_share <= untrusted.DEFAULT_LIMITS.max_depth


def test_entries_numbers_and_size() -> None:
    small = Limits(max_items=3, max_bytes=100, max_number_chars=5, max_exponent=10)
    assert untrusted.loads("[1,2,3]", what="x", limits=small) == [1, 2, 3]
    with pytest.raises(InputTooLarge, match="array of more than 3 entries"):
        untrusted.loads("[1,2,3,4]", what="x", limits=small)
    with pytest.raises(InputTooLarge, match="object of more than 3 entries"):
        untrusted.loads('{"a":1,"b":2,"c":3,"d":4}', what="x", limits=small)
    with pytest.raises(InputTooLarge, match="number of more than 5"):
        untrusted.loads("[123456]", what="x", limits=small)
    with pytest.raises(InputTooLarge, match="exponent"):
        untrusted.loads("[1e11]", what="x", limits=small)
    with pytest.raises(InputTooLarge, match="larger than"):
        untrusted.loads(b"[" + b" " * 200 + b"]", what="x", limits=small)
    huge = (FIXTURES / "invalid" / "fhir-huge-number.json").read_bytes()
    with pytest.raises(InputTooLarge, match="number of more than 64 characters"):
        untrusted.loads(huge, what="fhir-huge-number.json")


def test_time_budget() -> None:
    text = "[" + ",".join(["1"] * 50_000) + "]"
    with pytest.raises(InputTooSlow, match="took longer than"):
        untrusted.loads(text, what="x", limits=Limits(max_seconds=1e-9))


@pytest.mark.parametrize("text, fragment", [
    ('{"id": 1, "id": 2}', "duplicate property 'id'"),
    ('{"v": NaN}', "NaN is not a JSON number"),
    ('{"v": -Infinity}', "Infinity is not a JSON number"),
    ('{"v": 1', "delimiter at column 8."),  # one line (an NDJSON line): its column alone
    ('{\n"v": 1', "delimiter at line 2 column 7."),
    ('{"v": "a\tb"}', "Invalid control character at column 9."),  # json's message ends in "at"; said once
    ("   ", "is empty"),
    ('{"a": 1}]]]]', "Extra data"),
    (']]]][[[[', "Expecting value"),
])
def test_not_json(text: str, fragment: str) -> None:
    with pytest.raises(InputNotJson) as info:
        untrusted.loads(text, what="x")
    assert fragment in one_line(info.value)


def test_encoding() -> None:
    assert untrusted.loads(b"\xef\xbb\xbf{}", what="x") == {}
    with pytest.raises(InputNotJson, match="not UTF-8 text"):
        untrusted.loads(b'{"a": "\xff"}', what="x")


# --- files --------------------------------------------------------------------------


def test_read_regular_file(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_bytes(b"12345")
    assert untrusted.read_bytes(path) == b"12345"
    assert untrusted.read_bytes(path, max_bytes=5) == b"12345"
    with pytest.raises(InputTooLarge, match="larger than"):
        untrusted.read_bytes(path, max_bytes=4)


def test_read_never_takes_more_than_the_limit_plus_one() -> None:
    # /proc files say they are empty (st_size 0) and still yield bytes: only the read bounds them.
    path = Path("/proc/self/maps")
    assert path.stat().st_size == 0
    with pytest.raises(InputTooLarge):
        untrusted.read_bytes(path, max_bytes=10)


def test_devices_fifos_sockets_and_folders_are_refused_before_opening(tmp_path: Path) -> None:
    with pytest.raises(InputUnreadable, match="not a regular file"):
        untrusted.read_bytes("/dev/zero")
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)  # no writer: opening it for reading would block forever
    with pytest.raises(InputUnreadable, match="not a regular file"):
        untrusted.read_bytes(fifo)
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(tmp_path / "s.sock"))
        with pytest.raises(InputUnreadable, match="not a regular file"):
            untrusted.read_bytes(tmp_path / "s.sock")
    with pytest.raises(InputUnreadable, match="is a folder"):
        untrusted.read_bytes(tmp_path)
    with pytest.raises(InputUnreadable, match="does not exist"):
        untrusted.read_bytes(tmp_path / "missing.json")


def test_every_gate_error_is_a_wallet_error() -> None:
    for cls in (InputTooLarge, InputTooDeep, InputTooSlow, InputNotJson, InputUnreadable):
        assert issubclass(cls, InputRefused) and issubclass(cls, WalletError)


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError, match="max_depth"):
        Limits(max_depth=0)
    with pytest.raises(ValueError, match="max_seconds"):
        Limits(max_seconds=-1)


def test_unterminated_strings_scan_in_linear_time() -> None:
    """A string left open with many escaped quotes: a scanner that needed the closing quote
    would rescan the tail from every quote (minutes at this size)."""
    text = '["a' + '\\"' * 200_000
    with pytest.raises(InputNotJson, match="Unterminated string"):
        untrusted.loads(text, what="x")
