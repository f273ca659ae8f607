"""Network commands: network list | use NAME | add NAME --chain-id N --rpc URL… | remove NAME."""

from __future__ import annotations

import argparse

from ..services import Networks, WalletService
from .output import Output

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("network", help="the EVM network this wallet shares on (profiles)")
    p.set_defaults(func=cmd_network_list)
    nsub = p.add_subparsers(dest="network_cmd", metavar="ACTION")

    q = nsub.add_parser("list", help="every profile, the active one marked")
    q.set_defaults(func=cmd_network_list)

    q = nsub.add_parser("use", help="share on this network from now on")
    q.add_argument("name")
    q.set_defaults(func=cmd_network_use)

    q = nsub.add_parser("add", help="add a network, or change a built-in network's RPC list")
    q.add_argument("name")
    q.add_argument("--chain-id", type=int, required=True, metavar="N")
    q.add_argument("--rpc", action="append", required=True, metavar="URL",
                   help="repeat to give several, tried in order")
    q.add_argument("--currency", metavar="SYMBOL", help="what gas is paid in (default ETH)")
    q.add_argument("--explorer", metavar="URL", help="a block explorer for this network")
    q.set_defaults(func=cmd_network_add)

    q = nsub.add_parser("remove", help="remove a network you added (built-in ones stay)")
    q.add_argument("name")
    q.set_defaults(func=cmd_network_remove)


def cmd_network_list(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    rows = Networks(service.app).profiles()
    table = out.table([["*" if r["active"] else "", r["name"], str(r["chain_id"] or "-"), r["currency"],
                        (r["rpc"][0] + (f" (+{len(r['rpc']) - 1})" if len(r["rpc"]) > 1 else "")) if r["rpc"]
                        else "this computer only"] for r in rows],
                      ["", "NAME", "CHAIN ID", "CURRENCY", "RPC"])
    out.result(rows, table)
    return 0


def cmd_network_use(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    choice = Networks(service.app).use(args.name)
    p = choice.profile
    note = f" (cleared {', '.join(choice.cleared)}: the profile names the chain now)" if choice.cleared else ""
    where = "the embedded chain on this computer" if p.is_embedded else f"{p.title}, chain {p.chain_id}"
    out.result({**p.as_json(active=True), "cleared": list(choice.cleared)}, f"Using {where}{note}.")
    return 0


def cmd_network_add(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    p = Networks(service.app).add(args.name, chain_id=args.chain_id, rpc=args.rpc, currency=args.currency,
                                  explorer=args.explorer)
    out.result(p.as_json(), f"Network {p.name}: chain {p.chain_id}, RPC {', '.join(p.rpc)}.")
    return 0


def cmd_network_remove(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    note = Networks(service.app).remove(args.name)
    out.result({"removed": args.name.strip().lower(), "note": note}, note)
    return 0
