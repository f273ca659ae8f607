"""Sharing with a clinic: ``ips`` (International Patient Summary)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import WalletError
from ..services import FileOutcome, UnlockedWallet, WalletService
from ..services.clinic import write_ips
from .output import Output
from .records_cmds import unlocked

__all__ = ["register"]

SECTION_NAMES = {"11450-4": "problems", "48765-2": "allergies", "10160-0": "medications",
                 "11348-0": "past illness", "11369-6": "immunizations", "30954-2": "results",
                 "47519-4": "procedures", "8716-3": "vital signs"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("ips", help="write an International Patient Summary (FHIR document) for a clinic")
    p.add_argument("--out", metavar="FILE", required=True, help="the JSON file to write")
    p.add_argument("--profile", metavar="NAME", help="whose summary (default: the owner's)")
    p.set_defaults(func=cmd_ips)


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
    what.add_argument("--ids", nargs="+", metavar="ID", help="these records")
    what.add_argument("--type", dest="types", nargs="+", metavar="T", help="records of these types or categories")
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

    passcode = None
    if args.passcode_file:
        try:
            passcode = Path(args.passcode_file).read_text("utf-8").rstrip("\r\n")
        except OSError as exc:
            raise WalletError(f"Cannot read {args.passcode_file}: {exc.strerror or exc}.") from exc
    source = LinkSource(ips=args.ips, ids=tuple(args.ids or ()), types=tuple(args.types or ()))
    with unlocked(service, args) as wallet:
        expires = parse_expiry(args.expires, now=wallet.app.clock.now()) if args.expires else None
        made = create_link(wallet, source, base_url=args.base_url, out=Path(args.out), passcode=passcode,
                           expires_at=expires, label=args.label, long_term=args.long_term,
                           viewer=args.viewer or DEFAULT_VIEWER, profile=args.profile)
    doc = {"id": made.link_id, "shlink": made.payload.shlink, "url": made.viewer_url,
           "files": [str(p) for p in made.public_files], "qr": str(made.qr_file),
           "expires_at": made.expires_at.isoformat() if made.expires_at else None, "flags": made.payload.flag}
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
    out.result({"id": link.id, "revoked": True},
               f"Revoked {link.id[:10]}: 'serve --shl' answers it no more. "
               "Copies a clinic already opened stay with it.")
    return 0


def serve_shl(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    """``serve --shl HOST:PORT``: answer this wallet's links until interrupted."""
    import signal
    import threading

    from ..services.links import shl_server

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
                out.result({"shl": f"http://{server.address}"},
                           f"Serving SMART Health Links on http://{server.address}; press Ctrl-C to stop.")
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
