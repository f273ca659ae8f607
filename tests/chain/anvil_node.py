"""Start and stop an anvil node on loopback: the binary ships in the npm package @foundry-rs/anvil."""

from __future__ import annotations

import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


def anvil_binary() -> Path | None:
    """``$ANVIL_BIN`` if set, else the binary from ``npm ci`` (node_modules), else one on PATH."""
    if os.environ.get("ANVIL_BIN"):
        return Path(os.environ["ANVIL_BIN"])
    system = {"linux": "linux", "darwin": "darwin", "win32": "win32"}.get(sys.platform, sys.platform)
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    exe = "anvil.exe" if system == "win32" else "anvil"
    candidate = REPO / "node_modules" / "@foundry-rs" / f"anvil-{system}-{arch}" / "bin" / exe
    if candidate.is_file():
        return candidate
    found = shutil.which("anvil")
    return Path(found) if found else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class AnvilNode:
    """One anvil process on 127.0.0.1 and a free port."""

    def __init__(self, *extra_args: str) -> None:
        self.extra_args = extra_args
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - open for the node's lifetime; stop() closes it

    def start(self, timeout: float = 30.0) -> AnvilNode:
        binary = anvil_binary()
        if binary is None:
            raise RuntimeError("anvil is not installed: run `npm ci` in the repository (it ships in @foundry-rs/anvil)")
        last_error = ""
        for _attempt in range(3):
            port = _free_port()
            self.url = f"http://127.0.0.1:{port}"
            self.process = subprocess.Popen(
                [str(binary), "--host", "127.0.0.1", "--port", str(port), *self.extra_args],
                stdout=self._log, stderr=subprocess.STDOUT,
            )
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    break
                try:
                    self.rpc("eth_chainId")
                    return self
                except OSError:
                    time.sleep(0.05)
            last_error = self.log_tail()
            self.stop()
        raise RuntimeError(f"anvil did not start: {last_error}")

    def rpc(self, method: str, *params: Any) -> Any:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode()
        request = urllib.request.Request(self.url, data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            doc = json.loads(response.read())
        if "error" in doc:
            raise RuntimeError(f"{method}: {doc['error']}")
        return doc["result"]

    def log_tail(self) -> str:
        self._log.seek(0)
        return self._log.read()[-2000:].decode("utf-8", "replace")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def __enter__(self) -> AnvilNode:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self._log.close()


@contextmanager
def running_anvil(*args: str) -> Iterator[AnvilNode]:
    """An anvil node started with ``args`` for the ``with`` block, stopped after it; a node
    that cannot start fails the test (the suite never skips for a missing node)."""
    node = AnvilNode(*args)
    try:
        node.start()
    except Exception as exc:
        node.stop()
        pytest.fail(f"anvil could not start ({exc}); run `npm ci` in the repository", pytrace=False)
    try:
        yield node
    finally:
        node.stop()
