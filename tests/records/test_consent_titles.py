"""A Consent the wallet keeps for a grant is titled by the doctor's name, else by the address alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from wallet.records.consent import grant_consent
from wallet.records.summary import summarize

DOCTOR = "0x2097dB57A0B1dd3E2A6eE7A4cC0a7E1D4F6a91B2"
PATIENT = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def _consent(name: str | None, chain_id: int) -> dict:
    return grant_consent(grant_id="0x" + "ab" * 32, chain_id=chain_id, patient=PATIENT, grantee=DOCTOR,
                         grantee_name=name, starts=START, expires=START + timedelta(days=7),
                         record_refs=["Observation/1"], cid="bafkreigh2akiscaildc")


def test_a_named_doctor_titles_the_consent() -> None:
    assert summarize(_consent("Dr Jordan Example", 100)).title == "Access for Dr Jordan Example"


def test_an_unnamed_doctor_is_shown_by_address_not_by_the_account_uri() -> None:
    consent = _consent(None, 79540231836997)
    actor = consent["provision"]["actor"][0]["reference"]["identifier"]["value"]
    assert actor == f"eip155:79540231836997:{DOCTOR}"  # the record keeps the CAIP-10 account as written
    assert summarize(consent).title == f"Access for {DOCTOR}"
    assert summarize(_consent(None, 0)).title == f"Access for {DOCTOR}"  # ethereum:<address>
