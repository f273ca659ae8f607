"""Network profiles: which EVM chain a wallet uses, by name.

A profile names a chain (its EIP-155 chain id), the JSON-RPC endpoints to try in order,
the currency gas is paid in and a block explorer. The built-in profiles are data
shipped with the package (``data/networks.json``): ``embedded`` (the default: an
offline chain for one computer), ``localhost`` (31337 on 127.0.0.1:8545) and public
chains with editable RPC lists. A home keeps its own ``networks.json`` (versioned): the
active profile, profiles the user added, and RPC lists that override a built-in's.
Built-in profiles cannot be removed; removing one's override restores its shipped list.

A share token names its chain id; :meth:`NetworkBook.by_chain_id` finds the profiles
that match it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from .. import untrusted
from ..atomicfile import write_atomic
from ..errors import ChainUnavailable, ConfigError, InputRefused

if TYPE_CHECKING:
    from .code_checks import CodeChecks
    from .web3_backend import Web3ChainBackend

__all__ = ["EMBEDDED", "EMBEDDED_CHAIN_ID_BASE", "NETWORKS_FILE", "NetworkBook", "NetworkProfile",
           "builtin_networks", "connect_profile", "is_embedded_chain_id"]

EMBEDDED = "embedded"
EMBEDDED_CHAIN_ID_BASE = 0x4857_0000_0000  # "HW": each embedded chain draws its own id above it
NETWORKS_FILE = "networks.json"
FORMAT = "health-wallet/networks"
VERSION = 1
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
_CURRENCY = re.compile(r"[A-Za-z0-9.-]{1,16}")


def _check_url(url: str, what: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(f"{what} {url!r} is not an http(s) URL")
    return url


@dataclass(frozen=True)
class NetworkProfile:
    """One network. ``chain_id`` is ``None`` only for the embedded chain (each has its own id)."""

    name: str
    chain_id: int | None
    rpc: tuple[str, ...]
    currency: str = "ETH"
    explorer: str | None = None
    title: str = ""
    testnet: bool = False
    builtin: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.fullmatch(self.name):
            raise ValueError(f"a network name is 1-32 lower-case letters, digits or '-', not {self.name!r}")
        object.__setattr__(self, "rpc", tuple(self.rpc))
        if self.name == EMBEDDED:
            if self.chain_id is not None or self.rpc:
                raise ValueError("the embedded network has no chain id or RPC list of its own")
        else:
            if (not isinstance(self.chain_id, int) or isinstance(self.chain_id, bool)
                    or not 0 < self.chain_id < 2**53):
                raise ValueError(f"network {self.name}: the chain id is a positive integer")
            if not self.rpc:
                raise ValueError(f"network {self.name}: at least one RPC URL")
            for url in self.rpc:
                _check_url(url, f"network {self.name}: RPC")
        if not _CURRENCY.fullmatch(self.currency):
            raise ValueError(f"network {self.name}: the currency is a short symbol such as ETH, not {self.currency!r}")
        if self.explorer is not None:
            _check_url(self.explorer, f"network {self.name}: explorer")
        if not self.title:
            object.__setattr__(self, "title", self.name)

    @property
    def is_embedded(self) -> bool:
        return self.name == EMBEDDED

    def as_json(self, *, active: bool = False) -> dict[str, Any]:
        return {"name": self.name, "chain_id": self.chain_id, "rpc": list(self.rpc), "active": active,
                "currency": self.currency, "explorer": self.explorer, "title": self.title,
                "testnet": self.testnet, "builtin": self.builtin}


def _profile(doc: Any, *, builtin: bool) -> NetworkProfile:
    if not isinstance(doc, dict):
        raise ValueError("a network profile is a JSON object")
    rpc = doc.get("rpc", [])
    if not isinstance(rpc, list) or not all(isinstance(u, str) for u in rpc):
        raise ValueError("rpc is a list of URLs")
    chain_id = doc.get("chain_id")
    return NetworkProfile(
        name=str(doc.get("name", "")), chain_id=chain_id if chain_id is None else int(chain_id), rpc=tuple(rpc),
        currency=str(doc.get("currency") or "ETH"), explorer=doc.get("explorer") or None,
        title=str(doc.get("title") or ""), testnet=bool(doc.get("testnet", False)), builtin=builtin,
    )


def builtin_networks() -> tuple[NetworkProfile, ...]:
    """The profiles shipped with the package, in their listed order."""
    doc = json.loads(resources.files(__package__).joinpath("data", NETWORKS_FILE).read_text("utf-8"))
    return tuple(_profile(item, builtin=True) for item in doc["networks"])


@dataclass(frozen=True)
class NetworkBook:
    """Built-in and user profiles of one home, and which one is active."""

    path: Path
    active_name: str
    added: tuple[NetworkProfile, ...]  # user profiles and overrides of built-ins, by name

    @classmethod
    def load(cls, home: Path) -> NetworkBook:
        """The home's profiles; ``ConfigError`` (naming the file) when it is unreadable."""
        path = Path(home) / NETWORKS_FILE
        if not path.exists():
            return cls(path, EMBEDDED, ())
        try:
            doc = untrusted.loads(untrusted.read_bytes(path, max_bytes=untrusted.MAX_METADATA_BYTES),
                                  what="the file", parse_float=float)
            if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("version") != VERSION:
                raise ValueError("unknown format or version")
            added = tuple(_profile(item, builtin=False) for item in doc.get("networks", []))
            book = cls(path, str(doc.get("active") or EMBEDDED), added)
            book.get(book.active_name)
            return book
        except InputRefused as exc:
            raise ConfigError(f"The network profiles in {path} are unreadable ({exc.user_message}); "
                              "fix or move the file.") from exc
        except (OSError, ValueError, TypeError, ConfigError) as exc:
            raise ConfigError(f"The network profiles in {path} are unreadable ({exc}); fix or move the file.") from exc

    def _save(self) -> None:
        doc = {"format": FORMAT, "version": VERSION, "active": self.active_name,
               "networks": [{k: v for k, v in p.as_json().items() if k not in ("active", "builtin")}
                            for p in self.added]}
        write_atomic(self.path, (json.dumps(doc, indent=2) + "\n").encode())

    def profiles(self) -> list[NetworkProfile]:
        """Every profile: built-ins first (with their overrides applied), then the user's."""
        overrides = {p.name: p for p in self.added}
        out = []
        for base in builtin_networks():
            mine = overrides.pop(base.name, None)
            out.append(base if mine is None else replace(base, rpc=mine.rpc, explorer=mine.explorer or base.explorer))
        return out + list(overrides.values())

    def get(self, name: str) -> NetworkProfile:
        key = name.strip().lower()
        for profile in self.profiles():
            if profile.name == key:
                return profile
        raise ConfigError(f"There is no network named {name!r}; 'health-wallet network list' shows them.")

    @property
    def active(self) -> NetworkProfile:
        return self.get(self.active_name)

    def by_chain_id(self, chain_id: int) -> list[NetworkProfile]:
        """The profiles for ``chain_id`` (a share token's chain)."""
        return [p for p in self.profiles() if p.chain_id == chain_id]

    def use(self, name: str) -> NetworkBook:
        book = replace(self, active_name=self.get(name).name)
        book._save()
        return book

    def add(self, profile: NetworkProfile) -> NetworkBook:
        """Add a profile, or override a built-in's RPC list (its chain id must stay the same)."""
        builtin = {p.name: p for p in builtin_networks()}
        base = builtin.get(profile.name)
        if base is not None:
            if base.is_embedded:
                raise ConfigError("The embedded network has no RPC list to change.")
            if profile.chain_id != base.chain_id:
                raise ConfigError(f"{base.title} is chain {base.chain_id}; its profile can change its RPC list, "
                                  f"not its chain id.")
        others = tuple(p for p in self.added if p.name != profile.name)
        book = replace(self, added=(*others, replace(profile, builtin=False)))
        book._save()
        return book

    def remove(self, name: str) -> tuple[NetworkBook, str]:
        """Remove a user profile (or a built-in's override); what happened, in one line."""
        profile = self.get(name)
        mine = [p for p in self.added if p.name == profile.name]
        if profile.is_embedded:
            raise ConfigError("The embedded network is built in and cannot be removed; 'health-wallet network use "
                              "NAME' switches to another.")
        if profile.builtin and not mine:
            raise ConfigError(f"{profile.title} is built in and cannot be removed; 'network add {profile.name} "
                              f"--chain-id {profile.chain_id} --rpc URL' changes its RPC list.")
        book = replace(self, added=tuple(p for p in self.added if p.name != profile.name))
        note = (f"{profile.title}: back to its shipped RPC list." if profile.builtin
                else f"Network {profile.name} removed.")
        if book.active_name == profile.name and not profile.builtin:
            book = replace(book, active_name=EMBEDDED)
            note += " The embedded chain is in use again."
        book._save()
        return book, note


def is_embedded_chain_id(chain_id: int) -> bool:
    """Whether ``chain_id`` is one an embedded chain draws (:data:`EMBEDDED_CHAIN_ID_BASE` + 32 random bits)."""
    return EMBEDDED_CHAIN_ID_BASE <= chain_id < EMBEDDED_CHAIN_ID_BASE + 2**32


def connect_profile(profile: NetworkProfile, *, contract_address: str | None = None,
                    timeout: float = 30.0, code_checks: CodeChecks | None = None) -> Web3ChainBackend:
    """A backend on the first of the profile's RPC endpoints that answers with its chain id.

    ``ChainUnavailable`` names every endpoint tried when none does; an endpoint that
    answers for another chain is skipped (a mistyped URL must not send grants elsewhere).
    """
    from .rpc import connect_rpc

    if profile.is_embedded or profile.chain_id is None:
        raise ValueError("the embedded network is opened with open_embedded_chain")
    problems = []
    for url in profile.rpc:
        try:
            backend = connect_rpc(url, contract_address=contract_address, timeout=timeout, currency=profile.currency,
                                  code_checks=code_checks)
        except ChainUnavailable as exc:
            problems.append(exc.user_message)
            continue
        if backend.chain_id == profile.chain_id:
            return backend
        backend.close()
        problems.append(f"{url} is chain {backend.chain_id}, not {profile.chain_id}")
    said = "; ".join(p.rstrip(".") for p in problems)  # each problem is a sentence; one full stop at the end
    raise ChainUnavailable(f"No RPC endpoint of {profile.title} answered: {said}. Add a working "
                           f"one with 'network add {profile.name} --chain-id {profile.chain_id} --rpc URL'.")
