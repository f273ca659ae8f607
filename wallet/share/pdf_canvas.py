"""PDF pages for printouts: fpdf2 with an embedded Unicode font and vector QR codes.

Why fpdf2: the core may not import Qt (so not Qt's PDF writer); fpdf2 is a maintained,
pure-Python PDF writer (py-pdf organisation) that embeds TrueType fonts as subsets, lays
out plain text (no markup is interpreted unless asked, so record text cannot inject
formatting) and draws tables. The font is DejaVu Sans, shipped in ``share/data/fonts``
with its licence, so a name such as "Zoë Łukasiewicz-Núñez" prints the same on every machine
(Latin, Greek and Cyrillic scripts; not CJK). QR codes come from ``segno`` (already used for
links) and are drawn as filled rectangles: sharp at any print resolution.
"""

from __future__ import annotations

import warnings
from datetime import datetime
from importlib import resources
from typing import Any, cast

import segno

with warnings.catch_warnings():  # fpdf2 warns when Pillow is absent (a frozen build leaves it out);
    warnings.simplefilter("ignore")  # the printouts embed no pictures, so it is not needed
    from fpdf import FPDF
    from fpdf.fonts import FontFace

__all__ = ["FONT", "FPDF", "QR_ERROR", "FontFace", "draw_qr", "fit_lines", "new_pdf", "pdf_bytes", "wrapped"]

FONT = "DejaVu"
QR_ERROR = "m"  # ISO/IEC 18004 level M: survives a crease or a smudge on paper


def _font_path(name: str) -> str:
    return str(resources.files("wallet.share") / "data" / "fonts" / name)


def new_pdf(*, page: str | tuple[float, float], title: str, made: datetime,
            orientation: str = "portrait") -> FPDF:
    """A PDF (unit mm) with DejaVu Sans regular and bold as :data:`FONT`, a document title
    and creation date (``made``, so the same input gives the same file), no automatic page
    break (callers lay out and break pages themselves)."""
    pdf = FPDF(orientation=orientation, unit="mm", format=page)
    pdf.add_font(FONT, "", _font_path("DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", _font_path("DejaVuSans-Bold.ttf"))
    pdf.set_font(FONT, size=10)
    pdf.set_title(title)
    pdf.set_creator("Health Wallet")
    pdf.set_producer("Health Wallet")
    pdf.set_creation_date(made)
    pdf.set_auto_page_break(False)
    pdf.set_text_shaping(False)
    return pdf


def pdf_bytes(pdf: FPDF) -> bytes:
    return bytes(pdf.output())


def draw_qr(pdf: FPDF, text: str, x: float, y: float, size: float) -> None:
    """A QR code of ``text`` (byte mode, error level M) filling a ``size`` mm square at
    ``x``, ``y``, its quiet zone (4 modules, ISO/IEC 18004 §6.3.8) inside the square."""
    qr = segno.make(text, error=QR_ERROR, micro=False)
    matrix: list[Any] = [list(row) for row in qr.matrix]
    count = len(matrix) + 8
    module = size / count
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x, y, size, size, style="F")
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                pdf.rect(x + (start + 4) * module, y + (r + 4) * module, (c - start) * module, module, style="F")
            else:
                c += 1


def wrapped(pdf: FPDF, text: str, width: float) -> list[str]:
    """The lines ``text`` wraps into at ``width`` mm in the current font (left-aligned)."""
    return cast(list[str], pdf.multi_cell(width, 1, text, align="L", dry_run=True, output="LINES"))


def fit_lines(pdf: FPDF, items: list[str], width: float, max_lines: int, *, separator: str = "; ",
              more: str = "+{n} more") -> list[str]:
    """Wrap ``items`` joined by ``separator`` into at most ``max_lines`` lines of ``width``
    mm in the current font; items that do not fit are dropped from the end and counted
    with ``more`` (``"+3 more"``). An item longer than the space left is cut with "…"."""
    def wrap(text: str) -> list[str]:
        return wrapped(pdf, text, width)

    for keep in range(len(items), -1, -1):
        dropped = len(items) - keep
        text = separator.join(items[:keep])
        if dropped:
            text = (text + separator if text else "") + more.format(n=dropped)
        lines = wrap(text) if text else []
        if len(lines) <= max_lines:
            return lines
    lines = wrap(items[0] if items else "")[:max_lines]
    if lines:
        lines[-1] = lines[-1][:-1].rstrip() + "…"
    return lines
