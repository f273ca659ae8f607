"""``wallet.services.verify_path``: a typed result with the verified records, or a
:class:`VerificationError` carrying the reason; it never returns "invalid"."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from wallet.app import build_app
from wallet.errors import ShareError, VerificationError
from wallet.services import CardVerificationError, VerifiedCardFile, VerifiedExportFolder, verify_path
from wallet.share.export import write_export

from .conftest import spec_issuer

CARD = FIXTURES / "smart-health-cards" / "example-00-e-file.smart-health-card"
SPEC_ISS = "https://spec.smarthealth.cards/examples/issuer"


@pytest.fixture
def export(tmp_path: Path, keys, clock, small_records, card_bytes):
    return write_export(tmp_path, resources=small_records, cards=card_bytes, keys=keys, clock=clock)


def test_a_valid_export_returns_what_it_verified(export, keys) -> None:
    result = verify_path(export.path)
    assert isinstance(result, VerifiedExportFolder)
    assert result.signer == keys.identity.address and result.sha256 == export.sha256
    assert result.cards == len(export.files) - len([f for f in export.files if not f.endswith(".smart-health-card")])
    assert sum(result.resources.values()) == len(result.fhir_resources) > 0
    assert dict(result.resources) == dict(export.resources)


def test_a_tampered_export_raises_with_the_reason(export) -> None:
    bundle = export.path / "bundle.json"
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 0x01
    bundle.write_bytes(bytes(data))
    with pytest.raises(VerificationError) as raised:
        verify_path(export.path)
    assert isinstance(raised.value, ShareError)  # in the one error tree
    assert "bundle.json" in raised.value.reason and raised.value.reason == raised.value.user_message
    assert not raised.value.needs_passphrase


def test_an_encrypted_export_without_its_passphrase_is_not_checked(tmp_path: Path, keys, clock, small_records) -> None:
    sealed = write_export(tmp_path, resources=small_records, keys=keys, clock=clock, passphrase="export pass 1")
    with pytest.raises(VerificationError) as raised:
        verify_path(sealed.path)
    assert raised.value.needs_passphrase and "passphrase" in raised.value.reason
    with pytest.raises(VerificationError) as wrong:
        verify_path(sealed.path, passphrase=lambda: "another pass 2")
    assert not wrong.value.needs_passphrase and wrong.value.reason
    assert verify_path(sealed.path, passphrase=lambda: "export pass 1").encrypted


def test_a_card_from_an_untrusted_issuer_raises_and_says_what_it_claims(tmp_path: Path) -> None:
    with pytest.raises(CardVerificationError) as raised:
        verify_path(CARD)
    assert raised.value.reason == "the issuer is not in the trusted list"
    assert raised.value.card.signer == SPEC_ISS and raised.value.card.resources["Immunization"] == 3

    app = build_app(tmp_path / "home", environ={"HOME": str(tmp_path)})
    app.extra_trusted_issuers = (spec_issuer(),)
    trusted = verify_path(CARD, app=app)
    assert isinstance(trusted, VerifiedCardFile) and trusted.status == ("valid",)
    assert len(trusted.fhir_resources) == 4 and trusted.issuer_name


def test_not_an_export_raises(tmp_path: Path) -> None:
    with pytest.raises(VerificationError) as raised:
        verify_path(tmp_path / "missing")
    assert "does not exist" in raised.value.reason
