"""Hostile input at the command line: one line on stderr, exit 1, nothing changed; never
a traceback, a crash or a hang."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.cli_runner import Run, cli
from tests.conftest import FIXTURES, PASSPHRASE

DEEP = FIXTURES / "realworld" / "deep-nesting"
SCRIPT_FILE = FIXTURES / "realworld" / "narrative-script" / "narrative-script.json"
PATIENT = FIXTURES / "fhir-examples" / "Patient-example.json"
DOCTOR = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    assert cli(home, "init").code == 0
    return home


def assert_one_line_error(run: Run, *fragments: str) -> str:
    assert run.code == 1, (run.code, run.stderr)
    assert "Traceback" not in run.stderr and run.code not in (-11, 139)
    errors = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, run.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return errors[0]


def record_count(home: Path) -> int:
    run = cli(home, "records", "--json")
    assert run.code == 0, run.stderr
    return len(run.json)


@pytest.mark.parametrize("levels", [150, 300, 500])
def test_deep_nesting_is_one_line_not_a_crash(home: Path, levels: int) -> None:
    name = f"patient-nested-ext-{levels}.json"
    run = cli(home, "import", str(DEEP / name), timeout=120)
    assert_one_line_error(run, name, "nested deeper than")
    assert record_count(home) == 0


def test_huge_number_is_refused_before_python_parses_it(home: Path) -> None:
    run = cli(home, "import", str(FIXTURES / "invalid" / "fhir-huge-number.json"))
    assert_one_line_error(run, "fhir-huge-number.json", "number of more than 64 characters")
    assert "set_int_max_str_digits" not in run.stderr


def test_unsafe_narrative_is_removed_with_a_warning(home: Path) -> None:
    run = cli(home, "import", str(SCRIPT_FILE), "--json")
    assert run.code == 0, run.stderr
    (file,) = run.json["files"]
    assert any(w.startswith("Condition/xss-1") and "<script>" in w for w in file["warnings"])
    human = cli(home, "import", str(SCRIPT_FILE))  # again: a duplicate, and the warning again
    assert "warning: narrative-script.json: Condition/xss-1" in human.stderr
    (row,) = cli(home, "records", "--json").json
    shown = cli(home, "show", row["id"], "--json")
    assert shown.code == 0 and "text" not in shown.json
    assert "<script" not in shown.stdout and "javascript:" not in shown.stdout


def test_odd_files_do_not_hang_or_fill_memory(home: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)  # no writer will ever come
    folder = tmp_path / "a-folder"
    folder.mkdir()
    run = cli(home, "import", "/dev/zero", str(fifo), str(folder), timeout=120)  # a hang fails by the timeout
    assert run.code == 1 and "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 3, run.stderr
    assert "/dev/zero is not a regular file" in errors[0]
    assert f"{fifo} is not a regular file" in errors[1]
    assert f"{folder} is a folder" in errors[2]
    assert record_count(home) == 0


@pytest.mark.parametrize("damage", ["truncated", "garbage-header"])
def test_damaged_record_store(home: Path, damage: str) -> None:
    assert cli(home, "import", str(PATIENT)).code == 0
    store = home / "records.sqlite3"
    for extra in home.glob("records.sqlite3-*"):  # a cleanly closed store leaves no WAL behind
        extra.unlink()
    data = store.read_bytes()
    damaged = data[: len(data) // 2] if damage == "truncated" else b"this is not SQLite" + data[18:]
    store.write_bytes(damaged)
    for args in (["records"], ["import", str(PATIENT)]):
        assert_one_line_error(cli(home, *args), "record store", "is damaged")
    assert store.read_bytes() == damaged


@pytest.mark.parametrize("damage", ["missing-address", "absurd-n", "not-json"])
def test_damaged_keystore(home: Path, damage: str) -> None:
    """More damage, checked without a process each, is in tests/vault/test_keystore.py."""
    path = home / "keystore.json"
    doc = json.loads(path.read_text())
    if damage == "missing-address":
        del doc["address"]
    elif damage == "absurd-n":
        doc["kdf"]["n"] = 2**40
    path.write_text('{"format": "health-wallet-keystore", ' if damage == "not-json" else json.dumps(doc))
    before = path.read_bytes()
    for args in (["status"], ["records"]):
        assert_one_line_error(cli(home, *args, timeout=120), "keystore")
    assert path.read_bytes() == before


def test_overflowing_expiry(home: Path) -> None:
    """Other overflowing expiries are checked without a process in tests/sharing/test_hostile_share.py."""
    assert cli(home, "import", str(PATIENT)).code == 0
    run = cli(home, "grant", "--to", DOCTOR, "--all", "--expires", "99999999999999d", timeout=300)
    assert_one_line_error(run, "five years")
    assert record_count(home) == 1  # no Consent, no AuditEvent


@pytest.mark.parametrize("token", [
    "hwshare:1:" + "A" * 100_000,
    "hwshare:1:W1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1d",  # [[[[…]]]]
])
def test_hostile_share_tokens(home: Path, token: str) -> None:
    run = cli(home, "open", token, timeout=300)
    assert_one_line_error(run, "share token")


def test_closed_stdout_ends_quietly(home: Path) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HEALTH_WALLET_")}
    environ.update({"HEALTH_WALLET_UNSAFE_LIGHT_KDF": "1", "HEALTH_WALLET_PASSPHRASE": PASSPHRASE,
                    "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"})
    # The reader goes away before the first line is written, as `| head -0` would.
    proc = subprocess.Popen([sys.executable, "-m", "wallet", "--home", str(home), "records"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environ)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1
    assert err == ""
