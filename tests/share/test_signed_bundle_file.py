"""bundle.json as written: the signed payload itself, with Bundle.signature added last.

A reader checks the signature over the bytes it read (the signature member cut out)
instead of rebuilding them; these tests pin the layout, show that any other layout is
still read the general way, and that no changed byte is ever accepted either way.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import ABANDON_ADDRESS
from wallet.errors import ShareError, SignatureInvalid
from wallet.records import fhir_json
from wallet.records.bundle import collection_bundle
from wallet.share.encoding import json_loads
from wallet.share.export import write_export
from wallet.share.export_layout import manifest_bytes
from wallet.share.jws import EXACT_DECIMALS_CTY, sign_detached
from wallet.share.signed_bundle import (
    sign_bundle,
    signed_bundle_bytes,
    verify_bundle_bytes,
    verify_bundle_signature,
)
from wallet.share.verify import verify_export

WHEN = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def _bundle(records: list[dict]) -> dict:
    return collection_bundle(records, now=WHEN)


def _general(data: bytes) -> str:
    """What a reader that knows nothing of the layout does: parse, canonicalise, verify."""
    return verify_bundle_signature(json_loads(data, what="bundle.json"))


def _resign_manifest(folder: Path, keys) -> None:
    files = {p.name: p.read_bytes() for p in folder.iterdir() if not p.name.startswith("SHA256SUMS")}
    manifest = manifest_bytes(files)
    (folder / "SHA256SUMS").write_bytes(manifest)
    (folder / "SHA256SUMS.jws").write_text(sign_detached(manifest, private_key=bytes(keys.account.key)))


def test_the_file_is_the_canonical_payload_with_the_signature_last(tmp_path: Path, keys, clock,
                                                                   small_records) -> None:
    result = write_export(tmp_path, resources=small_records, keys=keys, clock=clock)
    data = (result.path / "bundle.json").read_bytes()
    bundle = fhir_json.loads(data)
    signature = bundle.pop("signature")
    payload = fhir_json.canonical_bytes(bundle)
    assert data == payload[:-1] + b',"signature":' + fhir_json.canonical_bytes(signature) + b"}\n"
    read = verify_bundle_bytes(data, what="bundle.json")
    assert read is not None
    assert read[1] == ABANDON_ADDRESS and read[0] == {**bundle, "signature": signature}
    assert _general(data) == ABANDON_ADDRESS  # the same Bundle, read the general way


def test_signed_bytes_and_signed_dict_carry_the_same_signature(keys, small_records) -> None:
    bundle = _bundle(small_records)
    key = bytes(keys.account.key)
    as_dict = sign_bundle(bundle, private_key=key, when=WHEN)
    as_bytes = json.loads(signed_bundle_bytes(bundle, private_key=key, when=WHEN))
    assert as_bytes["signature"] == as_dict["signature"]  # RFC 6979: the same signature
    assert as_bytes == json.loads(fhir_json.dumps(as_dict))


def test_every_changed_byte_of_the_payload_fails(keys, small_records) -> None:
    """Flipping any byte of the signed part (or of the JWS) is never accepted by the
    byte-level check; the general reader then refuses it too."""
    data = signed_bundle_bytes(_bundle(small_records), private_key=bytes(keys.account.key), when=WHEN) + b"\n"
    cut = data.rfind(b',"signature":')
    jws_at = data.index(b'"data":"', cut) + len(b'"data":"')
    jws_end = data.index(b'"', jws_at)
    positions = [*range(0, cut, 3), cut - 1, *range(cut, cut + 14), *range(jws_at, jws_end, 5), jws_end - 1]
    for index in positions:
        changed = data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1:]
        assert verify_bundle_bytes(changed, what="bundle.json") is None, index
        with pytest.raises(ShareError):  # SignatureInvalid, or no longer JSON / no longer a signature
            _general(changed)
    assert len(positions) > 1000


def test_other_layouts_are_read_the_general_way(tmp_path: Path, keys, clock, small_records) -> None:
    """A bundle.json re-written by another tool (members reordered, indented) is not the
    signed bytes any more: it verifies by re-canonicalising, as exports of earlier releases do."""
    result = write_export(tmp_path, resources=small_records, keys=keys, clock=clock)
    path = result.path / "bundle.json"
    bundle = fhir_json.loads(path.read_bytes())
    reordered = {"signature": bundle["signature"], **{k: v for k, v in bundle.items() if k != "signature"}}
    for text in (fhir_json.dumps(bundle, indent=2), fhir_json.dumps(reordered)):
        assert verify_bundle_bytes(text.encode(), what="bundle.json") is None
        path.write_text(text)
        _resign_manifest(result.path, keys)
        verified = verify_export(result.path)
        assert verified.signer == ABANDON_ADDRESS and verified.bundle == bundle


def test_a_signed_payload_that_names_a_signature_is_refused(tmp_path: Path, keys, clock, small_records) -> None:
    """Even signed by the key itself, a payload holding a "signature" member would give the
    file that name twice: the byte-level check declines it and the input gate refuses it."""
    result = write_export(tmp_path, resources=small_records, keys=keys, clock=clock)
    path = result.path / "bundle.json"
    bundle = fhir_json.loads(path.read_bytes())
    signature = bundle.pop("signature")
    payload = fhir_json.canonical_bytes({**bundle, "signature": {"note": "inside the signed part"}})
    jws = sign_detached(payload, private_key=bytes(keys.account.key), cty=EXACT_DECIMALS_CTY)
    forged = {**signature, "data": base64.b64encode(jws.encode()).decode()}
    data = payload[:-1] + b',"signature":' + fhir_json.canonical_bytes(forged) + b"}\n"
    assert verify_bundle_bytes(data, what="bundle.json") is None
    path.write_bytes(data)
    _resign_manifest(result.path, keys)
    with pytest.raises(ShareError, match="duplicate property 'signature'"):
        verify_export(result.path)


def test_a_changed_bundle_fails_with_the_manifest_re_signed(tmp_path: Path, keys, clock, small_records) -> None:
    """SHA256SUMS re-made and re-signed after a change: Bundle.signature alone catches it."""
    result = write_export(tmp_path, resources=small_records, keys=keys, clock=clock)
    path = result.path / "bundle.json"
    original = path.read_bytes()
    gender = original.index(b'"gender":"') + len(b'"gender":"')
    path.write_bytes(original[:gender] + b"x" + original[gender + 1:])
    _resign_manifest(result.path, keys)
    with pytest.raises(SignatureInvalid, match="Bundle signature"):
        verify_export(result.path)


def test_a_legacy_form_signature_is_not_checked_over_the_bytes(keys, small_records) -> None:
    """An RFC 8785 (doubles) signature covers re-read numbers, never the file's bytes."""
    data = signed_bundle_bytes(_bundle(small_records), private_key=bytes(keys.account.key), when=WHEN)
    cut = data.rfind(b',"signature":')
    signature = json.loads(data[cut + len(b',"signature":'):-1])
    payload = data[:cut] + b"}"
    jws = sign_detached(payload, private_key=bytes(keys.account.key))  # no cty: the earlier form
    signature["data"] = base64.b64encode(jws.encode()).decode()
    relabelled = data[:cut] + b',"signature":' + fhir_json.canonical_bytes(signature) + b"}"
    assert verify_bundle_bytes(relabelled, what="bundle.json") is None


def test_the_export_still_refuses_what_a_reader_would_refuse(tmp_path: Path, keys, clock) -> None:
    """The read-back goes through the input gate as any reader's verify does: a number longer
    than the gate reads, or nesting deeper than it reads, fails the export and leaves nothing."""
    from decimal import Decimal

    from wallet.errors import ExportError

    long_number = {"resourceType": "Observation", "id": "o1", "status": "final", "code": {"text": "x"},
                   "valueQuantity": {"value": Decimal("1." + "1" * 70)}}
    deep: dict = {"resourceType": "Basic", "id": "b1", "code": {"text": "x"}}
    node = deep
    for _ in range(70):
        node["extension"] = [{"url": "http://example.org/x", "valueString": "v"}]
        node = node["extension"][0]
    for record, reason in ((long_number, "more than 64 characters"), (deep, "nested deeper than 64 levels")):
        with pytest.raises(ExportError, match=reason):
            write_export(tmp_path, resources=[record], keys=keys, clock=clock)
        assert list(tmp_path.iterdir()) == []
