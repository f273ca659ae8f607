"""Showing untrusted text safely.

Names, titles and narratives come from imported files, so they are data, never markup.
Qt guesses "rich text" for QLabel text and tooltips that look like HTML, which would
render ``<img src=...>`` or links. Labels that show record data are built with
:func:`plain_label` (``Qt.PlainText``); tooltips go through :func:`safe_tooltip`; FHIR
narratives (XHTML) are reduced to their text by :func:`narrative_text`, never rendered.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

__all__ = ["narrative_text", "plain_label", "safe_tooltip"]


def plain_label(text: str = "", parent: QWidget | None = None, *, wrap: bool = True,
                selectable: bool = True) -> QLabel:
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(wrap)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                      | Qt.TextInteractionFlag.TextSelectableByKeyboard)
    label.setText(text)
    return label


def safe_tooltip(text: str, *, limit: int = 600) -> str:
    """A tooltip that shows ``text`` literally.

    Tooltips are rich text whenever Qt thinks they might be, so the text is escaped and
    wrapped in a paragraph: always rich text, and the escaped text shows as written."""
    import html  # on the first tooltip shown, not when the window opens

    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"<p style='white-space:pre-wrap'>{html.escape(text, quote=False)}</p>"


@cache
def _text_only_parser() -> Any:
    """The parser class, defined on first use: ``html.parser`` loads when a narrative is shown."""
    from html.parser import HTMLParser

    class TextOnly(HTMLParser):
        _BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol",
                             "pre"})
        _SKIP = frozenset({"script", "style", "head", "title"})

        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []
            self._skip = 0

        def handle_starttag(self, tag: str, attrs: list) -> None:
            if tag in self._SKIP:
                self._skip += 1
            elif tag in self._BLOCKS:
                self.parts.append("\n")
            elif tag in ("td", "th"):
                self.parts.append("\t")

        def handle_endtag(self, tag: str) -> None:
            if tag in self._SKIP:
                self._skip = max(0, self._skip - 1)
            elif tag in self._BLOCKS:
                self.parts.append("\n")

        def handle_data(self, data: str) -> None:
            if not self._skip:
                self.parts.append(data)

    return TextOnly


def narrative_text(xhtml: str) -> str:
    """The readable text of a FHIR narrative ``div``: tags dropped, entities decoded."""
    parser = _text_only_parser()()
    parser.feed(xhtml)
    if "<" not in parser.rawdata:
        # close() flushes held-back text; on markup left open it retries from every "<",
        # quadratic in the length (minutes for a crafted narrative), so that tail is dropped.
        parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()
