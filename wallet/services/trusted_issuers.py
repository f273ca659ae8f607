"""SMART Health Card issuers this wallet trusts: the bundled list, then the home's own
``trusted-issuers`` file (``health-wallet issuers add|remove|list``)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from .. import untrusted
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
    the revocation lists in ``crl_files`` (SMART Health Cards spec, "Revocation"), each read
    through the input gate (:mod:`wallet.untrusted`). Raises :class:`WalletError` when a
    file is unreadable, too large or not an issuer key set."""
    jwks, *crls = [untrusted.loads(untrusted.read_bytes(p, max_bytes=untrusted.MAX_METADATA_BYTES), what=str(p),
                                   parse_float=float) for p in [Path(jwks_file), *(Path(c) for c in crl_files)]]
    try:
        issuer = TrustedIssuer.from_jwks(iss, jwks, name=name, crls=crls)
    except (ShareError, ValueError, TypeError) as exc:
        raise WalletError(f"That is not an issuer key set: {getattr(exc, 'user_message', exc)}") from exc
    add_trusted_issuer(app.home, issuer)
    return issuer


def distrust_issuer(app: App, iss: str) -> bool:
    """Remove ``iss`` from the home's list; ``False`` when it was not there."""
    return remove_trusted_issuer(app.home, iss)
