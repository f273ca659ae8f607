"""A client of the IPFS Pinning Service API (ipfs/pinning-services-api-spec), on ``requests``.

Endpoints used (spec paths, relative to the service's base URL)::

    POST   /pins               add a pin (body: Pin)            -> 202 PinStatus
    GET    /pins?cid=&status=  list pin requests                -> 200 PinResults
    GET    /pins/{requestid}   one pin request                  -> 200 PinStatus
    POST   /pins/{requestid}   replace a pin (body: Pin)        -> 202 PinStatus
    DELETE /pins/{requestid}   remove a pin                     -> 202

Every request carries ``Authorization: Bearer <access token>`` (spec: securitySchemes
accessToken). Each failure is one :class:`~wallet.errors.PinningServiceError` with one
line naming the service: 401 (token refused), 404 (no such pin, or not a Pinning Service
API at that URL), 409 (spec: INSUFFICIENT_FUNDS), 429 (rate limited: ``Retry-After`` is
honoured while it fits in the request's time budget, then reported), other 4xx/5xx with
the service's own ``reason``, a certificate that is not trusted, time-outs and
unreachable services. The access token never appears in a repr, a message or a log line.

HTTPS is checked against the system's certificate authorities and the host name, or,
given ``certificate_sha256`` (a keeper's self-signed certificate,
:mod:`wallet.ipfs.keeper_tls`), against that fingerprint alone: no other certificate is
accepted, whoever signed it.
"""

from __future__ import annotations

import email.utils
import json
import logging
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from requests.adapters import HTTPAdapter

from ..errors import PinningServiceError
from .cid import Cid
from .pinning_api import PIN_STATUSES, PinRequest, PinStatus, pin_status_from_json

__all__ = ["DEFAULT_REQUEST_TIMEOUT", "MAX_RETRY_AFTER", "PinningServiceClient", "check_service_url"]

log = logging.getLogger(__name__)

DEFAULT_REQUEST_TIMEOUT = 15.0
"""Seconds one HTTP request may take (connect and read) before it is a time-out."""

MAX_RETRY_AFTER = 30.0
"""Longest ``Retry-After`` (seconds) the client waits out before it reports the 429."""

_MAX_BODY = 4 * 1024 * 1024  # a PinResults page of 1000 statuses fits well within this
_MAX_TOKEN = 8192


def check_service_url(url: str) -> str:
    """The base URL of a service, without a trailing slash; ``ValueError`` unless http(s)://host…"""
    if not isinstance(url, str) or len(url) > 2000 or any(c.isspace() for c in url):
        raise ValueError("a pinning service URL is one line of text")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError("a pinning service URL starts with https:// (or http:// on your own network)")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("a pinning service URL has no query, fragment or credentials; the token goes in a file")
    return url.rstrip("/")


class _PinnedCertificate(HTTPAdapter):
    """HTTPS that accepts exactly the certificate whose SHA-256 is ``fingerprint``
    (urllib3's ``assert_fingerprint``; the handshake fails on any other)."""

    def __init__(self, fingerprint: str) -> None:
        self._fingerprint = fingerprint
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["assert_fingerprint"] = self._fingerprint
        super().init_poolmanager(*args, **kwargs)


class PinningServiceClient:
    """One pinning service: ``name`` (the user's label), base ``url`` and bearer ``token``;
    ``certificate_sha256`` (64 hex digits) pins an https:// service's certificate.

    ``sleep`` and ``monotonic`` are injectable for the Retry-After wait.
    """

    def __init__(self, name: str, url: str, token: str, *, timeout: float = DEFAULT_REQUEST_TIMEOUT,
                 session: requests.Session | None = None, sleep: Callable[[float], None] = time.sleep,
                 monotonic: Callable[[], float] = time.monotonic, certificate_sha256: str | None = None) -> None:
        if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN \
                or any(c.isspace() or not c.isprintable() for c in token):
            raise ValueError("an access token is one line of printable text")
        self.name = name
        self.url = check_service_url(url)
        self._token = token
        self.timeout = float(timeout)
        self._session = session or requests.Session()
        self._session.trust_env = False  # no proxy or .netrc credentials picked up behind the user's back
        self.certificate_sha256 = certificate_sha256
        if certificate_sha256 is not None:
            if not self.url.startswith("https://"):
                raise ValueError("a certificate fingerprint needs an https:// URL")
            self._session.mount("https://", _PinnedCertificate(certificate_sha256))
            self._session.verify = False  # the fingerprint, not a certificate authority, is what is trusted
        self._sleep = sleep
        self._monotonic = monotonic

    def __repr__(self) -> str:
        return f"PinningServiceClient({self.name!r}, {self.url!r}, token=<hidden>)"

    def close(self) -> None:
        self._session.close()

    # --- the spec's operations --------------------------------------------------------

    def add(self, pin: PinRequest) -> PinStatus:
        """``POST /pins``: ask the service to pin ``pin.cid`` (fetching from ``pin.origins``)."""
        return self._status(self._call("POST", "/pins", body=pin.to_json(), expect=(200, 202)))

    def get(self, requestid: str) -> PinStatus:
        """``GET /pins/{requestid}``."""
        return self._status(self._call("GET", f"/pins/{quote(requestid, safe='')}", expect=(200,)))

    def replace(self, requestid: str, pin: PinRequest) -> PinStatus:
        """``POST /pins/{requestid}``: replace a pin by a new one (a new request id comes back)."""
        return self._status(self._call("POST", f"/pins/{quote(requestid, safe='')}", body=pin.to_json(),
                                       expect=(200, 202)))

    def remove(self, requestid: str) -> None:
        """``DELETE /pins/{requestid}``."""
        self._call("DELETE", f"/pins/{quote(requestid, safe='')}", expect=(200, 202, 204))

    def list(self, *, cids: Iterable[Cid] = (), statuses: Iterable[str] = PIN_STATUSES,
             limit: int = 1000) -> tuple[int, tuple[PinStatus, ...]]:
        """``GET /pins``: ``(count, results)``; ``count`` is every match, ``results`` at most ``limit``."""
        wanted = [s for s in statuses if s in PIN_STATUSES]
        params = {"status": ",".join(wanted), "limit": str(max(1, min(1000, int(limit))))}
        cid_list = [str(c) for c in cids]
        if cid_list:
            params["cid"] = ",".join(cid_list[:10])  # spec: at most 10 CIDs per query
        doc = self._call("GET", "/pins", params=params, expect=(200,))
        if not isinstance(doc, dict) or isinstance(doc.get("count"), bool) or not isinstance(doc.get("count"), int) \
                or not isinstance(doc.get("results"), list) or len(doc["results"]) > 1000:
            raise self._error("sent a pin list this app cannot read")
        return doc["count"], tuple(self._status(r) for r in doc["results"])

    # --- HTTP ---------------------------------------------------------------------------

    def _error(self, text: str, status: int | None = None) -> PinningServiceError:
        return PinningServiceError(f"The pinning service {self.name} {text}.", service=self.name, status=status)

    def _status(self, doc: Any) -> PinStatus:
        try:
            return pin_status_from_json(doc)
        except ValueError as exc:
            raise self._error(f"sent a pin status this app cannot read ({exc})") from exc

    def _call(self, method: str, path: str, *, body: dict[str, Any] | None = None,
              params: dict[str, str] | None = None, expect: tuple[int, ...]) -> Any:
        deadline = self._monotonic() + self.timeout + MAX_RETRY_AFTER
        while True:
            response = self._send(method, path, body=body, params=params)
            try:
                if response.status_code == 429:
                    wait = _retry_after(response.headers.get("Retry-After"))
                    if wait is not None and self._monotonic() + wait <= deadline:
                        log.info("pinning service %s asked to retry after %.0f s", self.name, wait)
                        self._sleep(wait)
                        continue
                    later = f"; try again in {wait:.0f} seconds" if wait is not None else "; try again later"
                    raise self._error(f"is limiting how often this wallet may ask (429){later}", 429)
                if response.status_code in expect:
                    return self._json(response) if response.status_code != 204 and method != "DELETE" else None
                raise self._refusal(response)
            finally:
                response.close()

    def _send(self, method: str, path: str, *, body: dict[str, Any] | None,
              params: dict[str, str] | None) -> requests.Response:
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        try:
            return self._session.request(method, self.url + path, json=body, params=params, headers=headers,
                                         timeout=self.timeout, allow_redirects=False, stream=True)
        except requests.Timeout as exc:
            raise self._error(f"did not answer within {self.timeout:g} seconds") from exc
        except requests.exceptions.SSLError as exc:
            if self.certificate_sha256 is not None and "ingerprint" in str(exc):
                what = ("presented a certificate other than the one whose fingerprint was given; check the URL, "
                        "or the fingerprint the keeper printed")
            else:
                what = ("presented a certificate this computer does not trust; check the URL, or, for a keeper "
                        "with its own certificate, give the fingerprint it printed (--certificate-sha256)")
            raise self._error(f"at {self.url} {what}") from exc
        except requests.RequestException as exc:
            raise self._error(f"cannot be reached at {self.url}") from exc

    def _json(self, response: requests.Response) -> Any:
        try:
            raw = response.raw.read(_MAX_BODY + 1, decode_content=True)
        except (requests.RequestException, OSError) as exc:
            raise self._error("broke off its answer") from exc
        if len(raw) > _MAX_BODY:
            raise self._error("sent an answer larger than any pin status")
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise self._error("sent an answer that is not JSON; check the URL") from exc

    def _refusal(self, response: requests.Response) -> PinningServiceError:
        code = response.status_code
        reason = ""
        try:
            doc = self._json(response)
            error = doc.get("error") if isinstance(doc, dict) else None
            if isinstance(error, dict) and isinstance(error.get("reason"), str):
                reason = error["reason"][:80]
                if isinstance(error.get("details"), str) and error["details"]:
                    reason += ": " + error["details"][:160]
        except PinningServiceError:
            pass
        reason = "".join(c if c.isprintable() else " " for c in reason)
        said = f"{code}: {reason}" if reason else str(code)
        if code == 401:
            return self._error(f"refused the access token ({said}); add the service again with a valid token", 401)
        if code == 404:
            return self._error(f"has no such pin, or {self.url} is not a Pinning Service API ({said})", 404)
        if code == 409:
            return self._error(f"says the account has insufficient funds ({said})", 409)
        if 300 <= code < 400:
            return self._error(f"redirected the request ({code}); give its API URL itself", code)
        if code >= 500:
            return self._error(f"failed on its side ({said}); try again later", code)
        return self._error(f"refused the request ({said})", code)


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delay-seconds or an HTTP date, RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(min(int(value), 86400))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
