"""The emergency card: a wallet-sized printout (ISO/IEC 7810 ID-1, 85.6 × 54 mm) for first
responders, as a two-page PDF whose pages are the card's front and back (print both sides,
or print and fold; a print dialog's "actual size" keeps the card size).

- Front: "Emergency health information", the person's name and birth date, allergies and
  current problems.
- Back: current medications, the emergency contact, and the QR code of a SMART Health Link
  to the person's International Patient Summary (when one is given) with a line saying what
  it opens.

What does not fit is cut and counted ("+3 more"), and the QR line says the full list is
behind the code. Plain text only, from :class:`~wallet.records.printable_summary.PrintableSummary`.
"""

from __future__ import annotations

from datetime import datetime

from ..records.printable_summary import ALLERGIES, MEDICATIONS, PROBLEMS, PrintableSummary, plain
from .pdf_canvas import FONT, FPDF, draw_qr, fit_lines, new_pdf, pdf_bytes
from .summary_pdf import PrintedLink

__all__ = ["CARD_SIZE_MM", "render_emergency_card"]

CARD_SIZE_MM = (85.6, 54.0)  # ISO/IEC 7810 ID-1
PAD = 3.5
LINE = 2.9  # mm per line at 6.5 pt
RED = (176, 24, 24)


def _label(pdf: FPDF, x: float, y: float, text: str) -> None:
    pdf.set_font(FONT, "B", 6.5)
    pdf.set_text_color(*RED)
    pdf.set_xy(x, y)
    pdf.cell(0, LINE, text)
    pdf.set_text_color(0, 0, 0)


def _block(pdf: FPDF, x: float, y: float, width: float, title: str, items: list[str], empty: str,
           max_lines: int) -> float:
    """A titled list cut to ``max_lines``; returns the y below it."""
    _label(pdf, x, y, title)
    pdf.set_font(FONT, "", 6.5)
    lines = fit_lines(pdf, items, width, max_lines) if items else [empty]
    for n, line in enumerate(lines):
        pdf.set_xy(x, y + LINE * (n + 1))
        pdf.cell(width, LINE, line)
    return y + LINE * (len(lines) + 1) + 1.2


def _titles(summary: PrintableSummary, code: str) -> tuple[list[str], str]:
    section = summary.section(code)
    return [plain(i.title, 60) for i in section.items], section.absent or "None recorded"


def render_emergency_card(summary: PrintableSummary, *, made: datetime, contact: str = "",
                          link: PrintedLink | None = None) -> tuple[bytes, int]:
    """The card as PDF bytes and its page count (2: front and back, each 85.6 × 54 mm)."""
    width, height = CARD_SIZE_MM
    pdf = new_pdf(page=(height, width), orientation="landscape", title=f"Emergency card: {summary.name}",
                  made=made)
    inner = width - 2 * PAD

    # front
    pdf.add_page()
    pdf.set_fill_color(*RED)
    pdf.rect(0, 0, width, 8, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(FONT, "B", 7.5)
    pdf.set_xy(PAD, 1.5)
    pdf.cell(inner, 5, "EMERGENCY HEALTH INFORMATION", align="C")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(FONT, "B", 9)
    name = fit_lines(pdf, [summary.name], inner, 1)[0] if summary.name else ""
    pdf.set_xy(PAD, 9.5)
    pdf.cell(inner, 4.2, name)
    pdf.set_font(FONT, "", 6.5)
    pdf.set_xy(PAD, 13.8)
    pdf.cell(inner, LINE, ", ".join(x for x in (f"Born {summary.birth_date}" if summary.birth_date else "",
                                                summary.gender) if x))
    allergies, none_a = _titles(summary, ALLERGIES)
    problems, none_p = _titles(summary, PROBLEMS)
    y = _block(pdf, PAD, 17.5, inner, "ALLERGIES", allergies, none_a, 4)
    _block(pdf, PAD, y, inner, "CONDITIONS", problems, none_p, max(1, int((height - PAD - y) / LINE) - 1))

    # back
    pdf.add_page()
    qr = 30.0 if link else 0.0
    text_width = inner - (qr + 2 if link else 0)
    medications, none_m = _titles(summary, MEDICATIONS)
    pdf.set_font(FONT, "", 6.5)
    _label(pdf, PAD, PAD - 0.5, "EMERGENCY CONTACT")
    contact_lines = fit_lines(pdf, [plain(contact, 120)], text_width, 2) if contact else ["Not given"]
    for n, line in enumerate(contact_lines):
        pdf.set_font(FONT, "B" if contact else "", 6.5)
        pdf.set_xy(PAD, PAD - 0.5 + LINE * (n + 1))
        pdf.cell(text_width, LINE, line)
    y = PAD - 0.5 + LINE * (len(contact_lines) + 1) + 1.2
    bottom = height - PAD - 2 * LINE
    _block(pdf, PAD, y, text_width, "MEDICATIONS", medications, none_m, max(1, int((bottom - y) / LINE) - 1))
    pdf.set_font(FONT, "", 5.5)
    pdf.set_text_color(80, 80, 80)
    pdf.set_xy(PAD, height - PAD - 2 * LINE + 0.5)
    made_on = summary.made_on or made.date().isoformat()
    pdf.multi_cell(text_width, 2.4, f"Made {made_on} with Health Wallet from the holder's own records.", align="L")
    pdf.set_text_color(0, 0, 0)
    if link is not None:
        x = width - PAD - qr
        draw_qr(pdf, link.qr_text, x, PAD - 1.5, qr)
        pdf.set_font(FONT, "", 5.5)
        pdf.set_xy(x - 1, PAD - 1.5 + qr)
        words = "Scan: full patient summary" + (" (passcode needed)" if link.passcode else "")
        pdf.multi_cell(qr + 2, 2.4, words, align="C")
    return pdf_bytes(pdf), pdf.pages_count
