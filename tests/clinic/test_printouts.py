"""The printable summary and the emergency card, read back with PDFium: what a patient and a
clinician need is there, in plain words, with the names as written and the link's QR code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.clinic.patient import GLUCOSE, NAME, codes, titles, write_patient
from tests.clinic.pdf_reader import qr_modules_match, read_pdf
from tests.conftest import PASSPHRASE
from wallet.errors import ShareError, WalletError
from wallet.services import UnlockedWallet, WalletService
from wallet.services.clinic import emergency_card_pdf, printed_link, summary_pdf, write_pdf
from wallet.services.emergency_contact import load_emergency_contact, save_emergency_contact
from wallet.services.links import LinkSource, create_link


@pytest.fixture
def wallet(make_service, tmp_path: Path):
    service: WalletService = make_service()
    service.create(PASSPHRASE)
    opened = service.unlock(PASSPHRASE)
    opened.import_file(write_patient(tmp_path))
    yield opened
    opened.lock()


def plain_words(text: str) -> None:
    """No codes, URLs or JSON in what a person reads."""
    assert not re.search(r"https?://|urn:|[{}\"]|resourceType|loinc|snomed", text, re.IGNORECASE), text
    tokens = set(re.split(r"[\s;,()]+", text))
    assert not tokens & codes(), tokens & codes()


def test_summary_pdf_names_allergies_medications_results_in_plain_words(wallet: UnlockedWallet,
                                                                         tmp_path: Path) -> None:
    link = create_link(wallet, LinkSource(ips=True), base_url="https://clinic.example/shl", out=tmp_path / "link",
                       passcode="4711", label="Summary")
    doc = summary_pdf(wallet, link=link.printed)
    read = read_pdf(write_pdf(doc, tmp_path / "summary.pdf"))
    assert (tmp_path / "summary.pdf").stat().st_mode & 0o777 == 0o600
    assert doc.pages == len(read.pages) >= 2
    words = read.words
    assert NAME in words and "Born 2006-07-31" in words
    for title in titles("allergies") + titles("medications"):
        assert title in words, title
    assert "Glucose [Mass/volume] in Serum or Plasma 182 mg/dL 70–110 mg/dL High 2024-05-02" in words
    assert "Atopic dermatitis" in words and "Immunizations" in words
    assert "Ask the patient for the passcode" in words
    plain_words(words)
    assert all(f"page {n} of {doc.pages}" in page for n, page in enumerate(read.pages, start=1))
    width = read.sizes_mm[0][0]
    assert round(width) == 210 and qr_modules_match(doc.data, 0, width - 15 - 34, 15, 34, link.viewer_url)

    letter = summary_pdf(wallet, paper="Letter")
    assert [round(x) for x in read_pdf(letter.data).sizes_mm[0]] == [216, 279]
    assert "Scan to open" not in read_pdf(letter.data).words
    with pytest.raises(WalletError, match="Paper"):
        summary_pdf(wallet, paper="A5")


def test_emergency_card_is_wallet_sized_with_contact_and_qr(wallet: UnlockedWallet, tmp_path: Path) -> None:
    link = create_link(wallet, LinkSource(ips=True), base_url="https://clinic.example/shl", out=tmp_path / "link")
    given = printed_link(str(link.link_file))  # shlink.txt, as a user passes it
    assert given.qr_text == link.payload.shlink and not given.passcode
    card = emergency_card_pdf(wallet, contact="Ana Núñez (sister), +34 600 000 000", link=given)
    read = read_pdf(card.data)
    assert card.pages == 2 == len(read.pages)
    for width, height in read.sizes_mm:
        assert abs(width - 85.6) < 0.05 and abs(height - 54.0) < 0.05
    front, back = (" ".join(p.split()) for p in read.pages)
    assert NAME in front and "ALLERGIES" in front and "CONDITIONS" in front
    assert sum(title in front for title in titles("allergies")) >= 4
    assert "Ana Núñez (sister), +34 600 000 000" in back and "MEDICATIONS" in back
    assert titles("medications")[0].split(" 30 MG")[0] in back
    plain_words(front + " " + back)
    assert qr_modules_match(card.data, 1, 85.6 - 3.5 - 30, 3.5 - 1.5, 30, link.payload.shlink)

    bare = read_pdf(emergency_card_pdf(wallet).data)
    assert "Not given" in bare.pages[1] and "Scan" not in bare.pages[1]


def test_emergency_contact_is_kept_sealed(wallet: UnlockedWallet) -> None:
    assert load_emergency_contact(wallet) == ""
    assert save_emergency_contact(wallet, "  Ana Núñez, +34 600 000 000 ") == "Ana Núñez, +34 600 000 000"
    assert load_emergency_contact(wallet) == "Ana Núñez, +34 600 000 000"
    sealed = (wallet.app.home / "emergency-contact.sealed").read_bytes()
    assert "Núñez".encode() not in sealed and b"600 000" not in sealed
    for bad, message in (("x" * 121, "longer"), ("Ana\n+34", "one line")):
        with pytest.raises(WalletError, match=message):
            save_emergency_contact(wallet, bad)
    assert load_emergency_contact(wallet) == "Ana Núñez, +34 600 000 000"
    save_emergency_contact(wallet, "")
    assert load_emergency_contact(wallet) == "" and not (wallet.app.home / "emergency-contact.sealed").exists()


def test_printed_link_refuses_what_is_not_a_link(tmp_path: Path) -> None:
    for bad in ("https://example.org/", "shlink:/not-base64!", str(tmp_path / "missing.txt")):
        with pytest.raises(ShareError):
            printed_link(bad)
    assert GLUCOSE["id"] == "glucose-high"


def test_a_link_made_now_and_the_same_link_given_print_alike(wallet: UnlockedWallet, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    expires = datetime(2031, 3, 4, 23, 59, 59, tzinfo=UTC)
    made = create_link(wallet, LinkSource(ips=True), base_url="https://clinic.example/shl", out=tmp_path / "link",
                       passcode="4711", expires_at=expires)
    given = printed_link(made.viewer_url)  # the summary prints the link made now; the card, the one given
    assert made.printed.qr_text == given.qr_text == made.viewer_url
    assert made.printed.expires == given.expires == "2031-03-04"
    assert made.printed.passcode and given.passcode
    plain = create_link(wallet, LinkSource(ips=True), base_url="https://clinic.example/shl", out=tmp_path / "plain")
    again = printed_link(plain.payload.shlink)
    assert (plain.printed.expires, plain.printed.passcode) == ("", False) == (again.expires, again.passcode)
