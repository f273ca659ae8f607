"""Each way a pinning service can refuse gets one clear line naming it (spec-following test server)."""

from __future__ import annotations

import pytest

from tests.pinning.spec_server import TOKEN, SpecServer
from wallet.errors import PinningServiceError
from wallet.ipfs.cid import Cid
from wallet.ipfs.pinning_api import PinRequest
from wallet.ipfs.pinning_client import PinningServiceClient, check_service_url

CID = Cid.parse("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku")


def one_line(exc: PinningServiceError) -> str:
    text = exc.value.user_message if hasattr(exc, "value") else exc.user_message
    assert "\n" not in text and text.startswith("The pinning service Acme ") and TOKEN not in text
    return text


@pytest.mark.parametrize(("mode", "code", "words"), [
    ("unauthorized", 401, "refused the access token"),
    ("insufficient_funds", 409, "insufficient funds"),
    ("not_found", 404, "not a Pinning Service API"),
    ("rate_limited", 429, "limiting how often"),
])
def test_each_refusal_is_one_line(mode, code, words) -> None:
    with SpecServer(mode, retry_after="3600") as server:
        client = PinningServiceClient("Acme", server.url, TOKEN)
        with pytest.raises(PinningServiceError) as caught:
            client.add(PinRequest(CID))
    assert caught.value.status == code and caught.value.service == "Acme"
    text = one_line(caught)
    assert words in text and f"({code}" in text


def test_retry_after_is_honoured_then_the_request_goes_through() -> None:
    waited: list[float] = []
    with SpecServer("rate_limited_once", retry_after="2") as server:
        client = PinningServiceClient("Acme", server.url, TOKEN, sleep=waited.append)
        status = client.add(PinRequest(CID))
        assert status.status == "queued"
        assert [m for m, _p, _a in server.requests] == ["POST", "POST"]
    assert waited == [2.0]


def test_a_long_retry_after_is_reported_not_waited() -> None:
    waited: list[float] = []
    with SpecServer("rate_limited", retry_after="600") as server:
        client = PinningServiceClient("Acme", server.url, TOKEN, sleep=waited.append)
        with pytest.raises(PinningServiceError) as caught:
            client.list()
    assert waited == [] and "try again in 600 seconds" in one_line(caught)


def test_a_silent_service_is_a_timeout_line() -> None:
    with SpecServer("slow", slow_seconds=3) as server:
        client = PinningServiceClient("Acme", server.url, TOKEN, timeout=0.5)
        with pytest.raises(PinningServiceError) as caught:
            client.list()
    assert caught.value.status is None and "did not answer within 0.5 seconds" in one_line(caught)


def test_an_unreachable_service_is_one_line() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = PinningServiceClient("Acme", f"http://127.0.0.1:{port}", TOKEN, timeout=2)
    with pytest.raises(PinningServiceError) as caught:
        client.list()
    assert "cannot be reached" in one_line(caught)


def test_the_token_is_sent_as_bearer_and_never_shown() -> None:
    with SpecServer() as server:
        client = PinningServiceClient("Acme", server.url, TOKEN)
        client.list()
        assert server.requests[0][2] == f"Bearer {TOKEN}"
    assert TOKEN not in repr(client)


@pytest.mark.parametrize("url", ["ftp://x", "https://", "https://u:p@host/x", "https://host/x?token=1", "a b"])
def test_a_bad_url_is_refused(url) -> None:
    with pytest.raises(ValueError):
        check_service_url(url)
