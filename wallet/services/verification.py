"""Offline verification of an export folder or a ``.smart-health-card`` file.

:func:`verify_path` raises :class:`~wallet.errors.VerificationError` carrying the reason
(pyca/cryptography and sigstore style: a verify function never returns "invalid"), and
on success returns what was verified, including the verified FHIR resources, so a caller
never needs to read and verify the path a second time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import DecryptionError, ShareError, VerificationError
from ..share.issuers import IssuerStore
from ..share.verify import export_is_encrypted, verify_card_file, verify_export

if TYPE_CHECKING:
    from .context import WalletContext

__all__ = ["CARD_SUFFIX", "CardVerificationError", "Verification", "VerifiedCardFile", "VerifiedExportFolder",
           "is_encrypted_export", "verify_path"]

CARD_SUFFIX = ".smart-health-card"
UNTRUSTED_ISSUER = "the issuer is not in the trusted list"
REVOKED_CARD = "the issuer has revoked this card"
NEEDS_PASSPHRASE = "This export is encrypted; a passphrase is needed."


@dataclass(frozen=True)
class VerifiedExportFolder:
    """A signed export that verified (signature, manifest, bundle, provenance)."""

    path: Path
    signer: str  # EIP-55 address of the signing wallet
    signed_at: datetime | None
    resources: Mapping[str, int]  # count by FHIR resource type
    files: tuple[str, ...]
    cards: int  # SMART Health Card files carried unchanged
    encrypted: bool
    sha256: str  # of the manifest (SHA256SUMS)
    signature_form: str = "rfc8785-exact-decimals"  # what Bundle.signature covers (see share.verify)
    fhir_resources: tuple[dict[str, Any], ...] = field(default=(), repr=False, compare=False)

    kind = "export"


@dataclass(frozen=True)
class VerifiedCardFile:
    """A ``.smart-health-card`` file whose cards are all signed by trusted issuers."""

    path: Path
    signer: str  # the issuer (``iss``) of the first card
    issuer_name: str | None
    status: tuple[str, ...]  # per card: valid, expired, revoked, unverified
    resources: Mapping[str, int]
    fhir_resources: tuple[dict[str, Any], ...] = field(default=(), repr=False, compare=False)

    kind = "smart-health-card"


Verification = VerifiedExportFolder | VerifiedCardFile


class CardVerificationError(VerificationError):
    """A card file that was read but not accepted; ``card`` is what it claims (unverified)."""

    def __init__(self, reason: str, card: VerifiedCardFile) -> None:
        super().__init__(reason)
        self.card = card


def is_encrypted_export(path: Path) -> bool:
    """Whether ``path`` is an encrypted export folder (ask for its passphrase first)."""
    path = Path(path)
    return path.is_dir() and export_is_encrypted(path)


def _verify_card(path: Path, app: WalletContext | None) -> VerifiedCardFile:
    home = app.home if app is not None else None
    extra = app.extra_trusted_issuers if app is not None else ()
    now = app.clock.now() if app is not None else datetime.now(UTC)
    cards = verify_card_file(path, issuers=IssuerStore.load(home, extra_trusted=extra), now=now)
    resources = tuple(e["resource"] for card in cards for e in card.fhir_bundle.get("entry", [])
                      if isinstance(e, dict) and isinstance(e.get("resource"), dict))
    counts = Counter(str(r.get("resourceType")) for r in resources)
    found = VerifiedCardFile(path, cards[0].issuer, cards[0].issuer_name, tuple(c.status for c in cards),
                             dict(sorted(counts.items())), resources)
    if not all(c.verified for c in cards):
        raise CardVerificationError(UNTRUSTED_ISSUER, found)
    if any(c.revoked for c in cards):
        raise CardVerificationError(REVOKED_CARD, found)
    return found


def verify_path(path: Path, *, app: WalletContext | None = None,
                passphrase: Callable[[], str] | None = None) -> Verification:
    """Verify an export folder or a ``.smart-health-card`` file, offline.

    ``app`` adds the wallet's trusted issuers and clock (cards); ``passphrase`` is asked
    only for an encrypted export. Raises :class:`VerificationError` with the reason (a
    :class:`CardVerificationError` for a card that was read but is untrusted or revoked).
    """
    path = Path(path)
    try:
        if path.is_file() and path.suffix.lower() == CARD_SUFFIX:
            return _verify_card(path, app)
        secret = None
        if is_encrypted_export(path):
            if passphrase is None:
                raise VerificationError(NEEDS_PASSPHRASE, needs_passphrase=True)
            secret = passphrase()
        verified = verify_export(path, passphrase=secret)
    except VerificationError:
        raise
    except (ShareError, DecryptionError) as exc:
        raise VerificationError(exc.user_message) from exc
    return VerifiedExportFolder(
        path=verified.path,
        signer=verified.signer,
        signed_at=verified.signed_at,
        resources=dict(verified.resources_by_type),
        files=tuple(verified.files),
        cards=len(verified.cards),
        encrypted=verified.encrypted,
        sha256=verified.manifest_sha256,
        signature_form=verified.signature_form,
        fhir_resources=tuple(e["resource"] for e in verified.bundle.get("entry", [])),
    )
