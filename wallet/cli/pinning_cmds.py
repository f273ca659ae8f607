"""Remote pinning commands: ``pinning add|list|remove|check`` and ``keeper``."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from ..errors import WalletError
from ..services import WalletService
from ..services.keeper import KeeperRun
from ..services.pinning import RemotePinning
from .output import Output
from .records_cmds import unlocked

__all__ = ["register"]

_MAX_TOKEN_FILE = 64 * 1024


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("pinning", help="remote pinning services that keep shares and backups online")
    verbs = p.add_subparsers(dest="verb", metavar="VERB", required=True)
    a = verbs.add_parser("add", help="add a service (IPFS Pinning Service API)")
    a.add_argument("name", help="your name for it, e.g. Filebase or home-server")
    a.add_argument("url", help="its API URL, e.g. https://api.filebase.io/v1/ipfs")
    a.add_argument("--token-file", required=True, metavar="FILE", help="a file holding the access token")
    a.add_argument("--certificate-sha256", metavar="FP",
                   help="trust only the HTTPS certificate with this SHA-256 fingerprint "
                        "(a keeper started with --tls prints it)")
    a.set_defaults(func=cmd_add)
    lst = verbs.add_parser("list", help="the services, each with its pin count and state")
    lst.set_defaults(func=cmd_list)
    r = verbs.add_parser("remove", help="forget a service and its token")
    r.add_argument("name")
    r.set_defaults(func=cmd_remove)
    c = verbs.add_parser("check", help="ask a service whether it answers and accepts the token")
    c.add_argument("name")
    c.set_defaults(func=cmd_check)

    k = sub.add_parser("keeper", help="serve the IPFS Pinning Service API over this home's IPFS node")
    k.add_argument("--listen", required=True, metavar="HOST:PORT", help="where the API listens (port 0: any)")
    k.add_argument("--tokens-file", required=True, metavar="FILE", help="access tokens, one per line")
    k.add_argument("--pin-timeout", type=float, default=600.0, metavar="SECONDS",
                   help="how long to try fetching one CID before the pin fails (default 600)")
    k.add_argument("--tls", action="store_true",
                   help="serve HTTPS with a self-signed certificate kept in this home; clients pin its "
                        "fingerprint (printed on start) with 'pinning add … --certificate-sha256'")
    k.add_argument("--tls-cert", metavar="PEM", help="serve HTTPS with this certificate (with --tls-key)")
    k.add_argument("--tls-key", metavar="PEM", help="the private key of --tls-cert")
    k.set_defaults(func=cmd_keeper)


def _read_token(path: str) -> str:
    try:
        with Path(path).open("rb") as fh:
            data = fh.read(_MAX_TOKEN_FILE + 1)
    except OSError as exc:
        raise WalletError(f"Cannot read the token file {path}: {exc.strerror}.") from exc
    if len(data) > _MAX_TOKEN_FILE:
        raise WalletError(f"The token file {path} is longer than any access token.")
    try:
        return data.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise WalletError(f"The token file {path} is not UTF-8 text.") from exc


def cmd_add(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    token = _read_token(args.token_file)
    with unlocked(service, args) as wallet:
        state = RemotePinning(wallet).add(args.name, args.url, token, certificate_sha256=args.certificate_sha256)
    where = "the OS keyring" if state.token_in == "keyring" else "this wallet, sealed by its keys"
    out.result(state.to_json(), f"Added {state.name} ({state.url}); it holds {state.pins} pins. "
               f"Its token is kept in {where}.")
    return 0


def cmd_list(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    with unlocked(service, args) as wallet:
        states = RemotePinning(wallet).states()
    rows = [[s.name, s.url, "?" if s.pins is None else str(s.pins), s.status] for s in states]
    out.result([s.to_json() for s in states],
               out.table(rows, ["NAME", "URL", "PINS", "STATUS"]) if rows else
               "No pinning service; shares and backups are available only while this computer is online.\n"
               "Add one with 'health-wallet pinning add NAME URL --token-file FILE'.")
    return 0


def cmd_remove(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    with unlocked(service, args) as wallet:
        removed = RemotePinning(wallet).remove(args.name)
    out.result({"removed": removed.name},
               f"Removed {removed.name} and its token. Pins it holds stay there until you remove them at the service.")
    return 0


def cmd_check(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    with unlocked(service, args) as wallet:
        state = RemotePinning(wallet).check(args.name)
    out.result(state.to_json(), f"{state.name}: {state.pins} pins, ok" if state.status == "ok" else state.status)
    return 0 if state.status == "ok" else 1


def cmd_keeper(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    run = KeeperRun(service.app, listen=args.listen, tokens_file=Path(args.tokens_file), pin_timeout=args.pin_timeout,
                    tls="self-signed" if args.tls else None,
                    tls_cert=Path(args.tls_cert) if args.tls_cert else None,
                    tls_key=Path(args.tls_key) if args.tls_key else None)
    try:
        info = run.start()
        if info.in_clear:
            sys.stderr.write("Warning: serving plain HTTP on a network address; access tokens cross the network "
                             "readable. Start the keeper with --tls.\n")
        if out.as_json:  # one line, so a supervisor can read it before the keeper ends
            import json

            sys.stdout.write(json.dumps(info.to_json()) + "\n")
        else:
            sys.stdout.write(f"Keeping pins at {info.endpoint} (IPFS Pinning Service API); press Ctrl-C to stop.\n")
            if info.shown_tls_sha256 is not None:
                sys.stdout.write(f"TLS certificate SHA-256: {info.shown_tls_sha256}\n"
                                 "(give it to 'pinning add … --certificate-sha256' on each wallet using this keeper)\n")
            sys.stdout.write(f"Node {info.peer_id}:\n" + "\n".join(info.addresses) + "\n")
        sys.stdout.flush()
        while not stop.wait(0.5):
            pass
        out.info("Stopping the keeper…")
    finally:
        run.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
