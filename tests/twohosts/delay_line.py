"""A link with a round-trip time: IP packets carried between two TUN devices after a delay.

The kernel here has no ``netem`` queueing discipline (``tc qdisc add … netem delay`` says
"Specified qdisc kind is unknown"), so a computer that should sit far from "the internet"
is joined to it through this process instead of a veth pair (:meth:`Network.add` with
``rtt_ms``): a TUN device inside the computer carries its address, a TUN device inside
the internet namespace has a host route to it, and this process copies every packet
from one to the other ``rtt_ms / 2`` later, in both directions, in order. TCP, UDP (QUIC)
and ICMP all see the delay; nothing is lost or reordered. TUN devices get whole,
checksummed packets from the kernel (no offloads), so nothing needs fixing on the way.

Run inside the internet namespace (``ip netns exec``), as root:

    python -m tests.twohosts.delay_line INTERNET_TUN COMPUTER_NAMESPACE COMPUTER_TUN ONE_WAY_MS

It opens the internet side's device, enters the computer's namespace to open its device,
returns, prints ``ready`` and relays until SIGTERM.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import heapq
import os
import select
import struct
import sys
import time

__all__ = ["open_tun", "relay"]

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
CLONE_NEWNET = 0x40000000
MAX_PACKET = 65536


def open_tun(name: str) -> int:
    """A file descriptor attached to the TUN device ``name`` of this process's namespace."""
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    os.set_blocking(fd, False)
    return fd


def _enter(namespace_file: str) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(namespace_file, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {namespace_file}")
    finally:
        os.close(fd)


def relay(a: int, b: int, one_way: float) -> None:
    """Copy packets read on ``a`` to ``b`` and back, each ``one_way`` seconds after it was read."""
    queue: list[tuple[float, int, int, bytes]] = []
    other = {a: b, b: a}
    seq = 0
    while True:
        timeout = max(0.0, queue[0][0] - time.monotonic()) if queue else None
        readable, _, _ = select.select([a, b], [], [], timeout)
        now = time.monotonic()
        for fd in readable:
            while True:
                try:
                    packet = os.read(fd, MAX_PACKET)
                except BlockingIOError:
                    break
                seq += 1
                heapq.heappush(queue, (now + one_way, seq, other[fd], packet))
        while queue and queue[0][0] <= time.monotonic():
            _due, _seq, target, packet = heapq.heappop(queue)
            with contextlib.suppress(OSError):  # the device is down (a computer unplugged): lost, as on a wire
                os.write(target, packet)


def main() -> None:
    internet_tun, namespace, computer_tun, one_way_ms = sys.argv[1:5]
    internet = open_tun(internet_tun)
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    _enter(f"/var/run/netns/{namespace}")
    computer = open_tun(computer_tun)
    _enter(f"/proc/self/fd/{home}")
    os.close(home)
    print("ready", flush=True)
    relay(internet, computer, float(one_way_ms) / 1000)


if __name__ == "__main__":
    main()
