"""One grants-contract address on every chain, and the check that the code there is ours.

HealthGrants is deployed through the deterministic-deployment proxy, a CREATE2 factory
at ``0x4e59b44847b379578588920ca78fbf26c0b4956c`` on every chain that has it (anvil
ships it; the embedded chain installs it in its first block from the factory's
presigned deployment transaction, ``data/deterministic-deployment-proxy.json``). The
factory takes a 32-byte salt followed by init code, so the contract's address is
``keccak256(0xff ‖ factory ‖ salt ‖ keccak256(initcode))[12:]`` (EIP-1014): it follows
from the committed bytecode and :data:`SALT` alone.

Before the wallet uses a contract it compares the runtime code at the address with the
committed artefact (:func:`identify_runtime`): a contract that is not HealthGrants (an
impostor at a configured address) is refused. The first HealthGrants (version 1,
deployed by an ordinary CREATE, with ``deployedBlock`` immutable) is still accepted,
so grants made with it keep working; it lacks the signed-grant functions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from eth_typing import ChecksumAddress
from eth_utils import keccak, to_checksum_address

from .contract import load_artefact

__all__ = [
    "FACTORY_ADDRESS",
    "SALT",
    "FactoryDeployment",
    "canonical_address",
    "create2_address",
    "factory_calldata",
    "factory_deployment",
    "identify_runtime",
]

FACTORY_ADDRESS = ChecksumAddress("0x4e59b44847b379578588920cA78FbF26c0B4956C")
SALT = keccak(b"health-wallet/HealthGrants")  # fixed: changing it moves the contract on every chain
V1_ARTEFACT = "HealthGrants-v1.json"


@dataclass(frozen=True)
class FactoryDeployment:
    """The factory's published one-time deployment: fund ``signer`` with ``funding`` wei,
    then broadcast ``raw_transaction`` (pre-EIP-155, so valid on every chain)."""

    factory: ChecksumAddress
    signer: ChecksumAddress
    gas_price: int
    gas_limit: int
    raw_transaction: bytes

    @property
    def funding(self) -> int:
        return self.gas_price * self.gas_limit


@lru_cache(maxsize=1)
def factory_deployment() -> FactoryDeployment:
    text = resources.files(__package__).joinpath("data", "deterministic-deployment-proxy.json").read_text("utf-8")
    doc = json.loads(text)
    return FactoryDeployment(
        factory=to_checksum_address(doc["factory"]), signer=to_checksum_address(doc["signer"]),
        gas_price=int(doc["gasPrice"]), gas_limit=int(doc["gasLimit"]),
        raw_transaction=bytes.fromhex(doc["transaction"].removeprefix("0x")),
    )


def create2_address(deployer: str, salt: bytes, initcode: bytes) -> ChecksumAddress:
    """EIP-1014: where ``deployer`` creates ``initcode`` with ``salt`` (checksummed)."""
    if len(salt) != 32:
        raise ValueError("a CREATE2 salt is 32 bytes")
    raw = keccak(b"\xff" + bytes.fromhex(deployer.removeprefix("0x")) + salt + keccak(initcode))[12:]
    return to_checksum_address(raw)


def _initcode() -> bytes:
    return bytes.fromhex(load_artefact().bytecode.removeprefix("0x"))


def canonical_address() -> ChecksumAddress:
    """The grants contract's address on every chain (from the committed bytecode and :data:`SALT`)."""
    return create2_address(FACTORY_ADDRESS, SALT, _initcode())


def factory_calldata() -> bytes:
    """What to send to the factory to deploy the grants contract at :func:`canonical_address`."""
    return SALT + _initcode()


@lru_cache(maxsize=1)
def _v1() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(resources.files(__package__).joinpath("contracts", V1_ARTEFACT).read_text("utf-8"))
    return doc


def v1_initcode() -> bytes:
    """The first HealthGrants' init code (for tests and migration checks)."""
    return bytes.fromhex(str(_v1()["bytecode"]).removeprefix("0x"))


def identify_runtime(code: bytes) -> int | None:
    """The HealthGrants version whose runtime code ``code`` is (2: today's, 1: the first,
    whose immutable ``deployedBlock`` is masked before comparing), or ``None``."""
    code = bytes(code)
    if keccak(code) == keccak(bytes.fromhex(load_artefact().deployed_bytecode.removeprefix("0x"))):
        return 2
    doc = _v1()
    template = bytes.fromhex(str(doc["deployedBytecode"]).removeprefix("0x"))
    if len(code) != len(template):
        return None
    masked = bytearray(code)
    for ref in doc["immutableReferences"]:
        start, length = int(ref["start"]), int(ref["length"])
        masked[start:start + length] = bytes(length)
    return 1 if keccak(bytes(masked)) == keccak(template) else None
