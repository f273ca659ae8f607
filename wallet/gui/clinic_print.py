"""Printing the wallet's PDFs (the patient summary, the emergency card) with Qt's print system.

The PDF is made by the core (fpdf2); Qt cannot draw a PDF itself without QtPdf, so each
page is rendered by the core's PDFium renderer at the printer's resolution and painted onto
the page at its real size (a card stays 85.6 × 54 mm: choose "actual size" in the dialog).
"""

from __future__ import annotations

from PySide6.QtCore import QMarginsF, QRectF, QSizeF
from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPainter
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QWidget

from ..errors import WalletError
from ..services.clinic import PdfDocument, pdf_page_images

__all__ = ["ask_and_print", "print_pdf"]

MAX_DPI = 300  # enough for text and a QR code; keeps a page's picture under 40 MB


def print_pdf(printer: QPrinter, doc: PdfDocument) -> int:
    """Paint every page of ``doc`` on ``printer`` at its real size; returns the pages printed.
    Raises :class:`~wallet.errors.WalletError` when the printer cannot start."""
    dpi = min(MAX_DPI, max(72, printer.resolution()))
    images = pdf_page_images(doc.data, dpi=dpi)
    first = next(images, None)
    if first is None:
        return 0
    size = QPageSize(QSizeF(first.width_pt, first.height_pt), QPageSize.Unit.Point, "",
                     QPageSize.SizeMatchPolicy.FuzzyMatch)
    printer.setPageLayout(QPageLayout(size, QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0)))
    printer.setFullPage(True)
    painter = QPainter()
    if not painter.begin(printer):
        raise WalletError("The printer did not start; check that it is ready and try again.")
    count = 0
    try:
        for page in (first, *images):
            if count:
                printer.newPage()
            image = QImage(page.pixels, page.width, page.height, page.stride, QImage.Format.Format_RGB32)
            target = printer.pageLayout().fullRectPixels(printer.resolution())
            painter.drawImage(QRectF(target), image)
            count += 1
    finally:
        painter.end()
    return count


def ask_and_print(parent: QWidget, doc: PdfDocument, title: str) -> int:
    """Show the system print dialog for ``doc``; prints when the user accepts. Returns the
    pages printed (0 when cancelled)."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setDocName(title)
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle(f"Print {title.lower()}")
    if dialog.exec() != QPrintDialog.DialogCode.Accepted:
        return 0
    return print_pdf(printer, doc)
