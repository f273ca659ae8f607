"""``health-wallet keeper`` and ``health-wallet pinning`` as a user runs them: separate processes,
temporary homes, the null keyring (so tokens are sealed by the wallet's keys)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.sharing.conftest import SMALL_PATIENT
from tests.sharing.test_cli_sharing import People

TOKEN = "a-keeper-token-for-the-cli-test"


class KeeperProcess:
    """``health-wallet keeper --json`` in the background: its first line says where it listens."""

    def __init__(self, home: Path, tokens_file: Path, *options: str, listen: str = "127.0.0.1:0") -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HEALTH_WALLET_")}
        env.update({"HEALTH_WALLET_UNSAFE_LIGHT_KDF": "1", "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"})
        for key, value in (("ipfs.bootstrap", "false"), ("ipfs.mdns", "false"), ("ipfs.loopback_only", "true")):
            subprocess.run([sys.executable, "-m", "wallet", "--home", str(home), "config", "set", key, value],
                           env=env, check=True, capture_output=True)
        self.proc = subprocess.Popen([sys.executable, "-m", "wallet", "--home", str(home), "--json", "keeper",
                                      "--listen", listen, "--tokens-file", str(tokens_file), *options],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        first = self.proc.stdout.readline()
        assert first, self.proc.stderr.read()
        self.info = json.loads(first)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=60)


def test_keeper_pinning_publish_and_restore_from_the_phrase_alone(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text(f"# who may pin here\n{TOKEN}\n")
    keeper = KeeperProcess(tmp_path / "keeper-home", tokens)
    try:
        assert keeper.info["endpoint"].startswith("http://127.0.0.1:")
        assert keeper.info["peer_id"] and all(a.endswith("/p2p/" + keeper.info["peer_id"])
                                              for a in keeper.info["addresses"])
        people = People(tmp_path, {"HEALTH_WALLET_CHAIN_DIR": str(tmp_path / "embedded-chain")})
        init = people.run("old", "init", "--json")
        for key in ("ipfs.loopback_only", "ipfs.bootstrap", "ipfs.mdns"):
            people.run("old", "config", "set", key, "true" if key.endswith("only") else "false")

        wrong = tmp_path / "wrong"
        wrong.write_text("not-the-right-token-at-all\n")
        refused = people.run("old", "pinning", "add", "Home", keeper.info["endpoint"], "--token-file", str(wrong))
        assert refused.code == 1 and refused.stderr.count("\n") == 1 and "401" in refused.stderr

        mine = tmp_path / "token"
        mine.write_text(TOKEN + "\n")
        added = people.run("old", "pinning", "add", "Home", keeper.info["endpoint"], "--token-file", str(mine))
        assert added.code == 0, added.stderr
        listed = people.run("old", "pinning", "list", "--json")
        assert listed.json == [{"name": "Home", "url": keeper.info["endpoint"], "pins": 0, "status": "ok"}]
        home = tmp_path / "old"
        assert all(TOKEN not in p.read_bytes().decode("latin-1") for p in home.rglob("*") if p.is_file())
        assert "Home" not in (home / "config.json").read_text()

        assert people.run("old", "import", str(SMALL_PATIENT)).code == 0
        published = people.run("old", "publish", "--json")
        assert published.code == 0, published.stderr
        assert published.json["held_by"] == [{"service": "Home", "status": "pinned"}]
        assert people.run("old", "pinning", "check", "Home", "--json").json["pins"] == 1

        # A new computer, the same network, the phrase alone: no CID, no peer.
        people.run("new", "init", "--restore", stdin=init.json["recovery_phrase"] + "\n")
        for key in ("ipfs.loopback_only", "ipfs.bootstrap", "ipfs.mdns"):
            people.run("new", "config", "set", key, "true" if key.endswith("only") else "false")
        back = people.run("new", "restore-backup", "--json")
        assert back.code == 0, back.stderr
        assert back.json["cid"] == published.json["cid"] and back.json["held_by"] == [{"service": "Home"}]
        assert sum(back.json["imported"].values()) == 71
    finally:
        assert keeper.stop() == 0  # SIGTERM stops it cleanly

    # The keeper is gone too: the restore says so in one line instead of waiting.
    people.run("newer", "init", "--restore", stdin=init.json["recovery_phrase"] + "\n")
    for key in ("ipfs.loopback_only", "ipfs.bootstrap", "ipfs.mdns"):
        people.run("newer", "config", "set", key, "true" if key.endswith("only") else "false")
    gone = people.run("newer", "restore-backup")
    assert gone.code == 1
    assert gone.stderr.strip().splitlines()[-1] == ("error: No holder of the backup is reachable: Home does not answer "
                                                    "and the computer that made it is offline; try again later.")
    assert people.run("old", "pinning", "remove", "Home").code == 0
    assert people.run("old", "pinning", "list", "--json").json == []


def test_keeper_refuses_a_tokens_file_without_tokens(tmp_path: Path) -> None:
    empty = tmp_path / "tokens"
    empty.write_text("# nothing yet\n")
    people = People(tmp_path, {})
    run = people.run("keeper-home", "keeper", "--listen", "127.0.0.1:0", "--tokens-file", str(empty))
    assert run.code == 1 and "holds no access token" in run.stderr
    bad = people.run("keeper-home", "keeper", "--listen", "nowhere", "--tokens-file", str(empty))
    assert bad.code == 1 and "HOST:PORT" in bad.stderr
