"""Sharing with a clinic: ``ips`` (International Patient Summary), ``summary --pdf`` and
``emergency-card`` (printouts), ``shl`` (SMART Health Links) and ``serve --shl``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import WalletError
from ..services import FileOutcome, UnlockedWallet, WalletService
from ..services.clinic import write_ips
from .output import Output
from .record_choice import types_and_categories
from .records_cmds import unlocked

if TYPE_CHECKING:
    from ..services.clinic import PrintedLink
    from ..services.links import CreatedLink

__all__ = ["register"]

SECTION_NAMES = {"11450-4": "problems", "48765-2": "allergies", "10160-0": "medications",
                 "11348-0": "past illness", "11369-6": "immunizations", "30954-2": "results",
                 "47519-4": "procedures", "8716-3": "vital signs"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("ips", help="write an International Patient Summary (FHIR document) for a clinic")
    p.add_argument("--out", metavar="FILE", required=True, help="the JSON file to write")
    p.add_argument("--profile", metavar="NAME", help="whose summary (default: the owner's)")
    p.set_defaults(func=cmd_ips)

    s = sub.add_parser("summary", help="a printable patient summary (PDF) for the patient and a clinician")
    s.add_argument("--pdf", metavar="FILE", required=True, help="the PDF file to write")
    s.add_argument("--paper", choices=("A4", "Letter"), default="A4", help="paper size (default A4)")
    s.add_argument("--profile", metavar="NAME", help="whose summary (default: the owner's)")
    _link_options(s)
    s.set_defaults(func=cmd_summary)

    e = sub.add_parser("emergency-card", help="a wallet-sized emergency card (PDF, 85.6 × 54 mm, front and back)")
    e.add_argument("--pdf", metavar="FILE", required=True, help="the PDF file to write")
    e.add_argument("--contact", metavar='"NAME, PHONE"',
                   help="emergency contact to print (kept, sealed, for the next card; \"\" forgets it)")
    e.add_argument("--profile", metavar="NAME", help="whose card (default: the owner's)")
    _link_options(e)
    e.set_defaults(func=cmd_emergency_card)


def _link_options(p: argparse.ArgumentParser) -> None:
    """The SMART Health Link whose QR code is printed: a given one, or one made now for the IPS."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("--shl", metavar="LINK", help="print this link's QR code (shlink:/…, a viewer URL or shlink.txt)")
    g.add_argument("--shl-base-url", metavar="URL", help="make a new link to the patient summary, hosted at URL")
    p.add_argument("--shl-out", metavar="DIR", help="folder for the new link's files (default: beside the PDF)")
    p.add_argument("--passcode-file", metavar="F", help="the new link's passcode (served links only)")
    p.add_argument("--expires", metavar="DURATION", help="the new link's expiry: 7d, 12h, 2w or a date")


def _print_link(wallet: UnlockedWallet, args: argparse.Namespace) -> tuple[PrintedLink | None, dict[str, Any] | None]:
    """The link to print (and, when one was made now, its ``shl create`` fields)."""
    from ..services.clinic import printed_link
    from ..services.expiry import parse_expiry
    from ..services.links import LinkSource, create_link

    if (args.passcode_file or args.expires or args.shl_out) and not args.shl_base_url:
        raise WalletError("--passcode-file, --expires and --shl-out describe a new link: add --shl-base-url URL.")
    if args.shl:
        return printed_link(args.shl), None
    if not args.shl_base_url:
        return None, None
    passcode = _read_passcode(args.passcode_file) if args.passcode_file else None
    expires = parse_expiry(args.expires, now=wallet.app.clock.now()) if args.expires else None
    pdf = Path(args.pdf)
    out = Path(args.shl_out) if args.shl_out else pdf.with_name(pdf.stem + "-link")
    made = create_link(wallet, LinkSource(ips=True), base_url=args.shl_base_url, out=out, passcode=passcode,
                       expires_at=expires, label="Patient summary", profile=args.profile)
    return made.printed, _created_fields(made)


def _created_fields(made: CreatedLink) -> dict[str, Any]:
    return {"id": made.link_id, "shlink": made.payload.shlink, "url": made.viewer_url,
            "files": [str(p) for p in made.public_files], "qr": str(made.qr_file),
            "expires_at": made.expires_at.isoformat() if made.expires_at else None, "flags": made.payload.flag,
            "note": made.note}


def _check_pdf_path(name: str) -> None:
    """Refuse a folder before anything is made (a link, a saved contact)."""
    if Path(name).is_dir():
        raise WalletError(f"{name} is a folder; name the PDF file to write.")


def _read_passcode(name: str) -> str:
    try:
        return Path(name).read_text("utf-8").rstrip("\r\n")
    except OSError as exc:
        raise WalletError(f"Cannot read {name}: {exc.strerror or exc}.") from exc


def _link_words(link: dict[str, Any] | None, printed: PrintedLink | None) -> str:
    if link is not None:
        public = (f"Copy the files in {Path(link['files'][0]).parent} to the link's host.\n" if link["files"]
                  else "Run 'health-wallet serve --shl HOST:PORT' behind the link's address.\n")
        return (f"\nIts QR code opens a new SMART Health Link {link['id'][:10]} (flags {link['flags']}).\n"
                f"{public}{link['note']}")
    if printed is not None:
        return "\nIts QR code opens the SMART Health Link you gave."
    return ""


def cmd_summary(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    from ..services.clinic import summary_pdf, write_pdf

    _check_pdf_path(args.pdf)
    with unlocked(service, args) as wallet:
        printed, link = _print_link(wallet, args)
        doc = summary_pdf(wallet, profile=args.profile, link=printed, paper=args.paper)
        write_pdf(doc, Path(args.pdf))
    out.result({"path": str(Path(args.pdf)), "pages": doc.pages, "link": link},
               f"Wrote the patient summary to {args.pdf} ({doc.pages} page{'s' if doc.pages > 1 else ''})."
               f"{_link_words(link, printed)}\nIt is not encrypted: print it, or give it only to whom you mean it for.")
    return 0


def cmd_emergency_card(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    from ..services.clinic import emergency_card_pdf, write_pdf
    from ..services.emergency_contact import checked_contact, load_emergency_contact, save_emergency_contact

    _check_pdf_path(args.pdf)
    with unlocked(service, args) as wallet:
        contact = checked_contact(args.contact) if args.contact is not None else load_emergency_contact(wallet)
        printed, link = _print_link(wallet, args)
        doc = emergency_card_pdf(wallet, contact=contact, link=printed, profile=args.profile)
        write_pdf(doc, Path(args.pdf))
        if args.contact is not None:  # kept only once the card is written
            save_emergency_contact(wallet, contact)
    words = "" if printed else ("\nNo QR code: add --shl LINK or --shl-base-url URL so a responder can open "
                                "the full patient summary.")
    if printed is not None and not printed.passcode:
        words += "\nAnyone who scans the card's code can read the patient summary."
    out.result({"path": str(Path(args.pdf)), "pages": doc.pages, "contact": bool(contact), "link": link},
               f"Wrote the emergency card to {args.pdf} (85.6 × 54 mm, front and back; print at actual size)."
               f"{_link_words(link, printed)}{words}"
               + ("" if contact else "\nNo emergency contact: add --contact \"Name, phone\"."))
    return 0


def cmd_ips(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    with unlocked(service, args) as wallet:
        doc = write_ips(wallet, Path(args.out), profile=args.profile)
    names = ", ".join(SECTION_NAMES.get(c, c) for c in doc.sections)
    out.result({"path": str(Path(args.out)), "sections": list(doc.sections)},
               f"Wrote the patient summary to {args.out} ({names}).\n"
               "It is not encrypted: give it only to the clinic you mean it for.")
    return 0


def register_shl(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("shl", help="SMART Health Links for a clinic: create, list, revoke")
    ssub = p.add_subparsers(dest="shl_cmd", metavar="ACTION", required=True)
    c = ssub.add_parser("create", help="encrypt records into a new SMART Health Link")
    what = c.add_mutually_exclusive_group(required=True)
    what.add_argument("--ips", action="store_true", help="the International Patient Summary")
    what.add_argument("--ids", nargs="+", action="extend", metavar="ID", help="these records (repeatable)")
    what.add_argument("--type", dest="types", nargs="+", action="extend", metavar="T",
                      help="records of these types or categories (repeatable)")
    c.add_argument("--passcode-file", metavar="F", help="a passcode the clinic must type (served links only)")
    c.add_argument("--expires", metavar="DURATION", help="7d, 12h, 2w or a date")
    c.add_argument("--label", default="", metavar="TEXT", help="a short description (at most 80 characters)")
    c.add_argument("--long-term", action="store_true", help="a manifest link (flag L) instead of a single file")
    c.add_argument("--base-url", required=True, metavar="URL", help="where the files will be reachable")
    c.add_argument("--viewer", metavar="URL", help="viewer page for the printed viewer URL")
    c.add_argument("--out", required=True, metavar="DIR", help="folder for the files, the link and its QR code")
    c.add_argument("--profile", metavar="NAME", help="whose records (default: the owner's)")
    c.set_defaults(func=cmd_shl_create)
    ls = ssub.add_parser("list", help="the links this wallet made")
    ls.set_defaults(func=cmd_shl_list)
    r = ssub.add_parser("revoke", help="stop serving a link")
    r.add_argument("id")
    r.set_defaults(func=cmd_shl_revoke)


def cmd_shl_create(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    from ..services.expiry import parse_expiry
    from ..services.links import DEFAULT_VIEWER, LinkSource, create_link

    passcode = _read_passcode(args.passcode_file) if args.passcode_file else None
    types, categories = types_and_categories(args.types or ())
    source = LinkSource(ips=args.ips, ids=tuple(args.ids or ()), types=(*types, *categories))
    with unlocked(service, args) as wallet:
        expires = parse_expiry(args.expires, now=wallet.app.clock.now()) if args.expires else None
        made = create_link(wallet, source, base_url=args.base_url, out=Path(args.out), passcode=passcode,
                           expires_at=expires, label=args.label, long_term=args.long_term,
                           viewer=args.viewer or DEFAULT_VIEWER, profile=args.profile)
    doc = _created_fields(made)
    public = (f"Copy {Path(args.out) / 'public'} to {args.base_url}.\n" if made.public_files
              else "Nothing to upload: run 'health-wallet serve --shl HOST:PORT' behind that address.\n")
    out.result(doc, f"SMART Health Link {made.link_id[:10]} (flags {made.payload.flag}).\n{public}"
               f"Give the clinic the QR code {made.qr_file} or this link (anyone holding it can read the records"
               f"{' with the passcode' if passcode else ''}):\n{made.viewer_url}\n{made.note}")
    return 0


def cmd_shl_list(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    from ..services.links import link_store

    with unlocked(service, args) as wallet:
        links = link_store(wallet).all()
    doc = [{"id": lk.id, "label": lk.label, "flags": lk.flags, "expires_at": lk.expires_at,
            "accesses": lk.accesses, "revoked": lk.revoked, "attempts_left": lk.attempts_left
            if "P" in lk.flags else None} for lk in links]
    rows = [[lk.id[:10], lk.flags, lk.label[:30], (lk.expires_at or "never")[:16], str(lk.accesses),
             "revoked" if lk.revoked else ""] for lk in links]
    out.result(doc, out.table(rows, ["ID", "FLAGS", "LABEL", "EXPIRES", "OPENED", ""]) if doc else "No links.")
    return 0


def cmd_shl_revoke(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    from ..services.links import revoke_link

    with unlocked(service, args) as wallet:
        link = revoke_link(wallet, args.id)
    static = ("\nIts files written for a static host stay readable there until you delete them."
              if "P" not in link.flags else "")
    out.result({"id": link.id, "revoked": True},
               f"Revoked {link.id[:10]}: 'serve --shl' answers it no more. "
               f"Copies a clinic already opened stay with it.{static}")
    return 0


def serve_shl(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    """``serve --shl HOST:PORT``: answer this wallet's links until interrupted."""
    import signal
    import threading

    from ..services.links import live_links, shl_server, terminal_qr

    host, _, port = args.shl.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise WalletError(f"{args.shl!r} is not HOST:PORT (for example 127.0.0.1:8765).")
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with unlocked(service, args) as wallet:
            server = shl_server(wallet, host.strip("[]"), int(port))
            server.start()
            try:
                links = live_links(wallet)
                doc = {"shl": f"http://{server.address}",
                       "links": [{"id": lk.id, "label": lk.label, "flags": lk.flags, "expires_at": lk.expires_at,
                                  "shlink": lk.shlink, "url": lk.viewer_url} for lk in links]}
                shown = "".join(
                    f"\n{lk.label or 'Link'} ({lk.id[:10]}, flags {lk.flags}, "
                    f"{'expires ' + lk.expires_at if lk.expires_at else 'no expiry'}):\n{lk.shlink}\n"
                    f"{lk.viewer_url}\n{terminal_qr(lk.viewer_url)}" for lk in links)
                out.result(doc, f"Serving SMART Health Links on http://{server.address}; press Ctrl-C to stop."
                                f"{shown or chr(10) + 'No live links: make one with shl create.'}\n"
                                "Anyone holding a link (and its passcode) can read what it holds.")
                sys.stdout.flush()
                while not stop.wait(0.5):
                    pass
            finally:
                server.close()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def import_link_outcomes(wallet: UnlockedWallet, link: str, passcode_file: str | None, *,
                         profile: str | None = None, same_person: bool = False) -> list[FileOutcome]:
    """``import shlink:/…``: the passcode comes from ``--passcode-file`` or the terminal."""
    import getpass

    from ..services.links import import_link

    def passcode() -> str:
        if passcode_file:
            try:
                return Path(passcode_file).read_text("utf-8").rstrip("\r\n")
            except OSError as exc:
                raise WalletError(f"Cannot read {passcode_file}: {exc.strerror or exc}.") from exc
        if not sys.stdin.isatty():
            raise WalletError("This link needs a passcode: give it with --passcode-file.")
        return getpass.getpass("Passcode of the link: ")

    return import_link(wallet, link, passcode=passcode, profile=profile, same_person=same_person)
