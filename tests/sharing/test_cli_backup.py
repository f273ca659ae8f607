"""Backup → new laptop → restore through the CLI, with no daemon installed: the old
laptop serves its embedded node, the new one is restored from the phrase alone."""

from __future__ import annotations

from pathlib import Path

from tests.sharing.conftest import SMALL_PATIENT
from tests.sharing.test_cli_sharing import People, Serving


def test_publish_then_restore_on_a_new_home(tmp_path: Path) -> None:
    people = People(tmp_path, {"HEALTH_WALLET_CHAIN_DIR": str(tmp_path / "embedded-chain")})
    init = people.run("old", "init", "--json")
    phrase = init.json["recovery_phrase"]
    for key in ("ipfs.loopback_only", "ipfs.bootstrap", "ipfs.mdns"):
        people.run("old", "config", "set", key, "true" if key.endswith("only") else "false")
    assert people.run("old", "import", str(SMALL_PATIENT)).code == 0
    published = people.run("old", "publish", "--json")
    assert published.code == 0, published.stderr
    assert published.json["records"] == 71 and published.json["tx"]

    restored = people.run("new", "init", "--restore", "--json", stdin=phrase + "\n")
    assert restored.json["address"] == init.json["address"]
    serving = Serving(people, "old")
    try:
        back = people.run("new", "restore-backup", "--peer", serving.addresses[0], "--json")
    finally:
        serving.stop()
    assert back.code == 0, back.stderr
    assert back.json["cid"] == published.json["cid"]
    assert sum(back.json["imported"].values()) == 71
    old = people.run("old", "records", "--json").json
    new = people.run("new", "records", "--json").json
    assert {r["id"] for r in new} <= {r["id"] for r in old}
    assert len([r for r in new if r["type"] != "AuditEvent"]) == 71

    offline = people.run("new", "restore-backup", published.json["cid"], "--json",
                         env={"HEALTH_WALLET_IPFS_API": "/ip4/127.0.0.1/tcp/9"})
    assert offline.code == 1 and "IPFS" in offline.stderr
