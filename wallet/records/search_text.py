"""What full-text search sees of a record, and how typed text becomes an FTS5 query.

The record store keeps an FTS5 index (SQLite's full-text search, inside the encrypted
file) of each current record: its summary (title, detail, code, value and unit) and,
from the resource, every code, display and text of its codings and concepts, its values
(strings, numbers, units), titles, descriptions, comments, notes, names, and its
narrative (``text.div``, XHTML read with :mod:`html.parser`, tags dropped, entities
decoded). Identifiers, references, URLs and dates are left out: they are not what a
person searches for.

Typed text is split on white space; each word becomes an FTS5 string (quoted, so no
character of it is query syntax) matched as a whole word, and all words must match:
"blood pressure" finds "Blood pressure panel". A word ending in ``*`` matches as the start
of a word ("press*" finds "pressure"); a filter box that searches as the user types adds it
to the last word. Whole words are found in time proportional to the page asked for; a
prefix needs every word it starts (SQLite's FTS5 merges them), so it costs in proportion to
its matches. A word that is a code with punctuation ("8302-2", "J45.909") matches as a
phrase of its parts (the tokenizer splits on punctuation).

A word that is a unit as lists show it (``mmHg``, ``°C``, ``kg/m²``, ``µg/L``, ``10³/µL``:
:mod:`.display_values`) also matches the UCUM code(s) shown that way (``mm[Hg]``, ``Cel``,
``kg/m2``, ``ug/L``, ``10*3/uL``, from :func:`~.display_values.ucum_forms`), as alternatives
in the query: what the index keeps is the record's own text, so a store made before needs
no new index. (The index's tokenizer, ``unicode61``, reads ``mm[Hg]`` as the words
``mm hg``, ``°C`` as ``c``, ``µg`` as ``μg``: a shown unit and its code share no word.)
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .display_values import ucum_forms
from .search_words import other_forms

__all__ = ["MAX_SEARCH_TEXT", "match_expression", "narrative_text", "search_text", "spellings"]

MAX_SEARCH_TEXT = 200_000  # characters indexed per record
# Keys whose string values are searched wherever they occur in a resource.
_TEXT_KEYS = frozenset({
    "code", "display", "text", "unit", "title", "description", "comment", "name", "family", "given",
    "conclusion", "summary", "detail", "reasonCode", "note", "valueString", "valueCode", "valueMarkdown",
    "valueBoolean", "valueInteger", "valueDecimal", "value", "vaccineCode", "medicationCodeableConcept",
    "lotNumber", "manufacturer", "series", "doseNumberString", "instruction", "patientInstruction",
})
_SKIP_KEYS = frozenset({"id", "reference", "system", "url", "fullUrl", "meta", "identifier", "version",
                        "extension", "modifierExtension", "contained"})


def narrative_text(div: str) -> str:
    """The words of an XHTML narrative: tags dropped, entities decoded, white space collapsed.

    :mod:`html.parser` is imported here, on the first narrative, so opening the store at
    start-up does not load it.
    """
    from html.parser import HTMLParser

    parts: list[str] = []

    class _TextOnly(HTMLParser):
        def handle_data(self, data: str) -> None:
            parts.append(data)

    parser = _TextOnly(convert_charrefs=True)
    parser.feed(div)
    parser.close()
    return " ".join(" ".join(parts).split())


def _walk(node: Any, key: str, out: list[str]) -> None:
    """Append the searched text of ``node`` (found under ``key``) to ``out``, in document order."""
    if isinstance(node, dict):
        _walk_object(node, out)
    elif isinstance(node, list):
        for item in node:
            _walk(item, key, out)
    elif isinstance(node, str):
        if key in _TEXT_KEYS or key.startswith("value"):
            out.append(node)
    elif isinstance(node, bool):
        return
    elif (isinstance(node, int | float | Decimal)) and (key.startswith("value") or key in {"low", "high"}):
        out.append(str(node))


def _walk_object(node: dict[str, Any], out: list[str]) -> None:
    """:func:`_walk` of a JSON object. The members an import meets in every record (strings,
    objects, arrays of objects) are handled here without a call each: this runs for every
    record written, and most of a resource's members are strings."""
    for k, v in node.items():
        if k in _SKIP_KEYS:
            continue
        kind = type(v)
        if kind is str:
            if k in _TEXT_KEYS or k.startswith("value"):
                out.append(v)
        elif isinstance(v, dict):
            if k == "text":  # a Narrative
                div = v.get("div")
                if isinstance(div, str):
                    out.append(narrative_text(div))
                continue
            _walk_object(v, out)
        elif kind is list:
            for item in v:
                if type(item) is dict:
                    _walk_object(item, out)
                else:
                    _walk(item, k, out)
        else:
            _walk(v, k, out)


def search_text(summary: dict[str, Any], resource: dict[str, Any]) -> str:
    """The text the search index keeps for one record (at most :data:`MAX_SEARCH_TEXT` characters).

    ``summary`` is :meth:`Summary.to_json`; its ``code`` (``system|code``) contributes the code."""
    parts: list[str] = []
    for name in ("title", "detail", "unit"):
        if isinstance(summary.get(name), str):
            parts.append(summary[name])
    code = summary.get("code")
    if isinstance(code, str) and code:
        parts.append(code.rsplit("|", 1)[-1])
    if summary.get("value") is not None:
        parts.append(str(summary["value"]))
    parts.append(str(resource.get("resourceType", "")))
    _walk(resource, "", parts)
    return " ".join(p for p in parts if p)[:MAX_SEARCH_TEXT]


def spellings(word: str) -> tuple[str, ...]:
    """``word`` and the other ways a record may write it: a unit as shown with its UCUM
    codes (:func:`~.display_values.ucum_forms`), a word with its singular or plural, other
    spelling and what records call it (:func:`~.search_words.other_forms`)."""
    return tuple(dict.fromkeys((word, *ucum_forms(word), *other_forms(word))))


def match_expression(text: str) -> str | None:
    """An FTS5 query for typed ``text``: every word quoted (a whole word; one ending in ``*``
    a prefix), all required (``AND``); a word with other :func:`spellings` is
    ``("word" OR "form" …)``. ``None`` when ``text`` holds no letter or digit.

    >>> match_expression('120 mmHg')
    '"120" AND ("mmHg" OR "mm[Hg]")'
    >>> match_expression('flu')
    '("flu" OR "influenza")'
    """
    terms = []
    for word in text.split():
        prefix = word.endswith("*")
        word = word.rstrip("*")
        if any(c.isalnum() for c in word):
            forms = [_fts_string(w, prefix) for w in spellings(word)]
            terms.append(forms[0] if len(forms) == 1 else "(" + " OR ".join(forms) + ")")
    return " AND ".join(terms) if terms else None  # FTS5 takes no implicit AND before "("


def _fts_string(word: str, prefix: bool) -> str:
    """``word`` as an FTS5 string (no character of it query syntax), ``*`` after it for a prefix."""
    return '"' + word.replace('"', '""') + '"' + ("*" if prefix else "")
