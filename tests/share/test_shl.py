"""SMART Health Links: the payload and JWE format (against the HL7 IG's own examples),
links made, served on loopback by this wallet's server and opened by another wallet."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES
from tests.share.conftest import HL7, spec_issuer
from wallet.errors import ShareError, WalletError
from wallet.share.shl import SHLPayload, decrypt_file, encrypt_file, new_key, parse_shlink
from wallet.share.shl_links import MAX_ATTEMPTS, StoredLink
from wallet.share.shl_server import SHLServer

SHL = FIXTURES / "smart-health-links" / "hl7-ig-stu1"
CHET = next((FIXTURES / "synthea").glob("Chet_*.json"))


def header(token: str) -> dict[str, Any]:
    part = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


# --- the format -------------------------------------------------------------------------


def test_hl7_example_link_and_file_open() -> None:
    details = json.loads((SHL / "IPS_IG-bundle-01-shl-details.json").read_text())
    payload = parse_shlink(details["shlink"])
    assert payload.flag == "LU" and payload.key == details["shlinkJsonPayload"]["key"]
    assert parse_shlink(details["shlinkBare"]) == payload  # the viewer form
    cty, plain = decrypt_file((SHL / "IPS_IG-bundle-01-enc.txt").read_text(), payload.key_bytes)
    assert cty == "application/fhir+json"
    assert json.loads(plain) == json.loads((SHL / "IPS_IG-bundle-01.json").read_text())


def test_a_link_to_a_plain_http_server_is_not_followed() -> None:
    from datetime import UTC, datetime

    from wallet.share.shl_client import open_link

    payload = parse_shlink((FIXTURES / "invalid" / "shl-http-url.txt").read_text().strip())
    assert payload.url.startswith("http://shl.example.org/")
    with pytest.raises(ShareError, match="not reached over HTTPS"):  # refused before any lookup or connection
        open_link(payload, recipient="me", now=datetime.now(UTC))


def test_our_files_and_payload_follow_the_ig() -> None:
    key = new_key()
    assert len(key) == 43
    token = encrypt_file(b'{"resourceType":"Patient"}', base64.urlsafe_b64decode(key + "="), "application/fhir+json")
    assert header(token) == {"alg": "dir", "enc": "A256GCM", "zip": "DEF", "cty": "application/fhir+json"}
    payload = SHLPayload(url="https://example.org/shl/abc", key=key, flag="LP", exp=1_900_000_000, label="x" * 80)
    assert payload.shlink.startswith("shlink:/") and "=" not in payload.shlink
    body = json.loads(base64.urlsafe_b64decode(payload.shlink[8:] + "=" * (-len(payload.shlink[8:]) % 4)))
    assert body == {"url": "https://example.org/shl/abc", "key": key, "exp": 1_900_000_000, "flag": "LP",
                    "label": "x" * 80, "v": 1}
    assert parse_shlink(payload.viewer_url("https://viewer.example/#x")) == payload
    assert key not in repr(payload)
    with pytest.raises(ShareError):
        decrypt_file(token, bytes(32))


@pytest.mark.parametrize("changes", [{"flag": "PU"}, {"flag": "UL"}, {"key": "short"}, {"label": "x" * 81},
                                     {"url": "ftp://x"}])
def test_invalid_payloads_are_refused(changes: dict[str, Any]) -> None:
    args = {"url": "https://example.org/a", "key": new_key(), **changes}
    with pytest.raises(ValueError):
        SHLPayload(**args)


@pytest.mark.parametrize("text", ["shc:/123", "shlink:/%%%", "shlink:/" + base64.urlsafe_b64encode(b"[1]").decode(),
                                  "https://x.example/shlink:/abc"])
def test_malformed_links_give_one_line(text: str) -> None:
    with pytest.raises(ShareError) as info:
        parse_shlink(text)
    assert "\n" not in info.value.user_message


# --- made, served and opened ---------------------------------------------------------------


@pytest.fixture
def patient(open_wallet: Any) -> Any:
    wallet = open_wallet("patient")
    wallet.import_file(CHET)
    return wallet


@pytest.fixture
def server(patient: Any, clock: Any) -> Iterator[SHLServer]:
    from wallet.services.links import shl_server

    srv = shl_server(patient, "127.0.0.1", 0)
    srv.start()
    yield srv
    srv.close()


def post(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_passcode_link_served_opened_limited_logged_and_revoked(patient: Any, server: SHLServer, open_wallet: Any,
                                                                tmp_path: Path, clock: Any) -> None:
    from wallet.services.links import LinkSource, create_link, import_link, link_store, revoke_link

    base = f"http://{server.address}/shl"
    made = create_link(patient, LinkSource(ips=True), base_url=base, out=tmp_path / "out", passcode="2468",
                       expires_at=clock.now() + timedelta(days=1), label="For the clinic")
    assert made.payload.flag == "P" and made.public_files == ()  # a static host cannot check a passcode
    assert (tmp_path / "out" / "shlink.txt").read_text().strip() == made.payload.shlink
    assert (tmp_path / "out" / "shlink-qr.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The key is sealed in the home, never in the clear.
    for path in (patient.app.home / "shl").rglob("*"):
        if path.is_file():
            assert made.payload.key.encode() not in path.read_bytes()

    status, doc = post(made.payload.url, {"recipient": "Dr. A", "passcode": "0000"})
    assert (status, doc) == (401, {"remainingAttempts": MAX_ATTEMPTS - 1})
    assert post(made.payload.url, {"passcode": "2468"})[0] == 400  # recipient is required

    doctor = open_wallet("doctor")
    with pytest.raises(ShareError, match=r"passcode is wrong\. 8 attempts"):
        import_link(doctor, made.viewer_url, passcode=lambda: "1111")
    [outcome] = import_link(doctor, made.payload.shlink, passcode=lambda: "2468")
    assert outcome.error is None and outcome.result is not None
    assert "Composition" not in outcome.result.imported and outcome.result.imported["Patient"] == 1
    assert doctor.store.count() == outcome.result.total

    [link] = link_store(patient).all()
    assert link.accesses == 1 and link.attempts_left == MAX_ATTEMPTS - 2
    assert [(a.recipient, a.outcome) for a in link.log] == [
        ("Dr. A", "wrong passcode"), ("Health Wallet", "wrong passcode"), ("Health Wallet", "opened")]

    revoke_link(patient, link.id[:8])
    assert post(made.payload.url, {"recipient": "Dr. A", "passcode": "2468"})[0] == 404
    with pytest.raises(ShareError, match="no longer offers it"):
        import_link(doctor, made.payload.shlink, passcode=lambda: "2468")


def test_attempts_run_out_and_expiry_ends_a_link(patient: Any, server: SHLServer, tmp_path: Path, clock: Any) -> None:
    from wallet.services.links import LinkSource, create_link

    base = f"http://{server.address}/shl"
    made = create_link(patient, LinkSource(types=("Immunizations",)), base_url=base, out=tmp_path / "p", passcode="9")
    for left in range(MAX_ATTEMPTS - 1, -1, -1):
        assert post(made.payload.url, {"recipient": "x", "passcode": "nope"}) == (401, {"remainingAttempts": left})
    assert post(made.payload.url, {"recipient": "x", "passcode": "9"})[0] == 404  # disabled for good

    later = create_link(patient, LinkSource(types=("Immunizations",)), base_url=base, out=tmp_path / "l",
                        long_term=True, expires_at=clock.now() + timedelta(hours=1))
    assert later.payload.flag == "L" and [p.name for p in later.public_files] == [f"{later.link_id}-0.jwe",
                                                                                   later.link_id]
    status, doc = post(later.payload.url, {"recipient": "x"})
    assert status == 200 and doc["files"][0]["contentType"] == "application/fhir+json"
    with urllib.request.urlopen(doc["files"][0]["location"], timeout=10) as resp:
        _, plain = decrypt_file(resp.read(), later.payload.key_bytes)
    assert json.loads(plain)["type"] == "collection"
    status, doc = post(later.payload.url, {"recipient": "x", "embeddedLengthMax": 10**6})
    assert "embedded" in doc["files"][0]
    clock.at = clock.at + timedelta(hours=2)
    assert post(later.payload.url, {"recipient": "x"})[0] == 404


def test_direct_file_link_is_honest_about_revoking(patient: Any, server: SHLServer, open_wallet: Any,
                                                   tmp_path: Path) -> None:
    from wallet.services.links import LinkSource, create_link, import_link, revoke_link

    made = create_link(patient, LinkSource(types=("Immunization",)), base_url=f"http://{server.address}/s",
                       out=tmp_path / "u", label="shots")
    assert made.payload.flag == "U"
    [public] = made.public_files
    _, plain = decrypt_file(public.read_text(), made.payload.key_bytes)
    assert json.loads(plain)["type"] == "collection"
    doctor = open_wallet("doctor")
    [outcome] = import_link(doctor, made.payload.shlink)
    assert outcome.result is not None and set(outcome.result.imported) == {"Immunization"}
    with pytest.raises(WalletError, match="cannot be revoked"):
        revoke_link(patient, made.link_id)
    with pytest.raises(ShareError, match="not available"):
        import_link(doctor, made.payload.shlink)  # this server honours the mark


def test_a_health_card_inside_a_link_is_verified(patient: Any, server: SHLServer, open_wallet: Any) -> None:
    from wallet.services.links import import_link, link_store

    card = (HL7 / "example-00-e-file.smart-health-card").read_bytes()
    key = new_key()
    link = StoredLink(id="c" * 43, url=f"http://{server.address}/shl/{'c' * 43}", flags="L", label="card",
                      created_at="2026-01-01T00:00:00+00:00", expires_at=None,
                      content_types=("application/smart-health-card",), key=key)
    link_store(patient).add(link, [encrypt_file(card, base64.urlsafe_b64decode(key + "="),
                                                "application/smart-health-card")])
    text = SHLPayload(url=link.url, key=key, flag="L").shlink
    doctor = open_wallet("doctor", trusted=(spec_issuer(),))
    [outcome] = import_link(doctor, text)
    assert outcome.result is not None and outcome.result.cards[0][1] in ("valid", "expired")
    assert doctor.store.cards() == [card]


def test_large_files_round_trip_and_a_deflate_bomb_is_refused() -> None:
    import zlib

    key = base64.urlsafe_b64decode(new_key() + "=")
    big = json.dumps({"resourceType": "Bundle", "entry": [{"n": i, "t": "x" * 50} for i in range(40_000)]}).encode()
    assert len(big) > 2 * 1024 * 1024
    assert decrypt_file(encrypt_file(big, key, "application/fhir+json"), key)[1] == big

    from joserfc import jwe
    from joserfc.jwk import OctKey

    class Bomb(jwe.JWERegistry):
        def get_zip(self, name: str) -> Any:
            class Z:
                def compress(self, s: bytes) -> bytes:
                    return zlib.compress(s)[2:-4]
            return Z()

    bomb = jwe.encrypt_compact({"alg": "dir", "enc": "A256GCM", "zip": "DEF", "cty": "application/fhir+json"},
                               b"0" * (60 * 1024 * 1024), OctKey.import_key(key), registry=Bomb())
    assert len(bomb) < 1024 * 1024
    with pytest.raises(ShareError):
        decrypt_file(bomb, key)


def test_a_hostile_label_is_shown_as_plain_printable_text(patient: Any, server: SHLServer, open_wallet: Any,
                                                          tmp_path: Path) -> None:
    from wallet.services.links import LinkSource, create_link, import_link

    made = create_link(patient, LinkSource(types=("Immunization",)), base_url=f"http://{server.address}/s",
                       out=tmp_path / "u", label="\x1b[2Jshots/../x")
    [outcome] = import_link(open_wallet("doctor"), made.payload.shlink)
    assert str(outcome.path) == "[2Jshots..x"
