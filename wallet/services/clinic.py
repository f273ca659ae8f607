"""Sharing with a clinic that runs no Health Wallet: the International Patient Summary and
its printouts.

The IPS is built from every record of the wallet (:mod:`wallet.records.ips`), validated with
the FHIR R4B models and the IPS must-haves, and only then written, atomically. The printable
summary and the emergency card are PDFs of the same selection
(:mod:`wallet.records.printable_summary`), written with fpdf2 (:mod:`wallet.share.pdf_canvas`
says why) and rendered back to pictures for printing with PDFium (``pypdfium2``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..atomicfile import write_atomic
from ..errors import InvalidRecord, RecordError, WalletError
from ..records import fhir_json
from ..records.ips import build_ips, check_ips
from ..records.parse import parse_bytes
from ..records.printable_summary import PrintableSummary, printable_summary
from ..records.validate import validate_file
from ..share.emergency_card import render_emergency_card
from ..share.summary_pdf import PAPER_SIZES, PrintedLink, render_summary_pdf
from .wallet import UnlockedWallet

if TYPE_CHECKING:  # the SMART Health Link module loads when a link is read
    from ..share.shl import SHLPayload

__all__ = ["PAPER_SIZES", "IpsDocument", "PageImage", "PdfDocument", "PrintedLink", "emergency_card_pdf",
           "link_to_print", "make_ips", "pdf_page_images", "printed_link", "summary_pdf", "write_ips", "write_pdf"]


@dataclass(frozen=True)
class IpsDocument:
    """A built and checked IPS: the Bundle as JSON bytes and the LOINC codes of its sections."""

    data: bytes
    sections: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.data or not self.sections:
            raise ValueError("an IPS document has content and sections")

    def __repr__(self) -> str:  # the bytes are health data
        return f"IpsDocument({len(self.data)} bytes, sections={list(self.sections)})"

    @property
    def bundle(self) -> dict[str, Any]:
        doc: dict[str, Any] = fhir_json.loads(self.data)
        return doc


def make_ips(wallet: UnlockedWallet, *, profile: str | None = None) -> IpsDocument:
    """Build the IPS of one profile (default: the active one; one person per summary) and
    check it: FHIR R4 validity of every entry (R4B models), references resolving inside the
    document and the IPS must-haves.

    Raises :class:`~wallet.errors.InvalidRecord` (no Patient, or a rule broken) and
    :class:`~wallet.errors.RecordError` for an unknown profile.
    """
    name = wallet.profile if profile is None else profile
    if name not in wallet.profile_names():
        raise RecordError(f"No profile {name!r}; this wallet has {', '.join(wallet.profile_names())}.")
    store = wallet.store
    resources = [res for _, res in store.resources(store.ids(newest_first=False, profile=name))]
    bundle = build_ips(resources, now=wallet.app.clock.now())
    try:
        data = fhir_json.dumps(bundle).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise InvalidRecord(f"A record holds a value JSON cannot represent ({exc}); no summary was made.") from exc
    try:
        warnings = validate_file(parse_bytes(data, name="patient summary"), name="patient summary")
    except InvalidRecord as exc:
        raise InvalidRecord(f"The patient summary did not pass FHIR validation: {exc.user_message}") from exc
    if warnings:
        raise InvalidRecord(f"The patient summary has an unresolved reference: {warnings[0]}")
    sections = check_ips(bundle)
    return IpsDocument(data, tuple(sections))


def write_ips(wallet: UnlockedWallet, out: Path, *, profile: str | None = None) -> IpsDocument:
    """Build, check and write the IPS to ``out`` atomically (mode 0600). Nothing is written
    when a check fails. Raises :class:`~wallet.errors.WalletError` when ``out`` cannot be written."""
    doc = make_ips(wallet, profile=profile)
    _write_file(Path(out), doc.data, "file")
    return doc


def _write_file(out: Path, data: bytes, what: str) -> None:
    """Write ``data`` to ``out`` atomically (mode 0600); ``what`` names the file in the
    message for a folder ("file", "PDF file"). Raises :class:`~wallet.errors.WalletError`."""
    if out.is_dir():
        raise WalletError(f"{out} is a folder; name the {what} to write.")
    try:
        write_atomic(out, data)
    except OSError as exc:
        raise WalletError(f"Cannot write {out}: {exc.strerror or exc}.") from exc


# --- printouts: the patient summary and the emergency card (PDF) -------------------------


@dataclass(frozen=True)
class PdfDocument:
    """A PDF made by the wallet: its bytes and page count. The bytes are health data: not in repr."""

    data: bytes
    pages: int

    def __post_init__(self) -> None:
        if not self.data.startswith(b"%PDF-") or self.pages < 1:
            raise ValueError("a PDF document has a PDF header and at least one page")

    def __repr__(self) -> str:
        return f"PdfDocument({len(self.data)} bytes, pages={self.pages})"


def printed_link(text: str) -> PrintedLink:
    """A SMART Health Link to print as a QR code, from ``shlink:/…``, a viewer URL
    (``https://…#shlink:/…``) or a file holding one (``shlink.txt`` of ``shl create``).
    The code holds the text as given. Raises :class:`~wallet.errors.ShareError` for
    anything that is not a valid link."""
    from ..share.shl import parse_shlink

    raw = text.strip()
    if "shlink:/" not in raw and raw and len(raw) < 4096 and Path(raw).is_file():
        try:
            raw = Path(raw).read_text("utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise WalletError(f"Cannot read the link from {text}: {exc}.") from exc
    return link_to_print(raw, parse_shlink(raw))


def link_to_print(text: str, payload: SHLPayload) -> PrintedLink:
    """What the summary and the emergency card print for a SMART Health Link: a QR code of
    ``text`` (the link or its viewer URL), the expiry date (UTC) of ``payload``'s ``exp``
    and whether it needs a passcode (flag ``P``; SMART Health Links spec, "flag")."""
    expires = datetime.fromtimestamp(payload.exp, UTC).date().isoformat() if payload.exp else ""
    return PrintedLink(text, expires=expires, passcode="P" in payload.flag)


def _printable(wallet: UnlockedWallet, profile: str | None) -> PrintableSummary:
    return printable_summary(make_ips(wallet, profile=profile).bundle)


def summary_pdf(wallet: UnlockedWallet, *, profile: str | None = None, link: PrintedLink | None = None,
                paper: str = "A4") -> PdfDocument:
    """The printable patient summary of ``profile`` (default: the active one) as PDF: the
    IPS selection (:func:`make_ips`) in plain words, with ``link``'s QR code when given.
    ``paper``: ``"A4"`` or ``"Letter"``. Raises :class:`~wallet.errors.InvalidRecord` as
    :func:`make_ips` does and :class:`~wallet.errors.WalletError` for another paper size."""
    if paper not in PAPER_SIZES:
        raise WalletError(f"Paper {paper!r} is not one of {', '.join(PAPER_SIZES)}.")
    data, pages = render_summary_pdf(_printable(wallet, profile), made=wallet.app.clock.now(), link=link,
                                     paper=paper)
    return PdfDocument(data, pages)


def emergency_card_pdf(wallet: UnlockedWallet, *, contact: str = "", link: PrintedLink | None = None,
                       profile: str | None = None) -> PdfDocument:
    """The wallet-sized emergency card (85.6 × 54 mm, front and back) of ``profile``: allergies,
    current problems, medications, ``contact`` and ``link``'s QR code."""
    data, pages = render_emergency_card(_printable(wallet, profile), made=wallet.app.clock.now(),
                                        contact=contact, link=link)
    return PdfDocument(data, pages)


def write_pdf(doc: PdfDocument, out: Path) -> Path:
    """Write ``doc`` to ``out`` atomically, mode 0600 (it is health data, not encrypted).
    Raises :class:`~wallet.errors.WalletError` for a folder or a file that cannot be written."""
    out = Path(out)
    _write_file(out, doc.data, "PDF file")
    return out


@dataclass(frozen=True)
class PageImage:
    """One rendered page: ``width`` × ``height`` pixels, ``pixels`` rows of ``stride`` bytes
    (top first), 4 bytes a pixel in the order B, G, R, unused (Qt's ``Format_RGB32`` on
    little-endian machines), and the page's size in points (1/72 in) to print it at its real size."""

    width: int
    height: int
    stride: int
    pixels: bytes = field(repr=False)
    width_pt: float
    height_pt: float


def pdf_page_images(data: bytes, *, dpi: float) -> Iterator[PageImage]:
    """Render each page of a PDF (for printing on a printer that takes pictures of pages),
    one at a time, with PDFium (``pypdfium2``). Raises :class:`~wallet.errors.WalletError`
    when the bytes are not a PDF PDFium can open."""
    import pypdfium2

    try:
        pdf = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        raise WalletError(f"That PDF cannot be rendered: {exc}.") from exc
    try:
        for page in pdf:
            width_pt, height_pt = page.get_size()
            bitmap = page.render(scale=dpi / 72, prefer_bgrx=True)
            yield PageImage(bitmap.width, bitmap.height, bitmap.stride, bytes(bitmap.buffer), width_pt, height_pt)
            page.close()
    finally:
        pdf.close()
