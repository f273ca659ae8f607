"""The trusted-issuer store: which SMART Health Card issuers' keys the wallet believes.

The wallet never fetches keys at run time (no network while reading a card), so an
issuer is trusted only if its public JWKS is in the store. The store is the union of

- the list bundled with the app, ``wallet/share/data/trusted_issuers.json`` (shipped
  empty: no directory snapshot is bundled), and
- the user's own list, ``<wallet home>/trusted_issuers.json``, edited through
  :func:`add_trusted_issuer` / :func:`remove_trusted_issuer`.

Both files use one format (version 1)::

    {
      "format": "health-wallet/trusted-issuers",
      "version": 1,
      "issuers": [
        {
          "iss": "https://issuer.example.org",          # exactly the card's "iss"
          "name": "Example Health",                      # shown to the user
          "jwks": {"keys": [ {public EC P-256 JWK}, ... ]},  # iss + /.well-known/jwks.json
          "crls": [ {"kid": ..., "method": "rid", "ctr": 1, "rids": ["rid", "rid.1687450765"]} ]
        }
      ]
    }

Keys are checked when the store is built: only public EC P-256 keys meant for
signatures (``use`` absent or ``"sig"``, ``alg`` absent or ``"ES256"``) whose ``kid`` is
their RFC 7638 thumbprint are kept; keys for other uses (such as an ``ECDH-ES``
encryption key) are left out so they can never verify a card; private key material is
refused. A key with an ``x5c`` chain must be the leaf certificate's key, and the
leaf's URI names, if any, must include ``iss``. The CRLs (``crls``) are the issuer's
revocation lists as published at ``iss/.well-known/crl/<kid>.json``; they are part of
the entry because the wallet cannot download them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from cryptography import x509
from joserfc.jwk import ECKey

from ..atomicfile import write_atomic
from ..errors import ShareError
from .encoding import b64url_decode, json_loads

__all__ = [
    "STORE_FILE",
    "IssuerKey",
    "IssuerStore",
    "RevocationList",
    "TrustedIssuer",
    "add_trusted_issuer",
    "remove_trusted_issuer",
]

STORE_FILE = "trusted_issuers.json"
FORMAT = "health-wallet/trusted-issuers"
VERSION = 1
_MAX_STORE_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class RevocationList:
    """An issuer's CRL for one key: ``rid`` → cut-off time (``None``: every card)."""

    kid: str
    ctr: int
    rids: Mapping[str, int | None]

    def __post_init__(self) -> None:
        if not isinstance(self.kid, str) or not self.kid:
            raise ShareError("A revocation list has no key id.")
        if not isinstance(self.ctr, int) or isinstance(self.ctr, bool) or self.ctr < 0:
            raise ShareError(f"The revocation list for key {self.kid} has an invalid counter.")

    @classmethod
    def from_json(cls, obj: Any) -> RevocationList:
        if not isinstance(obj, dict) or obj.get("method") != "rid" or not isinstance(obj.get("rids"), list):
            raise ShareError('A revocation list must be {"kid", "method": "rid", "ctr", "rids": [...]}.')
        rids: dict[str, int | None] = {}
        for item in obj["rids"]:
            if not isinstance(item, str) or not item:
                raise ShareError("A revocation list entry is not a string.")
            rid, sep, stamp = item.partition(".")
            if sep and not stamp.isdigit():
                raise ShareError(f"The revocation list entry {item!r} has an invalid timestamp.")
            rids[rid] = int(stamp) if sep else None
        return cls(kid=obj.get("kid"), ctr=obj.get("ctr", 0), rids=rids)

    def to_json(self) -> dict[str, Any]:
        return {
            "kid": self.kid,
            "method": "rid",
            "ctr": self.ctr,
            "rids": [rid if at is None else f"{rid}.{at}" for rid, at in self.rids.items()],
        }

    def revokes(self, rid: str, nbf: float) -> bool:
        """SMART Health Cards rule: ``rid.T`` revokes only cards issued (``nbf``) before ``T``."""
        if rid not in self.rids:
            return False
        cut_off = self.rids[rid]
        return cut_off is None or nbf < cut_off


@dataclass(frozen=True)
class IssuerKey:
    """One public ES256 signing key of an issuer."""

    kid: str
    jwk: Mapping[str, Any] = field(repr=False)
    crl_version: int | None = None

    def __post_init__(self) -> None:
        if set(self.jwk) != {"kty", "crv", "x", "y"} or self.jwk["kty"] != "EC" or self.jwk["crv"] != "P-256":
            raise ShareError(f"Issuer key {self.kid} is not a public EC P-256 key.")


@dataclass(frozen=True)
class TrustedIssuer:
    iss: str
    name: str
    keys: tuple[IssuerKey, ...]
    crls: tuple[RevocationList, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.iss, str) or not self.iss.startswith("https://") or self.iss.endswith("/"):
            raise ShareError(f"Issuer {self.iss!r} must be an https URL without a trailing slash.")
        if not isinstance(self.name, str) or not self.name.strip():
            raise ShareError(f"Issuer {self.iss} needs a display name.")
        kids = [k.kid for k in self.keys]
        if len(set(kids)) != len(kids):
            raise ShareError(f"Issuer {self.iss} lists a key id twice.")

    def key(self, kid: str) -> IssuerKey | None:
        return next((k for k in self.keys if k.kid == kid), None)

    def crl(self, kid: str) -> RevocationList | None:
        return next((c for c in self.crls if c.kid == kid), None)

    @classmethod
    def from_jwks(cls, iss: str, jwks: Any, *, name: str | None = None, crls: Iterable[Any] = ()) -> TrustedIssuer:
        """Build an entry from an issuer's published ``jwks.json`` (and CRL JSON documents)."""
        if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
            raise ShareError(f'The key set of {iss} must be {{"keys": [...]}}.')
        keys = tuple(k for k in (_signing_key(raw, iss) for raw in jwks["keys"]) if k is not None)
        if not keys:
            raise ShareError(f"The key set of {iss} has no ES256 signing key.")
        parsed = tuple(c if isinstance(c, RevocationList) else RevocationList.from_json(c) for c in crls)
        return cls(iss=iss, name=name or iss, keys=keys, crls=parsed)

    @classmethod
    def from_json(cls, obj: Any) -> TrustedIssuer:
        if not isinstance(obj, dict) or not isinstance(obj.get("iss"), str):
            raise ShareError("A trusted issuer entry needs an \"iss\".")
        return cls.from_jwks(obj["iss"], obj.get("jwks"), name=obj.get("name"), crls=obj.get("crls") or ())

    def to_json(self) -> dict[str, Any]:
        keys = []
        for k in self.keys:
            jwk = {**k.jwk, "kid": k.kid, "use": "sig", "alg": "ES256"}
            if k.crl_version is not None:
                jwk["crlVersion"] = k.crl_version
            keys.append(jwk)
        return {"iss": self.iss, "name": self.name, "jwks": {"keys": keys}, "crls": [c.to_json() for c in self.crls]}


def _signing_key(raw: Any, iss: str) -> IssuerKey | None:
    if not isinstance(raw, dict):
        raise ShareError(f"The key set of {iss} holds something that is not a JWK.")
    if any(p in raw for p in ("d", "p", "q", "k")):
        raise ShareError(f"The key set of {iss} contains private key material; add only the public key set.")
    if raw.get("use", "sig") != "sig" or raw.get("alg", "ES256") != "ES256":
        return None  # e.g. an ECDH-ES encryption key: never usable to verify a card
    if raw.get("kty") != "EC" or raw.get("crv") != "P-256":
        return None
    kid = raw.get("kid")
    public = {"kty": "EC", "crv": "P-256", "x": raw.get("x"), "y": raw.get("y")}
    try:
        thumbprint = ECKey.import_key(public).thumbprint()
    except Exception as exc:  # joserfc raises several types for a bad point
        raise ShareError(f"Key {kid} of {iss} is not a valid P-256 public key.") from exc
    if kid != thumbprint:
        raise ShareError(f"Key {kid} of {iss} does not have its RFC 7638 thumbprint as kid.")
    crl_version = raw.get("crlVersion")
    if crl_version is not None and (not isinstance(crl_version, int) or isinstance(crl_version, bool)):
        raise ShareError(f"Key {kid} of {iss} has an invalid crlVersion.")
    if "x5c" in raw:
        _check_x5c(raw["x5c"], public, iss, kid)
    return IssuerKey(kid=kid, jwk=public, crl_version=crl_version)


def _check_x5c(chain: Any, public: dict[str, str], iss: str, kid: str) -> None:
    if not isinstance(chain, list) or not chain or not all(isinstance(c, str) for c in chain):
        raise ShareError(f"Key {kid} of {iss} has an invalid x5c certificate chain.")
    try:
        leaf = x509.load_der_x509_certificate(base64.b64decode(chain[0], validate=True))
        numbers = leaf.public_key().public_numbers()  # type: ignore[union-attr]
    except Exception as exc:  # a hostile certificate: parse errors, unsupported or non-EC keys alike
        raise ShareError(f"Key {kid} of {iss} has an unreadable x5c certificate.") from exc
    x = b64url_decode(public["x"], what="issuer key")
    y = b64url_decode(public["y"], what="issuer key")
    if (getattr(numbers, "x", None), getattr(numbers, "y", None)) != (int.from_bytes(x, "big"), int.from_bytes(y, "big")):
        raise ShareError(f"Key {kid} of {iss} does not match the key in its x5c certificate.")
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        uris = san.get_values_for_type(x509.UniformResourceIdentifier)
    except x509.ExtensionNotFound:
        uris = []
    if uris and iss not in uris:
        raise ShareError(f"The x5c certificate of key {kid} is for {', '.join(uris)}, not {iss}.")


def _parse_store(data: bytes, where: str) -> list[TrustedIssuer]:
    if len(data) > _MAX_STORE_BYTES:
        raise ShareError(f"The trusted issuer list {where} is too large.")
    doc = json_loads(data, what=f"trusted issuer list {where}")
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("issuers"), list):
        raise ShareError(f"{where} is not a trusted issuer list.")
    if doc.get("version") != VERSION:
        raise ShareError(f"The trusted issuer list {where} has version {doc.get('version')}; this app reads {VERSION}.")
    try:
        return [TrustedIssuer.from_json(e) for e in doc["issuers"]]
    except ShareError as exc:
        raise ShareError(f"The trusted issuer list {where} is invalid: {exc.user_message}") from exc


def _store_bytes(issuers: Iterable[TrustedIssuer]) -> bytes:
    doc = {"format": FORMAT, "version": VERSION, "issuers": [i.to_json() for i in issuers]}
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


class IssuerStore:
    """Issuers the wallet trusts, looked up by ``iss``; immutable once built."""

    def __init__(self, issuers: Iterable[TrustedIssuer] = ()) -> None:
        by_iss: dict[str, TrustedIssuer] = {}
        for issuer in issuers:
            if not isinstance(issuer, TrustedIssuer):
                raise TypeError("IssuerStore holds TrustedIssuer entries")
            by_iss[issuer.iss] = issuer  # later sources (the user's list) override earlier ones
        self._by_iss = by_iss

    @classmethod
    def load(cls, home: Path | None, *, extra_trusted: Iterable[TrustedIssuer] = ()) -> IssuerStore:
        """The bundled list, then ``home``'s list (if any), then ``extra_trusted``."""
        bundled = resources.files("wallet.share").joinpath("data", STORE_FILE).read_bytes()
        issuers = _parse_store(bundled, "bundled with the app")
        if home is not None:
            path = Path(home) / STORE_FILE
            if path.is_file():
                issuers += _parse_store(path.read_bytes(), f"at {path}")
        return cls([*issuers, *extra_trusted])

    def get(self, iss: str) -> TrustedIssuer | None:
        return self._by_iss.get(iss)

    def issuer_with_key(self, kid: str) -> TrustedIssuer | None:
        """The trusted issuer that publishes ``kid`` (kids are key thumbprints)."""
        return next((i for i in self._by_iss.values() if i.key(kid) is not None), None)

    def __iter__(self) -> Iterator[TrustedIssuer]:
        return iter(self._by_iss.values())

    def __len__(self) -> int:
        return len(self._by_iss)

    def __repr__(self) -> str:
        return f"IssuerStore({len(self)} issuers)"


def _user_issuers(home: Path) -> list[TrustedIssuer]:
    path = Path(home) / STORE_FILE
    return _parse_store(path.read_bytes(), f"at {path}") if path.is_file() else []


def add_trusted_issuer(home: Path, issuer: TrustedIssuer) -> None:
    """Add (or replace, by ``iss``) an issuer in the wallet home's list, atomically."""
    kept = [i for i in _user_issuers(home) if i.iss != issuer.iss]
    write_atomic(Path(home) / STORE_FILE, _store_bytes([*kept, issuer]), mode=0o644)


def remove_trusted_issuer(home: Path, iss: str) -> bool:
    """Remove ``iss`` from the wallet home's list; ``False`` if it was not there."""
    current = _user_issuers(home)
    kept = [i for i in current if i.iss != iss]
    if len(kept) == len(current):
        return False
    write_atomic(Path(home) / STORE_FILE, _store_bytes(kept), mode=0o644)
    return True
