"""SMART Health Links (HL7 "SMART Health Cards and Links" IG, STU 1, SMART Health Links section).

- The link: ``shlink:/`` + base64url (no padding) of the JSON payload
  ``{url, key, exp?, flag?, label?, v: 1}``; ``key`` is 43 base64url characters (32 random
  bytes); ``exp`` epoch seconds; ``flag`` a sorted subset of ``L`` (long-term), ``P``
  (passcode) and ``U`` (direct file, no manifest; never with ``P``); ``label`` ≤ 80 characters.
  A viewer form puts it after ``#`` in a viewer's URL.
- Each file: JWE compact serialisation, ``alg: dir``, ``enc: A256GCM``, ``zip: DEF`` (raw
  DEFLATE) and ``cty`` the file's content type (``application/fhir+json``,
  ``application/smart-health-card``, ``application/smart-api-access``).
- A manifest (``POST url`` with ``{recipient, passcode?, embeddedLengthMax?}``) answers
  ``{files: [{contentType, location | embedded}]}``.
"""

from __future__ import annotations

import base64
import json
import os
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwa import DeflateZipModel, JWEZipModel
from joserfc.jwe import JWERegistry
from joserfc.jwk import OctKey

from .. import untrusted
from ..errors import ShareError, WalletError

__all__ = ["CONTENT_TYPES", "SHLPayload", "decrypt_file", "encrypt_file", "new_key", "parse_shlink"]

CONTENT_TYPES = frozenset({"application/fhir+json", "application/smart-health-card",
                           "application/smart-api-access"})
_B64URL = re.compile(r"[A-Za-z0-9_-]+")
MAX_LABEL = 80
MAX_LINK = 64 * 1024
MAX_FILE_CHARS = 20 * 1024 * 1024  # one JWE file; joserfc's default (64 KB) is smaller than an IPS


MAX_PLAINTEXT = 50 * 1024 * 1024  # inflated size of one file (joserfc's own cap is 250 KB)


class _Deflate(DeflateZipModel):
    MAX_SIZE = MAX_PLAINTEXT


class _Registry(JWERegistry):
    """joserfc's JWE registry with room for a whole record: its defaults (64 KB ciphertext,
    250 KB inflated) are smaller than an IPS, so both caps are raised and still enforced."""

    max_ciphertext_length = MAX_FILE_CHARS
    _deflate = _Deflate()

    def get_zip(self, name: str) -> JWEZipModel:
        super().get_zip(name)  # the allow-list check
        return self._deflate


def _registry() -> JWERegistry:
    return _Registry(algorithms=["dir", "A256GCM", "DEF"])


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    if not _B64URL.fullmatch(text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_key() -> str:
    """A fresh link key: 32 random bytes, base64url, 43 characters."""
    return b64url(os.urandom(32))


@dataclass(frozen=True)
class SHLPayload:
    """A SMART Health Link's payload, validated when built. The key is a secret: not in repr."""

    url: str
    key: str
    flag: str = ""
    exp: int | None = None
    label: str = ""

    def __post_init__(self) -> None:
        if not re.match(r"https?://", self.url) or len(self.url) > 128 * 16:
            raise ValueError("the link's url must be an http(s) URL")
        if len(self.key) != 43 or not _B64URL.fullmatch(self.key):
            raise ValueError("the link's key must be 43 base64url characters")
        if set(self.flag) - set("LPU") or "".join(sorted(set(self.flag))) != self.flag:
            raise ValueError("flags are a sorted subset of L, P, U")
        if "U" in self.flag and "P" in self.flag:
            raise ValueError("a direct-file (U) link cannot carry a passcode (P)")
        if len(self.label) > MAX_LABEL:
            raise ValueError(f"the label is longer than {MAX_LABEL} characters")
        if self.exp is not None and (isinstance(self.exp, bool) or self.exp <= 0):
            raise ValueError("exp must be epoch seconds")

    def __repr__(self) -> str:
        return f"SHLPayload(url={self.url!r}, flag={self.flag!r}, exp={self.exp}, label={self.label!r})"

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"url": self.url, "key": self.key}
        if self.exp is not None:
            doc["exp"] = self.exp
        if self.flag:
            doc["flag"] = self.flag
        if self.label:
            doc["label"] = self.label
        doc["v"] = 1
        return doc

    @property
    def shlink(self) -> str:
        body = json.dumps(self.to_json(), separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        return "shlink:/" + b64url(body)

    def viewer_url(self, viewer: str) -> str:
        return f"{viewer}#{self.shlink}"

    @property
    def key_bytes(self) -> bytes:
        return unb64url(self.key)


def parse_shlink(text: str) -> SHLPayload:
    """Read ``shlink:/…`` or a viewer URL ``https://…#shlink:/…``.

    Raises :class:`~wallet.errors.ShareError` with one line on anything malformed.
    """
    raw = text.strip()
    if len(raw) > MAX_LINK:
        raise ShareError("That SMART Health Link is too long.")
    at = raw.find("shlink:/")
    if at < 0 or (at > 0 and raw[at - 1] != "#"):
        raise ShareError("Not a SMART Health Link (it should start with shlink:/).")
    try:
        doc = untrusted.loads(unb64url(raw[at + len("shlink:/"):]), what="the link's payload")
    except (ValueError, WalletError) as exc:
        raise ShareError("That SMART Health Link is damaged: its payload is not base64url JSON.") from exc
    if not isinstance(doc, dict):
        raise ShareError("That SMART Health Link is damaged: its payload is not a JSON object.")
    if doc.get("v", 1) != 1:
        raise ShareError(f"SMART Health Link version {doc.get('v')!r} is not supported (only 1).")
    exp = doc.get("exp")
    try:
        return SHLPayload(url=str(doc.get("url", "")), key=str(doc.get("key", "")), flag=str(doc.get("flag", "")),
                          exp=int(exp) if isinstance(exp, (int, Decimal)) and not isinstance(exp, bool) else None,
                          label=str(doc.get("label", ""))[:MAX_LABEL])
    except ValueError as exc:
        raise ShareError(f"That SMART Health Link is not valid: {exc}.") from exc


def encrypt_file(plaintext: bytes, key: bytes, content_type: str) -> str:
    """One SHL file: JWE compact, ``dir`` + ``A256GCM``, ``zip: DEF``, ``cty`` = content type."""
    if content_type not in CONTENT_TYPES:
        raise ValueError(f"unknown SHL content type {content_type!r}")
    header = {"alg": "dir", "enc": "A256GCM", "zip": "DEF", "cty": content_type}
    return jwe.encrypt_compact(header, plaintext, OctKey.import_key(key), registry=_registry())


def decrypt_file(token: str | bytes, key: bytes) -> tuple[str, bytes]:
    """Decrypt one SHL file; returns ``(content type, plaintext)``. Only ``dir``+``A256GCM``
    is accepted. Raises :class:`~wallet.errors.ShareError` when it does not decrypt."""
    text = token.decode("ascii", "replace") if isinstance(token, bytes) else token
    if len(text) > MAX_FILE_CHARS:
        raise ShareError(f"A file of the SMART Health Link is larger than {MAX_FILE_CHARS // (1024 * 1024)} MB.")
    try:
        obj = jwe.decrypt_compact(text.strip(), OctKey.import_key(key), registry=_registry())
    except (JoseError, ValueError, TypeError) as exc:
        raise ShareError("A file of the SMART Health Link does not decrypt with the link's key.") from exc
    cty = str(obj.protected.get("cty") or "application/fhir+json")
    return cty, obj.plaintext or b""
