"""Export, verify and trusted-issuer commands."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import VerificationError
from ..services import (
    CardVerificationError,
    Verification,
    VerifiedCardFile,
    VerifiedExportFolder,
    WalletService,
    export_records,
    verify_path,
)
from ..services.trusted_issuers import (
    DIRECTORY_CREDIT,
    USER_SOURCE,
    IssuerDirectory,
    distrust_issuer,
    install_issuer_directory,
    refresh_issuer_directory,
    trust_issuer,
    trusted_issuers,
)
from .output import Output, count_of
from .prompts import read_new_passphrase, read_passphrase
from .record_choice import types_and_categories
from .records_cmds import unlocked

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("export", help="write a signed export folder (e.g. onto a USB stick)")
    p.add_argument("--to", required=True, metavar="DIR", help="the folder or drive to write into")
    p.add_argument("--ids", nargs="+", action="extend", default=[], metavar="ID")
    p.add_argument("--type", dest="types", nargs="+", action="extend", default=[], metavar="T")
    p.add_argument("--encrypt", action="store_true", help="seal the export with a passphrase of its own")
    p.add_argument("--profile", metavar="NAME", help="whose records to export (default: the owner's)")
    p.add_argument("--export-passphrase-file", metavar="FILE", help="read the export's passphrase from FILE")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("verify", help="verify an export folder or a .smart-health-card file, offline")
    p.add_argument("path")
    p.add_argument("--export-passphrase-file", metavar="FILE", help="the passphrase of an encrypted export")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("issuers", help="SMART Health Card issuers this wallet trusts (the VCI directory and your list)",
                       description="Cards verify offline against the VCI issuer directory (a snapshot ships with "
                       "the app; 'trust-directory' installs a newer file, 'refresh-directory' downloads the "
                       "published one) and the issuers you add. A card from any other issuer is still checked "
                       "for integrity and shown as from an issuer not in your trusted list.")
    isub = p.add_subparsers(dest="issuers_cmd")
    a = isub.add_parser("add", help="trust an issuer's keys (its .well-known/jwks.json, saved locally)")
    a.add_argument("iss", help="the issuer URL, as in the cards' 'iss'")
    a.add_argument("jwks", help="a local copy of the issuer's jwks.json")
    a.add_argument("--name", help="a name to show")
    a.add_argument("--crl", action="append", default=[], metavar="FILE",
                   help="a local copy of one of the issuer's revocation lists (.well-known/crl/<kid>.json)")
    r = isub.add_parser("remove", help="stop trusting an issuer (also one listed in the VCI directory)")
    r.add_argument("iss")
    li = isub.add_parser("list", help="the issuers you added, and the directory snapshot in use")
    li.add_argument("--all", action="store_true", help="also every issuer of the VCI directory")
    d = isub.add_parser("trust-directory", help="use a newer VCI directory snapshot from a file (vci_snapshot.json)",
                        description="Install a VCI issuer directory snapshot (the directory's vci_snapshot.json, "
                        "https://github.com/the-commons-project/vci-directory, logs/) for offline card checks. "
                        "Its signature (vci_snapshot.sig beside it, or --signature) must verify when present; a "
                        "snapshot older than the one in use is refused.")
    d.add_argument("file", metavar="FILE")
    d.add_argument("--signature", metavar="SIG", help="the snapshot's detached signature (vci_snapshot.sig)")
    isub.add_parser("refresh-directory", help="download the published VCI directory snapshot (needs the network)")
    p.set_defaults(func=cmd_issuers)


def _export_passphrase(path: str | None) -> str:
    if path:
        return read_passphrase(path)
    import os

    env = os.environ.get("HEALTH_WALLET_EXPORT_PASSPHRASE")
    return env if env else read_new_passphrase(
        None, "Passphrase for the export: ", wallet_env=False,
        needed="The export's passphrase is needed: run in a terminal, or give --export-passphrase-file "
               "or HEALTH_WALLET_EXPORT_PASSPHRASE (it is never the wallet's own).")


def cmd_export(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    types, categories = types_and_categories(args.types)
    secret = _export_passphrase(args.export_passphrase_file) if args.encrypt else None
    with unlocked(service, args) as wallet:
        result = export_records(wallet, Path(args.to), ids=args.ids, types=types,
                                categories=categories, passphrase=secret,
                                profile=args.profile,
                                progress=None if out.as_json else lambda p: out.info(f"{p.message} {p.done}/{p.total}"))
    out.result(
        {"path": str(result.path), "files": list(result.files), "sha256": result.sha256, "signer": result.signer,
         "encrypted": result.encrypted, "resources": dict(result.resources)},
        f"Exported {count_of(sum(result.resources.values()), 'record')} to {result.path}\n"
        f"Signed by {result.signer}; manifest SHA-256 {result.sha256}.\n"
        "Written, read back and verified: it is safe to remove the drive.",
    )
    return 0


def verification_json(result: Verification) -> dict[str, Any]:
    """``verify``'s JSON for a path that verified (CLI.md: ``valid``, ``signer``, ``resources``)."""
    if isinstance(result, VerifiedCardFile):
        return _card_json(result, valid=True, reason=None)
    return {"valid": True, "kind": result.kind, "signer": result.signer,
            "signed_at": result.signed_at.isoformat() if result.signed_at else None,
            "resources": dict(result.resources), "files": list(result.files), "cards": result.cards,
            "encrypted": result.encrypted, "sha256": result.sha256, "signature_form": result.signature_form,
            "reason": None, "verdict": "valid"}


def _card_json(card: VerifiedCardFile, *, valid: bool, reason: str | None) -> dict[str, Any]:
    return {"valid": valid, "kind": card.kind, "signer": card.signer, "issuer_name": card.issuer_name,
            "status": list(card.status), "reason": reason, "resources": dict(card.resources),
            "verdict": "valid" if valid else "unverified" if "unverified" in card.status else "invalid"}


def _not_valid_words(doc: dict[str, Any]) -> str:
    """The first line for a path that did not verify, in the words import uses for cards:
    UNVERIFIED when every signature is sound but an issuer is unknown, INVALID when a
    signature is bad or something was changed (or the issuer revoked the card)."""
    if doc["verdict"] == "unverified":
        from ..services.cards import UNVERIFIED_CARD

        return f"UNVERIFIED — {UNVERIFIED_CARD}\n  issuer: {doc['signer']}"
    return f"INVALID — {doc['reason']}"


def cmd_verify(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    try:
        result = verify_path(Path(args.path), app=service.app,
                             passphrase=lambda: read_passphrase(args.export_passphrase_file, "Export passphrase: "))
    except VerificationError as exc:
        doc: dict[str, Any] = {"valid": False, "reason": exc.reason, "verdict": "invalid"}
        if isinstance(exc, CardVerificationError):
            doc = _card_json(exc.card, valid=False, reason=exc.reason)
        out.result(doc, _not_valid_words(doc))
        return 1
    lines = [f"VALID — signed by {result.signer}"]
    if isinstance(result, VerifiedCardFile) and result.issuer_name and result.issuer_name != result.signer:
        lines[0] += f" ({result.issuer_name})"
    lines += [f"  {k}: {v}" for k, v in result.resources.items()]
    if isinstance(result, VerifiedExportFolder) and result.signature_form == "rfc8785":
        lines.append("  note: signed by an earlier release, whose signature does not cover the written "
                     "precision of decimals (5.10 against 5.1)")
    out.result(verification_json(result), "\n".join(lines))
    return 0


def _directory_doc(directory: IssuerDirectory) -> dict[str, object]:
    return {"time": directory.time.isoformat(), "issuers": len(directory.issuers), "skipped": directory.skipped,
            "origin": directory.origin, "signature": directory.signature}


def cmd_issuers(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    app = service.app
    if args.issuers_cmd == "add":
        trust_issuer(app, args.iss, Path(args.jwks), name=args.name, crl_files=[Path(c) for c in args.crl])
        out.result({"trusted": args.iss}, f"Trusting cards from {args.name or args.iss}.")
    elif args.issuers_cmd == "remove":
        removed = distrust_issuer(app, args.iss)
        out.result({"removed": removed}, "Removed." if removed else "That issuer was not trusted by this wallet.")
        return 0 if removed else 1
    elif args.issuers_cmd in ("trust-directory", "refresh-directory"):
        if args.issuers_cmd == "trust-directory":
            directory = install_issuer_directory(app, Path(args.file),
                                                 signature=Path(args.signature) if args.signature else None)
        else:
            directory = refresh_issuer_directory(app)
        signed = "signature verified" if directory.signature == "verified" else "no signature to check"
        out.result({"directory": _directory_doc(directory)},
                   f"Using the VCI issuer directory of {directory.time:%Y-%m-%d %H:%M} UTC: "
                   f"{len(directory.issuers)} issuers ({signed}).\n{DIRECTORY_CREDIT}")
    else:
        store = trusted_issuers(app)
        if args.all:
            doc = [{"iss": i.iss, "name": i.name, "source": i.source} for i in store]
            lines = [f"{d['name']}  {d['iss']}  ({d['source']})" for d in doc]
        else:
            doc = [{"iss": i.iss, "name": i.name} for i in store if i.source == USER_SOURCE]
            lines = [f"{d['name']}  {d['iss']}" for d in doc]
        directory = store.directory
        if directory is not None:
            listed = sum(1 for i in store if i.source != USER_SOURCE)
            lines.append(f"{'And' if doc else 'Trusted:'} {listed} issuers of the VCI directory of "
                         f"{directory.time:%Y-%m-%d %H:%M} UTC ({directory.origin})"
                         + ("." if args.all else "; 'issuers list --all' lists them."))
            lines.append(DIRECTORY_CREDIT)
        out.result(doc, "\n".join(lines) or "No trusted issuers.")
    return 0
