"""A keeper over HTTPS: its self-signed certificate, and clients that pin its fingerprint."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests.pinning.conftest import KEEPER_TOKEN
from tests.pinning.test_cli_pinning import KeeperProcess
from tests.sharing.test_cli_sharing import People
from wallet.errors import ConfigError, PinningServiceError
from wallet.ipfs.keeper_tls import normalise_fingerprint, self_signed_certificate, server_context
from wallet.ipfs.pinning_api import PinRequest
from wallet.ipfs.pinning_client import PinningServiceClient
from wallet.ipfs.pinning_server import KeeperServer
from wallet.services.pinning import PinningService


@pytest.fixture
def tls_keeper(keeper, tmp_path):
    """The fixture keeper's pins served a second time, over HTTPS with a self-signed certificate."""
    certificate = self_signed_certificate(tmp_path / "tls", "127.0.0.1")
    server = KeeperServer(keeper.keeper, [KEEPER_TOKEN], ssl_context=server_context(certificate))
    server.start()
    yield server, certificate
    server.stop()


def test_the_certificate_is_kept_with_a_private_key_only_its_owner_reads(tmp_path: Path) -> None:
    first = self_signed_certificate(tmp_path / "tls", "198.18.0.3")
    again = self_signed_certificate(tmp_path / "tls", "198.18.0.3")
    assert first.fingerprint == again.fingerprint  # clients' pins survive a restart
    assert stat.S_IMODE(first.key_path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "tls").stat().st_mode) == 0o700
    assert b"PRIVATE KEY" in first.key_path.read_bytes() and b"PRIVATE" not in first.cert_path.read_bytes()
    first.key_path.unlink()  # a lost key: a new pair, a new fingerprint
    assert self_signed_certificate(tmp_path / "tls", "198.18.0.3").fingerprint != first.fingerprint


def test_a_client_with_the_fingerprint_pins_and_one_without_it_is_refused(tls_keeper, make_node, ciphertext) -> None:
    server, certificate = tls_keeper
    assert server.endpoint.startswith("https://127.0.0.1:")

    pinned = PinningServiceClient("home", server.endpoint, KEEPER_TOKEN, certificate_sha256=certificate.fingerprint)
    origin = make_node("patient")
    cid = origin.add(ciphertext)
    queued = pinned.add(PinRequest(cid, "share", origin.node_info().dial_addresses))
    assert queued.pin.cid == cid and pinned.list()[0] == 1

    untrusted = PinningServiceClient("home", server.endpoint, KEEPER_TOKEN)
    with pytest.raises(PinningServiceError, match=r"presented a certificate this computer does not trust.*"
                                                  r"--certificate-sha256"):
        untrusted.list()
    wrong = PinningServiceClient("home", server.endpoint, KEEPER_TOKEN, certificate_sha256="ab" * 32)
    with pytest.raises(PinningServiceError, match="other than the one whose fingerprint was given"):
        wrong.list()


def test_fingerprints_are_read_as_people_copy_them() -> None:
    fp = "0f" * 32
    assert normalise_fingerprint(":".join(["0F"] * 32)) == fp
    assert normalise_fingerprint(f" SHA256:{fp.upper()} ") == fp
    with pytest.raises(ConfigError, match="64 hex digits"):
        normalise_fingerprint("0f" * 20)
    with pytest.raises(ConfigError, match="https://"):
        PinningService("home", "http://198.18.0.3:8088", certificate_sha256=fp)


def test_keeper_tls_and_a_wallet_that_pins_its_fingerprint(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text(KEEPER_TOKEN + "\n")
    keeper = KeeperProcess(tmp_path / "keeper-home", tokens, "--tls")
    try:
        endpoint, fp = keeper.info["endpoint"], keeper.info["tls_sha256"]
        assert endpoint.startswith("https://127.0.0.1:") and len(fp) == 64
        people = People(tmp_path, {"HEALTH_WALLET_CHAIN_DIR": str(tmp_path / "embedded-chain")})
        people.run("me", "init", "--json")
        mine = tmp_path / "token"
        mine.write_text(KEEPER_TOKEN + "\n")

        blind = people.run("me", "pinning", "add", "Home", endpoint, "--token-file", str(mine))
        assert blind.code == 1 and blind.stderr.count("\n") == 1
        assert "does not trust" in blind.stderr

        shown = ":".join(fp[i:i + 2] for i in range(0, 64, 2)).upper()
        added = people.run("me", "pinning", "add", "Home", endpoint, "--token-file", str(mine),
                           "--certificate-sha256", shown)
        assert added.code == 0, added.stderr
        assert people.run("me", "pinning", "list", "--json").json == [
            {"name": "Home", "url": endpoint, "pins": 0, "status": "ok"}]
    finally:
        assert keeper.stop() == 0


def test_plain_http_on_a_network_address_is_warned_about(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text(KEEPER_TOKEN + "\n")
    keeper = KeeperProcess(tmp_path / "keeper-home", tokens, listen="0.0.0.0:0")
    try:
        assert keeper.info["endpoint"].startswith("http://") and keeper.info["tls_sha256"] is None
    finally:
        assert keeper.stop() == 0
    assert "access tokens cross the network readable" in keeper.proc.stderr.read()
