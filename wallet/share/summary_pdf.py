"""The printable patient summary: one PDF a patient can read and hand to a clinician.

Layout (A4 or US Letter, portrait, 15 mm margins): the person (name, birth date, gender),
when a SMART Health Link is given its QR code top right with what the clinic needs to know
(passcode, expiry), a line saying where the summary comes from, then the sections of
:class:`~wallet.records.printable_summary.PrintableSummary` in print order: allergies,
medications, current problems, immunizations, recent test results and vital signs (tables
with reference ranges and flags), past illnesses, procedures. Each page ends with the
person's name and "page N of M". Plain text only: no codes, no JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..records.printable_summary import PrintableSummary, SummarySection
from .pdf_canvas import FONT, FPDF, FontFace, draw_qr, new_pdf, pdf_bytes, wrapped

__all__ = ["MAX_MEASUREMENTS", "PAPER_SIZES", "PrintedLink", "render_summary_pdf"]

PAPER_SIZES = ("A4", "Letter")
MAX_MEASUREMENTS = 40  # rows of test results; older ones are counted, not printed
MARGIN = 15.0
QR_SIZE = 34.0
FOOTER = 12.0


@dataclass(frozen=True)
class PrintedLink:
    """A SMART Health Link printed as a QR code: ``qr_text`` is what the code holds (the
    viewer URL or the ``shlink:/`` itself), ``expires`` a date or "", ``passcode`` whether
    the clinic must also be told a passcode. ``qr_text`` holds the link's key: not in repr."""

    qr_text: str
    expires: str = ""
    passcode: bool = False

    def __post_init__(self) -> None:
        if "shlink:/" not in self.qr_text:
            raise ValueError("a printed link is a SMART Health Link")

    def __repr__(self) -> str:
        return f"PrintedLink(expires={self.expires!r}, passcode={self.passcode})"

    @property
    def caption(self) -> str:
        words = "Scan to open this summary (SMART Health Link)."
        if self.passcode:
            words += " Ask the patient for the passcode."
        if self.expires:
            words += f" Valid until {self.expires}."
        return words


class _SummaryPdf:
    def __init__(self, summary: PrintableSummary, *, paper: str, made: datetime) -> None:
        self.summary = summary
        self.pdf: FPDF = new_pdf(page=paper, title=f"Patient summary: {summary.name}", made=made)
        self.width = self.pdf.w - 2 * MARGIN
        self.bottom = self.pdf.h - MARGIN - FOOTER
        self.pdf.set_margins(MARGIN, MARGIN, MARGIN)
        self.pdf.set_auto_page_break(True, margin=MARGIN + FOOTER)

    def new_page(self) -> None:
        self.pdf.add_page()
        self.pdf.set_xy(MARGIN, MARGIN)

    def room(self, height: float) -> None:
        """Start a new page when ``height`` mm does not fit on this one."""
        if self.pdf.get_y() + height > self.bottom:
            self.new_page()

    def text(self, text: str, *, size: float = 10, bold: bool = False, width: float | None = None,
             height: float | None = None, color: tuple[int, int, int] = (0, 0, 0)) -> None:
        pdf = self.pdf
        pdf.set_font(FONT, "B" if bold else "", size)
        pdf.set_text_color(*color)
        line = height or size * 0.5
        lines = wrapped(pdf, text, width or self.width)
        self.room(len(lines) * line)
        pdf.set_x(MARGIN)
        pdf.multi_cell(width or self.width, line, text, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)

    def header(self, link: PrintedLink | None) -> None:
        s, pdf = self.summary, self.pdf
        self.new_page()
        text_width = self.width - (QR_SIZE + 6 if link else 0)
        self.text("Patient summary", size=10, color=(90, 90, 90), width=text_width)
        self.text(s.name, size=18, bold=True, width=text_width, height=8)
        born = ", ".join(x for x in (f"born {s.birth_date}" if s.birth_date else "", s.gender) if x)
        if born:
            self.text(born[0].upper() + born[1:], size=11, width=text_width, height=6)
        pdf.ln(2)
        self.text(f"Made on {s.made_on} from the patient's own health wallet. It lists only what was imported "
                  "into the wallet: please confirm with the patient.", size=8.5, color=(70, 70, 70),
                  width=text_width)
        if link is not None:
            x = pdf.w - MARGIN - QR_SIZE
            draw_qr(pdf, link.qr_text, x, MARGIN, QR_SIZE)
            pdf.set_font(FONT, "", 7)
            pdf.set_xy(x, MARGIN + QR_SIZE + 1)
            pdf.multi_cell(QR_SIZE, 3.2, link.caption, align="C")
            pdf.set_y(max(pdf.get_y(), MARGIN + QR_SIZE + 1) + 2)
        pdf.set_y(pdf.get_y() + 3)

    def heading(self, section: SummarySection) -> None:
        self.room(16)  # a heading never ends a page alone
        pdf = self.pdf
        pdf.ln(2)
        self.text(section.heading, size=13, bold=True, height=7)
        pdf.set_draw_color(160, 160, 160)
        pdf.line(MARGIN, pdf.get_y(), MARGIN + self.width, pdf.get_y())
        pdf.ln(1.5)

    def listed(self, section: SummarySection) -> None:
        self.heading(section)
        if not section.items:
            self.text(section.absent or "None recorded in this wallet.", size=10, color=(70, 70, 70))
            return
        for item in section.items:
            words = item.title + (f" — {item.detail}" if item.detail else "")
            words += f" ({item.date})" if item.date and item.date not in item.detail else ""
            self.text("• " + words, size=10, height=5)

    def measured(self, section: SummarySection) -> None:
        self.heading(section)
        items = section.items[:MAX_MEASUREMENTS]
        pdf = self.pdf
        pdf.set_font(FONT, "", 9)
        head = FontFace(emphasis="BOLD", fill_color=(235, 235, 235))
        # fpdf2 breaks the table across pages itself and repeats the header row on each
        with pdf.table(col_widths=(62, 44, 34, 18, 22), width=self.width, align="LEFT", headings_style=head,
                       line_height=4.6, borders_layout="HORIZONTAL_LINES", text_align="LEFT") as table:
            table.row(("Test", "Result", "Reference range", "Flag", "Date"))
            flagged = FontFace(emphasis="BOLD")
            for i in items:
                row = table.row()
                for n, cell in enumerate((i.title, i.value or i.detail, i.range, i.flag, i.date)):
                    row.cell(cell, style=flagged if n == 3 and cell else None)
        pdf.ln(1)
        if len(section.items) > len(items):
            self.text(f"{len(section.items) - len(items)} older results are not printed; the wallet holds them.",
                      size=8.5, color=(70, 70, 70))

    def footers(self) -> None:
        pdf = self.pdf
        pages = pdf.pages_count
        pdf.set_auto_page_break(False)
        for n in range(1, pages + 1):
            pdf.page = n
            pdf.set_font(FONT, "", 8)
            pdf.set_text_color(90, 90, 90)
            pdf.set_xy(MARGIN, pdf.h - MARGIN - 4)
            pdf.cell(self.width, 4, f"Patient summary of {self.summary.name} — made {self.summary.made_on}"
                                    f" — page {n} of {pages}", align="C")
        pdf.page = pages


def render_summary_pdf(summary: PrintableSummary, *, made: datetime, link: PrintedLink | None = None,
                       paper: str = "A4") -> tuple[bytes, int]:
    """The summary as PDF bytes and its page count. ``paper``: one of :data:`PAPER_SIZES`.
    Raises :class:`ValueError` for another paper size."""
    if paper not in PAPER_SIZES:
        raise ValueError(f"paper is one of {', '.join(PAPER_SIZES)}")
    doc = _SummaryPdf(summary, paper=paper, made=made)
    doc.header(link)
    for section in summary.sections:
        if section.measured:
            doc.measured(section)
        else:
            doc.listed(section)
    doc.footers()
    return pdf_bytes(doc.pdf), doc.pdf.pages_count
