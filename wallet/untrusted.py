"""The one gate for data from outside the wallet: bounded reads and bounded JSON.

Every path that reads what someone else made goes through here: imported files
(FHIR JSON, NDJSON, ``.smart-health-card``, ``shc:/`` text), a share the doctor's
wallet opens, share tokens, a backup being restored, export folders and card files
being verified, key sets and revocation lists named on the command line, and the
wallet's own ``keystore.json`` (which may be damaged).

Why a gate before the parser: Python's ``json`` and the recursive validators after
it (pydantic, ``fhir.resources``) recurse once per nesting level, so a few kilobytes
of ``[[[[…`` or 500 nested extensions exhaust the C stack and kill the process
(a segmentation fault, not an exception). :func:`scan` walks the raw text
*iteratively*, skipping string contents, and refuses input that is too big, too
deep, holds too many entries in one array or object, carries numbers with too many
digits, or takes too long, before :func:`loads` hands it to ``json``.

:func:`loads` then parses strictly (RFC 8259): UTF-8 only (a leading byte order
mark is dropped, RFC 8259 §8.1), no duplicate member names (FHIR R4 JSON §2.6.2),
no ``NaN``/``Infinity``, and by default every number with a fraction or exponent
becomes a :class:`decimal.Decimal`, so a FHIR ``decimal`` keeps its precision
(FHIR R4 Datatypes §2.24.0.1: ``5.10`` is not ``5.1``).

Each limit is a named constant; exceeding one raises a subclass of
:class:`~wallet.errors.InputRefused` with a one-line message that names the input.
This module imports nothing from ``wallet`` but the error tree.
"""

from __future__ import annotations

import json
import os
import re
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from itertools import accumulate, repeat
from typing import Any

from .errors import (
    InputNotJson,
    InputTooDeep,
    InputTooLarge,
    InputTooSlow,
    InputUnreadable,
)

__all__ = [
    "DEFAULT_LIMITS",
    "KEEP_LIMITS",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_ITEMS",
    "MAX_METADATA_BYTES",
    "MAX_NUMBER_CHARS",
    "MAX_SECONDS",
    "WRAP_DEPTH",
    "Limits",
    "check_count",
    "decode_utf8",
    "loads",
    "read_bytes",
    "read_lines",
    "scan",
    "size_text",
]

MAX_BYTES = 200 * 1024 * 1024
"""Largest input read or parsed, in bytes (200 MiB). A Synthea patient of 20 years is
about 10 MB and a Bulk Data export of one patient a few MB; beyond this, reading
would exhaust memory long before it helped anyone. Reads never take more than this + 1."""

MAX_METADATA_BYTES = 1024 * 1024
"""Largest small document read from outside, in bytes (1 MiB): a key store, an issuer's
key set or revocation list, a share token. Real ones are a few kilobytes."""

MAX_DEPTH = 64
"""Deepest nesting of JSON arrays and objects, counting the outermost as 1. The deepest
FHIR R4 structures in real use (a Bundle holding a Questionnaire with nested items, or
extensions inside extensions) stay far below 30; the JSON and FHIR libraries recurse
once per level and crash the process (not an exception) in the hundreds."""

WRAP_DEPTH = 8
"""Levels kept free when the wallet takes a record in to keep: a share, a backup and a
signed export wrap each record in a Bundle (``Bundle.entry[].resource``: 3 levels), so
a record accepted at import can always travel and be opened by the other side."""

MAX_ITEMS = 200_000
"""Most entries in one array or members in one object, and most lines in one NDJSON
file. A large Synthea Bundle holds about 10,000 entries; this bounds the work and the
memory of everything that walks the parsed data afterwards."""

MAX_NUMBER_CHARS = 64
"""Longest JSON number, in characters (sign, digits, point and exponent). FHIR R4
``integer`` is 32-bit and a ``decimal`` is compared and shown as written; Python's
``int`` refuses more than 4,300 digits only after doing the work."""

MAX_EXPONENT = 999_999
"""Largest exponent magnitude of a JSON number (six digits). A FHIR decimal keeps its
exponent as written (``1E+999999`` survives export and verify exactly), but formatting
``1e999999999`` in full would write a billion digits and exhaust memory."""

MAX_SECONDS = 30.0
"""Time budget of one :func:`loads` (scan and parse), in seconds of monotonic clock."""

_MIB = 1024 * 1024
_BOM = b"\xef\xbb\xbf"
_CHECK_EVERY = 4096  # tokens between two looks at the clock


@dataclass(frozen=True)
class Limits:
    """The limits one read applies; every field must be positive.

    ``max_bytes``: bytes of input; ``max_depth``: nesting levels; ``max_items``: entries of
    one array/object; ``max_number_chars``/``max_exponent``: size of one number;
    ``max_seconds``: time budget.
    """

    max_bytes: int = MAX_BYTES
    max_depth: int = MAX_DEPTH
    max_items: int = MAX_ITEMS
    max_number_chars: int = MAX_NUMBER_CHARS
    max_exponent: int = MAX_EXPONENT
    max_seconds: float = MAX_SECONDS

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_depth", "max_items", "max_number_chars", "max_exponent", "max_seconds"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"Limits.{name} must be a positive number, not {value!r}")


DEFAULT_LIMITS = Limits()
"""Limits for reading what others made: shares, backups, exports, cards, key sets."""

KEEP_LIMITS = replace(DEFAULT_LIMITS, max_depth=MAX_DEPTH - WRAP_DEPTH)
"""Limits for input the wallet imports to keep (see :data:`WRAP_DEPTH`)."""


def size_text(n: int) -> str:
    """``n`` bytes for a message: ``"200 MB"``, ``"64 KB"`` (binary units)."""
    return f"{n // _MIB} MB" if n >= _MIB else f"{max(1, n // 1024)} KB"


# --- files ------------------------------------------------------------------------


def read_bytes(path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of the regular file ``path``, at most ``max_bytes``.

    Refuses a folder, a device (``/dev/zero``), a FIFO or a socket *before* opening it
    (opening a FIFO with no writer would block); opens with ``O_NONBLOCK`` and checks the
    opened file again (it may have been swapped in between); never reads more than
    ``max_bytes + 1`` bytes, whatever the file claims its size is.

    Raises :class:`~wallet.errors.InputUnreadable` or :class:`~wallet.errors.InputTooLarge`.
    """
    fd, shown = _open_regular(path, max_bytes)
    try:
        chunks: list[bytes] = []
        left = max_bytes + 1
        while left > 0:
            chunk = os.read(fd, min(left, _MIB))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except BlockingIOError as exc:
        raise InputUnreadable(f"{shown} is not a regular file; save it as a file first.") from exc
    except OSError as exc:
        raise InputUnreadable(f"{shown} cannot be read: {exc.strerror or exc}.") from exc
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > max_bytes:
        raise InputTooLarge(f"{shown} is larger than {size_text(max_bytes)}; nothing was read.")
    return data


def read_lines(path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES) -> Iterator[bytes]:
    """The lines of the regular file ``path`` (each with its line end), read one at a time.

    For files too large to hold (a year of readings as NDJSON): the same refusals as
    :func:`read_bytes` before and after opening, then lines are read through a 1 MiB
    buffer, and :class:`~wallet.errors.InputTooLarge` is raised as soon as more than
    ``max_bytes`` were read. The file is closed when the generator is closed or finished.
    """
    fd, shown = _open_regular(path, max_bytes)
    total = 0
    with os.fdopen(fd, "rb", buffering=_MIB) as fh:
        while True:
            try:
                line = fh.readline(max_bytes + 1 - total)
            except OSError as exc:
                raise InputUnreadable(f"{shown} cannot be read: {exc.strerror or exc}.") from exc
            if not line:
                return
            total += len(line)
            if total > max_bytes:
                raise InputTooLarge(f"{shown} is larger than {size_text(max_bytes)}; nothing was read.")
            yield line


def _open_regular(path: str | os.PathLike[str], max_bytes: int) -> tuple[int, str]:
    """Open ``path`` for reading after the refusals of :func:`read_bytes` (missing, not a
    regular file, larger than ``max_bytes`` by its size), checking the opened file again;
    returns the descriptor (the caller closes it) and the path as shown in messages."""
    shown = os.fspath(path)
    try:
        info = os.stat(path)
    except FileNotFoundError as exc:
        raise InputUnreadable(f"{shown} cannot be read: it does not exist.") from exc
    except OSError as exc:
        raise InputUnreadable(f"{shown} cannot be read: {exc.strerror or exc}.") from exc
    _require_regular(info.st_mode, shown)
    if info.st_size > max_bytes:
        raise InputTooLarge(f"{shown} is larger than {size_text(max_bytes)}; nothing was read.")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise InputUnreadable(f"{shown} cannot be read: {exc.strerror or exc}.") from exc
    try:
        _require_regular(os.fstat(fd).st_mode, shown)
    except BaseException:
        os.close(fd)
        raise
    return fd, shown


def _require_regular(mode: int, shown: str) -> None:
    if stat.S_ISDIR(mode):
        raise InputUnreadable(f"{shown} is a folder; name the files in it.")
    if not stat.S_ISREG(mode):
        raise InputUnreadable(f"{shown} is not a regular file (a device, FIFO or socket); save it as a file first.")


# --- JSON -------------------------------------------------------------------------

# One token: a structural character, a number, or the opening quote of a string left open
# to the end of the text. Closed strings, literals (true/false/null) and whitespace are
# skipped inside the regular-expression engine, before the token, so Python sees only the
# tokens that count. The string pattern is the "unrolled loop" form, the skip is possessive
# and ``\Z`` ends the last match, so every match succeeds at its first try and the scan is
# linear (a string left open is tried once, to the end, then reported by its quote).
_TOKEN = re.compile(r'(?:"[^"\\]*(?:\\.[^"\\]*)*"|[^"\[\]{},0-9-]++|-(?![0-9]))*+'
                    r'(?:(?P<token>[\[\]{},]|-?[0-9][0-9.eE+-]*)|(?P<open>")|\Z)', re.DOTALL)
_EXPONENT = re.compile(r"[eE]([+-]?)0*([0-9]+)$")
# a bracket outside strings: closed strings and everything else are skipped inside the
# engine; a string left open swallows the rest of the text (the token walk stops there too),
# and \Z ends the last match, so every match succeeds at its first try: linear
_BRACKETS = re.compile(r'(?:"[^"\\]*(?:\\.[^"\\]*)*"|[^"\[\]{}]++)*+(?:([\[\]{}])|".*|\Z)', re.DOTALL)
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}  # anything else (the empty last match) is 0
# _bracket_depth's skeleton: quotes, brackets and _MARK (a backslash-quote pair) are kept
_MARK = b"\x01"
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}\x01')
_SKELETON_STRINGS = re.compile(rb'"[^"]*"?')  # a string of the skeleton; one left open runs to the end
_ESCAPED_BACKSLASH = re.compile(rb"\\\\")  # found at memchr speed: backslashes are rare
_ESCAPED_QUOTE = re.compile(rb'\\"')
_BYTE_DEPTH_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
_CLOSER = {"[": "]", "{": "}"}


def check_count(n: int, *, what: str, unit: str = "entries", max_items: int = MAX_ITEMS) -> None:
    """Refuse ``n`` items of ``unit`` (lines of an NDJSON file, cards in a file…) beyond ``max_items``."""
    if n > max_items:
        raise InputTooLarge(f"{what} holds more than {max_items:,} {unit}; split it into smaller files.")


def scan(text: str, *, what: str, limits: Limits = DEFAULT_LIMITS, started: float | None = None) -> None:
    """Check ``text`` against ``limits`` without parsing it (no recursion, no big allocations).

    Raises :class:`~wallet.errors.InputTooLarge`, :class:`~wallet.errors.InputTooDeep` or
    :class:`~wallet.errors.InputTooSlow`. Syntax errors are left to the parser: the scan
    stops checking where the structure stops making sense, and a strict parser fails there.
    """
    started = time.monotonic() if started is None else started
    if len(text) > limits.max_bytes:
        raise InputTooLarge(f"{what} is larger than {size_text(limits.max_bytes)}.")
    open_brackets: list[str] = []
    counts: list[int] = []
    tokens = 0
    for match in _TOKEN.finditer(text):
        token = match.group("token")
        if token is None:
            if match.group("open") is not None:
                return  # a string never closed: the parser says where
            continue  # the end of the text
        first = token[0]
        tokens += 1
        if tokens % _CHECK_EVERY == 0:
            _check_time(started, limits, what)
        if first == ",":
            if counts:
                counts[-1] += 1
                if counts[-1] >= limits.max_items:
                    kind = "array" if open_brackets[-1] == "[" else "object"
                    raise InputTooLarge(f"{what} has an {kind} of more than {limits.max_items:,} entries; "
                                        "nothing was read.")
        elif first in "[{":
            open_brackets.append(first)
            counts.append(0)
            if len(open_brackets) > limits.max_depth:
                raise InputTooDeep(
                    f"{what} is nested deeper than {limits.max_depth} levels, too deep to read safely; "
                    "nothing was read.")
        elif first in "]}":
            if not open_brackets or _CLOSER[open_brackets.pop()] != first:
                return  # malformed: the parser says where
            counts.pop()
        else:
            _check_number(token, what, limits)
    _check_time(started, limits, what)


def _bracket_depth(text: str, encoded: bytes | None = None) -> int:
    """The deepest running sum of ``[{`` (+1) and ``]}`` (−1) outside strings: the nesting
    depth of well-formed text, and at least the depth :func:`scan` checks on the well-formed
    part of any text (it stops checking where the structure breaks). ``encoded``: ``text``
    as UTF-8 when the caller has it (a byte order mark in front is allowed).

    Measured on a skeleton built at memory speed: escaped backslashes dropped, each
    remaining backslash-quote pair replaced by a mark, every byte but quotes, brackets and
    marks deleted (``bytes.translate``), adjacent quote pairs dropped (which keeps every
    bracket inside or outside a string as it was), then the few strings left cut out.
    Inside strings that is what :func:`_bracket_depth_walk` does; a mark left outside a
    string (a backslash outside a string: never valid JSON) means the skeleton may pair
    quotes differently, and the text is measured by the walk instead. Equal to it on all text.
    """
    data = encoded if encoded is not None else text.encode("utf-8", "surrogatepass")
    marked = _ESCAPED_QUOTE.sub(_MARK, _ESCAPED_BACKSLASH.sub(b"", data))
    skeleton = marked.translate(None, _NOT_STRUCTURE).replace(b'""', b"")
    outside = _SKELETON_STRINGS.sub(b"", skeleton)
    if _MARK in outside:
        return _bracket_depth_walk(text)
    return max(accumulate(map(_BYTE_DEPTH_STEP.get, outside, repeat(0))), default=0)


def _bracket_depth_walk(text: str) -> int:
    """:func:`_bracket_depth` by one regular-expression walk over the whole text: strings are
    skipped inside the engine; the sum runs in ``itertools.accumulate``."""
    brackets = _BRACKETS.findall(text)
    return max(accumulate(map(_DEPTH_STEP.get, brackets, repeat(0))), default=0)


def _check_number(token: str, what: str, limits: Limits) -> None:
    if len(token) > limits.max_number_chars:
        raise InputTooLarge(f"{what} holds a number of more than {limits.max_number_chars} characters "
                            f"({token[:12]}…); nothing was read.")
    exponent = _EXPONENT.search(token)
    if exponent is not None and int(exponent.group(2)) > limits.max_exponent:
        raise InputTooLarge(f"{what} holds the number {token}, whose exponent is beyond ±{limits.max_exponent}; "
                            "nothing was read.")


def _check_time(started: float, limits: Limits, what: str) -> None:
    if time.monotonic() - started > limits.max_seconds:
        raise InputTooSlow(f"Reading {what} took longer than {limits.max_seconds:g} seconds; it was stopped.")


def decode_utf8(data: bytes, *, what: str) -> str:
    """Strict UTF-8 text of ``data``, a leading byte order mark dropped (RFC 8259 §8.1).

    Raises :class:`~wallet.errors.InputNotJson` naming the first bad byte.
    """
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputNotJson(f"{what} is not UTF-8 text (byte {exc.start}).") from exc


class _Strict:
    """``json`` hooks that refuse duplicate names and NaN/Infinity, and watch the clock."""

    def __init__(self, what: str, limits: Limits, started: float, parse_float: Callable[[str], Any]) -> None:
        self.what, self.limits, self.started, self.objects = what, limits, started, 0
        self.parse_float = parse_float
        self.numbers_within = True  # False once a number beyond the limits was seen (not converted)

    def pairs(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        self.objects += 1
        if self.objects % _CHECK_EVERY == 0:
            _check_time(self.started, self.limits, self.what)
        out = dict(pairs)
        if len(out) != len(pairs):  # a name given twice: find the first for the message
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    raise InputNotJson(f"{self.what} is not valid JSON: duplicate property {key!r}")
                seen.add(key)
        return out

    def constant(self, name: str) -> Any:
        raise InputNotJson(f"{self.what} is not valid JSON: {name} is not a JSON number")

    def integer(self, token: str) -> int:
        if len(token) > self.limits.max_number_chars:
            self.numbers_within = False
            return 0
        return int(token)

    def fraction(self, token: str) -> Any:
        if len(token) > self.limits.max_number_chars:
            self.numbers_within = False
            return None
        if "e" in token or "E" in token:
            exponent = _EXPONENT.search(token)
            if exponent is not None and int(exponent.group(2)) > self.limits.max_exponent:
                self.numbers_within = False
                return None
        return self.parse_float(token)


def loads(
    data: bytes | str,
    *,
    what: str,
    limits: Limits = DEFAULT_LIMITS,
    parse_float: Callable[[str], Any] = Decimal,
) -> Any:
    """Parse untrusted JSON after :func:`scan` has passed it; return the value.

    ``what`` names the input in messages ("patient.json", "the share token").
    ``parse_float`` builds numbers with a fraction or exponent: :class:`~decimal.Decimal`
    by default (exact, as FHIR decimals need). Raises :class:`~wallet.errors.InputNotJson`
    (with line and column), or the errors of :func:`scan`.
    """
    started = time.monotonic()
    if isinstance(data, (bytes, bytearray, memoryview)):
        if len(data) > limits.max_bytes:
            raise InputTooLarge(f"{what} is larger than {size_text(limits.max_bytes)}.")
        text = decode_utf8(bytes(data), what=what)
    elif isinstance(data, str):
        text = data[1:] if data.startswith("\ufeff") else data
    else:
        raise InputNotJson(f"{what} is not JSON text.")
    if not text.strip():
        raise InputNotJson(f"{what} is empty.")
    # Text with no more "[" and "{" than the depth limit, and fewer commas than the entry
    # limit, cannot pass either (string contents only add to the counts): it goes to the
    # parser at once, its numbers checked as they are read, and the token walk runs only
    # if something fails, to name the first limit passed as it always does.
    shallow = text.count(",") < limits.max_items and (
        text.count("[") + text.count("{") <= limits.max_depth
        or _bracket_depth(text, data if isinstance(data, bytes) else None) <= limits.max_depth)
    if not shallow:
        scan(text, what=what, limits=limits, started=started)
    hooks = _Strict(what, limits, started, parse_float)
    try:
        value = json.loads(text, object_pairs_hook=hooks.pairs, parse_constant=hooks.constant,
                           parse_float=hooks.fraction if shallow else parse_float,
                           parse_int=hooks.integer if shallow else None)
    except InputNotJson:
        if shallow:
            scan(text, what=what, limits=limits, started=started)
        raise
    except json.JSONDecodeError as exc:
        if shallow:
            scan(text, what=what, limits=limits, started=started)
        where = f"column {exc.colno}" if "\n" not in text.strip() else f"line {exc.lineno} column {exc.colno}"
        problem = exc.msg.removesuffix(" at")  # json's "Invalid control character at"
        raise InputNotJson(f"{what} is not valid JSON: {problem} at {where}.") from exc
    except RecursionError as exc:  # unreachable after scan() or the counts; kept so no path can crash
        raise InputTooDeep(f"{what} is nested too deeply to read.") from exc
    except ValueError as exc:  # e.g. Python's integer digit limit
        if shallow:
            scan(text, what=what, limits=limits, started=started)
        raise InputTooLarge(f"{what} holds a value too large to read: {str(exc).splitlines()[0]}") from exc
    if not hooks.numbers_within:
        scan(text, what=what, limits=limits, started=started)  # names the number
        raise InputTooLarge(f"{what} holds a number beyond the limits; nothing was read.")
    _check_time(started, limits, what)
    return value
