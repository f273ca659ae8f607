"""Safe FHIR narratives: ``text.div`` holds only the XHTML FHIR allows, or it goes.

FHIR R4 Narrative (§2.4, http://hl7.org/fhir/R4/narrative.html#xhtml, invariants
txt-1 and txt-2): the ``div`` is XHTML whose root is a ``div``, using only basic
formatting elements and attributes (HTML 4.0 chapters 7-11 and 15, ``<a>`` with
``name``/``href``, images, inline ``style``) and SHALL NOT contain a head, a body,
scripts, forms, frames, iframes, objects, base/link elements or event attributes
(``onclick``…). A renderer that trusted it could run what a file's author put there.

The wallet's rule, the same on every path: an unsafe narrative is **removed** (the
``text`` element that holds it, so the resource stays valid FHIR: ``text`` is 0..1)
with a warning naming the resource; the record itself is kept. This runs when a file
is imported and again on the way out (share, export, backup), so a narrative stored
by an older version is checked before it travels. Narratives are read with the
standard library's :mod:`html.parser`, never with patterns: entities are decoded and
attribute values unescaped before they are judged.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

__all__ = ["ALLOWED_ATTRIBUTES", "ALLOWED_ELEMENTS", "MAX_NARRATIVE_CHARS", "remove_unsafe_narratives",
           "unsafe_reason"]

XHTML_NS = "http://www.w3.org/1999/xhtml"

ALLOWED_ELEMENTS = frozenset({
    "div", "p", "br", "hr", "span", "a", "img", "h1", "h2", "h3", "h4", "h5", "h6",
    "b", "i", "em", "strong", "small", "big", "tt", "u", "s", "strike", "sub", "sup", "code", "samp",
    "kbd", "var", "dfn", "cite", "abbr", "acronym", "q", "blockquote", "address", "bdo", "pre",
    "ul", "ol", "li", "dl", "dt", "dd",
    "table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td",
    "map", "area", "ins", "del", "font", "center",
})
"""Elements of HTML 4.0 chapters 7-11 and 15 that FHIR narratives may use (txt-1)."""

ALLOWED_ATTRIBUTES = frozenset({
    "id", "class", "style", "title", "lang", "xml:lang", "dir", "xmlns",
    "href", "name", "src", "alt", "longdesc", "usemap", "shape", "coords", "nohref",
    "width", "height", "border", "hspace", "vspace", "align", "valign", "char", "charoff",
    "abbr", "axis", "headers", "scope", "rowspan", "colspan", "span", "summary", "frame", "rules",
    "cellspacing", "cellpadding", "bgcolor", "color", "face", "size", "start", "type", "value",
    "compact", "clear", "noshade", "nowrap", "cite", "datetime",
})
"""Attributes those elements may carry; no event handler (``on*``) is among them."""

MAX_NARRATIVE_CHARS = 1024 * 1024
"""Longest narrative checked, in characters (1 MiB); a longer one is removed as unsafe.
Bounds the parser's work; a clinical note's narrative is a few kilobytes."""

_VOID = frozenset({"br", "hr", "img", "col", "area"})
_LINK_SCHEMES = frozenset({"http", "https", "mailto", "tel", "urn"})
_URL_ATTRIBUTES = frozenset({"href", "src", "longdesc", "usemap", "cite"})
_STYLE_BANNED = ("url(", "expression(", "javascript:", "vbscript:", "@import", "behavior", "-moz-binding")
_IMAGE_DATA = ("data:image/png", "data:image/gif", "data:image/jpeg", "data:image/jpg")


class _Unsafe(Exception):
    """Raised inside the parser to stop at the first problem."""


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.roots = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._element(tag, attrs)
        if tag not in _VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._element(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            if tag in _VOID:
                return
            raise _Unsafe(f"a </{tag}> that closes nothing (not well-formed XHTML)")
        self.open.pop()

    def handle_data(self, data: str) -> None:
        if not self.open and data.strip():
            raise _Unsafe("text outside the root <div>")

    def handle_decl(self, decl: str) -> None:
        raise _Unsafe("a declaration (<!…>)")

    def unknown_decl(self, data: str) -> None:
        raise _Unsafe("a marked section (<![…]>)")

    def handle_pi(self, data: str) -> None:
        raise _Unsafe("a processing instruction (<?…>)")

    def _element(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self.open:
            self.roots += 1
            if tag != "div" or self.roots > 1:
                raise _Unsafe("a root other than one <div> element")
        if tag not in ALLOWED_ELEMENTS:
            raise _Unsafe(f"a <{tag}> element")
        for name, value in attrs:
            if name.startswith("on"):
                raise _Unsafe(f"an event handler ({name}) on <{tag}>")
            if name not in ALLOWED_ATTRIBUTES:
                raise _Unsafe(f"a {name} attribute on <{tag}>")
            text = value or ""
            if name == "xmlns" and text != XHTML_NS:
                raise _Unsafe(f"the namespace {text!r} instead of XHTML's")
            if name in _URL_ATTRIBUTES:
                _check_url(text, tag, name)
            if name == "style":
                squashed = "".join(text.split()).lower().replace("\\", "")
                banned = next((b for b in _STYLE_BANNED if b in squashed), None)
                if banned:
                    raise _Unsafe(f"a style with {banned} on <{tag}>")


def _check_url(value: str, tag: str, attribute: str) -> None:
    # Browsers ignore ASCII whitespace and control characters inside a scheme ("java\tscript:").
    squashed = "".join(ch for ch in value if ch > " " and ch != "\x7f").lower()
    head = squashed.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if ":" not in head:
        return  # relative reference or fragment
    scheme = head.split(":", 1)[0]
    if scheme in _LINK_SCHEMES:
        return
    if tag == "img" and attribute == "src" and squashed.startswith(_IMAGE_DATA):
        return
    raise _Unsafe(f"a {scheme}: URL in {attribute} of <{tag}>")


def unsafe_reason(div: object) -> str | None:
    """Why ``div`` is not a safe FHIR narrative (``"a <script> element"``), or ``None``."""
    if not isinstance(div, str):
        return "a div that is not a string"
    if len(div) > MAX_NARRATIVE_CHARS:
        return f"more than {MAX_NARRATIVE_CHARS:,} characters"
    checker = _Checker()
    try:
        checker.feed(div)
    except _Unsafe as exc:
        return str(exc)
    # No close(): on markup left open it retries from every "<" (quadratic; "<a " * 20,000
    # takes minutes). Whatever feed() could not finish is not well-formed XHTML anyway.
    if checker.rawdata.strip():
        return "markup that is never closed (not well-formed XHTML)"
    if checker.open:
        return f"an unclosed <{checker.open[-1]}> (not well-formed XHTML)"
    if checker.roots != 1:
        return "no root <div> element"
    return None


def _label(resource: dict[str, Any], where: str) -> str:
    rtype = resource.get("resourceType")
    rid = resource.get("id")
    name = f"{rtype}/{rid}" if isinstance(rtype, str) and isinstance(rid, str) else str(rtype or "a resource")
    return f"{name} ({where})" if where else name


def remove_unsafe_narratives(resource: dict[str, Any], *, where: str = "") -> list[str]:
    """Remove, in place, every unsafe narrative in ``resource`` (its own ``text``, those of
    contained and nested resources, Composition sections); return one warning per removal,
    naming the resource and ``where`` it came from ("entry[3]"). Iterative: no recursion."""
    warnings: list[str] = []
    stack: list[Any] = [resource]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            text = node.get("text")
            if isinstance(text, dict) and "div" in text:
                reason = unsafe_reason(text["div"])
                if reason is not None:
                    del node["text"]
                    owner = node if "resourceType" in node else resource
                    warnings.append(f"{_label(owner, where)}: its narrative (text.div) holds {reason}, which FHIR "
                                    "narratives may not; the narrative was removed and the record kept.")
            stack.extend(v for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, (dict, list)))
    warnings.reverse()
    return warnings
