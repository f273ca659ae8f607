"""The EIP-712 hashing and signing we do by hand agree with eth_account's implementation."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

from wallet.chain.eip712 import (
    Eip712Domain,
    SignedGrant,
    grant_digest,
    grant_typed_data,
    revoke_digest,
    revoke_typed_data,
    sign_grant,
    sign_revoke,
    signed_grant_id,
)

CID = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"
EXPIRES = datetime(2031, 2, 3, 4, 5, 6, tzinfo=UTC)


def _eth_account_digest(typed: dict) -> bytes:
    from eth_account.messages import _hash_eip191_message

    return _hash_eip191_message(encode_typed_data(full_message=typed))


@pytest.mark.parametrize("chain_id", [1, 100, 31337, 0x4857_0000_0000 + 12345])
def test_digests_and_signatures_match_eth_account(chain_id: int) -> None:
    domain = Eip712Domain(chain_id, "0xd5ba0Be4F149C17C280E1f583F3Fee9c812D7c98")
    patient, doctor = Account.create(), Account.create()
    wrapped = os.urandom(93)
    gid = signed_grant_id(doctor.address, patient.address)
    typed = grant_typed_data(domain, gid, CID, wrapped, EXPIRES)
    assert grant_digest(domain, gid, CID, wrapped, EXPIRES) == _eth_account_digest(typed)
    signed = sign_grant(patient, domain, doctor.address, CID, wrapped, EXPIRES)
    theirs = Account.sign_typed_data(patient.key, full_message=typed)
    assert (signed.v, signed.r, signed.s) == (theirs.v, theirs.r, theirs.s)
    assert signed.grant_id == gid and signed.grantee == doctor.address and signed.signer == patient.address

    revoke_typed = revoke_typed_data(domain, gid)
    assert revoke_digest(domain, gid) == _eth_account_digest(revoke_typed)
    revoke = sign_revoke(patient, domain, gid)
    theirs = Account.sign_typed_data(patient.key, full_message=revoke_typed)
    assert (revoke.v, revoke.r, revoke.s) == (theirs.v, theirs.r, theirs.s)


def test_the_domain_binds_chain_and_contract() -> None:
    gid = signed_grant_id(Account.create().address, Account.create().address)
    a = Eip712Domain(100, "0xd5ba0Be4F149C17C280E1f583F3Fee9c812D7c98")
    assert revoke_digest(a, gid) != revoke_digest(Eip712Domain(10, a.verifying_contract), gid)
    assert revoke_digest(a, gid) != revoke_digest(Eip712Domain(100, Account.create().address), gid)


def test_a_signed_grant_id_ends_with_its_signer_and_only_that_signer() -> None:
    patient, doctor, other = Account.create(), Account.create(), Account.create()
    domain = Eip712Domain(100, Account.create().address)
    signed = sign_grant(patient, domain, doctor.address, CID, b"k", EXPIRES)
    assert signed.grant_id[:20].hex() == doctor.address[2:].lower()
    assert signed.grant_id[20:].hex() == patient.address[-24:].lower()
    with pytest.raises(ValueError):
        SignedGrant(domain, signed.grant_id, CID, b"k", EXPIRES, other.address, signed.v, signed.r, signed.s)
    with pytest.raises(ValueError):  # a high-s (malleable) signature
        SignedGrant(domain, signed.grant_id, CID, b"k", EXPIRES, patient.address, signed.v, signed.r,
                    0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141 - signed.s)
    assert "wrapped_key" not in repr(signed) and str(signed.r) not in repr(signed)
