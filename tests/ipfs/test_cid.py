"""The Cid value type and the node/pin dataclasses: valid when built, or not built at all."""

from __future__ import annotations

import pytest

from wallet.ipfs import Cid, NodeInfo, PinInfo


@pytest.mark.parametrize(
    "text, version",
    [
        ("QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG", 0),
        ("bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi", 1),
        ("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", 1),
        ("zdj7WWeQ43G6JJvLWQWZpyHuAMq6uYWRjkBXFad11vE2LHhQ7", 1),
        ("f01701220c3c4733ec8affd06cf9e9ff50ffc6bcd2ec85a6170004bb709669c31de94391a", 1),
    ],
)
def test_valid_cids(text: str, version: int) -> None:
    cid = Cid(text)
    assert cid.version == version
    assert str(cid) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Qm",
        "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbd0",  # 0 is not base58
        "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdGG",  # too long
        "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzd",  # digest cut short
        "BAFYBEIGDYRZT5SFP7UDM7HU76UH7Y26NF3EFUYLQABF3OCLGTQY55FBZDI",  # upper-case base32 prefix
        "x1234",
        " QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG",
        "f02701220c3c4733ec8affd06cf9e9ff50ffc6bcd2ec85a6170004bb709669c31de94391a",  # version 2
    ],
)
def test_invalid_cids_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        Cid(text)


def test_parse_strips_uri_forms() -> None:
    plain = "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"
    assert Cid.parse(f"ipfs://{plain}") == Cid(plain)
    assert Cid.parse(f" /ipfs/{plain}/ ") == Cid(plain)


def test_node_info_and_pin_info_validate() -> None:
    info = NodeInfo(peer_id="QmPeer", addresses=("/ip4/127.0.0.1/tcp/4001",))
    assert info.dial_addresses == ("/ip4/127.0.0.1/tcp/4001/p2p/QmPeer",)
    with pytest.raises(ValueError):
        NodeInfo(peer_id="")
    with pytest.raises(ValueError):
        NodeInfo(peer_id="QmPeer", addresses=("127.0.0.1:4001",))
    with pytest.raises(ValueError):
        PinInfo("QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        PinInfo(Cid("QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"), kind="indirect")
