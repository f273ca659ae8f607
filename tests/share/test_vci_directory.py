"""The VCI issuer directory: trusted by default from the bundled snapshot, replaced by a
newer one from a file, checked against the directory's signature; the trusted-issuers
file's step-wise upgrade from version 1."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from wallet.errors import ShareError, SignatureInvalid
from wallet.share.issuers import STORE_FILE, VERSION, IssuerStore
from wallet.share.shc import verify_card
from wallet.share.vci_directory import CACHE_FILE, CACHE_SIGNATURE, install_directory, load_directory, parse_directory

from .conftest import HL7, NOW, SHC, SPEC_ISS, SPEC_KID

VCI = FIXTURES / "vci-directory"
PACKAGE_DATA = Path(__file__).resolve().parents[2] / "wallet" / "share" / "data"
CALIFORNIA = "https://myvaccinerecord.cdph.ca.gov/creds"


def snapshot_with_spec_issuer(time: str = "2026-10-01T00:00:00Z") -> bytes:
    """The published snapshot's shape with the spec's example issuer listed, as a newer
    directory would list a real vaccination issuer."""
    doc = json.loads((VCI / "vci_snapshot.json").read_bytes())
    jwks = json.loads((SHC / "issuer/.well-known/jwks.json").read_text())
    crl = json.loads((SHC / f"issuer/.well-known/crl/{SPEC_KID}.json").read_text())
    doc["time"] = time
    doc["issuerInfo"].append({"issuer": {"iss": SPEC_ISS, "name": "Example Vaccination Issuer",
                                         "website": "https://spec.smarthealth.cards/"},
                              "keys": jwks["keys"], "crls": [crl], "lastRetrieved": time})
    return json.dumps(doc).encode()


def test_the_bundled_snapshot_is_the_published_file_unchanged_and_its_signature_verifies() -> None:
    for name in ("vci_snapshot.json", "vci_snapshot.sig", "vci_snapshot.crt"):
        assert hashlib.sha256((PACKAGE_DATA / name).read_bytes()).digest() == \
            hashlib.sha256((VCI / name).read_bytes()).digest()
    directory = load_directory(None)
    assert directory.signature == "verified" and directory.origin == "bundled with the app"
    assert directory.time.isoformat() == "2026-08-22T04:43:50+00:00"
    assert len(directory.issuers) > 600


def test_faulty_keys_of_one_issuer_are_left_out_one_by_one() -> None:
    directory = load_directory(None)
    by_iss = {i.iss: i for i in directory.issuers}
    # A numeric string crlVersion ("1") is read as the number it says.
    assert by_iss["https://www.hss.gov.nt.ca/covax"].keys[0].crl_version == 1
    # Yukon's certificates name the spec's example issuer (a copied profile); the directory
    # binds its keys to its iss, so they stay trusted.
    assert len(by_iss["https://pvc.service.yukon.ca/issuer"].keys) == 6
    # An issuer with no ES256 signing key at all is left out, and counted.
    assert "https://prodsoap1.tgh.org/FHIR/api/epic/2021/Security/Open/EcKeys/32001/SHC" not in by_iss
    assert directory.skipped >= 1
    # One bad key goes, its issuer's other keys stay.
    doc = json.loads((VCI / "vci_snapshot.json").read_bytes())
    ca = next(e for e in doc["issuerInfo"] if e["issuer"]["iss"] == CALIFORNIA)
    ca["keys"][0] = {**ca["keys"][0], "kid": "not-its-thumbprint"}
    edited = parse_directory(json.dumps(doc).encode(), origin="test")
    assert len(next(i for i in edited.issuers if i.iss == CALIFORNIA).keys) == len(ca["keys"]) - 1
    assert edited.skipped == directory.skipped + 1


def test_an_altered_snapshot_fails_its_signature() -> None:
    data = (VCI / "vci_snapshot.json").read_bytes().replace(b"State of California", b"State of Californla")
    with pytest.raises(SignatureInvalid, match="altered"):
        parse_directory(data, origin="test", signature=(VCI / "vci_snapshot.sig").read_bytes())


@pytest.mark.parametrize("data, reason", [
    (b"[]", "not a VCI issuer directory"),
    (b'{"issuerInfo": []}', "time"),
    (b'{"time": "2026-01-01T00:00:00Z", "issuerInfo": []}', "no usable issuer"),
    (b'{"time": "yesterday", "issuerInfo": []}', "ISO 8601"),
    (b"\xff\xfe", "issuer directory"),
])
def test_what_is_not_a_snapshot_is_refused(data: bytes, reason: str, tmp_path: Path) -> None:
    with pytest.raises(ShareError, match=reason):
        install_directory(tmp_path, data)
    assert not (tmp_path / CACHE_FILE).exists()


def test_a_newer_directory_makes_its_issuers_cards_verify_offline(tmp_path: Path) -> None:
    before = IssuerStore.load(tmp_path)
    assert verify_card((SHC / "example-00-d-jws.txt").read_text(), issuers=before, now=NOW).status == "unverified"

    installed = install_directory(tmp_path, snapshot_with_spec_issuer())
    assert installed.signature == "absent" and (tmp_path / CACHE_FILE).exists()
    store = IssuerStore.load(tmp_path)
    assert store.directory.time > before.directory.time and store.get(CALIFORNIA) is not None
    card = verify_card((SHC / "example-00-d-jws.txt").read_text(), issuers=store, now=NOW)
    assert card.verified and card.status == "valid" and card.issuer_name == "Example Vaccination Issuer"
    assert store.get(SPEC_ISS).source == "VCI directory"
    # The directory's revocation list travels with it (rid.T: only cards issued before T).
    assert verify_card((SHC / "example-03-d-jws.txt").read_text(), issuers=store, now=NOW).revoked
    assert not verify_card((HL7 / "example-03-d-jws.txt").read_text(), issuers=store, now=NOW).revoked


def test_an_older_directory_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    install_directory(tmp_path, snapshot_with_spec_issuer("2026-10-01T00:00:00Z"))
    kept = (tmp_path / CACHE_FILE).read_bytes()
    with pytest.raises(ShareError, match="older than the one in use"):
        install_directory(tmp_path, snapshot_with_spec_issuer("2026-09-01T00:00:00Z"))
    assert (tmp_path / CACHE_FILE).read_bytes() == kept
    with pytest.raises(ShareError, match="older than the one in use"):
        install_directory(tmp_path, snapshot_with_spec_issuer("2025-01-01T00:00:00Z"))


def test_the_published_file_with_its_signature_installs_verified(tmp_path: Path) -> None:
    installed = install_directory(tmp_path, (VCI / "vci_snapshot.json").read_bytes(),
                                  signature=(VCI / "vci_snapshot.sig").read_bytes())
    assert installed.signature == "verified" and (tmp_path / CACHE_SIGNATURE).exists()
    assert load_directory(tmp_path).origin == str(tmp_path / CACHE_FILE)
    # A newer unsigned file replaces it, and the old signature does not stay beside it.
    install_directory(tmp_path, snapshot_with_spec_issuer())
    assert not (tmp_path / CACHE_SIGNATURE).exists()
    assert load_directory(tmp_path).signature == "absent"


def test_a_damaged_installed_directory_falls_back_to_the_bundled_one(tmp_path: Path) -> None:
    (tmp_path / CACHE_FILE).write_bytes(b'{"time": "2030-01-01T00:00:00Z", "issuerInfo": [')
    directory = load_directory(tmp_path)
    assert directory.origin == "bundled with the app" and len(directory.issuers) > 600


def test_a_directory_issuer_can_be_distrusted_and_trusted_again(tmp_path: Path) -> None:
    from wallet.share.issuers import TrustedIssuer, add_trusted_issuer, remove_trusted_issuer

    store = IssuerStore.load(tmp_path)
    shared = [i.iss for i in store if i.source == "VCI directory"]
    assert remove_trusted_issuer(tmp_path, CALIFORNIA, shared=shared)
    assert not remove_trusted_issuer(tmp_path, CALIFORNIA, shared=shared)
    assert IssuerStore.load(tmp_path).get(CALIFORNIA) is None
    assert json.loads((tmp_path / STORE_FILE).read_text())["distrusted"] == [CALIFORNIA]
    ca = store.get(CALIFORNIA)
    add_trusted_issuer(tmp_path, TrustedIssuer(ca.iss, "California (my copy)", ca.keys, ca.crls))
    again = IssuerStore.load(tmp_path).get(CALIFORNIA)
    assert again is not None and again.name == "California (my copy)" and again.source == "your list"
    assert json.loads((tmp_path / STORE_FILE).read_text())["distrusted"] == []


def test_a_version_1_list_is_read_and_written_back_as_version_2(tmp_path: Path) -> None:
    from wallet.share.issuers import add_trusted_issuer

    from .conftest import spec_issuer

    v1 = {"format": "health-wallet/trusted-issuers", "version": 1, "issuers": [spec_issuer().to_json()]}
    (tmp_path / STORE_FILE).write_text(json.dumps(v1))
    store = IssuerStore.load(tmp_path)
    assert store.get(SPEC_ISS).source == "your list"
    assert verify_card((SHC / "example-00-d-jws.txt").read_text(), issuers=store, now=NOW).verified
    assert json.loads((tmp_path / STORE_FILE).read_text())["version"] == 1  # reading changes nothing
    add_trusted_issuer(tmp_path, spec_issuer(name="Spec examples"))
    doc = json.loads((tmp_path / STORE_FILE).read_text())
    assert doc["version"] == VERSION == 2 and doc["distrusted"] == [] and doc["known_keys"] == []
    assert [i["name"] for i in doc["issuers"]] == ["Spec examples"]


def test_a_list_from_a_newer_app_is_refused_clearly(tmp_path: Path) -> None:
    (tmp_path / STORE_FILE).write_text(json.dumps({"format": "health-wallet/trusted-issuers", "version": 3,
                                                   "issuers": []}))
    with pytest.raises(ShareError, match="version 3; this app reads up to 2"):
        IssuerStore.load(tmp_path)
