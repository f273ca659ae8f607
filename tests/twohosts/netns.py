"""Computers on a private network, made of Linux network namespaces (needs root and ``ip``).

One :class:`Network` is a set of namespaces named ``hwt<token>-<role>``: an ``internet``
namespace holding a bridge, and one namespace per computer joined to the bridge by a
veth pair. Every address is taken from 198.18.0.0/15 (RFC 2544's benchmarking range,
never routed on the internet) and exists only inside those namespaces; each namespace
also has its own loopback. IPv6 is off on the links (no link-local addresses) and
there is no default route, so a process inside reaches nothing but these computers.

Processes run inside with ``ip netns exec``. :meth:`Network.close` stops every process
it started and every process still inside its namespaces, deletes the namespaces (which
deletes their veths and the bridge) and raises :class:`Leftover` naming anything that
remains. The pieces exist only inside the namespaces (veths are created directly in
them), and background processes die with the test process (``PR_SET_PDEATHSIG``), so a
run killed from outside leaves only the named namespaces, empty, which ``ip netns list``
shows and ``ip netns del`` removes.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

__all__ = ["SUBNET", "Computer", "Leftover", "Network", "NetworkUnavailable"]

SUBNET = ipaddress.ip_network("198.18.0.0/24")  # inside 198.18.0.0/15
PREFIX = "hwt"


class NetworkUnavailable(RuntimeError):
    """The namespaces could not be created (not root, no ``ip``, no netns support)."""


class Leftover(AssertionError):
    """Something of a network outlived :meth:`Network.close`."""


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if check and proc.returncode != 0:
        raise NetworkUnavailable(f"`ip {' '.join(args)}` failed: {proc.stderr.strip() or proc.returncode}")
    return proc


def namespaces() -> set[str]:
    """Names of every network namespace ``ip netns`` knows."""
    out = _ip("-json", "netns", "list", check=False).stdout.strip()
    if not out:
        return set()
    return {entry["name"] for entry in json.loads(out)}


def root_links() -> set[str]:
    """Names of the links of the host's own namespace."""
    out = _ip("-json", "link", "show").stdout
    return {entry["ifname"] for entry in json.loads(out)}


@dataclass
class Computer:
    """One namespace: a computer with one link to the bridge (or the bridge itself)."""

    network: Network
    role: str
    namespace: str
    address: str
    link: str  # the link that carries ``address`` inside the namespace
    processes: list[subprocess.Popen[Any]] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"Computer({self.role}, {self.address})"

    def command(self, args: Sequence[str]) -> list[str]:
        return ["ip", "netns", "exec", self.namespace, *args]

    def run(self, args: Sequence[str], *, env: Mapping[str, str] | None = None, stdin: str | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run ``args`` inside this computer and wait (output captured as text)."""
        return subprocess.run(self.command(args), input=stdin, capture_output=True, text=True,
                              env=dict(env) if env is not None else None, timeout=timeout)

    def start(self, args: Sequence[str], *, env: Mapping[str, str] | None = None,
              stdout: int | IO[Any] = subprocess.PIPE,
              stderr: int | IO[Any] = subprocess.PIPE) -> subprocess.Popen[str]:
        """Start ``args`` inside this computer in the background; :meth:`stop` or the
        network's close ends it. ``ip netns exec`` execs the command, so the process is it."""
        proc = subprocess.Popen(self.command(args), stdout=stdout, stderr=stderr, text=True,
                                env=dict(env) if env is not None else None, start_new_session=True,
                                preexec_fn=_die_with_parent)
        self.processes.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen[Any] | None = None, *, timeout: float = 30) -> None:
        """SIGTERM ``proc`` (default: every process started here), SIGKILL after ``timeout``."""
        for p in [proc] if proc is not None else list(self.processes):
            _end(p, timeout)

    def pids(self) -> set[int]:
        """Every process inside this namespace now, started here or not."""
        out = _ip("netns", "pids", self.namespace, check=False).stdout
        return {int(p) for p in out.split()}

    def python(self, source: str, *args: str, timeout: float = 60) -> str:
        """Run a short Python program inside this computer; its stdout (it must exit 0)."""
        proc = self.run([sys.executable, "-c", source, *args], timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"inside {self.role}: {proc.stderr.strip()[-2000:]}")
        return proc.stdout

    def link_down(self) -> None:
        """Unplug this computer: its link goes down (its loopback stays)."""
        _ip("-n", self.namespace, "link", "set", self.link, "down")

    def link_up(self) -> None:
        _ip("-n", self.namespace, "link", "set", self.link, "up")


_RPC = """
import json, sys, urllib.request
body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": sys.argv[2], "params": json.loads(sys.argv[3])}).encode()
req = urllib.request.Request(sys.argv[1], data=body, headers={"Content-Type": "application/json"})
with urllib.request.urlopen(req, timeout=10) as resp:
    print(resp.read().decode())
"""

_CONNECT = """
import socket, sys
with socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=float(sys.argv[3])):
    pass
"""


def json_rpc(computer: Computer, url: str, method: str, *params: Any) -> Any:
    """One JSON-RPC call made from inside ``computer``; the result (an error raises)."""
    doc = json.loads(computer.python(_RPC, url, method, json.dumps(list(params))))
    if "error" in doc:
        raise RuntimeError(f"{method}: {doc['error']}")
    return doc["result"]


def can_connect(computer: Computer, host: str, port: int, timeout: float = 3.0) -> bool:
    """Whether a TCP connection from inside ``computer`` to ``host:port`` succeeds."""
    return computer.run([sys.executable, "-c", _CONNECT, host, str(port), str(timeout)],
                        timeout=timeout + 30).returncode == 0


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL it when the test process dies, even by SIGKILL
    (Linux PR_SET_PDEATHSIG survives the exec of ``ip`` and of the command it runs)."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG


def _end(proc: subprocess.Popen[Any], timeout: float) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            proc.wait(timeout=30)
    for stream in (proc.stdout, proc.stderr, proc.stdin):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()


class Network:
    """Namespaces of one run: ``internet`` (the bridge, at the first address) and the
    computers added with :meth:`add`, each at the next address of :data:`SUBNET`."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token or secrets.token_hex(3)
        self.name = PREFIX + self.token
        self.bridge = f"br{self.token}"
        self.computers: dict[str, Computer] = {}
        self._hosts = SUBNET.hosts()
        self._closed = False
        try:
            self.internet = self._namespace("internet", link=self.bridge)
            _ip("-n", self.internet.namespace, "link", "add", self.bridge, "type", "bridge")
            _ip("-n", self.internet.namespace, "addr", "add", f"{self.internet.address}/{SUBNET.prefixlen}",
                "dev", self.bridge)
            _ip("-n", self.internet.namespace, "link", "set", self.bridge, "up")
        except Exception:
            self.close()
            raise

    def __repr__(self) -> str:
        return f"Network({self.name}: {', '.join(self.computers)})"

    def _namespace(self, role: str, *, link: str) -> Computer:
        if self._closed:
            raise RuntimeError("this network is closed")
        if role in self.computers:
            raise ValueError(f"{role} is already on this network")
        namespace = f"{self.name}-{role}"
        computer = Computer(self, role, namespace, str(next(self._hosts)), link)
        _ip("netns", "add", namespace)
        self.computers[role] = computer
        # No IPv6 on the links (a veth would get a link-local fe80:: address); loopback keeps ::1.
        # (Writing conf.all would also change conf.default: only default is written.)
        sysctl = computer.run(["sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1"], timeout=30)
        if sysctl.returncode != 0:
            raise NetworkUnavailable(f"sysctl inside {namespace} failed: {sysctl.stderr.strip()}")
        _ip("-n", namespace, "link", "set", "lo", "up")
        return computer

    def add(self, role: str, *, rtt_ms: float = 0) -> Computer:
        """A new computer joined to the bridge, at the next free address.

        With ``rtt_ms`` the computer is ``rtt_ms`` of round-trip time away from every other
        one (the internet's chain node and keeper included): it is joined through a delay
        line (:mod:`tests.twohosts.delay_line`) instead of a veth pair."""
        if rtt_ms > 0:
            return self._add_far(role, rtt_ms)
        index = len(self.computers)
        inside, port = f"h{self.token}{index}", f"p{self.token}{index}"
        computer = self._namespace(role, link=inside)
        try:
            _ip("link", "add", inside, "netns", computer.namespace, "type", "veth",
                "peer", "name", port, "netns", self.internet.namespace)
            _ip("-n", self.internet.namespace, "link", "set", port, "master", self.bridge)
            _ip("-n", self.internet.namespace, "link", "set", port, "up")
            _ip("-n", computer.namespace, "addr", "add", f"{computer.address}/{SUBNET.prefixlen}", "dev", inside)
            _ip("-n", computer.namespace, "link", "set", inside, "up")
        except Exception:
            self.close()
            raise
        return computer

    def _add_far(self, role: str, rtt_ms: float) -> Computer:
        index = len(self.computers)
        inside, outside = f"t{self.token}{index}", f"u{self.token}{index}"
        computer = self._namespace(role, link=inside)
        internet = self.internet.namespace
        try:
            _ip("-n", computer.namespace, "tuntap", "add", "dev", inside, "mode", "tun")
            _ip("-n", computer.namespace, "addr", "add", f"{computer.address}/{SUBNET.prefixlen}", "dev", inside)
            _ip("-n", computer.namespace, "link", "set", inside, "up")
            _ip("-n", internet, "tuntap", "add", "dev", outside, "mode", "tun")
            _ip("-n", internet, "link", "set", outside, "up")
            _ip("-n", internet, "route", "add", f"{computer.address}/32", "dev", outside)
            # The internet computer routes between the delay line and the bridge, and answers the
            # bridge's ARP for the far computer, so the others reach it as if it were on the bridge.
            sysctl = self.internet.run(["sysctl", "-q", "-w", "net.ipv4.ip_forward=1",
                                        f"net.ipv4.conf.{self.bridge}.proxy_arp=1"], timeout=30)
            if sysctl.returncode != 0:
                raise NetworkUnavailable(f"sysctl inside {internet} failed: {sysctl.stderr.strip()}")
            line = self.internet.start([sys.executable, str(Path(__file__).with_name("delay_line.py")), outside,
                                        computer.namespace, inside, str(rtt_ms / 2)])
            assert line.stdout is not None
            if line.stdout.readline().strip() != "ready":
                err = line.stderr.read() if line.stderr else ""
                raise NetworkUnavailable(f"the delay line to {role} did not start: {err.strip()[-2000:]}")
        except Exception:
            self.close()
            raise
        return computer

    def close(self) -> None:
        """Stop every process, delete every namespace; raise :class:`Leftover` if anything remains."""
        if self._closed:
            return
        self._closed = True
        problems: list[str] = []
        for computer in self.computers.values():
            computer.stop(timeout=20)
        for computer in self.computers.values():
            # Anything else still inside was started through this network (a child of ours).
            for pid in computer.pids():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while computer.pids() and time.monotonic() < deadline:
                time.sleep(0.05)
            if computer.pids():
                problems.append(f"processes {sorted(computer.pids())} still in {computer.namespace}")
            _ip("netns", "del", computer.namespace, check=False)
        for computer in self.computers.values():
            running = [p.pid for p in computer.processes if p.poll() is None]
            if running:
                problems.append(f"processes {running} of {computer.role} still running")
        left = {n for n in namespaces() if n.startswith(self.name)}
        if left:
            problems.append(f"namespaces left: {sorted(left)}")
        links = {n for n in root_links() if self.token in n}
        if links:
            problems.append(f"links left in the host's namespace: {sorted(links)}")
        if problems:
            raise Leftover("; ".join(problems))

    def __enter__(self) -> Network:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_prerequisites() -> None:
    """Raise :class:`NetworkUnavailable` saying why namespaces cannot be made here."""
    if os.geteuid() != 0:
        raise NetworkUnavailable("the two-computer test creates network namespaces and must run as root")
    for tool in ("ip", "sysctl"):
        if shutil.which(tool, path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])) is None:
            raise NetworkUnavailable(f"`{tool}` is not installed (iproute2 / procps)")
