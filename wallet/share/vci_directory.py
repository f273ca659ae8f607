"""The VCI issuer directory: the public list of SMART Health Card issuers and their keys.

The directory (VCI Directory, The Commons Project, CC BY 4.0,
https://github.com/the-commons-project/vci-directory) publishes a daily snapshot of
every listed issuer's keys and revocation lists::

    {"directory": "<url of vci-issuers.json>", "time": "2026-08-22T04:43:50Z",
     "issuerInfo": [{"issuer": {"iss", "name", "website"}, "keys": [JWK, ...],
                     "crls": [CRL, ...], "lastRetrieved": "..."}]}

with a detached ECDSA P-521/SHA-512 signature of the file's bytes (``vci_snapshot.sig``,
DER) by the directory's certificate (``vci_snapshot.crt``, CN=vci.org).

The wallet trusts the directory by default, offline: a snapshot ships with the app
(``wallet/share/data/vci_snapshot.json`` with its signature and the certificate, unchanged),
and a newer one can be installed from a file (:func:`install_directory`) or downloaded
(:func:`refresh_directory`, never called by tests) into the wallet home
(``vci_directory.json`` and ``vci_directory.sig``). :func:`load_directory` uses the newest
of the bundled and the installed snapshot, by the snapshot's ``time``.

Every entry goes through the key rules of :mod:`~wallet.share.issuers` as a vouched
entry (``TrustedIssuer.from_jwks(vouched=True)``): keys (or CRLs) that break them are
left out and counted (``skipped``), since one issuer's faulty key must not cost the user
the whole directory.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from ..atomicfile import write_atomic
from ..errors import ShareError, SignatureInvalid
from .encoding import json_loads
from .issuers import TrustedIssuer

__all__ = [
    "CACHE_FILE",
    "CACHE_SIGNATURE",
    "CREDIT",
    "DIRECTORY_URL",
    "SIGNATURE_URL",
    "IssuerDirectory",
    "install_directory",
    "load_directory",
    "parse_directory",
    "refresh_directory",
]

log = logging.getLogger(__name__)

DIRECTORY_URL = "https://raw.githubusercontent.com/the-commons-project/vci-directory/main/logs/vci_snapshot.json"
SIGNATURE_URL = "https://raw.githubusercontent.com/the-commons-project/vci-directory/main/logs/vci_snapshot.sig"
CREDIT = ("SMART Health Card issuers: VCI Directory, The Commons Project "
          "(https://github.com/the-commons-project/vci-directory), CC BY 4.0 "
          "(https://creativecommons.org/licenses/by/4.0/), unchanged.")
SOURCE = "VCI directory"
CACHE_FILE = "vci_directory.json"
CACHE_SIGNATURE = "vci_directory.sig"
_BUNDLED = "vci_snapshot.json"
_BUNDLED_SIGNATURE = "vci_snapshot.sig"
_CERTIFICATE = "vci_snapshot.crt"
MAX_BYTES = 32 * 1024 * 1024
MAX_ISSUERS = 20_000


@dataclass(frozen=True)
class IssuerDirectory:
    """One snapshot of the directory: its ``time``, the issuers kept, how many keys or
    entries were left out (``skipped``), where it came from and whether its signature
    by the directory's certificate was checked (``"verified"``) or missing (``"absent"``)."""

    time: datetime
    issuers: tuple[TrustedIssuer, ...] = field(repr=False)
    skipped: int
    origin: str
    signature: str

    def __post_init__(self) -> None:
        if self.time.tzinfo is None:
            raise ValueError("the directory time is an aware datetime")
        if self.signature not in ("verified", "absent"):
            raise ValueError("signature is 'verified' or 'absent'")

    def describe(self) -> dict[str, Any]:
        return {"time": self.time.isoformat(), "issuers": len(self.issuers), "skipped": self.skipped,
                "origin": self.origin, "signature": self.signature}


def _data(name: str) -> bytes:
    return resources.files("wallet.share").joinpath("data", name).read_bytes()


def verify_signature(data: bytes, signature: bytes) -> None:
    """Check the directory's detached signature (ECDSA, SHA-512, DER) with the
    certificate bundled with the app; raises :class:`SignatureInvalid`."""
    try:
        key = x509.load_pem_x509_certificate(_data(_CERTIFICATE)).public_key()
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise SignatureInvalid("The bundled directory certificate does not hold an EC key.")
        key.verify(signature, data, ec.ECDSA(hashes.SHA512()))
    except (InvalidSignature, ValueError) as exc:
        raise SignatureInvalid(
            "The issuer directory's signature does not match its content: it was altered, or is not the "
            "directory's own file."
        ) from exc


def _time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ShareError('The issuer directory has no snapshot "time".')
    try:
        when = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ShareError(f"The issuer directory's time {value!r} is not an ISO 8601 time.") from exc
    if when.tzinfo is None:
        raise ShareError(f"The issuer directory's time {value!r} has no time zone.")
    return when


def _entry(raw: Any) -> tuple[TrustedIssuer | None, int]:
    """One ``issuerInfo`` entry: the issuer (``None`` when nothing usable is left) and how
    many of its keys or CRLs were left out."""
    issuer = raw.get("issuer") if isinstance(raw, dict) else None
    keys = raw.get("keys") if isinstance(raw, dict) else None
    crls = raw.get("crls") or [] if isinstance(raw, dict) else []
    if not isinstance(issuer, dict) or not isinstance(keys, list) or not isinstance(crls, list):
        return None, 1
    iss = issuer.get("iss")
    if not isinstance(iss, str):
        return None, len(keys) or 1
    name = issuer.get("name") if isinstance(issuer.get("name"), str) and issuer["name"].strip() else None
    try:
        entry = TrustedIssuer.from_jwks(iss, {"keys": keys}, name=name, crls=crls, vouched=True)
    except (ShareError, TypeError, AttributeError):
        return None, len(keys) or 1
    return TrustedIssuer(entry.iss, entry.name, entry.keys, entry.crls, source=SOURCE), \
        len(keys) - len(entry.keys) + len(crls) - len(entry.crls)


def parse_directory(data: bytes, *, origin: str, signature: bytes | None = None) -> IssuerDirectory:
    """A snapshot from its bytes; with ``signature``, checked against the directory's
    certificate first. Raises :class:`ShareError` (:class:`SignatureInvalid`)."""
    return _parse(bytes(data), origin, None if signature is None else bytes(signature))


@lru_cache(maxsize=4)  # the same snapshot is read for every imported file
def _parse(data: bytes, origin: str, signature: bytes | None) -> IssuerDirectory:
    if len(data) > MAX_BYTES:
        raise ShareError(f"The issuer directory is larger than {MAX_BYTES // (1024 * 1024)} MB; refused.")
    if signature is not None:
        verify_signature(data, signature)
    doc = json_loads(data, what="issuer directory")
    if not isinstance(doc, dict) or not isinstance(doc.get("issuerInfo"), list):
        raise ShareError('This is not a VCI issuer directory snapshot (no "issuerInfo" list).')
    if len(doc["issuerInfo"]) > MAX_ISSUERS:
        raise ShareError(f"The issuer directory lists more than {MAX_ISSUERS} issuers; refused.")
    when = _time(doc.get("time"))
    issuers: dict[str, TrustedIssuer] = {}
    skipped = 0
    for raw in doc["issuerInfo"]:
        entry, left_out = _entry(raw)
        skipped += left_out
        if entry is not None:
            issuers[entry.iss] = entry
    if not issuers:
        raise ShareError("The issuer directory holds no usable issuer.")
    return IssuerDirectory(when, tuple(issuers.values()), skipped, origin,
                           "verified" if signature is not None else "absent")


def _bundled() -> IssuerDirectory:
    return parse_directory(_data(_BUNDLED), origin="bundled with the app", signature=_data(_BUNDLED_SIGNATURE))


def _installed(home: Path) -> IssuerDirectory | None:
    path = Path(home) / CACHE_FILE
    if not path.is_file():
        return None
    sig_path = Path(home) / CACHE_SIGNATURE
    data = path.read_bytes()
    signature = sig_path.read_bytes() if sig_path.is_file() else None
    try:
        return parse_directory(data, origin=str(path), signature=signature)
    except SignatureInvalid:
        # A signature of an earlier file (a crash between the two writes): say it is unchecked.
        return parse_directory(data, origin=str(path))


def load_directory(home: Path | None) -> IssuerDirectory:
    """The newest of the bundled snapshot and the one installed in ``home`` (if any).

    An installed snapshot that cannot be read is passed over (logged) for the bundled
    one, which the app trusts anyway.
    """
    bundled = _bundled()
    if home is None:
        return bundled
    try:
        installed = _installed(home)
    except (OSError, ShareError) as exc:
        log.warning("ignoring the issuer directory in %s: %s", home, getattr(exc, "user_message", exc))
        return bundled
    return installed if installed is not None and installed.time >= bundled.time else bundled


def install_directory(home: Path, data: bytes, *, signature: bytes | None = None,
                      origin: str = "a file") -> IssuerDirectory:
    """Check a snapshot and keep it in ``home`` (atomically) if it is not older than the
    one in use; returns it. With ``signature`` it must verify (else nothing changes).

    Raises :class:`ShareError`: not a snapshot, a bad signature, or older than the one in use.
    """
    snapshot = parse_directory(data, origin=origin, signature=signature)
    current = load_directory(home)
    if snapshot.time < current.time:
        raise ShareError(
            f"This issuer directory is from {snapshot.time:%Y-%m-%d %H:%M} UTC, older than the one in use "
            f"({current.time:%Y-%m-%d %H:%M} UTC, {current.origin}); nothing was changed."
        )
    home = Path(home)
    (home / CACHE_SIGNATURE).unlink(missing_ok=True)  # never a signature of another file beside it
    write_atomic(home / CACHE_FILE, bytes(data), mode=0o644)
    if signature is not None:
        write_atomic(home / CACHE_SIGNATURE, bytes(signature), mode=0o644)
    return parse_directory(data, origin=str(home / CACHE_FILE), signature=signature)


def _download(url: str, *, timeout: float, opener: Callable[..., Any]) -> bytes:
    try:
        with opener(url, timeout=timeout) as response:
            data: bytes = response.read(MAX_BYTES + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise ShareError(f"Cannot download the issuer directory from {url}: {exc}.") from exc
    if len(data) > MAX_BYTES:
        raise ShareError(f"The issuer directory at {url} is larger than {MAX_BYTES // (1024 * 1024)} MB; refused.")
    return data


def refresh_directory(home: Path, *, timeout: float = 30.0,
                      opener: Callable[..., Any] = urllib.request.urlopen) -> IssuerDirectory:
    """Download the published snapshot and its signature (:data:`DIRECTORY_URL`,
    :data:`SIGNATURE_URL`), check the signature, and install it (:func:`install_directory`).

    Needs the network; raises :class:`ShareError` when offline or when the download is not
    the directory's signed file.
    """
    data = _download(DIRECTORY_URL, timeout=timeout, opener=opener)
    signature = _download(SIGNATURE_URL, timeout=timeout, opener=opener)
    return install_directory(home, data, signature=signature, origin=DIRECTORY_URL)
