"""``health-wallet``: the command line. The only place (with the GUI workers) that
catches :class:`~wallet.errors.WalletError`: exit 1 with its one-line message."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..app import build_app  # the entry point composes the production wallet
from ..errors import WalletError
from ..services import WalletService
from . import backup_cmds, clinic_cmds, export_cmds, network_cmds, pinning_cmds, records_cmds, sharing_cmds
from .output import Output

__all__ = ["build_parser", "main"]


def _stdout_closed() -> int:
    """The reader of our output went away (``health-wallet records | head -1``): end quietly.

    As the Python docs advise (``signal`` module, "Note on SIGPIPE"): point stdout at
    ``os.devnull`` so the flush at exit raises nothing, and exit with 1 as Python does on EPIPE.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 1


def _global_options(parser: argparse.ArgumentParser, *, default: object) -> None:
    parser.add_argument("--home", metavar="DIR", default=default,
                        help="the wallet's data folder (or HEALTH_WALLET_HOME)")
    parser.add_argument("--passphrase-file", metavar="FILE", default=default, help="read the passphrase from FILE")
    parser.add_argument("--json", action="store_true", default=default, help="machine-readable output on stdout")
    parser.add_argument("--debug", action="store_true", default=default, help="show tracebacks and debug logs")


if TYPE_CHECKING:
    _SubParsersBase = argparse._SubParsersAction[argparse.ArgumentParser]
else:  # not subscriptable at run time
    _SubParsersBase = argparse._SubParsersAction


class _SubParsers(_SubParsersBase):
    """Every command also accepts the global options after its name."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        parser = super().add_parser(name, **kwargs)
        _global_options(parser, default=argparse.SUPPRESS)
        parser.register("action", "parsers", _SubParsers)
        return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="health-wallet", description="Your health record, in your hands.")
    parser.add_argument("--version", action="version", version=f"health-wallet {__version__}")
    _global_options(parser, default=None)
    parser.set_defaults(json=False, debug=False)
    parser.register("action", "parsers", _SubParsers)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    g = sub.add_parser("gui", help="open the desktop app (the default)")
    g.set_defaults(func=None)
    records_cmds.register(sub)
    export_cmds.register(sub)
    sharing_cmds.register(sub)
    backup_cmds.register(sub)
    network_cmds.register(sub)
    pinning_cmds.register(sub)
    clinic_cmds.register(sub)
    clinic_cmds.register_shl(sub)
    return parser


def main(argv: list[str] | None = None, *, open_gui: Callable[[str | None], int] | None = None) -> int:
    """Run one command. ``open_gui`` is injected by :mod:`wallet.launcher`, so the
    command line never imports the GUI itself."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if args.command in (None, "gui"):
        if open_gui is None:
            parser.print_help()
            return 2
        return open_gui(args.home)
    out = Output(args.json)
    try:
        service = WalletService(build_app(args.home))
        code: int = args.func(service, args, out)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return code
    except BrokenPipeError:
        return _stdout_closed()
    except WalletError as exc:
        if args.debug:
            raise
        print(f"error: {exc.user_message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130


