"""Strict reading of FHIR JSON and NDJSON files into resource dicts with positions.

Python's ``json`` is lenient where FHIR is not: it keeps the last of duplicate keys,
accepts ``NaN``, and overflows the stack on deep nesting. Every read here goes through
the input gate (:mod:`wallet.untrusted`), which refuses all three and bounds size,
depth, entries, number sizes and time; a UTF-8 byte order mark (a common editor
artefact) is stripped. Numbers with a fraction or exponent are read as
:class:`decimal.Decimal`, so a FHIR decimal keeps its precision (``5.10`` stays ``5.10``;
see :mod:`wallet.records.fhir_json`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from .. import untrusted
from ..errors import InputRefused, InvalidRecord
from ..untrusted import KEEP_LIMITS, Limits

__all__ = ["MAX_FILE_BYTES", "Deletion", "Located", "ParsedFile", "is_ndjson", "loads_strict", "ndjson_line",
           "parse_bytes", "parse_document", "read_file", "stream_ndjson"]

MAX_FILE_BYTES = untrusted.MAX_BYTES
MAX_BUNDLE_NESTING = 4
_PASSED_GATE = json.JSONDecoder(parse_float=Decimal)  # built once: json.loads(..., parse_float=) builds one per call
BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Located:
    """A resource and where it came from (``entry[12]``, ``line 3``)."""

    position: str
    resource: dict[str, Any]
    full_url: str | None = None
    scope: str = ""  # the Bundle its references resolve in: "" for the file's, else a nested one's position
    # the JSON text ``resource`` was read from, when it is the whole text (an NDJSON line); ``None`` otherwise
    source: str | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Deletion:
    """A ``history`` Bundle's DELETE entry: ``reference`` (``Type/id``) was deleted at the
    source, at ``when`` (``response.lastModified``, a FHIR instant) when the entry says."""

    position: str
    reference: str
    when: str | None = None


@dataclass(frozen=True)
class ParsedFile:
    """What a file holds. For a ``history`` Bundle, ``items`` keep the Bundle's order, which
    FHIR R4 (Bundle.type ``history``) gives newest first.

    ``warnings``: what the source said besides its records (``search.mode: outcome``
    OperationOutcomes, a ``next`` link: a page of a longer result, failed batch entries).
    """

    kind: str  # "bundle", "resource", "array", "ndjson"
    items: tuple[Located, ...]
    bundle_type: str | None = None
    warnings: tuple[str, ...] = ()
    deletions: tuple[Deletion, ...] = ()


@dataclass
class _Notes:
    warnings: list[str] = field(default_factory=list)
    deletions: list[Deletion] = field(default_factory=list)


_RESPONSE_TYPES = ("transaction-response", "batch-response")


def _object(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one (an optional element)."""
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _outcome_lines(outcome: Any, pos: str) -> list[str]:
    """An OperationOutcome's issues as warning lines (plain text, each bounded)."""
    issues = outcome.get("issue") if isinstance(outcome, dict) else None
    lines = []
    for issue in issues if isinstance(issues, list) else []:
        if not isinstance(issue, dict):
            continue
        details = _object(issue.get("details"))
        text = issue.get("diagnostics") or details.get("text") or issue.get("code") or "no details"
        lines.append(f"{pos}: the source says ({issue.get('severity', 'information')}): {str(text)[:300]}")
    return lines or [f"{pos}: the source sent an OperationOutcome without issues"]


def _page_warning(doc: dict[str, Any], where: str) -> list[str]:
    links = _list(doc.get("link"))
    relations = {str(link.get("relation")): link.get("url") for link in links if isinstance(link, dict)}
    if "next" not in relations:
        return []
    page = "page 1" if not ({"previous", "prev"} & set(relations)) else "one page"
    return [f"{where}this is {page} of a longer result: the source has more (next page: "
            f"{str(relations['next'])[:300]}); fetch the other pages and import them too"]


def _deleted_reference(request: dict[str, Any], full_url: str | None) -> str | None:
    """``Type/id`` of a DELETE entry, from ``request.url`` or the entry's fullUrl."""
    for text in (request.get("url"), full_url):
        if isinstance(text, str):
            parts = text.split("?")[0].rstrip("/").split("/")
            if len(parts) >= 2 and parts[-2][:1].isupper() and parts[-1]:
                return f"{parts[-2]}/{parts[-1]}"
    return None


def _version_id(resource: Any) -> Any:
    meta = resource.get("meta") if isinstance(resource, dict) else None
    return meta.get("versionId") if isinstance(meta, dict) else None


def loads_strict(text: str | bytes, *, where: str = "", limits: Limits = KEEP_LIMITS) -> Any:
    """One JSON value through the input gate (:func:`wallet.untrusted.loads`).

    Raises :class:`InvalidRecord` naming ``where``: not JSON, duplicate keys, NaN, or
    beyond a limit of :mod:`wallet.untrusted` (size, depth, entries, digits, time).
    """
    try:
        return untrusted.loads(text, what=where or "the input", limits=limits)  # decimals as Decimal
    except InputRefused as exc:
        raise InvalidRecord(exc.user_message) from exc


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


def _as_resource(value: Any, position: str, full_url: str | None = None, source: str | None = None) -> Located:
    if not isinstance(value, dict):
        raise InvalidRecord(f"{position}: expected a FHIR resource (a JSON object), found {type(value).__name__}.")
    rt = value.get("resourceType")
    if rt is None:
        raise InvalidRecord(f"{position}: no resourceType.")
    if not isinstance(rt, str):
        raise InvalidRecord(f"{position}: resourceType must be a string.")
    return Located(position, value, full_url, source=source)


def parse_bytes(data: bytes, *, name: str = "input", limits: Limits = KEEP_LIMITS) -> ParsedFile:
    """Parse one file's bytes; every error names the file and the position.

    ``limits``: :data:`~wallet.untrusted.KEEP_LIMITS` for what is imported to keep,
    :data:`~wallet.untrusted.DEFAULT_LIMITS` for a share or backup (its Bundle wraps
    records that were themselves imported). Raises :class:`InvalidRecord`.
    """
    try:
        return _parse(data, name, limits)
    except InvalidRecord as exc:
        if exc.user_message.startswith(name):
            raise
        raise InvalidRecord(f"{name} {exc.user_message}") from exc


def _parse(data: bytes, name: str, limits: Limits) -> ParsedFile:
    if len(data) > limits.max_bytes:
        raise InvalidRecord(f"{name} is larger than {untrusted.size_text(limits.max_bytes)}.")
    text = _decode(data, name)
    if name.endswith(".ndjson") or _looks_ndjson(text):
        items: list[Located] = []
        for no, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    untrusted.check_count(len(items) + 1, what=name, unit="lines", max_items=limits.max_items)
                except InputRefused as exc:
                    raise InvalidRecord(exc.user_message) from exc
                items.extend(_unpacked(_as_resource(loads_strict(line, where=f"{name} line {no}", limits=limits),
                                                   f"line {no}")))
        return ParsedFile("ndjson", tuple(items))
    return _document(loads_strict(text, where=name, limits=limits), name)


def parse_document(doc: Any, *, name: str = "input") -> ParsedFile:
    """What :func:`parse_bytes` gives for one JSON value already read through the input gate
    (:func:`loads_strict`), for a caller that keeps the value too: one parse instead of two.
    The items hold the value's own objects. Raises :class:`InvalidRecord` naming ``name``."""
    try:
        return _document(doc, name)
    except InvalidRecord as exc:
        if exc.user_message.startswith(name):
            raise
        raise InvalidRecord(f"{name} {exc.user_message}") from exc


def _document(doc: Any, name: str) -> ParsedFile:
    if isinstance(doc, list):
        return ParsedFile("array", tuple(i for n, v in enumerate(doc) for i in _unpacked(_as_resource(v, f"item {n}"))))
    top = _as_resource(doc, name)
    if top.resource["resourceType"] != "Bundle":
        return ParsedFile("resource", (top,))
    return _bundle_items(doc, name)


def stream_ndjson(lines: Iterable[bytes], *, name: str, limits: Limits = KEEP_LIMITS,
                  passed_gate: bool = False) -> Iterator[Located]:
    """The resources of an NDJSON file, read one line at a time (FHIR Bulk Data: one
    resource per line; a Bundle on a line gives its entries). Nothing is held but the
    current line. The same checks as :func:`parse_bytes` on each line, and the same limit
    on lines; raises :class:`InvalidRecord` naming the file and the line. ``passed_gate``:
    see :func:`ndjson_line`."""
    count = 0
    for no, raw in enumerate(lines, start=1):
        if not (raw[len(BOM):] if no == 1 and raw.startswith(BOM) else raw).strip():
            continue
        count += 1
        try:
            untrusted.check_count(count, what=name, unit="lines", max_items=limits.max_items)
        except InputRefused as exc:
            raise InvalidRecord(exc.user_message) from exc
        yield from ndjson_line(raw, no, name=name, limits=limits, passed_gate=passed_gate)
    if count == 0:
        raise InvalidRecord(f"{name} is empty.")


def ndjson_line(raw: bytes, no: int, *, name: str, limits: Limits = KEEP_LIMITS,
                passed_gate: bool = False) -> list[Located]:
    """The resources of line ``no`` (from 1) of an NDJSON file: one, or a Bundle's entries;
    none for a blank line. The line goes through the input gate (:func:`loads_strict`); the
    one resource of a line keeps the line's text as :attr:`Located.source`. Raises
    :class:`InvalidRecord` naming the file and the line.

    ``passed_gate``: these very bytes already passed the gate with ``limits`` (in the
    process that validates a large import, :mod:`wallet.records.line_validator`), so they
    are parsed by ``json.loads`` directly: the gate's result for them (no duplicate names,
    no NaN, within every limit) holds, and the values are those the gate would give."""
    if no == 1 and raw.startswith(BOM):
        raw = raw[len(BOM):]
    if not raw.strip():
        return []
    try:
        text = untrusted.decode_utf8(raw, what=f"{name} line {no}")
    except InputRefused as exc:
        raise InvalidRecord(exc.user_message) from exc
    try:
        value = _PASSED_GATE.decode(text) if passed_gate else \
            loads_strict(text, where=f"{name} line {no}", limits=limits)
        resource = _as_resource(value, f"line {no}", source=text.strip())
        return [resource] if resource.resource["resourceType"] != "Bundle" else _unpacked(resource)
    except InvalidRecord as exc:
        if exc.user_message.startswith(name):
            raise
        raise InvalidRecord(f"{name} {exc.user_message}") from exc


def is_ndjson(path: Path) -> bool:
    """Whether the file at ``path`` is NDJSON: named ``*.ndjson``, or its first line is a
    whole JSON object and another follows (what :func:`parse_bytes` decides on the text)."""
    if path.name.endswith(".ndjson"):
        return True
    try:
        with open(path, "rb") as fh:
            head = fh.read(1 << 20)
    except OSError:
        return False
    return _looks_ndjson(head.removeprefix(BOM).decode("utf-8", "ignore"))


def _looks_ndjson(text: str) -> bool:
    """One JSON object per line: the first line is a whole object and more follow."""
    body = text.lstrip()
    end = body.find("\n")
    if not body.startswith("{") or end < 0:
        return False
    return body[:end].rstrip().endswith("}") and body[end:].lstrip().startswith("{")


def _unpacked(item: Located, notes: _Notes | None = None) -> list[Located]:
    """A Bundle found where a resource was expected, replaced by its entries (a Bundle is a
    container, never a health record of its own)."""
    if item.resource["resourceType"] != "Bundle":
        return [item]
    return _bundle_entries(item.resource, item.position, prefix=f"{item.position} ", seen_urls={}, depth=1,
                           notes=notes)


def _bundle_entries(doc: dict[str, Any], name: str, *, prefix: str = "",
                    seen_urls: dict[str, dict[str, Any]], depth: int = 0, notes: _Notes | None = None) -> list[Located]:
    """The resources of a Bundle's entries; Bundles nested in it (a collection of
    per-patient bundles) are unpacked, each entry's position naming the path to it.

    By Bundle.type (FHIR R4 Bundle): a ``history`` Bundle may repeat a fullUrl across
    versions (bdl-7) and its DELETE entries carry no resource; a ``searchset`` keeps its
    ``match`` and ``include`` entries, its ``outcome`` OperationOutcomes become warnings;
    ``transaction-response``/``batch-response`` entries give their resources when present
    and their outcomes as warnings. A ``next`` link makes this page of a longer result a warning.
    """
    notes = notes if notes is not None else _Notes()
    if depth > MAX_BUNDLE_NESTING:
        raise InvalidRecord(f"{name}: Bundles nested more than {MAX_BUNDLE_NESTING} deep.")
    entries = doc.get("entry", [])
    if not isinstance(entries, list):
        raise InvalidRecord(f"{name}: Bundle.entry must be an array.")
    if depth and not isinstance(doc.get("type"), str):
        raise InvalidRecord(f"{prefix.strip()}: Bundle.type is required.")
    btype = doc.get("type")
    notes.warnings.extend(_page_warning(doc, prefix.strip() + ": " if prefix else ""))
    items: list[Located] = []
    for i, entry in enumerate(entries):
        pos = f"{prefix}entry[{i}]"
        if not isinstance(entry, dict):
            raise InvalidRecord(f"{pos}: a Bundle entry must be an object.")
        url = entry.get("fullUrl")
        if url is not None and not isinstance(url, str):
            raise InvalidRecord(f"{pos}: fullUrl must be a string.")
        request, response, search = (_object(entry.get(k)) for k in ("request", "response", "search"))
        if btype in _RESPONSE_TYPES and response.get("outcome") is not None:
            notes.warnings.extend(_outcome_lines(response["outcome"], pos))
        if entry.get("resource") is None:
            if btype == "history" and request.get("method") == "DELETE":
                target = _deleted_reference(request, url)
                if target is None:
                    raise InvalidRecord(f"{pos}: a DELETE entry must name what it deleted (request.url).")
                when = response.get("lastModified")
                notes.deletions.append(Deletion(pos, target, when if isinstance(when, str) else None))
                continue
            if btype in _RESPONSE_TYPES:
                status = str(response.get("status") or "")
                if status[:1] not in ("1", "2", "3") and response.get("outcome") is None:
                    notes.warnings.extend([f"{pos}: the source answered {status[:60] or 'without a status'}"])
                continue
            raise InvalidRecord(f"{pos}: the entry has no resource.")
        resource = entry["resource"]
        if isinstance(resource, dict) and resource.get("resourceType") == "OperationOutcome" and (
                search.get("mode") == "outcome" or btype in _RESPONSE_TYPES):
            notes.warnings.extend(_outcome_lines(resource, pos))
            continue
        if url:
            if url in seen_urls and seen_urls[url] != entry["resource"]:
                versions = (_version_id(seen_urls[url]), _version_id(entry["resource"]))
                if btype != "history" and (None in versions or versions[0] == versions[1]):
                    raise InvalidRecord(f"{pos}: fullUrl {url} is used by two different resources.")
            seen_urls[url] = entry["resource"]
        item = _as_resource(entry["resource"], pos, url)
        if depth:
            item = replace(item, scope=prefix.strip())
        if item.resource["resourceType"] == "Bundle":
            items.extend(_bundle_entries(item.resource, name, prefix=f"{pos} ", seen_urls=seen_urls, depth=depth + 1,
                                         notes=notes))
        else:
            items.append(item)
    return items


def _bundle_items(doc: dict[str, Any], name: str) -> ParsedFile:
    notes = _Notes()
    items = _bundle_entries(doc, name, seen_urls={}, notes=notes)
    btype = doc.get("type")
    return ParsedFile("bundle", tuple(items), btype if isinstance(btype, str) else None,
                      tuple(notes.warnings), tuple(notes.deletions))


def read_file(path: Path) -> ParsedFile:
    """Read and parse one file through :func:`wallet.untrusted.read_bytes`: a folder, a
    device or a FIFO is refused before it is opened, and no more than
    :data:`MAX_FILE_BYTES` + 1 bytes are read. Raises :class:`InvalidRecord`."""
    path = Path(path)
    try:
        data = untrusted.read_bytes(path, max_bytes=MAX_FILE_BYTES)
    except InputRefused as exc:
        raise InvalidRecord(exc.user_message) from exc
    return parse_bytes(data, name=path.name)
