"""Signed grants on a chain that stands in for a public one, for the chain and the sharing tests.

:func:`chain100` is anvil with chain id 100 (Gnosis's id: nobody is funded by the node, the
CREATE2 factory is present) with the grants contract deployed at its standard address by a
funded account. The conftests of tests/chain and tests/sharing offer the fixture; each test
module gets a chain of its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from tests.chain.anvil_node import AnvilNode, running_anvil
from wallet.chain import connect_rpc
from wallet.chain.backend import ChainBackend
from wallet.chain.eip712 import Eip712Domain, SignedGrant, sign_grant
from wallet.chain.web3_backend import Web3ChainBackend
from wallet.errors import WalletError

__all__ = ["CID", "RICH", "WRAPPED_KEY_SIZE", "PublicChain", "chain100", "on_chain100", "one_line", "signed_grant"]

CID = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"  # a CIDv1 as Kubo prints it
WRAPPED_KEY_SIZE = 93  # what wallet.vault.aead.wrap_key produces
RICH = hex(10**20)  # wei, as anvil_setBalance takes it: more than any test spends


@dataclass
class PublicChain:
    """The running chain: its node, a backend connected to it, and a funded account that is
    neither patient nor doctor (it deployed the contract)."""

    node: AnvilNode
    backend: Web3ChainBackend
    payer: LocalAccount

    @property
    def url(self) -> str:
        return self.node.url

    def rpc(self, method: str, *params: Any) -> Any:
        """One JSON-RPC call to the node (e.g. ``anvil_setBalance``)."""
        return self.node.rpc(method, *params)

    def funded(self) -> LocalAccount:
        """A new account holding :data:`RICH`."""
        account = Account.create()
        self.rpc("anvil_setBalance", account.address, RICH)
        return account


@pytest.fixture(scope="module")
def chain100() -> Iterator[PublicChain]:
    with running_anvil("--chain-id", "100") as node:
        backend = connect_rpc(node.url, receipt_timeout=30, poll_interval=0.05)
        try:
            payer = Account.create()
            node.rpc("anvil_setBalance", payer.address, RICH)
            assert not backend.is_development and backend.contract_address is None
            deployment = backend.deploy(payer)
            assert deployment.tx is not None and deployment.address == backend.contract_address
            yield PublicChain(node, backend, payer)
        finally:
            backend.close()


def on_chain100(wallet: Any, url: str, *, active: bool) -> None:
    """Point ``wallet``'s network profile for chain 100 ("gnosis") at the test node at ``url``;
    ``active``: make it the wallet's network (else the wallet stays on its embedded chain)."""
    from wallet.services.networks import Networks

    networks = Networks(wallet.app)
    networks.add("gnosis", chain_id=100, rpc=[url])  # the built-in profile's RPC list, pointed at the test node
    if active:
        networks.use("gnosis")


def signed_grant(key: LocalAccount, chain: ChainBackend, grantee: str, *,
                 expires_in: timedelta = timedelta(days=1), domain: Eip712Domain | None = None,
                 cid: str = CID) -> SignedGrant:
    """A grant of ``cid`` to ``grantee`` signed by ``key`` for ``chain``'s domain (or ``domain``),
    expiring ``expires_in`` after the chain's time (negative: already expired), with a random
    wrapped key of the size the wallet makes."""
    return sign_grant(key, domain or chain.domain, grantee, cid, os.urandom(WRAPPED_KEY_SIZE),
                      chain.now() + expires_in)


def one_line(exc: BaseException) -> str:
    """The user message of the wallet error ``exc``, checked to be one line."""
    assert isinstance(exc, WalletError), repr(exc)
    message = exc.user_message
    assert message and "\n" not in message, message
    return message
