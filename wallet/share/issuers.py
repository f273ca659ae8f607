"""The trusted-issuer store: which SMART Health Card issuers' keys the wallet believes.

The wallet never fetches keys while reading a card, so an issuer is trusted only if
its public JWKS is in the store. The store is the union of, later ones winning:

- the list bundled with the app, ``wallet/share/data/trusted_issuers.json`` (no issuer
  of its own; it names the published example keys, see ``known_keys``);
- the VCI issuer directory (:mod:`~wallet.share.vci_directory`): the snapshot bundled
  with the app, or a newer one the user installed or the app downloaded;
- the user's own list, ``<wallet home>/trusted_issuers.json``, edited through
  :func:`add_trusted_issuer` / :func:`remove_trusted_issuer`; its ``distrusted`` list
  takes issuers of the sources above out of the store.

Both files use one format, version 2::

    {
      "format": "health-wallet/trusted-issuers",
      "version": 2,
      "issuers": [
        {
          "iss": "https://issuer.example.org",          # exactly the card's "iss"
          "name": "Example Health",                      # shown to the user
          "jwks": {"keys": [ {public EC P-256 JWK}, ... ]},  # iss + /.well-known/jwks.json
          "crls": [ {"kid": ..., "method": "rid", "ctr": 1, "rids": ["rid", "rid.1687450765"]} ]
        }
      ],
      "distrusted": ["https://issuer.example.net"],     # not trusted even if the directory lists it
      "known_keys": [                                    # keys of issuers that are not trusted
        {"kid": "<thumbprint>", "iss": "its issuer", "owner": "who holds it", "note": "why it is listed"}
      ]
    }

``known_keys`` names keys whose owner is known although their cards are not trusted,
such as the SMART Health Cards specification's example keys, whose private halves are
published: a card signed with one of them but claiming another issuer is refused.
Version 1 had only ``issuers``; it is upgraded step by step when read
(:data:`UPGRADES`) and written back as version 2 on the next change.

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
import copy
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
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
    "UPGRADES",
    "USER_SOURCE",
    "VERSION",
    "IssuerKey",
    "IssuerStore",
    "KnownKey",
    "RevocationList",
    "TrustedIssuer",
    "add_trusted_issuer",
    "remove_trusted_issuer",
    "upgrade_v1_to_v2",
]

STORE_FILE = "trusted_issuers.json"
FORMAT = "health-wallet/trusted-issuers"
VERSION = 2
USER_SOURCE = "your list"


def upgrade_v1_to_v2(doc: dict[str, Any]) -> None:
    """Version 2 adds ``distrusted`` (issuers of the directory the user does not trust)
    and ``known_keys`` (keys of untrusted issuers); version 1 had neither. In place."""
    doc.setdefault("distrusted", [])
    doc.setdefault("known_keys", [])


# The upgrade steps in order: UPGRADES[n - 1] turns version n into n + 1, in place, named
# upgrade_vN_to_vN1 (the convention of wallet.formats.FileFormat, which can take them as is).
UPGRADES: tuple[Callable[[dict[str, Any]], None], ...] = (upgrade_v1_to_v2,)
_MAX_STORE_BYTES = 16 * 1024 * 1024


def _count(value: Any) -> Any:
    """A counter as a number; the VCI directory carries some as digit strings ("1")."""
    return int(value) if isinstance(value, str) and value.isdigit() and len(value) < 19 else value


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
        return cls(kid=str(obj.get("kid") or ""), ctr=_count(obj.get("ctr", 0)), rids=rids)

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
    """An issuer whose cards verify; ``source`` says where the entry came from (shown
    to the user, not saved)."""

    iss: str
    name: str
    keys: tuple[IssuerKey, ...]
    crls: tuple[RevocationList, ...] = ()
    source: str = field(default=USER_SOURCE, compare=False)

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
    def from_jwks(cls, iss: str, jwks: Any, *, name: str | None = None, crls: Iterable[Any] = (),
                  vouched: bool = False) -> TrustedIssuer:
        """Build an entry from an issuer's published ``jwks.json`` (and CRL JSON documents).

        Raises :class:`ShareError` for a key or CRL that breaks the rules above. With
        ``vouched`` (an entry of the VCI directory, which binds the keys to ``iss`` itself)
        such a key or CRL is left out instead, only an issuer left with no signing key is
        refused, and an ``x5c`` leaf certificate naming another URI does not disqualify
        a key (several listed issuers reuse the specification's example certificate
        profile); the leaf must still hold the key.
        """
        if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
            raise ShareError(f'The key set of {iss} must be {{"keys": [...]}}.')
        parse_key = _vouched_key if vouched else _signing_key
        keys = tuple(k for k in (_kept(parse_key, raw, iss, vouched) for raw in jwks["keys"]) if k is not None)
        if not keys:
            raise ShareError(f"The key set of {iss} has no ES256 signing key.")
        parsed = tuple(c for c in (c if isinstance(c, RevocationList) else _kept(_crl, c, iss, vouched)
                                   for c in crls) if c is not None)
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


def _kept(parse: Callable[[Any, str], Any], raw: Any, iss: str, skip_bad: bool) -> Any:
    try:
        return parse(raw, iss)
    except ShareError:
        if skip_bad:
            return None
        raise


def _crl(raw: Any, _iss: str) -> RevocationList:
    return RevocationList.from_json(raw)


def _vouched_key(raw: Any, iss: str) -> IssuerKey | None:
    return _signing_key(raw, iss, check_names=False)


def _signing_key(raw: Any, iss: str, *, check_names: bool = True) -> IssuerKey | None:
    if not isinstance(raw, dict):
        raise ShareError(f"The key set of {iss} holds something that is not a JWK.")
    if any(p in raw for p in ("d", "p", "q", "k")):
        raise ShareError(f"The key set of {iss} contains private key material; add only the public key set.")
    if raw.get("use", "sig") != "sig" or raw.get("alg", "ES256") != "ES256":
        return None  # e.g. an ECDH-ES encryption key: never usable to verify a card
    if raw.get("kty") != "EC" or raw.get("crv") != "P-256":
        return None
    kid, x, y = raw.get("kid"), raw.get("x"), raw.get("y")
    if not isinstance(x, str) or not isinstance(y, str):
        raise ShareError(f"Key {kid} of {iss} is not a valid P-256 public key.")
    public: dict[str, str] = {"kty": "EC", "crv": "P-256", "x": x, "y": y}
    try:
        thumbprint = ECKey.import_key(dict(public)).thumbprint()
    except Exception as exc:  # joserfc raises several types for a bad point
        raise ShareError(f"Key {kid} of {iss} is not a valid P-256 public key.") from exc
    if kid != thumbprint:
        raise ShareError(f"Key {kid} of {iss} does not have its RFC 7638 thumbprint as kid.")
    crl_version = _count(raw.get("crlVersion"))
    if crl_version is not None and (not isinstance(crl_version, int) or isinstance(crl_version, bool)):
        raise ShareError(f"Key {kid} of {iss} has an invalid crlVersion.")
    if "x5c" in raw:
        _check_x5c(raw["x5c"], public, iss, kid, check_names=check_names)
    return IssuerKey(kid=kid, jwk=public, crl_version=crl_version)


def _check_x5c(chain: Any, public: dict[str, str], iss: str, kid: str, *, check_names: bool = True) -> None:
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
    if check_names and uris and iss not in uris:
        raise ShareError(f"The x5c certificate of key {kid} is for {', '.join(uris)}, not {iss}.")


@dataclass(frozen=True)
class KnownKey:
    """A key whose owner is known although its cards are not trusted (``known_keys``)."""

    kid: str
    iss: str
    owner: str
    note: str = ""

    def __post_init__(self) -> None:
        if not all(isinstance(v, str) and v for v in (self.kid, self.iss, self.owner)):
            raise ShareError('A known key needs a "kid", an "iss" and an "owner".')

    def to_json(self) -> dict[str, str]:
        return {"kid": self.kid, "iss": self.iss, "owner": self.owner, "note": self.note}


@dataclass(frozen=True)
class _StoreFile:
    issuers: tuple[TrustedIssuer, ...] = ()
    distrusted: tuple[str, ...] = ()
    known_keys: tuple[KnownKey, ...] = ()


def _upgrade(doc: dict[str, Any], where: str) -> dict[str, Any]:
    """``doc`` at :data:`VERSION`, through each step from its own version (a copy)."""
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= VERSION:
        raise ShareError(f"The trusted issuer list {where} has version {version}; this app reads up to {VERSION}.")
    work = copy.deepcopy(doc)
    for n, step in enumerate(UPGRADES[version - 1:], start=version):
        step(work)
        work["version"] = n + 1
    return work


def _parse_store(data: bytes, where: str) -> _StoreFile:
    if len(data) > _MAX_STORE_BYTES:
        raise ShareError(f"The trusted issuer list {where} is too large.")
    doc = json_loads(data, what=f"trusted issuer list {where}")
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("issuers"), list):
        raise ShareError(f"{where} is not a trusted issuer list.")
    doc = _upgrade(doc, where)
    distrusted, known = doc.get("distrusted"), doc.get("known_keys")
    if not isinstance(distrusted, list) or not all(isinstance(i, str) for i in distrusted):
        raise ShareError(f'The trusted issuer list {where} has an invalid "distrusted" list.')
    if not isinstance(known, list) or not all(isinstance(k, dict) for k in known):
        raise ShareError(f'The trusted issuer list {where} has an invalid "known_keys" list.')
    try:
        return _StoreFile(
            issuers=tuple(TrustedIssuer.from_json(e) for e in doc["issuers"]),
            distrusted=tuple(distrusted),
            known_keys=tuple(KnownKey(k.get("kid"), k.get("iss"), k.get("owner"), str(k.get("note", "")))
                             for k in known),
        )
    except ShareError as exc:
        raise ShareError(f"The trusted issuer list {where} is invalid: {exc.user_message}") from exc


def _store_bytes(store: _StoreFile) -> bytes:
    doc = {"format": FORMAT, "version": VERSION, "issuers": [i.to_json() for i in store.issuers],
           "distrusted": list(store.distrusted), "known_keys": [k.to_json() for k in store.known_keys]}
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


class IssuerStore:
    """Issuers the wallet trusts, looked up by ``iss``; immutable once built.

    ``known_keys`` maps the ``kid`` of keys of untrusted issuers to (``iss``, owner's name);
    ``directory`` describes the VCI directory snapshot in use (``None`` if none was loaded).
    """

    def __init__(self, issuers: Iterable[TrustedIssuer] = (), *,
                 known_keys: Mapping[str, tuple[str, str]] | None = None,
                 directory: Any = None) -> None:
        by_iss: dict[str, TrustedIssuer] = {}
        for issuer in issuers:
            if not isinstance(issuer, TrustedIssuer):
                raise TypeError("IssuerStore holds TrustedIssuer entries")
            by_iss[issuer.iss] = issuer  # later sources (the user's list) override earlier ones
        self._by_iss = by_iss
        self._known_keys = dict(known_keys or {})
        self.directory = directory

    @classmethod
    def load(cls, home: Path | None, *, extra_trusted: Iterable[TrustedIssuer] = (),
             directory: bool = True) -> IssuerStore:
        """The bundled list, the VCI directory (unless ``directory=False``), ``home``'s list
        (if any, with its ``distrusted`` issuers taken out), then ``extra_trusted``.

        Raises :class:`ShareError` when a list is damaged (the store fails closed).
        """
        bundled = _parse_store(resources.files("wallet.share").joinpath("data", STORE_FILE).read_bytes(),
                               "bundled with the app")
        user = _user_store(home) if home is not None else _StoreFile()
        snapshot = None
        if directory:
            from .vci_directory import load_directory  # the directory module builds on this one

            snapshot = load_directory(home)
        shared = [*bundled.issuers, *(snapshot.issuers if snapshot is not None else ())]
        distrusted = set(user.distrusted)
        issuers = [i for i in shared if i.iss not in distrusted] + [*user.issuers, *extra_trusted]
        known = {k.kid: (k.iss, k.owner) for k in (*bundled.known_keys, *user.known_keys)}
        return cls(issuers, known_keys=known, directory=snapshot)

    def get(self, iss: str) -> TrustedIssuer | None:
        return self._by_iss.get(iss)

    def issuer_with_key(self, kid: str) -> TrustedIssuer | None:
        """The trusted issuer that publishes ``kid`` (kids are key thumbprints)."""
        return next((i for i in self._by_iss.values() if i.key(kid) is not None), None)

    def owner_of_key(self, kid: str) -> tuple[str, str] | None:
        """Who holds ``kid``: (``iss``, name) of a trusted issuer or a known key, or ``None``."""
        issuer = self.issuer_with_key(kid)
        return (issuer.iss, issuer.name) if issuer is not None else self._known_keys.get(kid)

    def __iter__(self) -> Iterator[TrustedIssuer]:
        return iter(self._by_iss.values())

    def __len__(self) -> int:
        return len(self._by_iss)

    def __repr__(self) -> str:
        return f"IssuerStore({len(self)} issuers)"


def _user_store(home: Path) -> _StoreFile:
    path = Path(home) / STORE_FILE
    return _parse_store(path.read_bytes(), f"at {path}") if path.is_file() else _StoreFile()


def _write_user_store(home: Path, store: _StoreFile) -> None:
    write_atomic(Path(home) / STORE_FILE, _store_bytes(store), mode=0o644)


def add_trusted_issuer(home: Path, issuer: TrustedIssuer) -> None:
    """Add (or replace, by ``iss``) an issuer in the wallet home's list, atomically; an
    issuer the user had distrusted is trusted again."""
    current = _user_store(home)
    kept = tuple(i for i in current.issuers if i.iss != issuer.iss)
    _write_user_store(home, replace(current, issuers=(*kept, replace(issuer, source=USER_SOURCE)),
                                    distrusted=tuple(i for i in current.distrusted if i != issuer.iss)))


def remove_trusted_issuer(home: Path, iss: str, *, shared: Iterable[str] = ()) -> bool:
    """Stop trusting ``iss``: take it out of the wallet home's list and, when it comes
    from a shared source (``shared``: the bundled list or the directory), add it to the
    list's ``distrusted`` issuers. ``False`` if it was trusted by neither."""
    current = _user_store(home)
    kept = tuple(i for i in current.issuers if i.iss != iss)
    in_shared = iss in set(shared) and iss not in current.distrusted
    if len(kept) == len(current.issuers) and not in_shared:
        return False
    distrusted = (*current.distrusted, iss) if in_shared else current.distrusted
    _write_user_store(home, replace(current, issuers=kept, distrusted=distrusted))
    return True
