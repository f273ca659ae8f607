"""EIP-712 typed data for signed grants and revocations, and their signatures.

The patient signs a ``Grant`` (or a ``Revoke``) with the grant's own key; whoever
submits it pays the gas. The domain binds the signature to one chain and one contract
(EIP-712 §"Definition of domainSeparator": name, version, chainId, verifyingContract),
so a signature made for another chain or contract recovers to another address and the
contract refuses it with ``BadSignature``.

Types, exactly as the contract hashes them (EIP-712 §"Definition of encodeData":
``string`` and ``bytes`` are hashed, ``bytes32`` and ``uint64`` are words)::

    Grant(bytes32 id,string cid,bytes wrappedKey,uint64 expiresAt)
    Revoke(bytes32 id)

A signed grant's id ends with the last 12 bytes of the signer's address
(:func:`signed_grant_id`): the contract lets only that key grant or burn the id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from eth_abi import encode as abi_encode
from eth_utils import keccak

from .. import untrusted
from ..errors import ChainError, InputRefused
from .grants import checksum, from_chain_time, grant_id_hex, grantee_of, parse_grant_id, to_chain_time

__all__ = [
    "DOMAIN_NAME",
    "DOMAIN_VERSION",
    "MAX_SIGNED_CHARS",
    "Eip712Domain",
    "SignedGrant",
    "SignedRevoke",
    "grant_digest",
    "grant_typed_data",
    "load_signed",
    "recover_signed_grant",
    "revoke_digest",
    "revoke_typed_data",
    "sign_grant",
    "sign_revoke",
    "signature_bytes",
    "signed_grant_id",
]

DOMAIN_NAME = "HealthGrants"
DOMAIN_VERSION = "2"
DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
GRANT_TYPE = "Grant(bytes32 id,string cid,bytes wrappedKey,uint64 expiresAt)"
REVOKE_TYPE = "Revoke(bytes32 id)"
SIGNED_FORMAT = "health-wallet/signed-chain-message"
SIGNED_VERSION = 1
MAX_SIGNED_CHARS = 16_384  # a signed grant is about 700 characters
_SIGNED_LIMITS = untrusted.Limits(max_bytes=MAX_SIGNED_CHARS, max_depth=4, max_items=64, max_number_chars=80)
_HALF_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0
_DOMAIN_FIELDS = [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                  {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}]


@dataclass(frozen=True)
class Eip712Domain:
    """The domain a signature is valid in: one contract on one chain."""

    chain_id: int
    verifying_contract: str

    def __post_init__(self) -> None:
        if not isinstance(self.chain_id, int) or not 0 < self.chain_id < 2**256:
            raise ValueError("a chain id is a positive integer")
        object.__setattr__(self, "verifying_contract", checksum(self.verifying_contract))

    @property
    def separator(self) -> bytes:
        """``hashStruct(EIP712Domain)``, 32 bytes."""
        return keccak(abi_encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [keccak(text=DOMAIN_TYPE), keccak(text=DOMAIN_NAME), keccak(text=DOMAIN_VERSION), self.chain_id,
             self.verifying_contract],
        ))

    def as_dict(self) -> dict[str, Any]:
        return {"name": DOMAIN_NAME, "version": DOMAIN_VERSION, "chainId": self.chain_id,
                "verifyingContract": self.verifying_contract}


def signed_grant_id(grantee: str, signer: str) -> bytes:
    """The id of a grant to ``grantee`` signed by ``signer``: the grantee's address, then
    the last 12 bytes of the signer's (32 bytes; what ``grantBySig`` and ``revokeBySig`` check)."""
    return bytes.fromhex(checksum(grantee)[2:]) + bytes.fromhex(checksum(signer)[2:])[8:]


def _digest(domain: Eip712Domain, struct_hash: bytes) -> bytes:
    return keccak(b"\x19\x01" + domain.separator + struct_hash)


def grant_digest(domain: Eip712Domain, grant_id: bytes, cid: str, wrapped_key: bytes, expires_at: datetime) -> bytes:
    """The 32-byte EIP-712 digest the patient signs for a grant."""
    grant_id_hex(grant_id)
    struct = keccak(abi_encode(
        ["bytes32", "bytes32", "bytes32", "bytes32", "uint64"],
        [keccak(text=GRANT_TYPE), bytes(grant_id), keccak(text=cid), keccak(bytes(wrapped_key)),
         to_chain_time(expires_at)],
    ))
    return _digest(domain, struct)


def revoke_digest(domain: Eip712Domain, grant_id: bytes) -> bytes:
    """The 32-byte EIP-712 digest the patient signs to revoke (or burn) a grant."""
    grant_id_hex(grant_id)
    return _digest(domain, keccak(abi_encode(["bytes32", "bytes32"], [keccak(text=REVOKE_TYPE), bytes(grant_id)])))


def grant_typed_data(domain: Eip712Domain, grant_id: bytes, cid: str, wrapped_key: bytes,
                     expires_at: datetime) -> dict[str, Any]:
    """The grant as EIP-712 JSON (``eth_signTypedData_v4``), for wallets that show what they sign."""
    return {
        "types": {"EIP712Domain": _DOMAIN_FIELDS,
                  "Grant": [{"name": "id", "type": "bytes32"}, {"name": "cid", "type": "string"},
                            {"name": "wrappedKey", "type": "bytes"}, {"name": "expiresAt", "type": "uint64"}]},
        "primaryType": "Grant",
        "domain": domain.as_dict(),
        "message": {"id": bytes(grant_id), "cid": cid, "wrappedKey": bytes(wrapped_key),
                    "expiresAt": to_chain_time(expires_at)},
    }


def revoke_typed_data(domain: Eip712Domain, grant_id: bytes) -> dict[str, Any]:
    """The revocation as EIP-712 JSON (``eth_signTypedData_v4``)."""
    return {
        "types": {"EIP712Domain": _DOMAIN_FIELDS, "Revoke": [{"name": "id", "type": "bytes32"}]},
        "primaryType": "Revoke",
        "domain": domain.as_dict(),
        "message": {"id": bytes(grant_id)},
    }


def _check_signature(v: int, r: int, s: int) -> None:
    if v not in (27, 28) or not 0 < r < 2**256 or not 0 < s <= _HALF_ORDER:
        raise ValueError("not a canonical secp256k1 signature (v 27/28, low s)")


def _sign(account: Any, digest: bytes) -> tuple[int, int, int]:
    signed = account.unsafe_sign_hash(digest)  # the EIP-712 digest, not a raw transaction hash
    return int(signed.v), int(signed.r), int(signed.s)


@dataclass(frozen=True)
class SignedGrant:
    """A grant the patient signed, ready for anyone to submit with ``grantBySig``."""

    domain: Eip712Domain
    grant_id: bytes
    cid: str
    wrapped_key: bytes = field(repr=False)
    expires_at: datetime
    signer: str
    v: int = field(repr=False)
    r: int = field(repr=False)
    s: int = field(repr=False)

    def __post_init__(self) -> None:
        grant_id_hex(self.grant_id)
        object.__setattr__(self, "grant_id", bytes(self.grant_id))
        object.__setattr__(self, "signer", checksum(self.signer))
        if not self.cid:
            raise ValueError("a grant needs a CID")
        to_chain_time(self.expires_at)
        if self.grant_id[20:] != bytes.fromhex(self.signer[2:])[8:]:
            raise ValueError("a signed grant's id must end with its signer's address")
        _check_signature(self.v, self.r, self.s)

    @property
    def grantee(self) -> str:
        return grantee_of(self.grant_id)

    @property
    def digest(self) -> bytes:
        return grant_digest(self.domain, self.grant_id, self.cid, self.wrapped_key, self.expires_at)

    def contract_args(self) -> list[Any]:
        """Arguments of ``grantBySig`` / ``grantBySigAndRecordAccess``, in order."""
        return [self.grant_id, self.cid, bytes(self.wrapped_key), to_chain_time(self.expires_at), self.v,
                self.r.to_bytes(32, "big"), self.s.to_bytes(32, "big")]

    def to_json(self) -> dict[str, Any]:
        return {"format": SIGNED_FORMAT, "version": SIGNED_VERSION, "type": "Grant",
                "chain_id": self.domain.chain_id, "contract": self.domain.verifying_contract,
                "id": grant_id_hex(self.grant_id), "cid": self.cid, "wrapped_key": "0x" + self.wrapped_key.hex(),
                "expires_at": to_chain_time(self.expires_at), "signer": self.signer,
                "signature": _signature_hex(self.v, self.r, self.s)}


@dataclass(frozen=True)
class SignedRevoke:
    """A revocation (or burn) the grant's patient key signed; anyone may submit it."""

    domain: Eip712Domain
    grant_id: bytes
    signer: str
    v: int = field(repr=False)
    r: int = field(repr=False)
    s: int = field(repr=False)

    def __post_init__(self) -> None:
        grant_id_hex(self.grant_id)
        object.__setattr__(self, "grant_id", bytes(self.grant_id))
        object.__setattr__(self, "signer", checksum(self.signer))
        _check_signature(self.v, self.r, self.s)

    @property
    def digest(self) -> bytes:
        return revoke_digest(self.domain, self.grant_id)

    def contract_args(self) -> list[Any]:
        """Arguments of ``revokeBySig``, in order."""
        return [self.grant_id, self.v, self.r.to_bytes(32, "big"), self.s.to_bytes(32, "big")]

    def to_json(self) -> dict[str, Any]:
        return {"format": SIGNED_FORMAT, "version": SIGNED_VERSION, "type": "Revoke",
                "chain_id": self.domain.chain_id, "contract": self.domain.verifying_contract,
                "id": grant_id_hex(self.grant_id), "signer": self.signer,
                "signature": _signature_hex(self.v, self.r, self.s)}


def _signature_hex(v: int, r: int, s: int) -> str:
    return "0x" + r.to_bytes(32, "big").hex() + s.to_bytes(32, "big").hex() + bytes([v]).hex()


def sign_grant(account: Any, domain: Eip712Domain, grantee: str, cid: str, wrapped_key: bytes,
               expires_at: datetime) -> SignedGrant:
    """Sign a grant to ``grantee`` with ``account`` (an ``eth_account`` ``LocalAccount``: the
    per-grant key). The id follows from the grantee and the signer (:func:`signed_grant_id`)."""
    grant_id = signed_grant_id(grantee, account.address)
    v, r, s = _sign(account, grant_digest(domain, grant_id, cid, wrapped_key, expires_at))
    return SignedGrant(domain, grant_id, cid, bytes(wrapped_key), expires_at, account.address, v, r, s)


def sign_revoke(account: Any, domain: Eip712Domain, grant_id: bytes) -> SignedRevoke:
    """Sign the revocation of ``grant_id`` with the grant's patient key ``account``."""
    v, r, s = _sign(account, revoke_digest(domain, grant_id))
    return SignedRevoke(domain, bytes(grant_id), account.address, v, r, s)


def recover_signed_grant(domain: Eip712Domain, grant_id: bytes, cid: str, wrapped_key: bytes, expires_at: datetime,
                         signature: bytes) -> SignedGrant:
    """The signed grant whose signer ``signature`` (r‖s‖v, 65 bytes) recovers to.

    Raises :class:`~wallet.errors.ChainError` (one line) when the signature is malformed or
    recovers to a key the grant id does not name: a forged or altered grant, or one signed
    for another chain or contract (the contract would refuse it with ``BadSignature``)."""
    from eth_account import Account

    if len(signature) != 65:
        raise ChainError("The grant's signature is malformed (it is not 65 bytes).")
    r, s, v = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:64], "big"), signature[64]
    try:
        _check_signature(v, r, s)
        digest = grant_digest(domain, grant_id, cid, wrapped_key, expires_at)
        signer = Account._recover_hash(digest, vrs=(v, r, s))
        return SignedGrant(domain, bytes(grant_id), cid, bytes(wrapped_key), expires_at, signer, v, r, s)
    except Exception as exc:  # eth_keys raises several types for a bad signature; each means the same here
        raise ChainError(
            f"The grant's signature does not match its contents for chain {domain.chain_id} and contract "
            f"{domain.verifying_contract}: it was altered, forged or signed for another chain.") from exc


def signature_bytes(signed: SignedGrant | SignedRevoke) -> bytes:
    """r‖s‖v, 65 bytes."""
    return signed.r.to_bytes(32, "big") + signed.s.to_bytes(32, "big") + bytes([signed.v])


def load_signed(text: str) -> SignedGrant | SignedRevoke:
    """A signed grant or revocation from its JSON form (``to_json``); ``ChainError`` if malformed.

    The text is untrusted (a file someone handed over): its size is checked before parsing.
    """
    try:
        doc = untrusted.loads(text, what="the text", limits=_SIGNED_LIMITS)  # size, depth, digits first
        if not isinstance(doc, dict) or doc.get("format") != SIGNED_FORMAT or doc.get("version") != SIGNED_VERSION:
            raise ValueError("not a signed grant or revocation of this format")
        domain = Eip712Domain(int(doc["chain_id"]), str(doc["contract"]))
        raw = bytes.fromhex(str(doc["signature"]).removeprefix("0x"))
        if len(raw) != 65:
            raise ValueError("a signature is 65 bytes")
        r, s, v = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:64], "big"), raw[64]
        gid = parse_grant_id(str(doc["id"]))
        if doc.get("type") == "Grant":
            return SignedGrant(domain, gid, str(doc["cid"]), bytes.fromhex(str(doc["wrapped_key"]).removeprefix("0x")),
                               from_chain_time(int(doc["expires_at"])), str(doc["signer"]), v, r, s)
        if doc.get("type") == "Revoke":
            return SignedRevoke(domain, gid, str(doc["signer"]), v, r, s)
        raise ValueError(f"unknown type {doc.get('type')!r}")
    except InputRefused as exc:
        reason = exc.user_message.rstrip(".")
        raise ChainError(f"This is not a signed grant or revocation the wallet can submit ({reason}).") from exc
    except (ValueError, KeyError, TypeError, OverflowError) as exc:
        raise ChainError(f"This is not a signed grant or revocation the wallet can submit ({exc}).") from exc
