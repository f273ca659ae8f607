"""The doctor's "Shared with me" asks which network to use when several profiles have a
token's chain id, and opens on the one chosen (or not at all when the choice is cancelled)."""

from __future__ import annotations

import pytest

from wallet.chain.canonical import canonical_address
from wallet.chain.grants import grant_id_hex
from wallet.gui.shared_with_me_view import SharedWithMeView
from wallet.services.networks import Networks
from wallet.share.token import ShareToken, SignedGrantParts


@pytest.fixture
def view(qtbot, open_wallet):
    doctor = open_wallet("doctor")
    widget = SharedWithMeView()
    qtbot.addWidget(widget)
    widget.set_wallet(doctor)
    yield widget, doctor
    widget.clear()


def _token_for(doctor) -> str:
    gid = bytes.fromhex(doctor.identity.address[2:]) + bytes(range(12))
    signed = SignedGrantParts("bafy" + "a" * 55, bytes(93), 4_000_000_000, bytes(64) + b"\x1b")
    return ShareToken(424242, canonical_address(), grant_id_hex(gid), signed=signed).encode()


def test_several_matching_networks_are_offered_and_the_chosen_one_is_used(qtbot, view) -> None:
    widget, doctor = view
    networks = Networks(doctor.app)
    networks.add("clinic-a", chain_id=424242, rpc=["http://127.0.0.1:9/a"])
    networks.add("clinic-b", chain_id=424242, rpc=["http://127.0.0.1:9/b"])
    asked: list[list[tuple[str, str]]] = []

    def choose(choices: list[tuple[str, str]]) -> str | None:
        asked.append(choices)
        return "clinic-b"

    widget.choose_network = choose  # type: ignore[method-assign]
    widget.open_share(_token_for(doctor))
    qtbot.waitUntil(lambda: bool(widget.message.text()), timeout=30_000)
    (choices,) = asked
    assert [name for name, _text in choices] == ["clinic-a", "clinic-b"]
    # the chosen profile's endpoint was tried (nothing answers there), not the other one
    assert "clinic-b" in widget.message.text() and "/b" in widget.message.text()
    assert "/a" not in widget.message.text()


def test_cancelling_the_choice_opens_nothing(qtbot, view) -> None:
    widget, doctor = view
    networks = Networks(doctor.app)
    networks.add("clinic-a", chain_id=424242, rpc=["http://127.0.0.1:9/a"])
    networks.add("clinic-b", chain_id=424242, rpc=["http://127.0.0.1:9/b"])
    widget.choose_network = lambda _choices: None  # type: ignore[method-assign]
    widget.open_share(_token_for(doctor))
    assert not widget.opening and widget.message.isHidden() and widget.share is None
