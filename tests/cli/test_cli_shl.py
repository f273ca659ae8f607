"""``shl create|list|revoke``, ``serve --shl`` and ``import shlink:/`` at the command line:
one-line errors that change nothing, and honest words about what can be revoked."""

from __future__ import annotations

from pathlib import Path

from tests.cli.cli_runner import cli
from tests.conftest import FIXTURES

CHET = next((FIXTURES / "synthea").glob("Chet_*.json"))


def test_shl_commands_refuse_bad_input_in_one_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert cli(home, "init", "--json").code == 0
    assert cli(home, "import", str(CHET), "--json").code == 0
    out = tmp_path / "out"
    cases = [
        (["shl", "create", "--ips", "--base-url", "ftp://x", "--out", str(out)], "not an http(s) base URL"),
        (["shl", "create", "--ips", "--label", "x" * 81, "--base-url", "https://e.org", "--out", str(out)], "80"),
        (["shl", "create", "--ips", "--expires", "yesterday", "--base-url", "https://e.org", "--out", str(out)],
         "not a duration"),
        (["shl", "create", "--type", "Nothing", "--base-url", "https://e.org", "--out", str(out)],
         "Unknown type 'Nothing'"),
        (["shl", "create", "--type", "Device", "--base-url", "https://e.org", "--out", str(out)], "No records"),
        (["shl", "create", "--ips", "--passcode-file", str(tmp_path / "none"), "--base-url", "https://e.org",
          "--out", str(out)], "Cannot read"),
        (["shl", "revoke", "nosuchlink"], "No SMART Health Link"),
        (["serve", "--shl", "localhost"], "HOST:PORT"),
        (["import", "shlink:/not-base64!"], "damaged"),
    ]
    for args, message in cases:
        run = cli(home, *args)
        assert run.code == 1 and message in run.stderr and "Traceback" not in run.stderr, (args, run.stderr)
        assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert not out.exists()
    assert cli(home, "shl", "list", "--json").json == []

    made = cli(home, "shl", "create", "--ips", "--label", "Summary", "--base-url", "https://e.org/shl",
               "--out", str(out))
    assert made.code == 0 and "cannot be revoked" in made.stdout and "#shlink:/" in made.stdout
    assert f"Copy {out / 'public'} to https://e.org/shl" in made.stdout
    [link] = cli(home, "shl", "list", "--json").json
    assert link["flags"] == "U" and link["label"] == "Summary" and link["revoked"] is False
    revoke = cli(home, "shl", "revoke", link["id"])
    assert revoke.code == 1 and "cannot be revoked" in revoke.stderr and "delete the file" in revoke.stderr
