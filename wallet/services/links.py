"""SMART Health Links made by this wallet: create, list, revoke, serve.

A link carries its key in itself: whoever holds the link (and its passcode, for ``P`` links)
can read what it points to; the chain plays no part. Links are kept in the home
(:class:`~wallet.share.shl_links.LinkStore`, sealed) so ``serve --shl`` can answer them.

What ``create`` writes into ``out``:

- ``out/public/``: what to copy to the host behind ``base_url``. A direct-file (``U``) link:
  the JWE file named by the link id. A long-term (``L``) link without passcode: the manifest
  (named by the id, for hosts that answer POST with a file) and its JWE files.
  A passcode (``P``) link writes nothing public: a static host cannot check a passcode, so only
  ``serve --shl`` answers it.
- ``out/shlink.txt`` and ``out/shlink-qr.png``: the link itself, which holds the key: give it
  to the clinic, never upload it.
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import segno

from ..atomicfile import write_atomic
from ..errors import ShareError, WalletError
from ..records import fhir_json
from ..records.bundle import collection_bundle
from ..share.shl import SHLPayload, b64url, encrypt_file, new_key
from ..share.shl_links import LinkStore, StoredLink
from ..share.shl_server import SHLServer
from ..share.summary_pdf import PrintedLink
from .clinic import link_to_print, make_ips
from .wallet import CATEGORIES, FileOutcome, UnlockedWallet

__all__ = ["DEFAULT_VIEWER", "CreatedLink", "LinkSource", "ServedLink", "create_link", "import_link",
           "link_needs_passcode", "link_store", "live_links", "revoke_link", "shl_server", "terminal_qr"]

DEFAULT_VIEWER = "https://viewer.tcpdev.org/shlink.html"
_STATIC_NOTE = ("A link whose files are copied to a static host (a web server, an IPFS gateway, a USB stick) "
                "cannot be revoked from the wallet: delete the files from the host to stop it.")


@dataclass(frozen=True)
class LinkSource:
    """What a link shares: the IPS, chosen record ids, or record types/categories."""

    ips: bool = False
    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if sum(map(bool, (self.ips, self.ids, self.types))) != 1:
            raise ValueError("share exactly one of: the IPS, ids, types")


@dataclass(frozen=True)
class CreatedLink:
    payload: SHLPayload
    link_id: str
    public_files: tuple[Path, ...]
    link_file: Path
    qr_file: Path
    expires_at: datetime | None
    viewer: str

    @property
    def viewer_url(self) -> str:
        return self.payload.viewer_url(self.viewer)

    @property
    def note(self) -> str:
        if self.public_files and self.expires_at is not None:
            return (_STATIC_NOTE + " Its expiry is a date inside the link that readers check; a static host "
                    "keeps serving the files after it, so delete them then.")
        if self.public_files:
            return _STATIC_NOTE
        return "Served by 'health-wallet serve --shl'; 'shl revoke' stops it at once."

    @property
    def printed(self) -> PrintedLink:
        """The link as printed on the summary or the emergency card: a QR code of its viewer URL
        (a phone camera opens the viewer; SHL readers take the part after ``#``)."""
        return link_to_print(self.viewer_url, self.payload)


def _new_link_id() -> str:
    """A random link id (256 bits, base64url) that starts with a letter or digit: one starting
    with "-" would read as an option on a command line (``shl revoke ID``)."""
    while True:
        link_id = b64url(os.urandom(32))
        if link_id[0].isalnum():
            return link_id


def link_store(wallet: UnlockedWallet) -> LinkStore:
    return LinkStore(wallet.app.home / "shl", key=wallet.keys.symmetric_key("shl-links"))


def _content(wallet: UnlockedWallet, source: LinkSource, profile: str | None) -> bytes:
    if source.ips:
        return make_ips(wallet, profile=profile).data
    from .exports import select_ids

    categories = [c for c in CATEGORIES for t in source.types if c.lower() == t.lower()]
    types = [t for t in source.types if t.lower() not in {c.lower() for c in categories}]
    ids = select_ids(wallet, ids=source.ids, types=types, categories=categories, profile=profile)
    if not ids:
        raise WalletError(f"No records of type {', '.join(source.types)} to share.")
    bundle = collection_bundle((res for _, res in wallet.store.resources(ids)), now=wallet.app.clock.now())
    try:
        return fhir_json.dumps(bundle).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise WalletError(f"A record holds a value JSON cannot represent ({exc}); no link was made.") from exc


def create_link(wallet: UnlockedWallet, source: LinkSource, *, base_url: str, out: Path,
                passcode: str | None = None, expires_at: datetime | None = None, label: str = "",
                long_term: bool = False, viewer: str = DEFAULT_VIEWER, profile: str | None = None) -> CreatedLink:
    """Encrypt what ``source`` names into a new SMART Health Link (flags: ``P`` with a
    passcode, ``L`` when ``long_term``, else ``U``), keep it in the home and write ``out``.
    Records come from ``profile`` (default: the active one): one person per link.

    Raises :class:`~wallet.errors.WalletError` for a bad base URL, label or passcode, and
    when ``out`` cannot be written.
    """
    base = base_url.rstrip("/")
    if not re.fullmatch(r"https?://[^\s#?]+", base):
        raise WalletError(f"{base_url!r} is not an http(s) base URL (for example https://example.org/shl).")
    if len(label) > 80:
        raise WalletError("The label is longer than 80 characters; shorten it.")
    if passcode is not None and not passcode.strip():
        raise WalletError("The passcode file is empty.")
    flags = "".join(sorted(("P" if passcode else "") + ("L" if long_term else ""))) or "U"
    link_id = _new_link_id()
    key = new_key()
    now = wallet.app.clock.now()
    payload = SHLPayload(url=f"{base}/{link_id}", key=key, flag=flags, label=label,
                         exp=int(expires_at.timestamp()) if expires_at else None)
    token = encrypt_file(_content(wallet, source, profile), payload.key_bytes, "application/fhir+json")
    store = link_store(wallet)
    out = Path(out)
    public = out / "public"
    written: list[Path] = []
    try:  # public/ is ciphertext for a web host (readable by its server); the link and QR hold the key: 0600
        if flags == "U":
            written.append(public / link_id)
            write_atomic(written[-1], token.encode("ascii"), mode=0o644, folder_mode=0o755)
        elif "P" not in flags:
            location = f"{base}/{link_id}-0.jwe"
            manifest = {"files": [{"contentType": "application/fhir+json", "location": location}]}
            written.append(public / f"{link_id}-0.jwe")
            write_atomic(written[-1], token.encode("ascii"), mode=0o644, folder_mode=0o755)
            written.append(public / link_id)
            write_atomic(written[-1], json.dumps(manifest).encode(), mode=0o644, folder_mode=0o755)
        link_file, qr_file = out / "shlink.txt", out / "shlink-qr.png"
        write_atomic(link_file, (payload.shlink + "\n").encode("ascii"))
        png = io.BytesIO()
        segno.make(payload.shlink, error="m", micro=False).save(png, kind="png", scale=6, border=4)
        write_atomic(qr_file, png.getvalue())
    except OSError as exc:
        raise WalletError(f"Cannot write the link's files into {out}: {exc.strerror or exc}.") from exc
    store.add(StoredLink(
        id=link_id, url=payload.url, flags=flags, label=label,
        created_at=now.isoformat(timespec="seconds"),
        expires_at=expires_at.isoformat(timespec="seconds") if expires_at else None,
        content_types=("application/fhir+json",), key=key,
        passcode_mac=store.passcode_mac(passcode) if passcode else ""), [token])
    return CreatedLink(payload, link_id, tuple(written), link_file, qr_file, expires_at, viewer)


def revoke_link(wallet: UnlockedWallet, link_id: str) -> StoredLink:
    """Stop serving a link. A direct-file link on a static host cannot be revoked from here:
    raises :class:`~wallet.errors.WalletError` saying so (after marking it revoked for
    ``serve --shl``)."""
    link = link_store(wallet).revoke(link_id)
    if "U" in link.flags:
        raise WalletError("Marked revoked for 'serve --shl', but " + _STATIC_NOTE[0].lower() + _STATIC_NOTE[1:])
    return link


@dataclass(frozen=True)
class ServedLink:
    """A link ``serve --shl`` answers now, as the patient hands it out. ``shlink`` holds the key."""

    id: str
    label: str
    flags: str
    expires_at: str | None
    shlink: str = field(repr=False)
    viewer_url: str = field(repr=False)


def live_links(wallet: UnlockedWallet, *, viewer: str = DEFAULT_VIEWER) -> list[ServedLink]:
    """The links that are not revoked, expired or disabled (oldest first), rebuilt from the
    sealed list: what ``serve --shl`` prints when it starts."""
    now = wallet.app.clock.now()
    out = []
    for link in link_store(wallet).all():
        if link.revoked or link.expired(now) or ("P" in link.flags and link.attempts_left <= 0):
            continue
        exp = int(datetime.fromisoformat(link.expires_at).timestamp()) if link.expires_at else None
        payload = SHLPayload(url=link.url, key=link.key, flag=link.flags, label=link.label, exp=exp)
        out.append(ServedLink(link.id, link.label, link.flags, link.expires_at, payload.shlink,
                              payload.viewer_url(viewer)))
    return out


def terminal_qr(text: str) -> str:
    """A QR code of ``text`` drawn with Unicode half blocks for a terminal (dark on light;
    two rows of modules per line), with its quiet zone."""
    buf = io.StringIO()
    segno.make(text, error="m", micro=False).terminal(out=buf, compact=True, border=2)
    return buf.getvalue()


def shl_server(wallet: UnlockedWallet, host: str, port: int) -> SHLServer:
    """A server for this wallet's links (not started). Raises :class:`WalletError` when the
    address cannot be bound."""
    try:
        return SHLServer(link_store(wallet), clock=wallet.app.clock, host=host, port=port)
    except OSError as exc:
        raise WalletError(f"Cannot listen on {host}:{port}: {exc.strerror or exc}.") from exc


def link_needs_passcode(text: str) -> bool:
    """Whether the link someone sent (``shlink:/…`` or a viewer URL) asks for a passcode
    (flag ``P``), so a front end asks before it fetches. Raises :class:`~wallet.errors.ShareError`
    for text that is not a SMART Health Link."""
    from ..share.shl import parse_shlink

    return "P" in parse_shlink(text).flag


def import_link(wallet: UnlockedWallet, text: str, *, passcode: Callable[[], str] | None = None,
                recipient: str = "Health Wallet", profile: str | None = None,
                same_person: bool = False) -> list[FileOutcome]:
    """Open a SMART Health Link someone sent (``shlink:/…`` or a viewer URL) and import each
    file it holds, each all or nothing: FHIR JSON through the normal importer (an IPS document
    imports as its entries), SMART Health Cards through the card import (signatures checked
    against the trusted issuers), into ``profile`` with the person checks of an import.
    Raises :class:`~wallet.errors.ShareError` when the link cannot be opened; a file that
    does not import is an outcome with its error.
    """
    from ..records.parse import parse_bytes
    from ..share.shl import parse_shlink
    from ..share.shl_client import open_link
    from .cards import _card_input

    payload = parse_shlink(text)
    now = wallet.app.clock.now()
    files = open_link(payload, recipient=recipient, now=now, passcode=passcode)
    label = "".join(ch for ch in payload.label if ch.isprintable() and ch not in "/\\")  # untrusted text
    name = label.strip() or "SMART Health Link"
    outcomes: list[FileOutcome] = []
    for n, (cty, data) in enumerate(files, start=1):
        where = Path(f"{name} (file {n})" if len(files) > 1 else name)
        try:
            if cty == "application/smart-health-card":
                card = _card_input(data, where.name, issuers=wallet.issuers(), now=now)
                outcomes.append(FileOutcome(where, wallet.import_card(card, where.name, profile=profile,
                                                                      same_person=same_person)))
            elif cty == "application/fhir+json":
                parsed = parse_bytes(data, name=where.name)
                outcomes.append(FileOutcome(where, wallet.import_document(parsed, where.name, profile=profile,
                                                                          same_person=same_person)))
            else:
                raise ShareError(f"{where.name}: {cty} files (access tokens for a live record) are not imported.")
        except WalletError as exc:
            outcomes.append(FileOutcome(where, error=exc))
    return outcomes
