"""Backup commands: publish, restore-backup, serve, pins."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from ..services import Backups, WalletService
from ..services.backups import restored_words, where_held
from .output import Output, count_of
from .records_cmds import unlocked

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("publish", help="back up every record, encrypted, to IPFS (the phrase alone opens it)")
    p.set_defaults(func=cmd_publish)

    p = sub.add_parser("restore-backup", help="fetch a backup (default: the latest recorded on chain) and import it")
    p.add_argument("cid", nargs="?")
    p.add_argument("--peer", action="append", default=[], metavar="MULTIADDR", help="a node that holds it")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("serve", help="keep this wallet's IPFS node online until interrupted")
    p.add_argument("--shl", metavar="HOST:PORT", help="serve this wallet's SMART Health Links instead")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("pins", help="what this wallet's IPFS node keeps pinned")
    p.add_argument("--unpin", metavar="CID", help="stop keeping CID (copies others hold are not erased)")
    p.set_defaults(func=cmd_pins)


def cmd_publish(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    with unlocked(service, args) as wallet:
        receipt = Backups(wallet).publish(progress=(lambda p: out.info(f"{p.message}…")) if not out.as_json else None)
    if receipt.warning:
        out.info(f"warning: {receipt.warning}")
    for held in receipt.held_by:
        if held.problem:
            out.info(f"warning: {held.problem}")
    out.result({"cid": receipt.cid, "records": receipt.records, "cards": receipt.cards, "tx": receipt.tx,
                "held_by": [h.to_json() for h in receipt.held_by]},
               f"Backed up {count_of(receipt.records, 'record')} and {count_of(receipt.cards, 'card')}: {receipt.cid}"
               + (f"\nRecorded on chain (tx {receipt.tx})." if receipt.tx else "")
               + f"\n{receipt.availability}")
    return 0


def cmd_restore(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    with unlocked(service, args) as wallet:
        progress = (lambda p: out.info(f"{p.message}…")) if not out.as_json else None
        backups = Backups(wallet)
        pointer = backups.latest() if args.cid is None else None
        if pointer is not None and not out.as_json:
            out.info(f"The latest backup is held {where_held(pointer)}.")
        cid, result = backups.restore(args.cid, peers=tuple(args.peer), progress=progress, pointer=pointer)
    held_by = [{"service": h.name} for h in pointer.holders] if pointer is not None else []
    out.result({"cid": cid, "imported": result.imported, "skipped_duplicates": result.skipped_duplicates,
                "held_by": held_by},
               f"Restored {restored_words(result)} from {cid}"
               + (f"; {result.skipped_duplicates} were already here." if result.skipped_duplicates else "."))
    return 0


def cmd_serve(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    if args.shl:
        from .clinic_cmds import serve_shl

        return serve_shl(service, args, out)
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with unlocked(service, args) as wallet:
            info = wallet.ipfs(wait=60).node_info()
            out.result({"peer_id": info.peer_id, "addresses": list(info.dial_addresses)},
                       "Serving this wallet's IPFS node; press Ctrl-C to stop.\n" + "\n".join(info.dial_addresses))
            sys.stdout.flush()
            while not stop.wait(0.5):
                pass
            out.info("Stopping the IPFS node…")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def cmd_pins(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    with unlocked(service, args) as wallet:
        backups = Backups(wallet)
        if args.unpin:
            backups.unpin(args.unpin)
            out.result({"unpinned": args.unpin},
                       f"Unpinned {args.unpin}. Copies other nodes fetched are not erased.")
            return 0
        pins = backups.pins()
    doc = [{"cid": str(p.cid), "kind": p.kind} for p in pins]
    out.result(doc, "\n".join(d["cid"] for d in doc) or "Nothing pinned.")
    return 0
