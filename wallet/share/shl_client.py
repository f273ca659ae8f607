"""Opening a SMART Health Link (HL7 SHL IG, "Receiving a SMART Health Link"): fetch the
file (``U``) or the manifest (``POST`` with recipient and passcode), then each file
(``embedded`` or ``location``), and decrypt it with the link's key.

Every answer is untrusted: each response is read only up to :data:`MAX_RESPONSE_BYTES`,
the manifest is checked for shape, and only ``https`` locations are followed (SHL IG,
"url": the manifest URL SHALL use https), plain ``http`` only to this computer's own
loopback address, where nothing crosses a network.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

from .. import untrusted
from ..errors import ShareError, WalletError
from .shl import CONTENT_TYPES, SHLPayload, decrypt_file

__all__ = ["MAX_FILES", "MAX_RESPONSE_BYTES", "open_link"]

MAX_RESPONSE_BYTES = 20 * 1024 * 1024
MAX_FILES = 100
TIMEOUT = 30.0


def _read(request: urllib.request.Request, what: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as resp:
            status, body = resp.status, resp.read(MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read(64 * 1024)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ShareError(f"Cannot reach {what}: {reason}.") from exc
    if len(body) > MAX_RESPONSE_BYTES:
        raise ShareError(f"{what} sent more than {MAX_RESPONSE_BYTES // (1024 * 1024)} MB; not opened.")
    return status, body


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _check_http(url: str) -> str:
    if url.startswith("https://"):
        return url
    if url.startswith("http://") and _is_loopback(urlsplit(url).hostname or ""):
        return url
    if url.startswith("http://"):
        raise ShareError("The SMART Health Link's server is not reached over HTTPS, as SMART Health Links "
                         "require; its health data would cross the network readable, so it was not opened.")
    raise ShareError("The SMART Health Link points somewhere that is not http(s); not opened.")


def _manifest(payload: SHLPayload, recipient: str, passcode: str | None) -> list[dict[str, Any]]:
    body: dict[str, Any] = {"recipient": recipient, "embeddedLengthMax": MAX_RESPONSE_BYTES}
    if passcode is not None:
        body["passcode"] = passcode
    req = urllib.request.Request(_check_http(payload.url), data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", "Accept": "application/json"})
    status, data = _read(req, "the link's server")
    doc: Any = None
    with contextlib.suppress(WalletError):  # an answer that is not JSON is judged by its status
        doc = untrusted.loads(data, what="the link's manifest")
    if status == 401:
        left = doc.get("remainingAttempts") if isinstance(doc, dict) else None
        more = f" {left} attempts left before the link is disabled." if isinstance(left, int) else ""
        raise ShareError(("The passcode is wrong." if passcode else "This link needs a passcode.") + more)
    if status == 404:
        raise ShareError("The link's server no longer offers it (revoked, expired or unknown).")
    if status != 200:
        raise ShareError(f"The link's server answered HTTP {status}.")
    files = doc.get("files") if isinstance(doc, dict) else None
    if not isinstance(files, list) or len(files) > MAX_FILES or not all(isinstance(f, dict) for f in files):
        raise ShareError("The link's server sent a manifest that is not a SMART Health Link manifest.")
    return files


def open_link(payload: SHLPayload, *, recipient: str, now: datetime,
              passcode: Callable[[], str] | None = None) -> list[tuple[str, bytes]]:
    """Fetch and decrypt what ``payload`` points to; returns ``[(content type, plaintext)]``.

    ``passcode`` is asked only for a ``P`` link. Raises :class:`~wallet.errors.ShareError`
    (expired, unreachable, wrong passcode, a file that does not decrypt).
    """
    if payload.exp is not None and payload.exp <= now.timestamp():
        raise ShareError("This SMART Health Link has expired.")
    key = payload.key_bytes
    if "U" in payload.flag:
        url = f"{_check_http(payload.url)}{'&' if '?' in payload.url else '?'}recipient={quote(recipient)}"
        status, data = _read(urllib.request.Request(url), "the link's file")
        if status != 200:
            raise ShareError(f"The link's file is not available (HTTP {status}).")
        return [decrypt_file(data, key)]
    code = None
    if "P" in payload.flag:
        if passcode is None:
            raise ShareError("This link needs a passcode (--passcode-file).")
        code = passcode()
    out: list[tuple[str, bytes]] = []
    for entry in _manifest(payload, recipient, code):
        cty = entry.get("contentType")
        if cty not in CONTENT_TYPES:
            raise ShareError(f"The link holds a file of an unknown type {str(cty)[:40]!r}.")
        if isinstance(entry.get("embedded"), str):
            token = entry["embedded"].encode("ascii", "replace")
        elif isinstance(entry.get("location"), str):
            status, token = _read(urllib.request.Request(_check_http(entry["location"])), "a file of the link")
            if status != 200:
                raise ShareError(f"A file of the link is not available (HTTP {status}).")
        else:
            raise ShareError("The link's manifest names a file with neither embedded nor location.")
        _, plaintext = decrypt_file(token, key)
        out.append((str(cty), plaintext))
    return out
