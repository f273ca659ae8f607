"""Connect to an EVM JSON-RPC node (anvil, geth, a provider's endpoint) by URL.

Proof-of-authority chains put more than 32 bytes in a block's ``extraData``; the
``ExtraDataToPOAMiddleware`` makes web3 accept them, and is harmless elsewhere. The node's
chain id is asked once per connection and kept (web3 would ask before every call).
"""

from __future__ import annotations

from urllib.parse import urlparse

from web3 import Web3
from web3.middleware import ExtraDataToPOAMiddleware
from web3.types import RPCEndpoint

from ..errors import ChainUnavailable
from .code_checks import CodeChecks
from .web3_backend import Web3ChainBackend

__all__ = ["connect_rpc"]


def connect_rpc(url: str, *, contract_address: str | None = None, timeout: float = 30.0,
                receipt_timeout: float = 120.0, poll_interval: float = 1.0, currency: str = "ETH",
                code_checks: CodeChecks | None = None) -> Web3ChainBackend:
    """A backend for the node at ``url``; ``ChainUnavailable`` if it does not answer.

    ``timeout`` bounds each request; ``receipt_timeout`` bounds the wait for a
    transaction to be mined. Without ``contract_address`` only :meth:`deploy` works.
    ``code_checks``: contracts already found to be HealthGrants on ``url`` in this process
    (their code is not read again; see :mod:`wallet.chain.code_checks`).
    """
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ChainUnavailable(f"The chain address {url!r} is not an http(s) URL; set chain.rpc to one.")
    # web3's validation asks the node for its chain id before every call and gas estimate; an
    # endpoint's chain id does not change, so that answer is kept (one round trip per read saved).
    # (No cache validation threshold: web3 would ask for the chain id once more to choose one.)
    provider = Web3.HTTPProvider(url, request_kwargs={"timeout": timeout}, cache_allowed_requests=True,
                                 cacheable_requests={RPCEndpoint("eth_chainId")},
                                 request_cache_validation_threshold=None)
    w3 = Web3(provider)
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    return Web3ChainBackend(
        w3, description=f"the chain at {url}", contract_address=contract_address or None,
        receipt_timeout=receipt_timeout, poll_interval=poll_interval, currency=currency,
        endpoint=url, code_checks=code_checks,
    )
