"""Remote pinning: keep shares and backups available while this computer is off.

The user configures pinning services that speak the IPFS Pinning Service API
(ipfs/pinning-services-api-spec: Pinata, Filebase, 4EVERLAND, or their own
``health-wallet keeper``). Names and URLs live in ``pinning.json`` in the home; the
access tokens live in the OS keyring or sealed by the wallet's keys
(:mod:`wallet.services.pinning_tokens`), never in a config file, a log or a repr.

The entry points other use cases call:

- :func:`pin_remotely` ``(wallet, cid, origins, progress=None, cancel=None, *, timeout=60.0) -> list[HeldBy]``:
  asks every configured service to pin ``cid``, with ``origins`` (this node's multiaddrs)
  so it fetches straight from here; reports ``NAME: queued`` → ``NAME: pinning`` →
  ``NAME: pinned``; returns once one service says ``pinned``, every service has
  finished, ``timeout`` seconds passed, or ``cancel`` was set. It never raises for a
  service's failure: each :class:`HeldBy` carries its one-line ``problem``. Cancelling
  stops the wait, not the services (they keep fetching).
- :func:`unpin_remotely` ``(wallet, cid) -> list[str]``: removes every pin request for
  ``cid`` at every service; returns one line per service that could not.
- :func:`pinned_remotely` ``(wallet) -> frozenset[str]``: CIDs some service says are pinned.
- :func:`availability` ``(held_by) -> str``: the sentence the user reads.

:class:`HeldBy` carries each service's ``delegates`` (multiaddrs of its nodes):
:func:`dial_hints` picks the few that travel in a share token or a backup pointer.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..atomicfile import write_atomic
from ..errors import ConfigError, IpfsError, PinningServiceError, WalletError
from ..events import CancelToken, ProgressSink, report
from ..ipfs.cid import Cid
from ..ipfs.keeper_tls import normalise_fingerprint
from ..ipfs.pinning_api import PIN_STATUSES, PinRequest, PinStatus
from ..ipfs.pinning_client import DEFAULT_REQUEST_TIMEOUT, PinningServiceClient, check_service_url
from .pinning_tokens import KEYRING, SEALED, TokenStore
from .wallet import UnlockedWallet

__all__ = [
    "DEFAULT_PIN_WAIT",
    "NO_SHARE_HOLDER",
    "PINNING_FILE",
    "HeldBy",
    "PinningService",
    "RemotePinning",
    "ServiceState",
    "availability",
    "dial_hints",
    "no_share_holder",
    "origins_of",
    "pin_remotely",
    "pinned_remotely",
    "preferred_addresses",
    "unpin_remotely",
]

PINNING_FILE = "pinning.json"
DEFAULT_PIN_WAIT = 60.0
"""Seconds :func:`pin_remotely` waits for a service to say ``pinned`` by default."""

NO_SHARE_HOLDER = ("No holder of the shared data is reachable: the patient's computer is offline and the share is "
                   "not held by a pinning service.")
"""The doctor's one line when none of the holders a share token names answers."""


def no_share_holder(held_remotely: bool) -> str:
    """The doctor's one line when no holder answers; ``held_remotely``: the token names a
    pinning service's delegates (so the service, not only the patient, is unreachable)."""
    if not held_remotely:
        return NO_SHARE_HOLDER
    return ("No holder of the shared data is reachable: the patient's computer is offline and the pinning service "
            "holding the share does not answer; try again later.")

ERROR = "error"
"""A :class:`HeldBy` status beyond the spec's four: the service could not be asked at all."""

_VERSION = 1
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,39}$")
_POLL_FIRST, _POLL_MOST = 0.2, 2.0


@dataclass(frozen=True)
class HeldBy:
    """Where one service stands on one CID.

    ``status``: ``queued``, ``pinning``, ``pinned``, ``failed`` (spec ``Status``) or
    ``error`` (refused or unreachable); ``delegates``: the service's multiaddrs, for the
    other side to dial; ``problem``: one line when it is not ``pinned``-bound.
    """

    service: str
    status: str
    delegates: tuple[str, ...] = ()
    problem: str | None = None

    def __post_init__(self) -> None:
        if self.status not in (*PIN_STATUSES, ERROR):
            raise ValueError(f"unknown pin status {self.status!r}")
        if not isinstance(self.service, str) or not self.service:
            raise ValueError("a holder needs the service's name")

    @property
    def pinned(self) -> bool:
        return self.status == "pinned"

    def to_json(self) -> dict[str, object]:
        doc: dict[str, object] = {"service": self.service, "status": self.status}
        if self.problem:
            doc["problem"] = self.problem
        return doc


@dataclass(frozen=True)
class PinningService:
    """A configured service: the user's ``name`` for it, its API ``url``, where its token is
    kept, and the SHA-256 fingerprint its HTTPS certificate must have (``None``: the
    system's certificate authorities decide; :mod:`wallet.ipfs.keeper_tls`)."""

    name: str
    url: str
    token_in: str = KEYRING
    certificate_sha256: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise ConfigError("A pinning service's name is 1 to 40 letters, digits, spaces, dots, dashes or "
                              "underscores, starting with a letter or digit.")
        try:
            object.__setattr__(self, "url", check_service_url(self.url))
        except ValueError as exc:
            raise ConfigError(f"{self.url!r} is not a pinning service URL: {exc}.") from exc
        if self.token_in not in (KEYRING, SEALED):
            raise ConfigError(f"Unknown place for a pinning token: {self.token_in!r}.")
        if self.certificate_sha256 is not None:
            object.__setattr__(self, "certificate_sha256", normalise_fingerprint(self.certificate_sha256))
            if not self.url.startswith("https://"):
                raise ConfigError("A certificate fingerprint is for an https:// URL; the keeper prints its "
                                  "https:// endpoint when started with --tls.")


@dataclass(frozen=True)
class ServiceState:
    """What ``pinning list``/``check`` shows: ``pins`` counted by the service (``None`` when it
    could not be asked) and ``status`` (``ok`` or the one-line problem)."""

    name: str
    url: str
    pins: int | None
    status: str
    token_in: str = field(default=KEYRING)

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "url": self.url, "pins": self.pins, "status": self.status}


def availability(held_by: Sequence[HeldBy]) -> str:
    """The sentence for the user: held remotely or only while this computer is online."""
    pinned = [h.service for h in held_by if h.pinned]
    if pinned:
        return f"Available without this computer: held by {', '.join(pinned)}."
    pending = [h.service for h in held_by if h.status in ("queued", "pinning")]
    if pending:
        return (f"Available only while this computer is online, until {', '.join(pending)} "
                "finishes keeping a copy.")
    return "Available only while this computer is online."


def preferred_addresses(addresses: Iterable[str], most: int) -> tuple[str, ...]:
    """The ``most`` multiaddrs (with ``/p2p/``) worth carrying: TCP before QUIC, then
    routable before loopback, IPv4 before IPv6 (stable otherwise)."""
    def rank(addr: str) -> tuple[int, int, int]:
        loopback = addr.startswith("/ip4/127.") or addr.startswith("/ip6/::1/")
        return (1 if "/quic" in addr else 0, 1 if loopback else 0, 1 if addr.startswith("/ip6/") else 0)

    return tuple(sorted((a for a in addresses if "/p2p/" in a), key=rank)[:most])


def dial_hints(held_by: Iterable[HeldBy], *, per_holder: int = 2, most: int = 4) -> tuple[str, ...]:
    """A few delegate multiaddrs worth carrying in a token or pointer (see
    :func:`preferred_addresses`): at most ``per_holder`` per service and ``most`` in all."""
    out: list[str] = []
    for holder in held_by:
        if holder.status not in ("queued", "pinning", "pinned"):
            continue
        out.extend(a for a in preferred_addresses(holder.delegates, per_holder) if a not in out)
    return tuple(out[:most])


class RemotePinning:
    """The pinning services of one unlocked wallet."""

    def __init__(self, wallet: UnlockedWallet, *, request_timeout: float = DEFAULT_REQUEST_TIMEOUT) -> None:
        self.wallet = wallet
        self.home = Path(wallet.app.home)
        self.request_timeout = request_timeout

    def __repr__(self) -> str:
        return f"RemotePinning({self.home})"

    def _tokens(self) -> TokenStore:
        return TokenStore(self.home, self.wallet.keys, backend=self.wallet.app.keyring_backend)

    # --- the list of services ---------------------------------------------------------

    @property
    def _path(self) -> Path:
        return self.home / PINNING_FILE

    def services(self) -> list[PinningService]:
        try:
            doc = json.loads(self._path.read_text("utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise ConfigError(f"The list of pinning services {self._path} is unreadable; fix or remove it.") from exc
        if not isinstance(doc, dict) or doc.get("version") != _VERSION or not isinstance(doc.get("services"), list):
            raise ConfigError(f"The list of pinning services {self._path} is not one this app wrote.")
        try:
            return [PinningService(str(s["name"]), str(s["url"]), str(s["token"]),
                                   str(s["certificate_sha256"]) if s.get("certificate_sha256") else None)
                    for s in doc["services"]]
        except (KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(f"The list of pinning services {self._path} is damaged.") from exc

    def _save(self, services: Sequence[PinningService]) -> None:
        doc = {"version": _VERSION,
               "services": [{"name": s.name, "url": s.url, "token": s.token_in,
                             **({"certificate_sha256": s.certificate_sha256} if s.certificate_sha256 else {})}
                            for s in services]}
        write_atomic(self._path, json.dumps(doc, indent=2).encode())

    def _find(self, name: str) -> PinningService:
        for service in self.services():
            if service.name.casefold() == name.casefold():
                return service
        raise ConfigError(f"No pinning service is called {name!r}; see 'health-wallet pinning list'.")

    def client(self, service: PinningService) -> PinningServiceClient:
        token = self._tokens().get(service.name, service.token_in)
        if token is None:
            raise PinningServiceError(f"The access token of {service.name} is no longer in the keyring; "
                                      f"add the service again.", service=service.name)
        return PinningServiceClient(service.name, service.url, token, timeout=self.request_timeout,
                                    certificate_sha256=service.certificate_sha256)

    def add(self, name: str, url: str, token: str, *, certificate_sha256: str | None = None) -> ServiceState:
        """Check the service answers with this token (``GET /pins``), then keep it;
        ``certificate_sha256`` (as a keeper prints it) pins its HTTPS certificate.

        Raises :class:`ConfigError` for a bad name, URL, token or fingerprint or a name in
        use, and :class:`PinningServiceError` when the service refuses or its certificate
        is not the one pinned; nothing is kept then.
        """
        service = PinningService(name, url, certificate_sha256=certificate_sha256)
        token = token.strip()
        if not token or any(c.isspace() or not c.isprintable() for c in token):
            raise ConfigError("The token file must hold the access token on one line.")
        existing = self.services()
        if any(s.name.casefold() == name.casefold() for s in existing):
            raise ConfigError(f"A pinning service is already called {name!r}; remove it first.")
        probe = PinningServiceClient(name, service.url, token, timeout=self.request_timeout,
                                     certificate_sha256=service.certificate_sha256)
        try:
            count, _ = probe.list(limit=1)
        finally:
            probe.close()
        where = self._tokens().put(service.name, token)
        service = PinningService(service.name, service.url, where, service.certificate_sha256)
        self._save([*existing, service])
        return ServiceState(service.name, service.url, count, "ok", where)

    def remove(self, name: str) -> PinningService:
        """Forget a service and its token (pins it holds stay there until removed at the service)."""
        service = self._find(name)
        self._save([s for s in self.services() if s.name != service.name])
        self._tokens().delete(service.name, service.token_in)
        return service

    def check(self, name: str) -> ServiceState:
        """Ask one service how many pins it holds for this wallet; never raises for its answer."""
        return self._state(self._find(name))

    def states(self) -> list[ServiceState]:
        services = self.services()
        states: list[ServiceState | None] = [None] * len(services)

        def ask(i: int) -> None:
            states[i] = self._state(services[i])

        threads = [threading.Thread(target=ask, args=(i,), daemon=True) for i in range(len(services))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return [s for s in states if s is not None]

    def _state(self, service: PinningService) -> ServiceState:
        try:
            client = self.client(service)
            try:
                count, _ = client.list(limit=1)
            finally:
                client.close()
        except PinningServiceError as exc:
            return ServiceState(service.name, service.url, None, exc.user_message, service.token_in)
        return ServiceState(service.name, service.url, count, "ok", service.token_in)

    # --- pinning --------------------------------------------------------------------------

    def pin(self, cid: Cid, origins: Sequence[str], *, name: str = "", progress: ProgressSink | None = None,
            cancel: CancelToken | None = None, timeout: float = DEFAULT_PIN_WAIT) -> list[HeldBy]:
        """See :func:`pin_remotely`."""
        services = self.services()
        if not services:
            return []
        pin = PinRequest(cid, name, tuple(o for o in origins if o.startswith("/"))[:20])
        states: dict[str, HeldBy] = {}
        lock = threading.Lock()
        changed = threading.Event()
        stop = threading.Event()

        def set_state(held: HeldBy) -> None:
            with lock:
                before = states.get(held.service)
                states[held.service] = held
            if before is None or before.status != held.status:
                changed.set()

        def follow(service: PinningService) -> None:
            try:
                client = self.client(service)
            except PinningServiceError as exc:
                set_state(HeldBy(service.name, ERROR, (), exc.user_message))
                return
            except (WalletError, ValueError):
                set_state(HeldBy(service.name, ERROR, (), f"The access token of {service.name} is unusable; "
                                 "add the service again."))
                return
            try:
                self._follow(client, pin, set_state, stop, deadline, dial)
            finally:
                client.close()

        def dial(delegates: Sequence[str]) -> None:
            # The spec's advice: the client connects to the delegates too, so the copy flows
            # even when the service cannot dial this computer (behind NAT).
            try:
                ipfs = self.wallet.ipfs(wait=None)
            except WalletError:
                return
            for address in delegates[:4]:
                try:
                    ipfs.connect(address, timeout=5)
                    return
                except WalletError:
                    continue

        deadline = time.monotonic() + timeout
        threads = [threading.Thread(target=follow, args=(s,), name=f"pin-{s.name}", daemon=True) for s in services]
        for t in threads:
            t.start()
        shown: dict[str, str] = {}
        try:
            while True:
                changed.wait(0.2)
                changed.clear()
                with lock:
                    now = dict(states)
                for held in now.values():
                    if shown.get(held.service) != held.status:
                        shown[held.service] = held.status
                        done = sum(1 for h in now.values() if h.status in ("pinned", "failed", ERROR))
                        report(progress, done, len(services), f"{held.service}: {held.status}")
                finished = len(now) == len(services) and all(
                    h.status in ("pinned", "failed", ERROR) for h in now.values())
                if finished or any(h.pinned for h in now.values()) or time.monotonic() >= deadline \
                        or (cancel is not None and cancel.cancelled):
                    break
        finally:
            stop.set()  # a request in flight ends on its own; its answer is no longer waited for
        with lock:
            result = [states.get(s.name) or HeldBy(s.name, ERROR, (), f"{s.name} did not answer in time.")
                      for s in services]
        return [_with_wait_problem(h, timeout) for h in result]

    def _follow(self, client: PinningServiceClient, pin: PinRequest, set_state: Callable[[HeldBy], None],
                stop: threading.Event, deadline: float, dial: Callable[[Sequence[str]], None]) -> None:
        try:
            status = client.add(pin)
        except PinningServiceError as exc:
            set_state(HeldBy(client.name, ERROR, (), exc.user_message))
            return
        if status.status != "pinned":
            dial(dial_hints([_held(client.name, status)], per_holder=4))
        wait = _POLL_FIRST
        while True:
            set_state(_held(client.name, status))
            if status.status in ("pinned", "failed") or stop.is_set():
                return
            if stop.wait(min(wait, max(0.0, deadline - time.monotonic()))):
                return
            wait = min(_POLL_MOST, wait * 1.5)
            try:
                status = client.get(status.requestid)
            except PinningServiceError as exc:
                if time.monotonic() >= deadline:
                    return
                set_state(HeldBy(client.name, status.status, status.delegates, exc.user_message))
                continue

    def pinned(self) -> frozenset[str]:
        """See :func:`pinned_remotely`."""
        held: set[str] = set()
        for service in self.services():
            try:
                client = self.client(service)
                try:
                    _count, found = client.list(statuses=("pinned",))
                finally:
                    client.close()
            except PinningServiceError:
                continue
            held.update(s.pin.cid.value for s in found)
        return frozenset(held)

    def unpin(self, cid: Cid) -> list[str]:
        """See :func:`unpin_remotely`."""
        problems: list[str] = []
        for service in self.services():
            try:
                client = self.client(service)
                try:
                    _count, found = client.list(cids=[cid])
                    for status in found:
                        client.remove(status.requestid)
                finally:
                    client.close()
            except PinningServiceError as exc:
                problems.append(exc.user_message)
        return problems


def _held(service: str, status: PinStatus) -> HeldBy:
    problem = None
    if status.status == "failed":
        why = status.info.get("reason", "")[:120]
        why = "".join(c if c.isprintable() else " " for c in why)
        problem = f"The pinning service {service} could not keep a copy" + (f" ({why})." if why else ".")
    return HeldBy(service, status.status, status.delegates, problem)


def _with_wait_problem(held: HeldBy, timeout: float) -> HeldBy:
    if held.status in ("queued", "pinning") and held.problem is None:
        return HeldBy(held.service, held.status, held.delegates,
                      f"The pinning service {held.service} had not finished keeping a copy after {timeout:g} "
                      "seconds; it goes on in the background.")
    return held


def pin_remotely(wallet: UnlockedWallet, cid: Cid | str, origins: Sequence[str],
                 progress: ProgressSink | None = None, cancel: CancelToken | None = None, *,
                 timeout: float = DEFAULT_PIN_WAIT, name: str = "") -> list[HeldBy]:
    """Ask every configured pinning service to pin ``cid`` (fetching from ``origins``).

    Returns one :class:`HeldBy` per service (``[]`` when none is configured), once one of
    them says ``pinned``, all have finished, ``timeout`` seconds passed or ``cancel`` was
    set; never raises for a service's failure (see ``HeldBy.problem``). ``name`` is the
    pin's label at the service (nothing that identifies the patient or the records).
    """
    parsed = cid if isinstance(cid, Cid) else Cid.parse(cid)
    return RemotePinning(wallet).pin(parsed, origins, name=name, progress=progress, cancel=cancel, timeout=timeout)


def pinned_remotely(wallet: UnlockedWallet) -> frozenset[str]:
    """CIDs (text) some configured service says are ``pinned`` (its newest 1000 each); a
    service that cannot be asked counts as holding nothing. For "is this share available
    without this computer?" checks: ``cid in pinned_remotely(wallet)``."""
    return RemotePinning(wallet).pinned()


def unpin_remotely(wallet: UnlockedWallet, cid: Cid | str) -> list[str]:
    """Remove every pin request for ``cid`` at every configured service; one line per
    service that could not (the data stays ciphertext wherever a copy remains)."""
    parsed = cid if isinstance(cid, Cid) else Cid.parse(cid)
    return RemotePinning(wallet).unpin(parsed)


def origins_of(wallet: UnlockedWallet) -> tuple[str, ...]:
    """This wallet's node's dial addresses (what a service fetches from); ``()`` when it is down."""
    try:
        return tuple(wallet.ipfs(wait=30).node_info().dial_addresses)
    except (IpfsError, WalletError):
        return ()
