"""What the grants contract's events say (a part of :class:`~.web3_backend.Web3ChainBackend`).

:class:`GrantEvents` lists grants by patient and by grantee and the access log from the
``Granted``, ``Revoked`` and ``Accessed`` events, reading the contracts' logs in block
ranges the node accepts, each block's time once, and skipping events that do not decode.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, cast

from hexbytes import HexBytes
from web3.exceptions import Web3RPCError
from web3.types import FilterParams

from .grants import AccessEvent, AccessGrant, EventKind, checksum, from_chain_time
from .rpc_answers import _as_int, _rpc_message, _topic_address
from .web3_connection import Web3Connection

__all__ = ["GrantEvents"]

logger = logging.getLogger(__name__)


class GrantEvents(Web3Connection):
    """The event reading of :class:`~.web3_backend.Web3ChainBackend`, whose constructor
    sets the state declared here."""

    _event_names: dict[str, str]
    _topic: dict[str, str]
    _block_times: dict[int, int]

    def patients_with_activity(self, patients: list[str]) -> set[str]:
        """Which of ``patients`` appear as a grant's patient in any event (one log query)."""
        if not patients:
            return set()
        topics = [_topic_address(p) for p in patients]
        found: set[str] = set()
        for _log, _name, args in self._decoded(self._logs([[self._topic["Granted"], self._topic["Revoked"]], None,
                                                           topics])):
            found.add(checksum(args["patient"]))
        return found

    def grants_by_patients(self, patients: list[str]) -> list[AccessGrant]:
        """Grants whose patient is any of ``patients`` (one log query), in chain order."""
        if not patients:
            return []
        return self._grants_from_logs(self._logs([self._grant_topics(), None,
                                                  [_topic_address(p) for p in patients]]))

    def has_patient_activity(self, patient: str) -> bool:
        """Whether ``patient`` appears as a grant's patient in any event (granted, revoked or burned)."""
        return bool(self._logs([[self._topic["Granted"], self._topic["Revoked"]], None, _topic_address(patient)]))

    def grants_by_patient(self, patient: str) -> list[AccessGrant]:
        return self._grants_from_logs(self._logs([self._grant_topics(), None, _topic_address(patient)]))

    def grants_for_grantee(self, grantee: str) -> list[AccessGrant]:
        return self._grants_from_logs(self._logs([self._grant_topics(), None, None, _topic_address(grantee)]))

    def access_log(self, address: str) -> list[AccessEvent]:
        topic = _topic_address(address)
        logs = self._logs([self._grant_topics(), None, topic]) + self._logs([self._grant_topics(), None, None, topic])
        seen: set[tuple[str, int]] = set()
        events = []
        for log, name, args in self._decoded(logs):
            key = (HexBytes(log["transactionHash"]).to_0x_hex(), int(log["logIndex"]))
            if key in seen:
                continue  # a wallet granting to itself matches both queries
            seen.add(key)
            events.append(AccessEvent(
                kind=EventKind(name.lower()), grant_id=bytes(args["id"]), patient=args["patient"],
                grantee=args["grantee"], at=from_chain_time(self._log_time(log)), block=int(log["blockNumber"]),
                tx_hash=key[0], log_index=key[1],
                expires_at=from_chain_time(args["expiresAt"]) if name == "Granted" else None,
            ))
        return events

    # --- events --------------------------------------------------------------------

    def _grant_topics(self) -> list[str]:
        return [self._topic["Granted"], self._topic["Revoked"], self._topic["Accessed"]]

    def _logs(self, topics: list[Any], *, end: int | None = None) -> list[Any]:
        """The contracts' logs matching ``topics`` up to block ``end`` (default: the latest)."""
        contract = self._require_contract()
        start = self._deployment_block()
        addresses: str | list[str] = contract.address
        if self._earlier:
            addresses = [contract.address, *(c.address for c in self._earlier)]
        with self._guard("Reading the chain's events"):
            if end is None:
                end = int(self._w3.eth.block_number)
            return self._logs_between(addresses, topics, start, end)

    def _logs_between(self, address: str | list[str], topics: list[Any], start: int, end: int) -> list[Any]:
        if end < start:
            return []
        try:
            query = cast(FilterParams, {"address": address, "topics": topics, "fromBlock": start, "toBlock": end})
            return list(self._w3.eth.get_logs(query))
        except Web3RPCError as exc:
            text = _rpc_message(exc).lower()
            limited = any(word in text for word in ("range", "limit", "too many", "exceed", "max"))
            if not limited or end == start:
                raise
            middle = (start + end) // 2  # the node caps log queries: ask for halves
            return (self._logs_between(address, topics, start, middle)
                    + self._logs_between(address, topics, middle + 1, end))

    def _decoded(self, logs: list[Any]) -> Iterator[tuple[Any, str, dict[str, Any]]]:
        """Logs in chain order with their decoded arguments; undecodable ones are skipped.

        Anyone can send a grant to any address, so a malformed event must not stop a
        wallet from listing the rest.
        """
        for log in sorted(logs, key=lambda lg: (int(lg["blockNumber"]), int(lg["logIndex"]))):
            try:
                name, args = self._decode(log)
            except Exception:  # a junk event is not the wallet's failure
                logger.debug("skipping an undecodable event log", exc_info=True)
                continue
            yield log, name, args

    def _decode(self, log: Any) -> tuple[str, dict[str, Any]]:
        topic0 = HexBytes(log["topics"][0]).to_0x_hex()
        name = self._event_names[topic0]
        event = getattr(self._require_contract().events, name)()
        return name, dict(event.process_log(log)["args"])

    def _log_time(self, log: Any) -> int:
        stamp = log.get("blockTimestamp") if hasattr(log, "get") else None
        if stamp is not None:
            return _as_int(stamp)
        number = int(log["blockNumber"])
        if number not in self._block_times:
            with self._guard("Reading the chain's blocks"):
                self._block_times[number] = int(self._w3.eth.get_block(number)["timestamp"])
        return self._block_times[number]

    def _grants_from_logs(self, logs: list[Any]) -> list[AccessGrant]:
        granted: dict[bytes, dict[str, Any]] = {}
        revoked: dict[bytes, int] = {}
        accesses: dict[bytes, list[int]] = {}
        for log, name, args in self._decoded(logs):
            gid = bytes(args["id"])
            if name == "Granted":
                granted[gid] = {**args, "_time": self._log_time(log),
                                "_tx": HexBytes(log["transactionHash"]).to_0x_hex()}
            elif name == "Revoked":
                revoked[gid] = self._log_time(log)
            elif name == "Accessed":
                accesses.setdefault(gid, []).append(self._log_time(log))
        out = []
        for gid, args in granted.items():
            times = accesses.get(gid, [])
            try:
                out.append(self._grant_from_event(gid, args, revoked, times))
            except ValueError:
                continue  # not a grant this wallet can use (e.g. a malformed CID)
        return out

    @staticmethod
    def _grant_from_event(gid: bytes, args: dict[str, Any], revoked: dict[bytes, int], times: list[int]) -> AccessGrant:
        return AccessGrant(
            grant_id=gid, patient=args["patient"], grantee=args["grantee"],
            expires_at=from_chain_time(args["expiresAt"]), cid=str(args["cid"]),
            wrapped_key=bytes(args["wrappedKey"]), revoked=gid in revoked,
            granted_at=from_chain_time(args["_time"]), grant_tx=args["_tx"],
            revoked_at=from_chain_time(revoked[gid]) if gid in revoked else None,
            accesses=len(times), last_access_at=from_chain_time(max(times)) if times else None,
        )
