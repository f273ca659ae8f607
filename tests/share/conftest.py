"""Fixtures for share tests: the spec's example issuer, two wallets' keys, a clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.conftest import ABANDON, FIXTURES
from wallet.clock import FixedClock
from wallet.share.issuers import IssuerStore, TrustedIssuer
from wallet.vault.keys import WalletKeys

SHC = FIXTURES / "smart-health-cards"
HL7 = SHC / "hl7-ig-stu1-copy"
INVALID = FIXTURES / "invalid"
SPEC_ISS = "https://spec.smarthealth.cards/examples/issuer"
SPEC_KID = "3Kfdg-XwP-7gXyywtUfUADwBumDOPKMQx-iELL11W9s"
# A second BIP-39 test vector phrase: "another key".
OTHER_PHRASE = "legal winner thank year wave sausage worth useful legal winner thank yellow"
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def spec_issuer(**changes) -> TrustedIssuer:
    """The spec examples' issuer with its published JWKS and CRL (trusted in tests only)."""
    jwks = json.loads((SHC / "issuer/.well-known/jwks.json").read_text())
    crl = json.loads((SHC / f"issuer/.well-known/crl/{SPEC_KID}.json").read_text())
    args = {"name": "SMART Health Cards spec examples", "crls": [crl], **changes}
    return TrustedIssuer.from_jwks(SPEC_ISS, jwks, **args)


@pytest.fixture(scope="session")
def spec_store() -> IssuerStore:
    return IssuerStore.load(None, extra_trusted=[spec_issuer()])


@pytest.fixture(scope="session")
def keys() -> WalletKeys:
    return WalletKeys(ABANDON)


@pytest.fixture(scope="session")
def other_keys() -> WalletKeys:
    return WalletKeys(OTHER_PHRASE)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture(scope="session")
def small_records() -> list[dict]:
    """A handful of real resources (Patient first) from a Synthea bundle."""
    bundle = json.loads(next((FIXTURES / "synthea").glob("Clemente_Kreiger_*.json")).read_text(), parse_float=Decimal)
    resources = [e["resource"] for e in bundle["entry"]]
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    others = [r for r in resources if r["resourceType"] in ("Observation", "Condition", "Immunization")][:6]
    return [patient, *others]


@pytest.fixture(scope="session")
def card_bytes() -> list[bytes]:
    return [(SHC / "example-00-e-file.smart-health-card").read_bytes(),
            (HL7 / "example-02-e-file.smart-health-card").read_bytes()]


@pytest.fixture(scope="session")
def large_records() -> list[dict]:
    """All resources of the largest Synthea fixture (Fletcher Hyatt, 1111 entries, 3.9 MB)."""
    bundle = json.loads(next((FIXTURES / "synthea").glob("Fletcher_Hyatt_*.json")).read_text(), parse_float=Decimal)
    return [e["resource"] for e in bundle["entry"]]
