"""SMART Health Card issuers this wallet trusts: the VCI issuer directory (the snapshot
bundled with the app, or a newer one installed in the home), then the home's own
``trusted_issuers.json`` (``health-wallet issuers add|remove|list|trust-directory|
refresh-directory``)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .. import untrusted
from ..errors import ShareError
from ..share.issuers import USER_SOURCE, IssuerStore, TrustedIssuer, add_trusted_issuer, remove_trusted_issuer
from ..share.vci_directory import CREDIT, IssuerDirectory, install_directory, refresh_directory
from ..share.vci_directory import MAX_BYTES as DIRECTORY_MAX_BYTES
from .context import WalletContext

__all__ = [
    "DIRECTORY_CREDIT",
    "USER_SOURCE",
    "IssuerDirectory",
    "TrustedIssuer",
    "distrust_issuer",
    "install_issuer_directory",
    "refresh_issuer_directory",
    "trust_issuer",
    "trusted_issuers",
]

DIRECTORY_CREDIT = CREDIT


def trusted_issuers(app: WalletContext) -> IssuerStore:
    """The VCI directory in use, the user's list and any issuers trusted for this run."""
    return IssuerStore.load(app.home, extra_trusted=app.extra_trusted_issuers)


def _read(path: Path, *, max_bytes: int = untrusted.MAX_METADATA_BYTES) -> bytes:
    """A file the user named, read through the input gate (regular files only, bounded)."""
    return untrusted.read_bytes(path, max_bytes=max_bytes)


def trust_issuer(app: WalletContext, iss: str, jwks_file: Path, *, name: str | None = None,
                 crl_files: Iterable[Path] = ()) -> TrustedIssuer:
    """Trust ``iss`` with its key set (a saved ``.well-known/jwks.json``) and revocation
    lists, in the wallet home's list. Raises :class:`ShareError` for a file that is not one."""
    jwks = untrusted.loads(_read(jwks_file), what=str(jwks_file), parse_float=float)
    crls = [untrusted.loads(_read(c), what=str(c), parse_float=float) for c in crl_files]
    try:
        issuer = TrustedIssuer.from_jwks(iss, jwks, name=name, crls=crls)
    except ShareError as exc:
        raise ShareError(f"That is not an issuer key set: {exc.user_message}") from exc
    add_trusted_issuer(app.home, issuer)
    return issuer


def distrust_issuer(app: WalletContext, iss: str) -> bool:
    """Stop trusting ``iss`` (from the user's list, or from the directory); ``False`` if
    it was not trusted."""
    shared = [i.iss for i in trusted_issuers(app) if i.source != USER_SOURCE]
    return remove_trusted_issuer(app.home, iss, shared=shared)


def install_issuer_directory(app: WalletContext, path: Path, *, signature: Path | None = None) -> IssuerDirectory:
    """Use a newer VCI directory snapshot from ``path`` (``vci_snapshot.json``). Its
    signature (``signature``, or ``vci_snapshot.sig`` beside it) must verify when present.
    Raises :class:`ShareError`; nothing changes then."""
    path = Path(path)
    sig_path = signature if signature is not None else path.with_suffix(".sig")
    sig = _read(sig_path, max_bytes=64 * 1024) if signature is not None or sig_path.is_file() else None
    return install_directory(app.home, _read(path, max_bytes=DIRECTORY_MAX_BYTES), signature=sig, origin=str(path))


def refresh_issuer_directory(app: WalletContext) -> IssuerDirectory:
    """Download the published VCI directory snapshot, check its signature, keep it (needs the network)."""
    return refresh_directory(app.home)
