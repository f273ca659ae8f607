"""Link ids are typed on command lines (``shl revoke ID``): none may start with "-"."""

from __future__ import annotations

from wallet.services import links


def test_link_ids_never_start_like_an_option(monkeypatch) -> None:
    draws = iter([b"\xf8" + bytes(31), b"\xfc" + bytes(31), bytes(32)])  # "-…", "_…", then "AAA…"
    monkeypatch.setattr(links.os, "urandom", lambda n: next(draws))
    link_id = links._new_link_id()
    assert link_id == "A" * 43
    assert links.b64url(b"\xf8" + bytes(31)).startswith("-") and links.b64url(b"\xfc" + bytes(31)).startswith("_")
