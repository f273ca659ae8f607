"""The sharing protocol, version 1: what a share *is*, apart from the chain and IPFS that carry it.

ARCHITECTURE.md, "The sharing protocol". For one grant:

1. **Selection.** The records the patient chose, minus what never leaves the wallet
   (:data:`LOCAL_ONLY_TYPES`: the wallet's own ``Consent`` and ``AuditEvent`` trail),
   plus the patient's ``Patient`` resource so the doctor knows whose records these are.
   SMART Health Cards are kept apart from records and are never in a share.
2. **Envelope.** A FHIR R4 ``collection`` Bundle of those resources as compact UTF-8
   JSON (:func:`envelope`), sealed with a fresh 256-bit content key by
   :func:`wallet.vault.stream.seal_stream` under the purpose :data:`PURPOSE` with the
   32-byte grant id as associated data (:attr:`ShareContext.aad`), so a blob cannot be
   passed off as another grant's.
3. **Key wrap.** The content key is wrapped to the doctor's published X25519 key,
   HPKE-style (:func:`wallet.vault.aead.wrap_key`: ephemeral X25519, HKDF-SHA256 with
   info ``health-wallet/wrap/v1|<context>``, AES-256-GCM), where the context is
   ``<chain id>|<contract address, lower case>|0x<grant id>`` (:attr:`ShareContext.wrap_context`),
   so a wrapped key cannot be replayed into another grant, contract or chain.
4. **Opening.** Unwrap, open (every chunk authenticated before any plaintext is
   returned), then :func:`read_envelope`: parse and validate as FHIR, and take the
   Bundle's resources.

The bytes on the wire are the contract between wallets of every version: changing any
constant here makes earlier shares unreadable, so a change needs a new version.
Publishing to IPFS and recording the grant on chain are the caller's
(:mod:`wallet.services.sharing`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO

from .. import untrusted
from ..chain.values import Address, GrantId
from ..errors import InvalidRecord, ShareError
from ..records import fhir_json
from ..records.bundle import bundle_resources, collection_bundle
from ..records.narrative import remove_unsafe_narratives
from ..records.parse import ParsedFile, loads_strict, parse_document
from ..records.validate import validate_file
from ..vault import aead
from ..vault.stream import DEFAULT_MAX_PLAINTEXT, open_bytes, seal_stream

__all__ = [
    "LOCAL_ONLY_TYPES",
    "PURPOSE",
    "OpenedEnvelope",
    "ShareContext",
    "envelope",
    "is_shareable",
    "new_content_key",
    "open_envelope",
    "read_envelope",
    "seal_envelope",
    "unwrap_content_key",
    "with_patients",
    "wrap_content_key",
]

PURPOSE = "share"
"""The purpose string in the sealed envelope's header (:mod:`wallet.vault.stream`)."""

LOCAL_ONLY_TYPES = ("Consent", "AuditEvent")
"""Resource types that never leave the wallet: its own record of consents and accesses."""

ENVELOPE_NAME = "the shared bundle"


@dataclass(frozen=True)
class ShareContext:
    """What binds a share's keys to its grant: the chain, the grants contract that holds
    the grant (a grant of an earlier contract keeps that contract), the grant id."""

    chain_id: int
    contract: str
    grant_id: GrantId

    def __post_init__(self) -> None:
        if isinstance(self.chain_id, bool) or not isinstance(self.chain_id, int) or self.chain_id <= 0:
            raise ShareError("A share needs a positive chain id.")
        object.__setattr__(self, "contract", Address(self.contract))
        object.__setattr__(self, "grant_id", GrantId(self.grant_id))

    @property
    def wrap_context(self) -> bytes:
        """``<chain id>|<contract, lower case>|0x<grant id>``, bound into the key wrap."""
        return f"{self.chain_id}|{self.contract.lower()}|{self.grant_id.hex_id}".encode()

    @property
    def aad(self) -> bytes:
        """The associated data of the sealed envelope: the 32 bytes of the grant id."""
        return bytes(self.grant_id)


def is_shareable(resource_type: str) -> bool:
    """Whether a resource of this type may go into a share (see :data:`LOCAL_ONLY_TYPES`)."""
    return resource_type not in LOCAL_ONLY_TYPES


def with_patients(record_ids: Iterable[str], patient_ids: Iterable[str]) -> list[str]:
    """``record_ids`` in order, then each of ``patient_ids`` not already chosen."""
    ids = list(record_ids)
    return ids + [i for i in patient_ids if i not in ids]


def envelope(resources: Sequence[dict[str, Any]], *, now: datetime, source_urls: Sequence[str] | None = None) -> bytes:
    """The plaintext of a share: a ``collection`` Bundle as compact UTF-8 JSON, numbers as written
    (:mod:`wallet.records.fhir_json`); ``source_urls`` are the resources' fullUrls where they
    came from (see :func:`wallet.records.bundle.collection_bundle`).

    Raises :class:`ShareError` if a resource is one that never leaves the wallet."""
    kept = [r.get("resourceType") for r in resources if not is_shareable(str(r.get("resourceType")))]
    if kept:
        raise ShareError(f"A {kept[0]} is the wallet's own record and is never shared; choose other records.")
    bundle = collection_bundle(resources, now=now, source_urls=source_urls)
    return fhir_json.dumps(bundle).encode()


def new_content_key() -> bytes:
    """A fresh random 256-bit key for one share's envelope."""
    return aead.new_key()


def wrap_content_key(recipient_public: bytes, content_key: bytes, context: ShareContext) -> bytes:
    """The content key wrapped to ``recipient_public`` (32-byte X25519) for this grant only:
    :data:`wallet.vault.aead.WRAPPED_KEY_SIZE` (93) bytes, as carried in the grant."""
    return aead.wrap_key(recipient_public, content_key, context=context.wrap_context)


def unwrap_content_key(recipient_private: bytes, wrapped: bytes, context: ShareContext) -> bytes:
    """The content key; raises :class:`~wallet.errors.DecryptionError` if it is not for
    this key and this grant, or was altered."""
    return aead.unwrap_key(recipient_private, wrapped, context=context.wrap_context)


def seal_envelope(content_key: bytes, payload: bytes | BinaryIO, sink: BinaryIO, context: ShareContext) -> int:
    """Seal ``payload`` into ``sink`` exactly as a share is published; the bytes written."""
    return seal_stream(content_key, payload, sink, purpose=PURPOSE, aad=context.aad)


def open_envelope(content_key: bytes, blob: bytes, context: ShareContext, *,
                  max_plaintext: int = DEFAULT_MAX_PLAINTEXT) -> bytes:
    """The plaintext of a sealed share; :class:`~wallet.errors.DecryptionError` for any fault."""
    return open_bytes(content_key, blob, purpose=PURPOSE, aad=context.aad, max_plaintext=max_plaintext)


@dataclass(frozen=True)
class OpenedEnvelope:
    """An opened share: the file as parsed and validated, the Bundle, and its resources."""

    parsed: ParsedFile
    bundle: dict[str, Any] = field(repr=False)
    resources: list[dict[str, Any]] = field(repr=False)


def read_envelope(plain: bytes) -> OpenedEnvelope:
    """The Bundle and its resources: through the input gate (:mod:`wallet.untrusted`: size,
    depth, entries, digits, time), validated as FHIR R4, numbers as written, and with any
    unsafe narrative removed (:mod:`wallet.records.narrative`).

    Raises :class:`~wallet.errors.InvalidRecord` when the plaintext is not a valid Bundle."""
    bundle = loads_strict(plain, where=ENVELOPE_NAME, limits=untrusted.DEFAULT_LIMITS)  # read once
    parsed = parse_document(bundle, name=ENVELOPE_NAME)
    if parsed.kind != "bundle":
        raise InvalidRecord(f"{ENVELOPE_NAME} is not a FHIR Bundle.")
    validate_file(parsed, name=ENVELOPE_NAME, single_patient=False)
    resources = bundle_resources(bundle)
    for resource in resources:
        remove_unsafe_narratives(resource)
    return OpenedEnvelope(parsed, bundle, resources)
