"""Strict reading of FHIR JSON and NDJSON files into resource dicts with positions.

Python's ``json`` is lenient where FHIR is not: it keeps the last of duplicate keys,
accepts ``NaN``, and overflows the stack on deep nesting. This module refuses all
three, strips a UTF-8 byte order mark (a common editor artefact), and bounds the size.
Numbers with a fraction or exponent are read as :class:`decimal.Decimal`, so a FHIR
decimal keeps its precision (``5.10`` stays ``5.10``; see :mod:`wallet.records.fhir_json`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..errors import InvalidRecord

__all__ = ["MAX_FILE_BYTES", "Located", "ParsedFile", "loads_strict", "parse_bytes", "read_file"]

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_BUNDLE_NESTING = 4
BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Located:
    """A resource and where it came from (``entry[12]``, ``line 3``)."""

    position: str
    resource: dict[str, Any]
    full_url: str | None = None
    scope: str = ""  # the Bundle its references resolve in: "" for the file's, else a nested one's position


@dataclass(frozen=True)
class ParsedFile:
    kind: str  # "bundle", "resource", "array", "ndjson"
    items: tuple[Located, ...]
    bundle_type: str | None = None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise InvalidRecord(f"duplicate property {key!r}")
        out[key] = value
    return out


def _no_constants(name: str) -> Any:
    raise InvalidRecord(f"{name} is not a JSON number")


def loads_strict(text: str, *, where: str = "") -> Any:
    prefix = f"{where}: " if where else ""
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants,
                          parse_float=Decimal)
    except InvalidRecord as exc:
        raise InvalidRecord(f"{prefix}not valid JSON: {exc.user_message}") from exc
    except json.JSONDecodeError as exc:
        raise InvalidRecord(f"{prefix}not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    except RecursionError as exc:
        raise InvalidRecord(f"{prefix}JSON nested too deeply") from exc
    except ValueError as exc:  # e.g. an integer beyond Python's digit limit
        raise InvalidRecord(f"{prefix}not valid JSON: {exc}") from exc


def _decode(data: bytes, name: str) -> str:
    if data.startswith(BOM):
        data = data[len(BOM):]
    if not data.strip():
        raise InvalidRecord(f"{name} is empty.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRecord(f"{name} is not UTF-8 text (byte {exc.start}).") from exc
    return text


def _as_resource(value: Any, position: str, full_url: str | None = None) -> Located:
    if not isinstance(value, dict):
        raise InvalidRecord(f"{position}: expected a FHIR resource (a JSON object), found {type(value).__name__}.")
    rt = value.get("resourceType")
    if rt is None:
        raise InvalidRecord(f"{position}: no resourceType.")
    if not isinstance(rt, str):
        raise InvalidRecord(f"{position}: resourceType must be a string.")
    return Located(position, value, full_url)


def parse_bytes(data: bytes, *, name: str = "input") -> ParsedFile:
    """Parse one file's bytes; every error names the file and the position."""
    try:
        return _parse(data, name)
    except InvalidRecord as exc:
        if exc.user_message.startswith(name):
            raise
        raise InvalidRecord(f"{name} {exc.user_message}") from exc


def _parse(data: bytes, name: str) -> ParsedFile:
    if len(data) > MAX_FILE_BYTES:
        raise InvalidRecord(f"{name} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.")
    text = _decode(data, name)
    if name.endswith(".ndjson") or _looks_ndjson(text):
        items = []
        for no, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                items.extend(_unpacked(_as_resource(loads_strict(line, where=f"{name} line {no}"), f"line {no}")))
        return ParsedFile("ndjson", tuple(items))
    doc = loads_strict(text, where=name)
    if isinstance(doc, list):
        return ParsedFile("array", tuple(i for n, v in enumerate(doc) for i in _unpacked(_as_resource(v, f"item {n}"))))
    top = _as_resource(doc, name)
    if top.resource["resourceType"] != "Bundle":
        return ParsedFile("resource", (top,))
    return _bundle_items(doc, name)


def _looks_ndjson(text: str) -> bool:
    """One JSON object per line: the first line is a whole object and more follow."""
    body = text.lstrip()
    end = body.find("\n")
    if not body.startswith("{") or end < 0:
        return False
    return body[:end].rstrip().endswith("}") and body[end:].lstrip().startswith("{")


def _unpacked(item: Located) -> list[Located]:
    """A Bundle found where a resource was expected, replaced by its entries (a Bundle is a
    container, never a health record of its own)."""
    if item.resource["resourceType"] != "Bundle":
        return [item]
    return _bundle_entries(item.resource, item.position, prefix=f"{item.position} ", seen_urls={}, depth=1)


def _bundle_entries(doc: dict[str, Any], name: str, *, prefix: str = "",
                    seen_urls: dict[str, dict[str, Any]], depth: int = 0) -> list[Located]:
    """The resources of a Bundle's entries; Bundles nested in it (a collection of
    per-patient bundles) are unpacked, each entry's position naming the path to it."""
    if depth > MAX_BUNDLE_NESTING:
        raise InvalidRecord(f"{name}: Bundles nested more than {MAX_BUNDLE_NESTING} deep.")
    entries = doc.get("entry", [])
    if not isinstance(entries, list):
        raise InvalidRecord(f"{name}: Bundle.entry must be an array.")
    if depth and not isinstance(doc.get("type"), str):
        raise InvalidRecord(f"{prefix.strip()}: Bundle.type is required.")
    items: list[Located] = []
    for i, entry in enumerate(entries):
        pos = f"{prefix}entry[{i}]"
        if not isinstance(entry, dict):
            raise InvalidRecord(f"{pos}: a Bundle entry must be an object.")
        if entry.get("resource") is None:
            raise InvalidRecord(f"{pos}: the entry has no resource.")
        url = entry.get("fullUrl")
        if url is not None and not isinstance(url, str):
            raise InvalidRecord(f"{pos}: fullUrl must be a string.")
        if url:
            if url in seen_urls and seen_urls[url] != entry["resource"]:
                raise InvalidRecord(f"{pos}: fullUrl {url} is used by two different resources.")
            seen_urls[url] = entry["resource"]
        item = _as_resource(entry["resource"], pos, url)
        if depth:
            item = replace(item, scope=prefix.strip())
        if item.resource["resourceType"] == "Bundle":
            items.extend(_bundle_entries(item.resource, name, prefix=f"{pos} ", seen_urls=seen_urls, depth=depth + 1))
        else:
            items.append(item)
    return items


def _bundle_items(doc: dict[str, Any], name: str) -> ParsedFile:
    items = _bundle_entries(doc, name, seen_urls={})
    btype = doc.get("type")
    return ParsedFile("bundle", tuple(items), btype if isinstance(btype, str) else None)


def read_file(path: Path) -> ParsedFile:
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InvalidRecord(f"{path.name} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.")
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidRecord(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    return parse_bytes(data, name=path.name)
