"""The on-chain backup pointer: versioned, old plain CIDs still read, parsed as untrusted text."""

from __future__ import annotations

import base64
import json

import pytest

from wallet.errors import ShareError
from wallet.ipfs.cid import Cid
from wallet.share.backup_pointer import MAX_POINTER_CHARS, BackupHolder, BackupPointer, parse_pointer

CID = Cid.parse("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku")
PEER = "QmQ8Ygc6pEanCeNS2atM24nPgKuwbYavu1f3JopVxP67ff"
ADDR = f"/ip4/198.18.0.3/tcp/4001/p2p/{PEER}"


def pointer_text(doc: object) -> str:
    return "hwbackup:1:" + base64.urlsafe_b64encode(json.dumps(doc).encode()).rstrip(b"=").decode()


def test_round_trip_names_holders_and_addresses() -> None:
    pointer = BackupPointer(CID, (BackupHolder("Filebase", (ADDR,)),), (f"/ip4/127.0.0.1/tcp/4001/p2p/{PEER}",))
    text = pointer.encode()
    assert text.startswith("hwbackup:1:") and len(text) < 400
    back = parse_pointer(text)
    assert back == pointer and back.addresses == (ADDR, f"/ip4/127.0.0.1/tcp/4001/p2p/{PEER}")


def test_old_plain_cid_pointers_read_as_version_0() -> None:
    for text in (str(CID), "QmXJSRUi43ACLCCwQs3UHcEarRLWrsyMAWnqhatYZnXrxF", f"  {CID}\n"):
        pointer = parse_pointer(text)
        assert pointer.version == 0 and pointer.holders == () and pointer.origins == ()


def test_a_pointer_that_does_not_fit_drops_addresses_not_holders() -> None:
    holders = tuple(BackupHolder(f"S{i}", tuple(f"/dns4/{'h' * 200}{j}.example/tcp/4001/p2p/{PEER}"
                                                for j in range(4))) for i in range(4))
    text = BackupPointer(CID, holders).encode()
    assert len(text) <= MAX_POINTER_CHARS
    assert [h.name for h in parse_pointer(text).holders] == ["S0", "S1", "S2", "S3"]


@pytest.mark.parametrize("text", [
    "hwbackup:2:eyJjIjoiIn0",  # a newer version
    "hwbackup:1:!!!",
    "hwbackup:1:" + "A" * 5000,
    pointer_text([]),
    pointer_text({"c": "not a cid"}),
    pointer_text({"c": str(CID), "h": "Filebase"}),
    pointer_text({"c": str(CID), "h": [{"n": "x" * 500}]}),
    pointer_text({"c": str(CID), "h": [{"n": "A", "d": ["127.0.0.1:4001"]}]}),
    pointer_text({"c": str(CID), "h": [{"n": "A", "d": [ADDR] * 9}]}),
    pointer_text({"c": str(CID), "o": [ADDR + " rm -rf"]}),
    pointer_text({"c": str(CID), "h": [[[[[[]]]]]]}),
    "'; DROP TABLE backups; --",
    "",
])
def test_hostile_pointers_are_one_clear_error(text: str) -> None:
    with pytest.raises(ShareError) as caught:
        parse_pointer(text)
    assert "\n" not in caught.value.user_message and "backup pointer" in caught.value.user_message


def test_the_addresses_carried_are_routable_tcp_first() -> None:
    from wallet.services.pinning import HeldBy, dial_hints, preferred_addresses

    addrs = (f"/ip4/127.0.0.1/tcp/4001/p2p/{PEER}", f"/ip4/127.0.0.1/udp/4001/quic-v1/p2p/{PEER}",
             f"/ip6/fd00::2/tcp/4001/p2p/{PEER}", ADDR, "/ip4/198.18.0.9/tcp/4001")
    assert preferred_addresses(addrs, 3) == (ADDR, f"/ip6/fd00::2/tcp/4001/p2p/{PEER}",
                                             f"/ip4/127.0.0.1/tcp/4001/p2p/{PEER}")
    held = [HeldBy("A", "pinned", addrs), HeldBy("B", "failed", (ADDR,)), HeldBy("C", "queued", addrs)]
    assert dial_hints(held, per_holder=1) == (ADDR,)  # C's best is A's best; B failed
