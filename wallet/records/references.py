"""References between resources in a Bundle: FHIR R4 Bundle, "Resolving references in Bundles".

In a Bundle a reference resolves to the entry whose ``fullUrl`` it names:

1. a reference to a contained resource (``#id``) stays inside its resource;
2. an absolute reference (``urn:uuid:…``, ``urn:oid:…``, ``http(s)://…``) names an
   entry's ``fullUrl`` exactly (a ``/_history/N`` version suffix aside);
3. a relative reference (``Patient/p1``) resolves against the base of the fullUrl of the
   entry that holds it, when that is a RESTful URL (``https://host/fhir/Observation/o1``
   → ``https://host/fhir/Patient/p1``); from an entry whose fullUrl is a ``urn:`` it does
   not resolve inside the Bundle.

:func:`resolve` applies those rules; :func:`references` finds every reference in a resource.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["ABSOLUTE_PREFIXES", "is_absolute", "only_urn_or_local_references", "references", "resolve",
           "restful_base", "type_and_id", "unresolved_in_bundle"]

ABSOLUTE_PREFIXES = ("urn:uuid:", "urn:oid:", "http://", "https://")
_RELATIVE = re.compile(r"(?P<type>[A-Z][A-Za-z]{1,63})/(?P<id>[A-Za-z0-9\-.]{1,64})(?:/_history/[A-Za-z0-9\-.]{1,64})?")
_RESTFUL = re.compile(r"(?P<base>https?://.+)/(?P<type>[A-Z][A-Za-z]{1,63})/(?P<id>[A-Za-z0-9\-.]{1,64})"
                      r"(?:/_history/[A-Za-z0-9\-.]{1,64})?")


def is_absolute(reference: str) -> bool:
    return reference.startswith(ABSOLUTE_PREFIXES)


def _without_version(url: str) -> str:
    at = url.find("/_history/")
    return url[:at] if at >= 0 else url


def type_and_id(reference: str) -> str | None:
    """``Type/id`` of a relative reference or a RESTful URL; ``None`` for anything else."""
    match = _RELATIVE.fullmatch(reference) or _RESTFUL.fullmatch(reference)
    return f"{match['type']}/{match['id']}" if match else None


def restful_base(full_url: str | None) -> str | None:
    """The server base of a RESTful fullUrl (``https://host/fhir``), else ``None``."""
    match = _RESTFUL.fullmatch(full_url or "")
    return match["base"] if match else None


def resolve(reference: str, *, from_url: str | None, full_urls: Mapping[str, int]) -> int | None:
    """The index of the entry ``reference`` resolves to, by the rules above; ``full_urls``
    maps each entry's fullUrl to its index. ``None``: not inside the Bundle."""
    if reference.startswith("#"):
        return None
    if is_absolute(reference):
        return full_urls.get(_without_version(reference))
    if _RELATIVE.fullmatch(reference) is None:
        return None
    base = restful_base(from_url)
    return full_urls.get(f"{base}/{_without_version(reference)}") if base else None


def references(resource: Any) -> Iterator[tuple[dict[str, Any], str]]:
    """Every ``Reference.reference`` in ``resource`` as (the Reference object, its text), each
    object before the ones inside it, later members and items first."""
    found: list[tuple[dict[str, Any], str]] = []
    _collect(resource, found)
    return iter(found)


def _collect(node: Any, found: list[tuple[dict[str, Any], str]]) -> None:
    if isinstance(node, dict):
        ref = node.get("reference")
        if isinstance(ref, str):
            found.append((node, ref))
        children: Any = reversed(node.values())
    elif isinstance(node, list):
        children = reversed(node)
    else:
        return
    for child in children:
        kind = type(child)
        if kind is str:
            continue
        if kind is dict or kind is list or isinstance(child, (dict, list)):
            _collect(child, found)


def unresolved_in_bundle(bundle: Mapping[str, Any], *, source: bytes | None = None) -> list[str]:
    """References to a resource that is an entry of ``bundle`` which do not resolve to it.

    A relative ``Patient/p1`` (or a RESTful URL ending in it) where the Bundle holds
    Patient ``p1`` must resolve to that entry by the rules above. A ``urn:`` reference that
    matches no fullUrl names nothing the Bundle can show to be inside it (a record left out
    of a partial export), so it is not counted. Each problem is one line naming the entry
    and the reference.

    ``source``: the JSON text ``bundle`` was parsed from (it may hold more, never less),
    when the caller has it. When that text shows every ``reference`` to be a ``urn:`` or a
    ``#`` one (:func:`only_urn_or_local_references`), no reference can fail and the
    resources are not walked; otherwise they are, as without ``source``.
    """
    if source is not None and only_urn_or_local_references(source):
        return []
    entries = [e for e in bundle.get("entry", []) if isinstance(e, dict) and isinstance(e.get("resource"), dict)]
    full_urls = {e["fullUrl"]: n for n, e in enumerate(entries) if isinstance(e.get("fullUrl"), str)}
    held = {f"{e['resource'].get('resourceType')}/{e['resource'].get('id')}" for e in entries
            if isinstance(e["resource"].get("id"), str)}
    problems: list[str] = []
    for n, entry in enumerate(entries):
        res = entry["resource"]
        for _node, ref in references(res):
            if ref.startswith("#"):
                continue
            if ref.startswith("urn:") or type_and_id(ref) not in held:
                continue
            if resolve(ref, from_url=entry.get("fullUrl"), full_urls=full_urls) is None:
                problems.append(f"entry[{n}] ({res.get('resourceType')}/{res.get('id', '')}) refers to {ref}, "
                                "which does not resolve inside the bundle")
    return problems


def only_urn_or_local_references(text: bytes) -> bool:
    """Whether the JSON text ``text`` (well-formed: already parsed) shows at memory speed that
    every ``reference`` member in it is a string starting ``urn:`` or ``#``.

    Sound, not complete: ``True`` only when the text has no ``\\u`` escape (so no member
    name or value spells its letters any other way) and every ``"reference"`` in it (the
    name of every such member, and any string that merely reads so) is followed at once by
    ``:"urn:`` or ``:"#``. In well-formed JSON a name's closing quote can never open the
    next name, so counting occurrences misses none. Any other text, whitespace after a
    name included, gives ``False``.
    """
    if b"\\u" in text:
        return False
    named = text.count(b'"reference"')
    return named == text.count(b'"reference":"urn:') + text.count(b'"reference":"#')
