"""Signed export: round trip, and every change, addition, removal or foreign key fails."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
import rfc8785
from joserfc import jws as jose_jws
from joserfc.jwk import ECKey

from tests.conftest import ABANDON_ADDRESS
from wallet.errors import Cancelled, DecryptionError, ExportError, ShareError, SignatureInvalid
from wallet.events import CancelToken, Progress
from wallet.share.export import cleanup_leftovers, write_export
from wallet.share.export_howto import DECRYPT_SCRIPT, HOWTO_TEXT, VERIFY_SCRIPT
from wallet.share.export_layout import PARTIAL_PREFIX, manifest_bytes
from wallet.share.jws import sign_detached
from wallet.share.signed_bundle import verify_bundle_signature
from wallet.share.verify import export_is_encrypted, verify_export

PASSPHRASE = "export passphrase 1"


@pytest.fixture
def plain_export(tmp_path: Path, keys, clock, small_records, card_bytes):
    return write_export(tmp_path, resources=small_records, cards=card_bytes, keys=keys, clock=clock)


def _flip(path: Path, index: int) -> bytes:
    data = path.read_bytes()
    path.write_bytes(data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1:])
    return data


def test_round_trip(tmp_path: Path, keys, clock, small_records, card_bytes) -> None:
    events: list[Progress] = []
    result = write_export(tmp_path, resources=small_records, cards=card_bytes, keys=keys, clock=clock,
                          progress=events.append)
    assert result.path.parent == tmp_path and result.path.name == "health-export-20261121T120000Z"
    assert [p.name for p in tmp_path.iterdir()] == [result.path.name]  # nothing else left behind
    assert result.files == ("HOW-TO-VERIFY.txt", "SHA256SUMS", "SHA256SUMS.jws", "bundle.json",
                            "card-01.smart-health-card", "card-02.smart-health-card", "provenance.json")
    assert result.signer == ABANDON_ADDRESS and not result.encrypted
    assert result.sha256 == hashlib.sha256((result.path / "SHA256SUMS").read_bytes()).hexdigest()
    assert events[-1].done == events[-1].total and "safely" in events[-1].message
    assert [e.done for e in events] == sorted(e.done for e in events)

    verified = verify_export(result.path)
    assert verified.signer == ABANDON_ADDRESS
    assert verified.resources_by_type == result.resources and verified.resource_count == 7
    assert [e["resource"] for e in verified.bundle["entry"]] == small_records
    assert verified.cards == ("card-01.smart-health-card", "card-02.smart-health-card")
    for i, data in enumerate(card_bytes, start=1):  # re-exported byte for byte
        assert (result.path / f"card-{i:02d}.smart-health-card").read_bytes() == data
    assert (result.path / "HOW-TO-VERIFY.txt").read_text() == HOWTO_TEXT
    assert verified.signed_at is not None and verified.signed_at == clock.now()


def test_resources_are_counted_by_type(plain_export) -> None:
    verified = verify_export(plain_export.path)
    assert sum(verified.resources_by_type.values()) == 7
    assert verified.resources_by_type["Patient"] == 1


def test_bundle_is_fhir_with_a_provenance(plain_export) -> None:
    bundle = json.loads((plain_export.path / "bundle.json").read_text())
    provenance = json.loads((plain_export.path / "provenance.json").read_text())
    assert bundle["type"] == "collection" and bundle["signature"]["sigFormat"] == "application/jose"
    assert bundle["signature"]["who"]["identifier"]["value"] == f"ethereum:{ABANDON_ADDRESS}"
    assert provenance["target"] == [{"reference": f"Bundle/{bundle['id']}", "display": "bundle.json"}]
    assert provenance["agent"][0]["who"]["identifier"]["value"] == f"ethereum:{ABANDON_ADDRESS}"
    assert provenance["agent"][0]["who"]["reference"].startswith("Patient/")
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.provenance import Provenance

    Bundle.model_validate(bundle)
    Provenance.model_validate(provenance)


def test_bundle_signature_checks_with_standard_tools(plain_export) -> None:
    """Bundle.signature alone: RFC 8785 with exact numbers (named by the header's ``cty``);
    for records whose numbers JCS writes the same way the payload is byte for byte RFC 8785."""
    bundle = json.loads((plain_export.path / "bundle.json").read_text(), parse_float=Decimal)
    assert verify_bundle_signature(bundle) == ABANDON_ADDRESS
    token = base64.b64decode(bundle.pop("signature")["data"]).decode()
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["cty"] == "fhir+json; canonicalization=rfc8785-exact-decimals"
    as_doubles = json.loads((plain_export.path / "bundle.json").read_text())
    del as_doubles["signature"]
    jose_jws.deserialize_compact(token, ECKey.import_key(header["jwk"]), algorithms=["ES256K"],
                                 payload=rfc8785.dumps(as_doubles))
    bundle["entry"][0]["resource"]["gender"] = "other"
    bundle["signature"] = json.loads((plain_export.path / "bundle.json").read_text())["signature"]
    with pytest.raises(SignatureInvalid):
        verify_bundle_signature(bundle)


def test_flipping_any_byte_of_any_file_fails(plain_export) -> None:
    checked = 0
    for path in sorted(plain_export.path.iterdir()):
        size = path.stat().st_size
        # Every byte of the signature, manifest, provenance and cards; a dense sample of the rest.
        step = 1 if size < 4096 else 7
        positions = sorted(set(range(0, size, step)) | {size - 1})
        for index in positions:
            original = _flip(path, index)
            try:
                with pytest.raises(SignatureInvalid):
                    verify_export(plain_export.path)
            finally:
                path.write_bytes(original)
            checked += 1
    assert checked > 5000
    verify_export(plain_export.path)  # restored: valid again


def test_truncating_or_extending_a_file_fails(plain_export) -> None:
    for path in sorted(plain_export.path.iterdir()):
        original = path.read_bytes()
        for changed in (original[:-1], original + b"\n", b""):
            path.write_bytes(changed)
            with pytest.raises(SignatureInvalid):
                verify_export(plain_export.path)
        path.write_bytes(original)


@pytest.mark.parametrize("name", ["HOW-TO-VERIFY.txt", "SHA256SUMS", "SHA256SUMS.jws", "bundle.json",
                                  "card-01.smart-health-card", "provenance.json"])
def test_removing_a_file_fails(plain_export, name: str) -> None:
    (plain_export.path / name).unlink()
    with pytest.raises(SignatureInvalid, match="missing"):
        verify_export(plain_export.path)


@pytest.mark.parametrize("name", ["notes.txt", "card-03.smart-health-card", ".DS_Store", "sub"])
def test_adding_a_file_fails(plain_export, name: str) -> None:
    target = plain_export.path / name
    if name == "sub":
        target.mkdir()
    else:
        target.write_text("added")
    with pytest.raises(SignatureInvalid, match="added"):
        verify_export(plain_export.path)


def test_symlink_in_place_of_a_file_fails(plain_export, tmp_path: Path) -> None:
    copy = tmp_path / "outside.json"
    shutil.copy(plain_export.path / "bundle.json", copy)
    (plain_export.path / "bundle.json").unlink()
    (plain_export.path / "bundle.json").symlink_to(copy)
    with pytest.raises(SignatureInvalid, match="not a regular file"):
        verify_export(plain_export.path)


def test_export_by_another_key(tmp_path: Path, keys, other_keys, clock, small_records) -> None:
    other = write_export(tmp_path, resources=small_records, keys=other_keys, clock=clock)
    assert verify_export(other.path).signer == other_keys.account.address != ABANDON_ADDRESS
    with pytest.raises(SignatureInvalid, match="not by"):
        verify_export(other.path, expected_signer=ABANDON_ADDRESS)


def test_manifest_re_signed_by_another_key_fails(tmp_path: Path, keys, other_keys, clock, small_records) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "theirs").mkdir()
    mine = write_export(tmp_path / "mine", resources=small_records, keys=keys, clock=clock)
    theirs = write_export(tmp_path / "theirs", resources=small_records, keys=other_keys, clock=clock)
    # The other wallet signs my manifest: the manifest now verifies, but not the bundle's signer.
    from wallet.share.jws import sign_detached

    forged = sign_detached((mine.path / "SHA256SUMS").read_bytes(), private_key=bytes(other_keys.account.key))
    (mine.path / "SHA256SUMS.jws").write_text(forged)
    with pytest.raises(SignatureInvalid, match="signed by"):
        verify_export(mine.path)
    # Swapping in a whole bundle signed by another key breaks the digests.
    shutil.copy(theirs.path / "bundle.json", mine.path / "bundle.json")
    with pytest.raises(SignatureInvalid):
        verify_export(mine.path)


def test_sha256sum_checks_the_manifest(plain_export) -> None:
    tool = shutil.which("sha256sum")
    assert tool, "coreutils sha256sum is needed for this check"
    done = subprocess.run([tool, "--strict", "-c", "SHA256SUMS"], cwd=plain_export.path, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count(": OK") == 5


def _script(name: str, tmp_path: Path) -> Path:
    """Save the script exactly as HOW-TO-VERIFY.txt prints it (indented block after "save as")."""
    start = HOWTO_TEXT.index(f"Save these lines as {name}:\n\n") + len(f"Save these lines as {name}:\n\n")
    end = HOWTO_TEXT.index("\n   Then run", start)
    path = tmp_path / name
    path.write_text(textwrap.dedent(HOWTO_TEXT[start:end]))
    return path


def test_how_to_verify_script_works_without_the_app(plain_export, tmp_path: Path) -> None:
    """The script printed in HOW-TO-VERIFY.txt, run with standard libraries only."""
    script = _script("verify-export.py", tmp_path)
    assert script.read_text() == VERIFY_SCRIPT
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONNOUSERSITE": "1"}
    ok = subprocess.run([sys.executable, "-I", str(script), str(plain_export.path)], capture_output=True, text=True,
                        env=env, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == f"VALID: every file is intact; signed by ethereum:{ABANDON_ADDRESS}"
    _flip(plain_export.path / "provenance.json", 10)
    bad = subprocess.run([sys.executable, "-I", str(script), str(plain_export.path)], capture_output=True, text=True,
                         env=env, cwd=tmp_path)
    assert bad.returncode != 0 and "provenance.json was changed" in bad.stderr


@pytest.mark.parametrize("passphrase", [None, PASSPHRASE], ids=["plain", "encrypted"])
def test_export_is_for_the_owner_only(tmp_path: Path, keys, clock, small_records, card_bytes,
                                      passphrase: str | None) -> None:
    old = os.umask(0)  # the modes are the wallet's choice, not a lenient umask's
    try:
        result = write_export(tmp_path, resources=small_records, cards=card_bytes, keys=keys, clock=clock,
                              passphrase=passphrase)
    finally:
        os.umask(old)
    assert result.path.stat().st_mode & 0o777 == 0o700
    assert {name: (result.path / name).stat().st_mode & 0o777 for name in result.files} == dict.fromkeys(
        result.files, 0o600)


# --- encrypted exports ---------------------------------------------------------------


@pytest.fixture
def sealed_export(tmp_path: Path, keys, clock, small_records, card_bytes):
    return write_export(tmp_path, resources=small_records, cards=card_bytes, keys=keys, clock=clock,
                        passphrase=PASSPHRASE)


def test_encrypted_round_trip(sealed_export, small_records) -> None:
    assert sealed_export.encrypted and sealed_export.files == ("HOW-TO-VERIFY.txt", "export.jwe")
    assert export_is_encrypted(sealed_export.path)
    assert b"Patient" not in (sealed_export.path / "export.jwe").read_bytes()
    verified = verify_export(sealed_export.path, passphrase=PASSPHRASE, expected_signer=ABANDON_ADDRESS)
    assert verified.encrypted and verified.signer == ABANDON_ADDRESS
    assert [e["resource"] for e in verified.bundle["entry"]] == small_records
    assert verified.manifest_sha256 == sealed_export.sha256


def test_encrypted_export_needs_the_right_passphrase(sealed_export) -> None:
    with pytest.raises(ShareError, match="passphrase is needed"):
        verify_export(sealed_export.path)
    with pytest.raises(DecryptionError):
        verify_export(sealed_export.path, passphrase="wrong passphrase")


def test_encrypted_export_detects_changes(sealed_export) -> None:
    sealed = sealed_export.path / "export.jwe"
    size = sealed.stat().st_size
    segments = sealed.read_text().split(".")
    starts = [0]
    for seg in segments[:-1]:
        starts.append(starts[-1] + len(seg) + 1)
    positions = sorted({0, size - 1, *starts, *(s - 1 for s in starts[1:]), size // 2, size // 3})
    for index in positions:  # each segment's edges, the dots, the middle and the end
        original = _flip(sealed, index)
        with pytest.raises((DecryptionError, SignatureInvalid)):
            verify_export(sealed_export.path, passphrase=PASSPHRASE)
        sealed.write_bytes(original)
    howto = sealed_export.path / "HOW-TO-VERIFY.txt"
    _flip(howto, 100)
    with pytest.raises(SignatureInvalid, match=r"HOW-TO-VERIFY\.txt"):
        verify_export(sealed_export.path, passphrase=PASSPHRASE)


def test_encrypted_export_refuses_added_files(sealed_export) -> None:
    (sealed_export.path / "bundle.json").write_text("{}")
    with pytest.raises(SignatureInvalid, match="added"):
        verify_export(sealed_export.path, passphrase=PASSPHRASE)


def test_encrypted_export_opens_with_standard_tools(sealed_export, tmp_path: Path) -> None:
    """decrypt-export.py from HOW-TO-VERIFY.txt + tar, then verify-export.py on the result."""
    decrypt = _script("decrypt-export.py", tmp_path)
    assert decrypt.read_text() == DECRYPT_SCRIPT
    env = {"PATH": os.environ.get("PATH", ""), "EXPORT_PASSPHRASE": PASSPHRASE}
    done = subprocess.run([sys.executable, "-I", str(decrypt), str(sealed_export.path)], capture_output=True,
                          env=env)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "export"
    out.mkdir()
    with tarfile.open(fileobj=io.BytesIO(done.stdout), mode="r:gz") as tar:
        tar.extractall(out, filter="data")
    assert (out / "HOW-TO-VERIFY.txt").read_bytes() == (sealed_export.path / "HOW-TO-VERIFY.txt").read_bytes()
    verify = _script("verify-export.py", tmp_path)
    ok = subprocess.run([sys.executable, "-I", str(verify), str(out)], capture_output=True, text=True, env=env)
    assert ok.returncode == 0 and "VALID" in ok.stdout, ok.stderr
    assert verify_export(out).manifest_sha256 == sealed_export.sha256
    assert gzip.decompress(done.stdout)[:100]  # a real gzip stream


def test_short_export_passphrase_is_refused(tmp_path: Path, keys, clock, small_records) -> None:
    with pytest.raises(ExportError, match="at least 8"):
        write_export(tmp_path, resources=small_records, keys=keys, clock=clock, passphrase="short")
    assert list(tmp_path.iterdir()) == []


# --- inputs and the write procedure ------------------------------------------------------


def test_bad_inputs_are_refused_before_writing(tmp_path: Path, keys, clock, small_records) -> None:
    with pytest.raises(ExportError, match="same id"):
        write_export(tmp_path, resources=[small_records[0], small_records[0]], keys=keys, clock=clock)
    with pytest.raises(ExportError, match=r"not a valid \.smart-health-card"):
        write_export(tmp_path, resources=small_records, cards=[b'{"verifiableCredential": []}'], keys=keys,
                     clock=clock)
    with pytest.raises(ExportError, match="not a FHIR resource"):
        write_export(tmp_path, resources=[{"id": "x"}], keys=keys, clock=clock)
    with pytest.raises(ExportError, match="does not exist"):
        write_export(tmp_path / "missing", resources=small_records, keys=keys, clock=clock)
    assert list(tmp_path.iterdir()) == []


def test_numbers_beyond_doubles_are_signed_exactly(tmp_path: Path, keys, clock, small_records) -> None:
    """RFC 8785 numbers are IEEE doubles; the signed form writes every number exactly, so an
    integer beyond 2**53, a 25-digit decimal and an exponent survive export and verify."""
    numbers = {"valueInteger": 2**60, "extension": [
        {"url": "http://example.org/a", "valueDecimal": Decimal("0.1234567890123456789012345")},
        {"url": "http://example.org/b", "valueDecimal": Decimal("1E+2")},
        {"url": "http://example.org/c", "valueDecimal": Decimal("1E+999999")}]}
    resource = {**small_records[1], **numbers}
    result = write_export(tmp_path, resources=[resource], keys=keys, clock=clock)
    text = (result.path / "bundle.json").read_text()
    assert '"valueInteger":1152921504606846976' in text and "0.1234567890123456789012345" in text
    assert '"valueDecimal":1E+2' in text and '"valueDecimal":1E+999999' in text
    (entry,) = verify_export(result.path).bundle["entry"]
    assert {k: entry["resource"][k] for k in numbers} == numbers


def test_decimal_precision_is_signed(tmp_path: Path, keys, clock, small_records) -> None:
    """5.10 edited to 5.1 fails Bundle.signature, even with SHA256SUMS re-made and re-signed."""
    obs = {**small_records[1], "valueQuantity": {"value": Decimal("5.10"), "unit": "mmol/L"}}
    result = write_export(tmp_path, resources=[obs], keys=keys, clock=clock)
    bundle_path = result.path / "bundle.json"
    assert '"value":5.10' in bundle_path.read_text()
    bundle_path.write_text(bundle_path.read_text().replace('"value":5.10', '"value":5.1'))
    files = {p.name: p.read_bytes() for p in result.path.iterdir() if not p.name.startswith("SHA256SUMS")}
    manifest = manifest_bytes(files)
    (result.path / "SHA256SUMS").write_bytes(manifest)
    (result.path / "SHA256SUMS.jws").write_text(sign_detached(manifest, private_key=bytes(keys.account.key)))
    with pytest.raises(SignatureInvalid, match="Bundle signature"):
        verify_export(result.path)


def test_card_read_from_a_qr_code_can_be_exported(tmp_path: Path, keys, clock, small_records) -> None:
    from wallet.share.shc import card_file_bytes, parse_card_file
    from wallet.share.shc_qr import parse_qr_text

    from .conftest import SHC

    jws = parse_qr_text((SHC / "example-00-f-qr-code-numeric-value-0.txt").read_text())
    data = card_file_bytes([jws])
    assert parse_card_file(data) == [jws]
    result = write_export(tmp_path, resources=small_records, cards=[data], keys=keys, clock=clock)
    assert (result.path / "card-01.smart-health-card").read_bytes() == data


def test_second_export_gets_its_own_folder(tmp_path: Path, keys, clock, small_records) -> None:
    first = write_export(tmp_path, resources=small_records, keys=keys, clock=clock)
    second = write_export(tmp_path, resources=small_records[:2], keys=keys, clock=clock)
    assert second.path.name == first.path.name + "-2"
    assert verify_export(first.path).resource_count == 7 and verify_export(second.path).resource_count == 2


def test_cancel_leaves_nothing(tmp_path: Path, keys, clock, small_records) -> None:
    token = CancelToken()

    def progress(p: Progress) -> None:
        if p.done == 2:
            token.cancel()

    with pytest.raises(Cancelled):
        write_export(tmp_path, resources=small_records, keys=keys, clock=clock, progress=progress, cancel=token)
    assert list(tmp_path.iterdir()) == []


def test_read_back_that_does_not_verify_removes_the_export(tmp_path: Path, keys, clock, small_records) -> None:
    """A drive that returns other bytes than were written: caught by the read-back."""

    def corrupt_on_read_back(p: Progress) -> None:
        if p.message.startswith("Reading"):
            [folder] = [f for f in tmp_path.iterdir() if f.name.startswith("health-export-")]
            _flip(folder / "bundle.json", 500)

    with pytest.raises(ExportError, match="does not match what was written") as info:
        write_export(tmp_path, resources=small_records, keys=keys, clock=clock, progress=corrupt_on_read_back)
    assert "bundle.json was changed" in info.value.user_message
    assert list(tmp_path.iterdir()) == []


def test_cleanup_removes_leftovers_but_not_a_running_export(tmp_path: Path) -> None:
    import fcntl

    stale = tmp_path / f"{PARTIAL_PREFIX}0123456789abcdef"
    stale.mkdir()
    (stale / "bundle.json").write_text("{}")
    running = tmp_path / f"{PARTIAL_PREFIX}fedcba9876543210"
    running.mkdir()
    keep = tmp_path / "health-export-20260101T000000Z"
    keep.mkdir()
    fd = os.open(running, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        assert cleanup_leftovers(tmp_path) == [stale]
    finally:
        os.close(fd)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([running.name, keep.name])
    assert cleanup_leftovers(tmp_path) == [running]


def test_export_cleans_up_leftovers_first(tmp_path: Path, keys, clock, small_records) -> None:
    (tmp_path / f"{PARTIAL_PREFIX}0123456789abcdef").mkdir()
    result = write_export(tmp_path, resources=small_records, keys=keys, clock=clock)
    assert [p.name for p in tmp_path.iterdir()] == [result.path.name]


def test_not_an_export(tmp_path: Path) -> None:
    with pytest.raises(ShareError, match="does not exist"):
        verify_export(tmp_path / "nope")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ShareError, match="not an export folder"):
        verify_export(tmp_path / "file")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SignatureInvalid, match="missing"):
        verify_export(empty)


def test_verify_runs_offline_with_no_wallet(plain_export, tmp_path: Path) -> None:
    """In a network namespace with no interface up (unshare -n) and an empty HOME; where
    namespaces are not available, with an empty HOME only (the code makes no network call)."""
    code = ("import sys; from wallet.share.verify import verify_export; "
            "v = verify_export(sys.argv[1]); print(v.signer, v.resource_count)")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path / "empty-home"),
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    command = [sys.executable, "-c", code, str(plain_export.path)]
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0:
        command = [unshare, "-n", *command]
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [ABANDON_ADDRESS, "7"]


def test_export_of_an_earlier_release_still_verifies(tmp_path: Path) -> None:
    """Exports signed over RFC 8785 (no ``cty``) by the release before exact decimals verify;
    the form is reported, and an edit is still caught."""
    old = tmp_path / "old"
    shutil.copytree(Path(__file__).parents[1] / "fixtures" / "exports" / "release-747f7c1", old)
    verified = verify_export(old)
    assert verified.signer == ABANDON_ADDRESS and verified.signature_form == "rfc8785"
    assert verified.resources_by_type == {"Observation": 1, "Patient": 1}
    bundle = json.loads((old / "bundle.json").read_text(), parse_float=Decimal)
    assert verify_bundle_signature(bundle) == ABANDON_ADDRESS
    bundle["entry"][1]["resource"]["valueQuantity"]["value"] = Decimal("5.2")
    with pytest.raises(SignatureInvalid):
        verify_bundle_signature(bundle)


def test_the_folder_an_export_was_saved_in_names_the_export(tmp_path: Path, keys, clock, small_records) -> None:
    """``verify DEST`` after ``export --to DEST`` points at the export, not at tampering."""
    first = write_export(tmp_path, resources=small_records, keys=keys, clock=clock)
    with pytest.raises(ShareError, match=f"not an export: verify {first.path}") as refused:
        verify_export(tmp_path)
    assert not isinstance(refused.value, SignatureInvalid)
    assert "newest of" not in refused.value.user_message
    clock.advance(60)
    second = write_export(tmp_path, resources=small_records, keys=keys, clock=clock)
    with pytest.raises(ShareError, match=f"verify {second.path} \\(the newest of 2\\)"):
        verify_export(tmp_path)
    (first.path / "extra").mkdir()  # inside an export, a folder is still something added
    with pytest.raises(SignatureInvalid, match="something was added"):
        verify_export(first.path)
