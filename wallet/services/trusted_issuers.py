"""SMART Health Card issuers this wallet trusts: the bundled list, then the home's own
``trusted-issuers`` file (``health-wallet issuers add|remove|list``)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ShareError, WalletError
from ..share.issuers import IssuerStore, TrustedIssuer, add_trusted_issuer, remove_trusted_issuer

if TYPE_CHECKING:
    from ..app import App

__all__ = ["TrustedIssuer", "distrust_issuer", "trust_issuer", "trusted_issuers"]


def trusted_issuers(app: App) -> list[TrustedIssuer]:
    """Every issuer trusted in ``app``'s home, bundled ones first."""
    return list(IssuerStore.load(app.home, extra_trusted=app.extra_trusted_issuers))


def trust_issuer(app: App, iss: str, jwks_file: Path, *, name: str | None = None,
                 crl_files: Iterable[Path] = ()) -> TrustedIssuer:
    """Trust the keys in ``jwks_file`` (a local copy of ``iss``/.well-known/jwks.json) and
    the revocation lists in ``crl_files`` (SMART Health Cards spec, "Revocation"). Raises
    :class:`WalletError` when a file is unreadable or is not an issuer key set."""
    try:
        jwks = json.loads(Path(jwks_file).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise WalletError(f"Cannot read the key set {jwks_file}: {exc}.") from exc
    try:
        crls = [json.loads(Path(c).read_text("utf-8")) for c in crl_files]
    except (OSError, ValueError) as exc:
        raise WalletError(f"Cannot read a revocation list: {exc}.") from exc
    try:
        issuer = TrustedIssuer.from_jwks(iss, jwks, name=name, crls=crls)
    except (ShareError, ValueError, TypeError) as exc:
        raise WalletError(f"That is not an issuer key set: {getattr(exc, 'user_message', exc)}") from exc
    add_trusted_issuer(app.home, issuer)
    return issuer


def distrust_issuer(app: App, iss: str) -> bool:
    """Remove ``iss`` from the home's list; ``False`` when it was not there."""
    return remove_trusted_issuer(app.home, iss)
