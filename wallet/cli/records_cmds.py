"""Wallet and record commands: init, status, import, records, show, passphrase, config."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import PatientMismatch, WalletError
from ..events import Progress
from ..services import (
    HEALTH_RECORDS,
    OWNER,
    PHRASE_LENGTHS,
    SETTINGS,
    ChainStatus,
    IpfsStatus,
    UnlockedWallet,
    WalletService,
    WalletStatus,
    fhir_json_text,
    local_since,
    local_text,
    shown_detail,
    utc_text,
)
from .output import Output, count_of
from .prompts import passphrase_if_given, read_new_passphrase, read_passphrase, read_phrase
from .record_choice import types_and_categories

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("init", help="create a wallet (prints the recovery phrase once) or --restore one")
    p.add_argument("--restore", action="store_true", help="read a recovery phrase from standard input")
    p.add_argument("--words", type=int, choices=PHRASE_LENGTHS, default=12,
                   help="length of a new recovery phrase (BIP-39)")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("show-phrase", help="show the recovery phrase after the passphrase (e.g. when init "
                       "stopped before showing it)")
    p.set_defaults(func=cmd_show_phrase)

    p = sub.add_parser("status", help="wallet, chain and IPFS state")
    p.add_argument("--profile", metavar="NAME", default=OWNER,
                   help="whose records to count (default: the owner's, as 'records' lists)")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("import", help="import FHIR JSON, NDJSON or .smart-health-card files, a folder of them "
                                      "(a Bulk Data export), or a shlink:/ link")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--passcode-file", metavar="F", help="the passcode of a SMART Health Link (flag P)")
    p.add_argument("--profile", metavar="NAME",
                   help="the person these records belong to (default: the owner; a new name makes a new profile)")
    p.add_argument("--same-person", action="store_true",
                   help="the file's patient is the profile's person, though their details differ")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("profiles", help="the people whose records this wallet keeps (the owner first)")
    p.set_defaults(func=cmd_profiles)

    p = sub.add_parser("records", help="list record summaries")
    p.add_argument("--type", dest="rtype", metavar="T", help="a FHIR resource type or a category")
    p.add_argument("--since", metavar="DATE", help="only records on or after this day of your calendar "
                   "(YYYY-MM-DD, YYYY-MM or YYYY: from local midnight, the time zone the list's times are "
                   "shown in; a record dated by a day or month is kept when that period reaches it), "
                   "or a time (2024-03-10T08:00 local, or with its zone)")
    p.add_argument("--profile", metavar="NAME", help="whose records (default: the owner's)")
    p.add_argument("--search", metavar="TEXT", help="only records with all these words in their title, codes, "
                   "values, notes or narrative (a word ending in * matches the start of words)")
    p.set_defaults(func=cmd_records)

    p = sub.add_parser("show", help="one record as FHIR JSON")
    p.add_argument("id")
    p.add_argument("--profile", metavar="NAME", help="the profile the record is in (default: the owner's)")
    p.add_argument("--history", action="store_true", help="also its earlier versions (and whether it was deleted)")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("passphrase", help="change the passphrase")
    p.add_argument("--new-passphrase-file", metavar="FILE", help="read the new passphrase from FILE")
    p.set_defaults(func=cmd_passphrase)

    p = sub.add_parser("remember-unlock", help="remember the unlock in the OS keyring (--forget to stop)")
    p.add_argument("--forget", action="store_true")
    p.set_defaults(func=cmd_remember)

    p = sub.add_parser("config", help="show or change settings")
    csub = p.add_subparsers(dest="config_cmd")
    g = csub.add_parser("get")
    g.add_argument("key", choices=sorted(SETTINGS))
    s = csub.add_parser("set")
    s.add_argument("key", choices=sorted(SETTINGS))
    s.add_argument("value")
    p.set_defaults(func=cmd_config)


NEVER_SHOWN = ("This wallet's recovery phrase was never shown (its creation stopped early): run "
               "'health-wallet show-phrase' and write it down; without it a lost passphrase loses everything.")


def unlock(service: WalletService, args: argparse.Namespace) -> UnlockedWallet:
    """The remembered unlock if there is one, else the passphrase."""
    remembered = service.unlock_remembered() if service.identity() else None
    wallet = remembered or service.unlock(read_passphrase(args.passphrase_file))
    if not service.phrase_shown():
        print(f"note: {NEVER_SHOWN}", file=sys.stderr)
    return wallet


@contextmanager
def unlocked(service: WalletService, args: argparse.Namespace) -> Iterator[UnlockedWallet]:
    """An unlocked wallet for one command; locked again (nodes stopped) however it ends."""
    wallet = unlock(service, args)
    try:
        yield wallet
    finally:
        wallet.lock()


def cmd_init(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    service.check_new_home(restoring=args.restore)  # before any prompt: a half-made wallet says what to do
    if args.restore:
        phrase = read_phrase()
        passphrase = read_new_passphrase(args.passphrase_file)
        ident = service.restore(phrase, passphrase)
        out.result({"address": ident.address, "encryption_key": ident.encryption_key_hex,
                    "home": str(service.app.home)},
                   f"Restored wallet {ident.address} in {service.app.home}.")
        return 0
    passphrase = read_new_passphrase(args.passphrase_file)
    ident, phrase = service.create(passphrase, words=args.words)
    out.result(
        {"address": ident.address, "encryption_key": ident.encryption_key_hex, "recovery_phrase": phrase,
         "home": str(service.app.home)},
        f"Created wallet {ident.address} in {service.app.home}.\n\n"
        f"Recovery phrase (write it down and keep it offline; it is shown only now):\n\n    {phrase}\n\n"
        "Anyone with these words can open your records. Without them and the passphrase, nobody can — not even you.",
    )
    sys.stdout.flush()  # shown only once it has left this process
    service.mark_phrase_shown()
    return 0


def cmd_show_phrase(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    phrase = service.reveal_phrase(read_passphrase(args.passphrase_file))
    out.result({"address": service.identity().address, "recovery_phrase": phrase},
               f"Recovery phrase of {service.identity().address} (write it down and keep it offline):\n\n    {phrase}")
    return 0


def chain_json(chain: ChainStatus) -> dict[str, Any]:
    """``status``'s ``chain`` object (CLI.md)."""
    doc: dict[str, Any] = {"rpc": chain.rpc}
    if chain.reachable:
        doc.update(reachable=True, description=chain.description, chain_id=chain.chain_id, contract=chain.contract,
                   time=chain.time.isoformat() if chain.time else None)
    else:
        doc.update(reachable=False, error=chain.error)
    return doc


def ipfs_json(ipfs: IpfsStatus) -> dict[str, Any]:
    """``status``'s ``ipfs`` object (CLI.md)."""
    doc: dict[str, Any] = {"api": ipfs.api, "backend": ipfs.backend}
    if ipfs.embedded:
        doc.update(repo=ipfs.repo, running=ipfs.running, swarm_port=ipfs.swarm_port)
    elif ipfs.running:
        doc.update(running=True, peer_id=ipfs.peer_id, addresses=list(ipfs.addresses))
    else:
        doc.update(running=False, error=ipfs.error)
    return doc


def _records_lines(status: WalletStatus) -> list[str]:
    """``status``'s record lines: the active profile's count, as ``records`` lists them, and
    with several profiles which one this is and the whole wallet's count."""
    if status.records is None or status.profile_records is None:
        return ["Records   (encrypted; give the passphrase to count them)"]
    if len(status.profiles) == 1:
        return [f"Records   {status.profile_records}"]
    others = ", ".join(p.name for p in status.profiles if p.name != status.profile)
    return [f"Profile   {status.profile} ({status.profile_position} of {len(status.profiles)}; "
            f"also {others}: status --profile NAME counts another)",
            f"Records   {status.profile_records} in this profile ({status.records} in the wallet)"]


def cmd_status(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    status = service.status(passphrase_if_given(args.passphrase_file), profile=args.profile)  # never prompts
    st = {"home": status.home, "address": status.address, "encryption_key": status.encryption_key,
          "records": status.records, "network": status.network, "chain": chain_json(status.chain),
          "ipfs": ipfs_json(status.ipfs), "remember_unlock": status.remember_unlock,
          "phrase_shown": status.phrase_shown, "profile": status.profile,
          "profile_records": status.profile_records,
          "profiles": [{"name": p.name, "records": p.records} for p in status.profiles] if status.profiles else None}
    chain, ipfs = status.chain, status.ipfs
    out.result(st, "\n".join([
        f"Wallet    {status.address}",
        f"Home      {status.home}",
        *_records_lines(status),
        f"Network   {status.network}",
        "Chain     " + (f"{chain.description}, chain id {chain.chain_id}, contract "
                         f"{chain.contract or 'not deployed'}" if chain.reachable else f"{chain.rpc}: {chain.error}"),
        "IPFS      " + (f"{ipfs.backend} ({'running' if ipfs.running else 'stopped'})"
                         + (f", peer {ipfs.peer_id}" if ipfs.peer_id else "")
                         + (f": {ipfs.error}" if ipfs.error else "")),
        f"Unlock    {'remembered in the OS keyring' if status.remember_unlock else 'passphrase'}",
        *([] if status.phrase_shown else [f"Phrase    NEVER SHOWN. {NEVER_SHOWN}"]),
    ]))
    return 0


def cmd_import(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    from ..services.cards import UNVERIFIED_CARD

    with unlocked(service, args) as wallet:
        def progress(p: Progress) -> None:
            if not out.as_json and sys.stderr.isatty():
                sys.stderr.write(f"\r{p.message}: {p.done}/{p.total}   ")
        links = [p for p in args.paths if "shlink:/" in p]
        outcomes = wallet.import_paths([Path(p) for p in args.paths if p not in links], profile=args.profile,
                                       same_person=args.same_person, progress=progress)
        for link in links:
            from .clinic_cmds import import_link_outcomes

            outcomes += import_link_outcomes(wallet, link, args.passcode_file, profile=args.profile,
                                             same_person=args.same_person)
    if not out.as_json and sys.stderr.isatty():
        sys.stderr.write("\r" + " " * 60 + "\r")
    imported: Counter[str] = Counter()
    skipped = repeated = 0
    files: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    warnings: list[Any] = []
    for o in outcomes:
        if o.result is not None:
            imported.update(o.result.imported)
            skipped += o.result.skipped_duplicates
            repeated += o.result.repeated_in_file
            matched = o.result.matched_by
            files.append({"path": str(o.path), "imported": o.result.imported,
                          "skipped_duplicates": o.result.skipped_duplicates,
                          "repeated_in_file": o.result.repeated_in_file, "notes": list(o.result.notes),
                          "warnings": list(o.result.warnings),
                          "cards": [{"issuer": iss, "status": st} for iss, st in o.result.cards],
                          "profile": o.result.profile, "patient": o.result.person, "new_profile": o.result.new_profile,
                          "matched_by": matched.rule if matched else None,
                          "match_detail": matched.detail if matched else None,
                          "updated": o.result.updated, "history_kept": o.result.history_kept,
                          "deleted": o.result.deleted})
            warnings += [f"{o.path.name}: {w}" for w in o.result.warnings]
            if o.result.new_profile and o.result.person:
                whose = ("this wallet now holds the record of" if o.result.profile == OWNER
                         else f"new profile '{o.result.profile}' for")
                out.info(f"{o.path.name}: {whose} {o.result.person}.")
            elif matched is not None:
                out.info(f"{o.path.name}: {o.result.person} is the profile '{o.result.profile}' "
                         f"({matched.describe()}).")
            for note in o.result.notes:
                out.info(f"{o.path.name}: {note}")
            for iss, st in o.result.cards:
                note = {"valid": "verified", "expired": "verified, but expired",
                        "unverified": f"UNVERIFIED: {UNVERIFIED_CARD}"}.get(st, st)
                out.info(f"{o.path.name}: SMART Health Card from {iss} — {note}")
            for w in o.result.warnings[:5]:
                out.info(f"warning: {o.path.name}: {w}")
            if len(o.result.warnings) > 5:
                out.info(f"warning: {o.path.name}: {len(o.result.warnings) - 5} more warnings (see --json)")
        elif o.error is not None:
            errors.append({"path": str(o.path), "error": o.error.user_message,
                           **({"patient": o.error.file_person, "profile": o.error.profile,
                               "profile_patient": o.error.profile_person}
                              if isinstance(o.error, PatientMismatch) else {})})
            out.info(f"error: {o.error.user_message} (nothing from {o.path.name} was imported)")
    human = f"Imported {count_of(sum(imported.values()), 'record')}" + (
        " (" + ", ".join(f"{k} {v:,}" for k, v in sorted(imported.items())) + ")" if imported else "")
    changes = [f"{n:,} {one if n == 1 else many}" for n, one, many in (
        (sum(f["updated"] for f in files), "newer version replaced an older one, which is kept",
         "newer versions replaced older ones, which are kept"),
        (sum(f["history_kept"] for f in files), "earlier version kept as history", "earlier versions kept as history"),
        (sum(f["deleted"] for f in files), "marked deleted at its source", "marked deleted at their source")) if n]
    human += "".join(f"; {c}" for c in changes)
    human += "".join(f"; {n:,} {what}" for n, what in (
        (skipped - repeated, "already in the wallet"), (repeated, "repeated in the file")) if n) + "."
    if errors and not files:
        human = ""  # nothing was imported: the errors said why, a count of nothing adds no news
    out.result({"imported": dict(sorted(imported.items())), "skipped_duplicates": skipped,
                "repeated_in_file": repeated, "files": files, "errors": errors, "warnings": warnings},
               human or None)
    return 1 if errors else 0


def _types_for(value: str | None) -> tuple[str | None, list[str] | None]:
    if not value:
        return None, None
    types, categories = types_and_categories([value])
    return (categories[0], None) if categories else (None, types)


def cmd_records(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    if args.search is not None and not any(ch.isalnum() for ch in args.search):
        raise WalletError("Give --search a word or a code to look for (e.g. --search flu).")
    category, types = _types_for(args.rtype)
    profile = args.profile or OWNER
    since = local_since(args.since) if args.since else None  # a day of the user's calendar
    with unlocked(service, args) as wallet:
        known = wallet.profile_names()
        if args.profile is not None and args.profile not in known:
            raise WalletError(f"No profile {args.profile!r}; this wallet has {', '.join(known)}.")
        # without --type: every health record, never the wallet's own Consents and AuditEvents
        rows = wallet.summaries(category=category if category or types else HEALTH_RECORDS, types=types,
                                since=since.bound if since else None, profile=profile, text=args.search)
    if since is not None:  # the store's bound keeps the local day's records and at most a day more
        rows = [r for r in rows if since.keeps(r.summary.date)]
    doc: list[dict[str, Any]] = [
        {"id": r.id, "type": r.summary.resource_type, "date": r.summary.date, "title": r.summary.title,
            "detail": r.summary.detail, "category": r.summary.category, "profile": profile,
            "instant": utc_text(r.summary.date) or None, "value": r.summary.value,
            "comparator": r.summary.comparator or None, "unit": r.summary.unit or None,
            "flag": r.summary.flag or None, "flag_text": r.summary.flag_words or None,
            "flag_source": r.summary.flag_source or None, "range": r.summary.range_label or None,
            "status": r.summary.status or None} for r in rows]
    table = out.table([[d["id"], d["type"], local_text(d["date"]),
                        (d["title"] + (" — " + shown if (shown := shown_detail(r.summary)) else ""))[:90]]
                       for d, r in zip(doc, rows, strict=True)], ["ID", "TYPE", "DATE (LOCAL TIME)", "SUMMARY"])
    out.result(doc, table if doc else ("No records match." if args.search is not None else "No records."))
    return 0


def cmd_show(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    with unlocked(service, args) as wallet:
        if args.history:
            doc = wallet.record_history(args.id, profile=args.profile)
        else:
            resource = wallet.record(args.id, profile=args.profile)
    if not args.history:
        out.result(resource, fhir_json_text(resource, indent=2))
        return 0
    parts = [("Deleted at its source; " if doc["deleted"] else "") + "current version:",
             fhir_json_text(doc["current"], indent=2)]
    for n, earlier in enumerate(doc["history"], start=1):
        parts += [f"earlier version {n} of {len(doc['history'])}:", fhir_json_text(earlier, indent=2)]
    if not doc["history"]:
        parts.append("No earlier versions.")
    out.result(doc, "\n".join(parts))
    return 0


def cmd_profiles(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    with unlocked(service, args) as wallet:
        views = wallet.profiles()
    doc = [{"name": v.name, "patient": v.patient, "records": v.records, "owner": v.is_owner} for v in views]
    table = out.table([[v.name + (" (owner)" if v.is_owner else ""), v.patient, str(v.records)] for v in views],
                      ["PROFILE", "PATIENT", "RECORDS"])
    out.result(doc, table if doc else "No profiles yet: the first import makes the owner's.")
    return 0


def cmd_passphrase(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    old = read_passphrase(args.passphrase_file, "Current passphrase: ")
    new = read_new_passphrase(args.new_passphrase_file, wallet_env=False,
                              needed="A new passphrase is needed: run in a terminal, or give --new-passphrase-file.")
    service.change_passphrase(old, new)
    out.result({"changed": True}, "Passphrase changed.")
    return 0


def cmd_remember(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    if args.forget:
        service.forget_unlock()
        out.result({"remember_unlock": False}, "The unlock is no longer remembered.")
        return 0
    service.remember_unlock(read_passphrase(args.passphrase_file))
    out.result({"remember_unlock": True}, "The unlock is remembered in the OS keyring.")
    return 0


def cmd_config(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    cfg = service.app.config
    if args.config_cmd == "set":
        cfg.set(args.key, args.value)
        out.result({args.key: cfg.get(args.key)}, f"{args.key} = {cfg.get(args.key)}")
    elif args.config_cmd == "get":
        out.result({args.key: cfg.get(args.key)}, str(cfg.get(args.key)))
    else:
        doc = {k: cfg.get(k) for k in sorted(SETTINGS)}
        out.result(doc, "\n".join(f"{k} = {v}" for k, v in doc.items()))
    return 0
