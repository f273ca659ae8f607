"""The grants contract's committed build artefact and its custom errors.

``contracts/HealthGrants.json`` holds the ABI, the bytecode and the compiler version and
settings that produced them; ``scripts/build_contract.mjs`` regenerates it from
``contracts/HealthGrants.sol`` with the solc pinned in ``package.json``. Nothing is
compiled or downloaded at run time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_utils import function_signature_to_4byte_selector

from ..errors import ChainError, GrantNotActive, TransactionReverted

__all__ = ["ERROR_STRING_SELECTOR", "PANIC_SELECTOR", "ContractArtefact", "error_from_revert", "load_artefact"]

ARTEFACT_NAME = "HealthGrants.json"
ERROR_STRING_SELECTOR = bytes.fromhex("08c379a0")  # Error(string)
PANIC_SELECTOR = bytes.fromhex("4e487b71")  # Panic(uint256)


@dataclass(frozen=True)
class ContractArtefact:
    name: str
    abi: list[dict[str, Any]] = field(repr=False)
    bytecode: str = field(repr=False)
    deployed_bytecode: str = field(repr=False)
    compiler_version: str = ""
    source_sha256: str = ""

    def __post_init__(self) -> None:
        if not self.bytecode.startswith("0x") or len(self.bytecode) < 4:
            raise ValueError("artefact bytecode missing")

    @property
    def errors(self) -> dict[bytes, tuple[str, list[str], list[str]]]:
        """Custom-error selector → (name, argument names, argument types)."""
        out = {}
        for item in self.abi:
            if item.get("type") == "error":
                types = [i["type"] for i in item["inputs"]]
                selector = function_signature_to_4byte_selector(f"{item['name']}({','.join(types)})")
                out[selector] = (item["name"], [i["name"] for i in item["inputs"]], types)
        return out


@lru_cache(maxsize=1)
def load_artefact() -> ContractArtefact:
    text = resources.files(__package__).joinpath("contracts", ARTEFACT_NAME).read_text("utf-8")
    doc = json.loads(text)
    return ContractArtefact(
        name=doc["contractName"],
        abi=doc["abi"],
        bytecode=doc["bytecode"],
        deployed_bytecode=doc["deployedBytecode"],
        compiler_version=doc["compiler"]["version"],
        source_sha256=doc["sourceSha256"],
    )


def _when(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _id(value: bytes) -> str:
    return "0x" + value.hex()


def _message(name: str, args: dict[str, Any]) -> tuple[type[ChainError], str]:
    gid = _id(args["id"]) if "id" in args else ""
    messages: dict[str, tuple[type[ChainError], str]] = {
        "InvalidKey": (TransactionReverted, "The encryption key to publish is empty; nothing was published."),
        "EmptyCid": (TransactionReverted, "The content address (CID) is empty; nothing was sent."),
        "GranteeMismatch": (TransactionReverted,
                            f"Grant {gid} is not addressed to {args.get('grantee')}; nothing was granted."),
        "ExpiryNotInFuture": (TransactionReverted,
                              f"The expiry ({_when(args.get('expiresAt', 0))}) is not after the chain's time "
                              f"({_when(args.get('blockTime', 0))}); choose a later expiry."),
        "GrantExists": (TransactionReverted, f"Grant {gid} already exists; nothing was changed."),
        "UnknownGrant": (GrantNotActive, f"There is no grant {gid} on this chain."),
        "NotPatient": (TransactionReverted, f"Only the patient who issued grant {gid} can revoke it."),
        "AlreadyRevoked": (GrantNotActive, f"Grant {gid} is already revoked."),
        "NotGrantee": (TransactionReverted,
                       f"Grant {gid} is not addressed to this wallet ({args.get('caller')})."),
        "GrantNotActive": (GrantNotActive,
                           f"Grant {gid} is expired, revoked or unknown; ask the patient for a new share."),
        "BadSignature": (TransactionReverted,
                         f"The signature on grant {gid} does not match it (another key, another chain or contract, "
                         "or altered terms); nothing was changed."),
        "GrantBurned": (GrantNotActive, f"Grant {gid} was revoked before it was submitted; it can never be granted."),
    }
    return messages.get(name, (TransactionReverted, f"The contract rejected the transaction ({name})."))


def error_from_revert(data: bytes | None, *, action: str = "The transaction") -> ChainError:
    """The :class:`ChainError` for a revert's return data (a custom error, a reason or nothing).

    The error's ``contract_error`` attribute names the custom error, if any.
    """
    data = bytes(data or b"")
    selector, payload = data[:4], data[4:]
    known = load_artefact().errors
    if selector in known:
        name, names, types = known[selector]
        try:
            values = abi_decode(types, payload)
        except (DecodingError, ValueError):  # malformed payload: still name the error
            values = ()
        args = dict(zip(names, values, strict=False))  # no values when the payload is malformed
        cls, message = _message(name, args)
        exc = cls(message)
        exc.contract_error = name  # type: ignore[attr-defined]
        return exc
    if selector == ERROR_STRING_SELECTOR:
        try:
            (reason,) = abi_decode(["string"], payload)
        except (DecodingError, ValueError):  # e.g. not UTF-8
            reason = "unreadable reason"
        exc = TransactionReverted(f"{action} was rejected by the contract: {reason}.")
    elif selector == PANIC_SELECTOR:
        exc = TransactionReverted(f"{action} failed inside the contract (panic {payload[-1:].hex() or '?'}).")
    else:
        exc = TransactionReverted(f"{action} was rejected by the contract.")
    exc.contract_error = None  # type: ignore[attr-defined]
    return exc
