"""What a JSON-RPC node answers, read for :class:`~.web3_backend.Web3ChainBackend`.

Error texts (a connection problem, a JSON-RPC error's message, revert data), addresses in
the forms web3 and log topics take, and the fields of receipts and blocks read from a raw
JSON answer (hex quantities as integers).
"""

from __future__ import annotations

from typing import Any, cast

import requests
from eth_typing import ChecksumAddress
from eth_utils import to_checksum_address
from hexbytes import HexBytes
from web3.exceptions import Web3RPCError

from .grants import checksum


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def _connection_problem(exc: BaseException) -> str:
    if isinstance(exc, (requests.exceptions.Timeout, TimeoutError)):
        return "no answer in time"
    if isinstance(exc, requests.exceptions.HTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code}"
    if isinstance(exc, (requests.exceptions.ConnectionError, ConnectionError)):
        return "no connection"
    return _short(exc)


def _rpc_message(exc: Web3RPCError) -> str:
    response = getattr(exc, "rpc_response", None) or {}
    error = response.get("error") if isinstance(response, dict) else None
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    return _short(exc)


def _revert_bytes(data: Any) -> bytes:
    if isinstance(data, (bytes, bytearray)):
        return bytes(data)
    if isinstance(data, str):
        text = data.split(" ")[-1]
        try:
            return bytes(HexBytes(text))
        except ValueError:
            return b""
    if isinstance(data, dict):
        return _revert_bytes(data.get("data"))
    return b""


def _checksum_address(address: str) -> ChecksumAddress:
    """``address`` in checksum form, typed for web3; ``ValueError`` for anything but a 0x address."""
    return to_checksum_address(checksum(address))


def _topic_address(address: str) -> str:
    return "0x" + "00" * 12 + checksum(address)[2:].lower()


def _as_int(value: Any) -> int:
    if isinstance(value, str):
        return int(value, 16) if value.startswith("0x") else int(value)
    return int(value)


def _rpc_error(error: Any) -> Web3RPCError:
    """A JSON-RPC error answer as web3 raises it."""
    error = error if isinstance(error, dict) else {"message": str(error)}
    return Web3RPCError(str(error.get("message")), rpc_response=cast(Any, {"error": error}))


def _receipt_fields(receipt: Any) -> dict[str, Any] | None:
    """A mined transaction's receipt as a node's JSON answer gives it: the fields read here;
    ``None`` for no receipt (not mined yet)."""
    if not isinstance(receipt, dict) or receipt.get("blockNumber") is None:
        return None
    return {"status": _as_int(receipt["status"]), "gasUsed": _as_int(receipt["gasUsed"]),
            "blockNumber": _as_int(receipt["blockNumber"]), "transactionHash": HexBytes(receipt["transactionHash"])}


def _block_fields(block: Any) -> dict[str, int]:
    """A block as a node's JSON answer gives it: the fields read here, as integers."""
    return {k: _as_int(v) for k, v in block.items() if k in ("number", "timestamp", "baseFeePerGas") and v is not None}
