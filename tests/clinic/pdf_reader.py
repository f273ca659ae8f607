"""Reading the wallet's PDFs back with an independent reader: PDFium (``pypdfium2``), the
engine of Chromium's PDF viewer, not the library that wrote them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pypdfium2

MM_PER_POINT = 25.4 / 72


@dataclass
class ReadPdf:
    pages: list[str]  # the text of each page
    sizes_mm: list[tuple[float, float]]

    @property
    def text(self) -> str:
        return "\n".join(self.pages)

    @property
    def words(self) -> str:
        """The text with every run of white space as one space (lines wrap anywhere)."""
        return " ".join(self.text.split())


def read_pdf(path: Path | bytes) -> ReadPdf:
    pdf = pypdfium2.PdfDocument(path.read_bytes() if isinstance(path, Path) else path)
    pages, sizes = [], []
    try:
        for page in pdf:
            text = page.get_textpage()
            pages.append(text.get_text_range())
            width, height = page.get_size()
            sizes.append((width * MM_PER_POINT, height * MM_PER_POINT))
            text.close()
            page.close()
    finally:
        pdf.close()
    return ReadPdf(pages, sizes)


def qr_modules_match(data: bytes, page: int, x_mm: float, y_mm: float, size_mm: float, text: str) -> bool:
    """Whether the square at (``x_mm``, ``y_mm``) of ``page`` holds the QR code of ``text``
    (ISO/IEC 18004, level M, 4-module quiet zone inside the square): every module's centre,
    rendered by the print path at 600 dpi, is dark exactly where the code's matrix is."""
    import segno

    from wallet.services.clinic import pdf_page_images

    image = list(pdf_page_images(data, dpi=600))[page]
    matrix = [list(row) for row in segno.make(text, error="m", micro=False).matrix]
    module = size_mm / (len(matrix) + 8)
    px_per_mm = image.width / (image.width_pt * MM_PER_POINT)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            px = round((x_mm + (c + 4.5) * module) * px_per_mm)
            py = round((y_mm + (r + 4.5) * module) * px_per_mm)
            offset = py * image.stride + px * 4
            blue, green, red = image.pixels[offset:offset + 3]
            if (red + green + blue < 3 * 128) != bool(dark):
                return False
    return True
