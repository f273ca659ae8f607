"""Sharing commands: register-key, grant, grants, receive, revoke, submit, open, audit, deploy-contract,
address-book."""

from __future__ import annotations

import argparse
import contextlib
import json
from collections.abc import Callable
from pathlib import Path

from ..atomicfile import write_atomic
from ..errors import WalletError
from ..events import Progress
from ..services import GrantView, Sharing, TxResult, WalletService, fhir_json_text
from .output import Output
from .record_choice import types_and_categories
from .records_cmds import unlocked

__all__ = ["register"]

REVOKE_NOTE = ("Revocation stops future opening; it cannot un-share what the doctor already opened. "
               "Other shares are unaffected.")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("register-key", help="publish this wallet's encryption key on chain (doctors do this once)")
    p.set_defaults(func=cmd_register_key)

    p = sub.add_parser("grant", help="share records with a doctor until a time the chain enforces")
    p.add_argument("--to", required=True, metavar="ADDRESS_OR_NAME",
                   help="the doctor's wallet address, or a name saved in the address book")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--type", dest="types", nargs="+", action="extend", metavar="T",
                      help="resource types or categories (repeatable)")
    what.add_argument("--ids", nargs="+", action="extend", metavar="ID")
    what.add_argument("--all", action="store_true", help="every record")
    p.add_argument("--expires", required=True, metavar="DURATION_OR_DATE", help="e.g. 7d, 12h, 2w or 2026-12-31")
    p.add_argument("--name", help="the doctor's name, kept in your wallet only")
    p.add_argument("--profile", metavar="NAME", help="whose records to share (default: the owner's)")
    p.add_argument("--message", metavar="TEXT", help="a short note for the doctor, sealed to their key")
    submit = p.add_mutually_exclusive_group()
    submit.add_argument("--submit", dest="submit", action="store_const", const=True, default=None,
                        help="record the grant on chain now, paid by this wallet (default: only on a development "
                             "chain; elsewhere the doctor's wallet submits it on first open and pays)")
    submit.add_argument("--no-submit", dest="submit", action="store_const", const=False,
                        help="leave the signed grant for the doctor's wallet to submit")
    p.set_defaults(func=cmd_grant)

    p = sub.add_parser("grants", help="grants you issued (or --received) with their status")
    p.add_argument("--received", action="store_true")
    p.set_defaults(func=cmd_grants)

    p = sub.add_parser("receive", help="keep a share token a patient gave you and show whose records it holds "
                                       "(nothing is opened or logged)")
    p.add_argument("token", metavar="TOKEN")
    p.set_defaults(func=cmd_receive)

    p = sub.add_parser("revoke", help="revoke a grant on chain and stop serving its data")
    p.add_argument("grant_id")
    p.add_argument("--signed-out", metavar="FILE",
                   help="write the signed revocation to FILE instead; any funded wallet submits it with 'submit FILE'")
    p.add_argument("--cost", action="store_true", help="only say what revoking needs and costs on this network")
    p.set_defaults(func=cmd_revoke)

    p = sub.add_parser("submit", help="submit a signed revocation (or grant) from FILE; this wallet pays")
    p.add_argument("file", metavar="FILE")
    p.set_defaults(func=cmd_submit)

    p = sub.add_parser("open", help="open what a patient shared with you (checks, fetches, decrypts, logs)")
    p.add_argument("grant", metavar="GRANT_ID_OR_TOKEN")
    p.add_argument("--out", metavar="FILE", help="write the records (a FHIR Bundle) to FILE")
    p.add_argument("--network", metavar="NAME",
                   help="the network profile to use when several have the share's chain id (default: the active "
                        "one, else the first)")
    p.set_defaults(func=cmd_open)

    p = sub.add_parser("token", help="print the share token of one of your grants")
    p.add_argument("grant_id")
    p.set_defaults(func=cmd_token)

    p = sub.add_parser("audit", help="the access log: on-chain events and this wallet's audit events")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("deploy-contract", help="deploy the grants contract on the configured chain")
    p.set_defaults(func=cmd_deploy)

    p = sub.add_parser("address-book", help="names you keep for wallet addresses (on this computer only)")
    asub = p.add_subparsers(dest="book_cmd")
    asub.add_parser("list", help="every saved name and address")
    a = asub.add_parser("add", help="save (or rename) a contact")
    a.add_argument("name")
    a.add_argument("address")
    r = asub.add_parser("remove", help="forget a contact")
    r.add_argument("contact", metavar="NAME_OR_ADDRESS")
    p.set_defaults(func=cmd_address_book)


def _progress(out: Output) -> Callable[[Progress], None]:
    """Steps as 'Encrypting the records…' lines; the last one ('Shared', 'Opened') is the result's to say."""
    def show(p: Progress) -> None:
        if p.done < p.total:
            out.info(f"{p.message}…")
    return show


def _tx(tx: TxResult | None) -> dict[str, object]:
    if tx is None:
        return {"tx": None, "gas_used": None, "block": None}
    return {"tx": tx.tx_hash, "gas_used": tx.gas_used, "block": tx.block}


def cmd_register_key(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    with unlocked(service, args) as wallet:
        tx = Sharing(wallet).register_key()
    if tx is None:
        out.result({"tx": None, "gas_used": 0, "registered": True}, "Your encryption key is already on chain.")
    else:
        out.result({**_tx(tx), "registered": True}, f"Encryption key published (tx {tx.tx_hash}, {tx.gas_used} gas).")
    return 0


def cmd_grant(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    with unlocked(service, args) as wallet:
        sharing = Sharing(wallet)
        book = wallet.address_book()
        grantee = book.resolve(args.to)
        name = args.name or book.name_of(grantee)  # the saved name goes into the local Consent
        expires = sharing.expires_at(args.expires)
        types, categories = types_and_categories(args.types or [])
        ids = sharing.choose_records(ids=args.ids or [], types=types, categories=categories, profile=args.profile)
        receipt = sharing.grant(grantee, record_ids=ids, expires_at=expires, grantee_name=name,
                                profile=args.profile, message=args.message, submit=args.submit,
                                progress=None if out.as_json else _progress(out))
    if receipt.message_truncated:
        out.info(f"warning: your message was cut to fit the share token ({len(receipt.message or '')} characters); "
                 f"the doctor reads: {receipt.message or '(no message)'}")
    if receipt.tx is not None:
        where = f"Grant {receipt.grant_id} is on chain (tx {receipt.tx.tx_hash}, {receipt.tx.gas_used} gas)."
    else:
        where = (f"Grant {receipt.grant_id} is signed, not yet on chain: the doctor's wallet records it when it "
                 "first opens the share, and pays for it.")
    out.result(
        {"grant_id": receipt.grant_id, "grantee": receipt.grantee, "cid": receipt.cid, **_tx(receipt.tx),
         "expires_at": receipt.expires_at.isoformat(), "records": receipt.records, "token": receipt.token,
         "on_chain": receipt.on_chain, "grant_signer": receipt.grant_signer,
         "held_by": [h.to_json() for h in receipt.held_by],
         "grant_key_index": receipt.grant_key_index, "message_truncated": receipt.message_truncated},
        f"Shared {receipt.records} records with {name or receipt.grantee} until "
        f"{receipt.expires_at:%Y-%m-%d %H:%M} UTC.\n{where}\n"
        f"Give the doctor this token (it holds no readable record; only the doctor's wallet can open it):"
        f"\n\n{receipt.token}\n\n" + (
            receipt.availability if any(h.pinned for h in receipt.held_by) else
            "The doctor fetches the data from this computer's IPFS node: keep the wallet open or run "
            "'health-wallet serve' until they have opened it."),
    )
    return 0


def cmd_grants(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    with unlocked(service, args) as wallet:
        sharing = Sharing(wallet)
        views = sharing.received() if args.received else sharing.grants()
    key = "patient" if args.received else "grantee"
    doc = [_grant_json(v, key) for v in views]
    shared = ["SHARED"] if args.received else []
    rows = [[short_grant_id(v.grant_id), v.counterpart_name or v.counterpart, *([_contents(v)] if shared else []),
             v.status_text, v.grant.expires_at.isoformat()[:16], str(v.grant.accesses) if v.checked else "?"]
            for v in views]
    out.result(doc, out.table(rows, ["GRANT", key.upper(), *shared, "STATUS", "EXPIRES", "ACCESSES"]) if doc
               else "No grants.")
    return 0


def short_grant_id(grant_id: str) -> str:
    """``0x22f5…a8c5·9c41d07e``: the doctor's address (the id's first 20 bytes) shortened, then
    the id's last 8 hex digits, which tell one doctor's grants apart and name the grant in
    'revoke', 'token' and 'open'."""
    return f"{grant_id[:6]}…{grant_id[38:42]}·{grant_id[-8:]}"


def _grant_json(view: GrantView, key: str) -> dict[str, object]:
    """One row of ``grants --json``. ``on_chain`` (false: signed, not yet submitted; null: on
    another chain), ``chain_id`` and ``label`` appear only for a grant that is not plainly on
    this chain without a label, so the rows of earlier grants read as before."""
    doc: dict[str, object] = {
        "grant_id": view.grant_id, key: view.counterpart, "name": view.counterpart_name,
        "status": _json_status(view), "expires_at": view.grant.expires_at.isoformat(),
        "accesses": view.grant.accesses if view.checked else None, "cid": view.grant.cid}
    if view.on_chain is not True or view.label is not None:
        doc.update({"on_chain": view.on_chain, "chain_id": view.chain_id,
                    "label": view.label.as_json() if view.label else None})
    return doc


def _contents(view: GrantView) -> str:
    if view.label is None:
        return ""
    text = view.label.describe()
    return text if len(text) <= 40 else text[:39] + "…"


def _json_status(view: GrantView) -> str:
    """``active``/``expired``/``revoked``, or ``unknown`` for a grant on another network (not checked)."""
    return view.status.value if view.checked else "unknown"


def cmd_receive(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    with unlocked(service, args) as wallet:
        view = Sharing(wallet).receive(args.token)
    label = view.label
    doc = {"grant_id": view.grant_id, "patient": view.counterpart, "patient_name": view.counterpart_name,
           "label": label.as_json() if label else None, "status": _json_status(view), "on_chain": view.on_chain,
           "chain_id": view.chain_id, "network": view.network, "expires_at": view.grant.expires_at.isoformat()}
    human = f"{view.counterpart_name or 'A patient'} shared with you: {label.describe() if label else 'records'}"
    if label and label.message:
        human += f"\nMessage: {label.message}"
    if view.checked and view.status.value == "revoked":
        human += "\nThe patient revoked this share; it can no longer be opened."
    elif view.checked and view.status.value == "expired":
        human += f"\nThis share expired on {view.grant.expires_at:%Y-%m-%d %H:%M} UTC; it can no longer be opened."
    else:
        human += (f"\nValid until {view.grant.expires_at:%Y-%m-%d %H:%M} UTC ({view.status_text}). Kept in 'grants "
                  f"--received'; open it with 'health-wallet open {short_grant_id(view.grant_id)[-8:]}' or the "
                  "token.")
    out.result(doc, human)
    return 0


def cmd_revoke(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    with unlocked(service, args) as wallet:
        sharing = Sharing(wallet)
        if args.cost:
            plan = sharing.revocation_plan(args.grant_id)
            out.result({"grant_id": plan.grant_id, "gas": plan.gas, "cost_wei": plan.cost, "currency": plan.currency,
                        "payer": plan.payer, "can_pay": plan.can_pay, "burn": plan.burn, "signed": plan.signed,
                        "development": plan.development},
                       plan.describe())
            return 0
        if args.signed_out:
            signed = sharing.sign_revocation(args.grant_id)
            write_atomic(Path(args.signed_out), json.dumps(signed.to_json(), indent=2).encode(), mode=0o600)
            out.result({"grant_id": "0x" + bytes(signed.grant_id).hex(), "signed_out": args.signed_out, "tx": None,
                        "gas_used": None},
                       f"Signed revocation written to {args.signed_out}. Any wallet with funds on chain "
                       f"{signed.domain.chain_id} revokes the grant with 'health-wallet submit {args.signed_out}'. "
                       "Until then the grant stays active.")
            return 0
        if not out.as_json:
            with contextlib.suppress(WalletError):  # already revoked: the revoke below retries the unpin
                plan = sharing.revocation_plan(args.grant_id)
                if not plan.development:
                    out.info(plan.describe())
        receipt = sharing.revoke_grant(args.grant_id)
    tx = receipt.tx
    doc = {**(_tx(tx) if tx else {"tx": None, "gas_used": 0, "block": None}), "revoked": True,
           "already_revoked": tx is None, "unpinned": receipt.unpinned}
    if receipt.warning:
        doc["warning"] = receipt.warning
        out.info(f"warning: {receipt.warning}")
    if receipt.remote_problems:
        doc["remote_problems"] = list(receipt.remote_problems)
        for problem in receipt.remote_problems:
            out.info(f"warning: {problem}")
    done = f"Revoked (tx {tx.tx_hash}, {tx.gas_used} gas)." if tx else "Already revoked on chain."
    if tx is None and receipt.unpinned:
        done += " Its data is no longer pinned by this computer."
    out.result(doc, f"{done} {REVOKE_NOTE}")
    return 0  # the revoke stands on chain even when the unpin has to be retried


def cmd_submit(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    with unlocked(service, args) as wallet:
        receipt = Sharing(wallet).submit_signed(Path(args.file))
    what = "Revocation" if receipt.kind == "revoke" else "Grant"
    out.result({"kind": receipt.kind, "grant_id": receipt.grant_id, **_tx(receipt.tx)},
               f"{what} of {receipt.grant_id} submitted (tx {receipt.tx.tx_hash}, {receipt.tx.gas_used} gas), paid "
               "by this wallet.")
    return 0


def cmd_open(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    with unlocked(service, args) as wallet:
        opened = Sharing(wallet).open(args.grant, network=args.network,
                                      progress=None if out.as_json else _progress(out))
    doc: dict[str, object] = {
           "grant_id": opened.grant.id_hex, "patient": opened.grant.patient, "patient_name": opened.patient_name,
           "expires_at": opened.grant.expires_at.isoformat(), "records": opened.counts,
           "access_tx": opened.access_tx.tx_hash if opened.access_tx else None, "people": list(opened.people),
           "network": opened.network}
    if opened.grant_tx is not None:
        doc["grant_tx"] = opened.grant_tx.tx_hash
        doc["grant_gas_used"] = opened.grant_tx.gas_used
    if len(opened.people) > 1:
        out.info(f"warning: this share holds the records of {len(opened.people)} people: "
                 + "; ".join(opened.people) + ". Check whose each record is before relying on it.")
    if args.out:
        write_atomic(Path(args.out), fhir_json_text(opened.bundle, indent=2).encode(), mode=0o600)  # decimals exact
        doc["out"] = args.out
    else:
        doc["bundle"] = opened.bundle
    count, who = sum(opened.counts.values()), opened.patient_name or opened.grant.patient
    human = (f"Opened {count} record{'' if count == 1 else 's'} shared by {who} "
             f"(valid until {opened.grant.expires_at:%Y-%m-%d %H:%M} UTC); the access is logged on chain.\n"
             + "\n".join(f"  {k}: {v}" for k, v in opened.counts.items()))
    if args.out:
        human += f"\nWritten to {args.out}."
    elif not out.as_json:
        human += "\n\n" + fhir_json_text(opened.bundle, indent=2)
    out.result(doc, human)
    return 0


def cmd_token(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    with unlocked(service, args) as wallet:
        token = Sharing(wallet).token_for(args.grant_id)
    out.result({"token": token}, token)
    return 0


def cmd_audit(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    with unlocked(service, args) as wallet:
        events = Sharing(wallet).audit()
    rows = [[e.at[:19], e.source, e.event, e.party or e.detail or "", (e.tx or "")[:14]] for e in events]
    out.result([e.to_json() for e in events],
               out.table(rows, ["WHEN", "SOURCE", "EVENT", "PARTY / DETAIL", "TX"]) if events else "No events.")
    return 0


def cmd_deploy(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    with unlocked(service, args) as wallet:
        chain = wallet.chain()
        gas = 0 if chain.is_development else chain.estimate_deploy_gas(wallet.identity.address)
        if gas:
            out.info(f"Deploying the grants contract costs about {gas:,} gas, paid in {chain.currency} "
                     f"by {wallet.identity.address}.")
        deployment = Sharing(wallet).deploy_contract()
    if deployment.tx is None:
        out.result({"address": deployment.address, "tx": None, "canonical": True},
                   f"The grants contract is already at its standard address {deployment.address}; nothing was sent.")
        return 0
    out.result({"address": deployment.address, "canonical": True, **_tx(deployment.tx)},
               f"Grants contract deployed at its standard address {deployment.address} (the same on every chain; "
               f"tx {deployment.tx.tx_hash}).")
    return 0


def cmd_address_book(service: WalletService, args: argparse.Namespace, out: Output) -> int:
    book = service.address_book()
    if args.book_cmd == "add":
        contact = book.save_contact(args.name, args.address)
        out.result({"name": contact.name, "address": contact.address},
                   f"Saved {contact.name} ({contact.address}). Names stay on this computer, unencrypted.")
        return 0
    if args.book_cmd == "remove":
        removed = book.forget(args.contact)
        out.result({"removed": removed is not None, "name": removed.name if removed else None,
                    "address": removed.address if removed else None},
                   f"Forgot {removed.name} ({removed.address})." if removed else "No such contact.")
        return 0 if removed else 1
    doc = [{"name": c.name, "address": c.address} for c in book.contacts]
    out.result(doc, out.table([[d["name"], d["address"]] for d in doc], ["NAME", "ADDRESS"]) if doc
               else "No contacts.")
    return 0
