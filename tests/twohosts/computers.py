"""Programs on the computers of a :class:`~tests.twohosts.netns.Network`: the chain node
on "the internet" and wallets driven through ``health-wallet``, each in its namespace."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.chain.anvil_node import anvil_binary
from tests.cli.cli_runner import Run
from tests.conftest import PASSPHRASE
from tests.twohosts.netns import Computer, json_rpc

__all__ = ["CHAIN_ID", "KEEPER_PORT", "NETWORK_NAME", "ChainNode", "Keeper", "Serving", "WalletComputer",
           "wallet_environ"]

CHAIN_ID = 100  # stands in for a public chain (Gnosis): not a development chain
RPC_PORT = 8545
NETWORK_NAME = "testnet"


class ChainNode:
    """anvil with chain id 100 on the internet computer's address."""

    def __init__(self, computer: Computer, log: Path) -> None:
        binary = anvil_binary()
        if binary is None:
            raise RuntimeError("anvil is not installed: run `npm ci` in the repository (@foundry-rs/anvil)")
        self.computer = computer
        self.url = f"http://{computer.address}:{RPC_PORT}"
        self._log = log.open("wb")
        self.process = computer.start([str(binary), "--host", computer.address, "--port", str(RPC_PORT),
                                       "--chain-id", str(CHAIN_ID)], stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                if int(self.rpc("eth_chainId"), 16) == CHAIN_ID:
                    return
            except RuntimeError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"anvil did not start: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)

    def rpc(self, method: str, *params: Any) -> Any:
        """A JSON-RPC call made from inside the internet computer."""
        return json_rpc(self.computer, self.url, method, *params)

    def balance(self, address: str) -> int:
        return int(self.rpc("eth_getBalance", address, "latest"), 16)

    def fund(self, address: str, wei: int = 10**18) -> None:
        self.rpc("anvil_setBalance", address, hex(wei))


def wallet_environ(**extra: str) -> dict[str, str]:
    """The environment of a wallet process: light KDF, no OS keyring, nothing of the user's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEALTH_WALLET_")}
    env.update({"HEALTH_WALLET_UNSAFE_LIGHT_KDF": "1", "HEALTH_WALLET_PASSPHRASE": PASSPHRASE,
                "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring", **extra})
    return env


# The embedded Kubo node listens on every address of its computer (its own 198.18.x.x and
# loopback: nothing else exists in the namespace), dials no public bootstrap peer and does no
# mDNS: it finds peers only through the addresses a token, a pointer or a service gives it.
FIND_PEERS_ONLY_AS_TOLD = {"ipfs.bootstrap": False, "ipfs.mdns": False, "ipfs.loopback_only": False}


class WalletComputer:
    """A wallet home on a computer of the network, driven through ``health-wallet``."""

    def __init__(self, computer: Computer, home: Path) -> None:
        self.computer = computer
        self.home = home
        self.timings: list[tuple[str, float]] = []  # (command, seconds), to see where a slow run spent its time
        self.env = wallet_environ(HEALTH_WALLET_CHAIN_DIR=str(home.parent / f"{home.name}-embedded-chain"))

    def __repr__(self) -> str:
        return f"WalletComputer({self.computer.role}, {self.home})"

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "wallet", "--home", str(self.home), *args]

    def cli(self, *args: str, stdin: str | None = None, timeout: float = 300) -> Run:
        started = time.monotonic()
        proc = self.computer.run(self.argv(*args), env=self.env, stdin=stdin, timeout=timeout)
        self.timings.append((" ".join(a for a in args if not a.startswith("0x"))[:40], time.monotonic() - started))
        return Run(proc.returncode, proc.stdout, proc.stderr)

    def ok(self, *args: str, stdin: str | None = None) -> Any:
        """Run a command that must succeed; its ``--json`` output (``--json`` is added)."""
        run = self.cli(*args, "--json", stdin=stdin)
        assert run.code == 0, f"{self.computer.role}: {' '.join(args)} exited {run.code}: {run.stderr}"
        return run.json

    def setup(self, chain: ChainNode, *, restore: str | None = None) -> dict[str, Any]:
        """Create (or restore from ``restore``) a wallet whose IPFS node finds peers only
        through the addresses it is given, on the chain node's network profile."""
        self.write_settings(FIND_PEERS_ONLY_AS_TOLD)
        created = self.ok("init", "--restore", stdin=restore + "\n") if restore else self.ok("init")
        self.ok("network", "add", NETWORK_NAME, "--chain-id", str(CHAIN_ID), "--rpc", chain.url)
        self.ok("network", "use", NETWORK_NAME)
        return created

    def write_settings(self, settings: dict[str, Any]) -> None:
        """Write the home's ``config.json`` (docs/formats.md) as ``config set`` would, one
        process instead of one per key (each costs seconds on a busy machine)."""
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "config.json").write_text(json.dumps({"version": 1, "settings": settings}, indent=2))

    def serve(self) -> Serving:
        return Serving(self)


class Serving:
    """``health-wallet serve --json`` in the background: the patient's app left open."""

    def __init__(self, wallet: WalletComputer) -> None:
        self.wallet = wallet
        self.process = wallet.computer.start(wallet.argv("serve", "--json"), env=wallet.env)
        assert self.process.stdout is not None
        lines: list[str] = []
        while not lines or lines[-1].rstrip() != "}":  # one indented JSON document, then it serves
            line = self.process.stdout.readline()
            if not line:
                err = self.process.stderr.read() if self.process.stderr else ""  # it exited: EOF follows
                wallet.computer.stop(self.process)
                raise AssertionError(f"serve did not start: {err}")
            lines.append(line)
        self.info = json.loads("".join(lines))

    def stop(self) -> int:
        self.wallet.computer.stop(self.process)
        return self.process.returncode




KEEPER_PORT = 5050
KEEPER_TOKEN = "keeper-token-of-the-two-computer-test"


class Keeper:
    """``health-wallet keeper --tls`` on a computer's address: a Pinning Service API over
    HTTPS (its own self-signed certificate, whose SHA-256 fingerprint a wallet pins) and its
    own Kubo node, which finds peers only through the addresses it is given."""

    def __init__(self, computer: Computer, home: Path, token: str = KEEPER_TOKEN) -> None:
        self.wallet = WalletComputer(computer, home)
        self.token = token
        home.mkdir(parents=True, exist_ok=True)
        tokens = home.parent / f"{home.name}-tokens"
        tokens.write_text(f"# who may pin here\n{token}\n")
        self.wallet.write_settings(FIND_PEERS_ONLY_AS_TOLD)
        self.process = computer.start(self.wallet.argv("--json", "keeper", "--listen",
                                                        f"{computer.address}:{KEEPER_PORT}",
                                                        "--tokens-file", str(tokens), "--tls"),
                                      env=self.wallet.env)
        assert self.process.stdout is not None
        first = self.process.stdout.readline()
        if not first:
            err = self.process.stderr.read() if self.process.stderr else ""
            computer.stop(self.process)
            raise RuntimeError(f"the keeper did not start: {err[-2000:]}")
        self.info: dict[str, Any] = json.loads(first)
        self.endpoint: str = self.info["endpoint"]
        self.certificate_sha256: str = self.info["tls_sha256"]

    def pinning_add(self, wallet: WalletComputer, folder: Path, name: str = "Keeper") -> dict[str, Any]:
        """``pinning add`` on ``wallet``: this keeper's endpoint, its token and its certificate."""
        return wallet.ok("pinning", "add", name, self.endpoint, "--token-file", str(self.token_file(folder)),
                         "--certificate-sha256", self.certificate_sha256)

    def token_file(self, folder: Path) -> Path:
        """A file holding the access token, as its owner hands it to a patient."""
        path = folder / "keeper-token"
        path.write_text(self.token + "\n")
        return path

    def stop(self) -> int:
        self.wallet.computer.stop(self.process)
        return self.process.returncode
