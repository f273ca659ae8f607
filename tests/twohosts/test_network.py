"""The namespaces the two-computer test stands on: joined, isolated, unplugged, and gone afterwards."""

from __future__ import annotations

import ipaddress
import json
import os
import sys

import pytest

from tests.twohosts.netns import SUBNET, Computer, Network, can_connect, namespaces, root_links

LISTEN = """
import socket, sys
server = socket.create_server((sys.argv[1], 7000))
print("ready", flush=True)
while True:
    conn, _ = server.accept()
    conn.close()
"""


def _addresses(computer: Computer) -> set[str]:
    out = computer.run(["ip", "-json", "addr", "show"]).stdout
    return {a["local"] for link in json.loads(out) for a in link.get("addr_info", [])}


def test_computers_reach_each_other_only_over_the_bridge(network: Network) -> None:
    patient, doctor = network.add("patient"), network.add("doctor")
    assert [c.address for c in (network.internet, patient, doctor)] == ["198.18.0.1", "198.18.0.2", "198.18.0.3"]

    server = doctor.start([sys.executable, "-c", LISTEN, doctor.address])
    assert server.stdout is not None and server.stdout.readline().strip() == "ready"
    assert can_connect(patient, doctor.address, 7000)
    assert not can_connect(patient, "127.0.0.1", 7000, timeout=1)  # the doctor's loopback is its own

    # Inside, every address is the computer's own one from 198.18.0.0/15, or loopback.
    for computer in (network.internet, patient, doctor):
        found = _addresses(computer)
        assert {"127.0.0.1", "::1", computer.address} == found, found
        assert all(ipaddress.ip_address(a).is_loopback or ipaddress.ip_address(a) in SUBNET for a in found)
        assert computer.run(["ip", "route", "show", "default"]).stdout.strip() == ""  # no way out
    # The host's own namespace gained nothing.
    assert not {n for n in root_links() if network.token in n}

    patient.link_down()
    assert not can_connect(patient, doctor.address, 7000, timeout=1)
    assert not can_connect(doctor, patient.address, 22, timeout=1)
    patient.link_up()
    assert can_connect(patient, doctor.address, 7000, timeout=10)


def test_a_far_computer_is_joined_through_a_delay_line(network: Network) -> None:
    """A computer ``rtt_ms`` away reaches the internet and is reached by the others, on its
    own address only; closing the network ends the delay line and leaves nothing behind."""
    near, far = network.add("near"), network.add("far", rtt_ms=40)
    server = network.internet.start([sys.executable, "-c", LISTEN, network.internet.address])
    assert server.stdout is not None and server.stdout.readline().strip() == "ready"
    assert can_connect(far, network.internet.address, 7000, timeout=10)
    far_server = far.start([sys.executable, "-c", LISTEN, far.address])
    assert far_server.stdout is not None and far_server.stdout.readline().strip() == "ready"
    assert can_connect(near, far.address, 7000, timeout=10)
    assert _addresses(far) == {"127.0.0.1", "::1", far.address}
    assert far.run(["ip", "route", "show", "default"]).stdout.strip() == ""  # no way out
    far.link_down()
    assert not can_connect(far, network.internet.address, 7000, timeout=1)
    far.link_up()
    assert can_connect(far, network.internet.address, 7000, timeout=10)


def test_close_ends_every_process_and_removes_every_namespace() -> None:
    net = Network()
    try:
        computer = net.add("patient")
        started = computer.start(["sleep", "600"])
        # A process it did not start itself: the child of a shell that has exited.
        shell = computer.run(["sh", "-c", "sleep 600 >/dev/null 2>&1 & echo $!"], timeout=30)
        stray = int(shell.stdout.strip())
        assert stray in computer.pids() and started.pid in computer.pids()
        names = {c.namespace for c in net.computers.values()}
        assert names <= namespaces()
    finally:
        net.close()
    assert started.poll() is not None
    assert not _alive(stray)
    assert not names & namespaces()
    assert not {n for n in root_links() if net.token in n}
    net.close()  # a second close is harmless


def test_a_network_refuses_a_role_twice(network: Network) -> None:
    network.add("patient")
    with pytest.raises(ValueError, match="already"):
        network.add("patient")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purpose: it holds no socket and no namespace
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False
