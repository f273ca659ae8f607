"""``summary --pdf``, ``emergency-card`` and ``serve --shl`` at the command line, as a user runs them."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.cli.cli_runner import cli
from tests.clinic.patient import NAME, titles, write_patient
from tests.clinic.pdf_reader import read_pdf
from tests.interop.test_shl_interop import free_port, running, serve_env


def test_summary_and_card_commands(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert cli(home, "init", "--json").code == 0
    pdf = tmp_path / "out" / "summary.pdf"
    empty = cli(home, "summary", "--pdf", str(pdf))
    assert empty.code == 1 and "no Patient" in empty.stderr and not pdf.exists()
    assert cli(home, "import", str(write_patient(tmp_path)), "--json").code == 0

    run = cli(home, "summary", "--pdf", str(pdf), "--json")
    assert run.code == 0, run.stderr
    assert run.json == {"path": str(pdf), "pages": len(read_pdf(pdf).pages), "link": None}
    assert NAME in read_pdf(pdf).words

    made = cli(home, "summary", "--pdf", str(pdf), "--shl-base-url", "https://clinic.example/shl", "--expires", "7d",
               "--json")
    assert made.code == 0, made.stderr
    link = made.json["link"]
    assert link["flags"] == "U" and link["url"].endswith("#" + link["shlink"]) and link["expires_at"]
    assert Path(link["files"][0]).parent == tmp_path / "out" / "summary-link" / "public"
    assert "Valid until" in read_pdf(pdf).words
    assert "a static host keeps serving the files after it" in cli(
        home, "summary", "--pdf", str(pdf), "--shl-base-url", "https://clinic.example/shl", "--expires", "1d").stdout
    listed = cli(home, "shl", "list", "--json").json
    assert [lk["label"] for lk in listed] == ["Patient summary"] * 2 and listed[0]["id"] == link["id"]

    card = tmp_path / "card.pdf"
    first = cli(home, "emergency-card", "--pdf", str(card), "--contact", "Ana Núñez, +34 600 000 000",
                "--shl", link["shlink"])
    assert first.code == 0 and "Anyone who scans" in first.stdout, first.stderr
    again = cli(home, "emergency-card", "--pdf", str(card), "--json")  # the contact was kept
    assert again.json == {"path": str(card), "pages": 2, "contact": True, "link": None}
    read = read_pdf(card)
    assert "Ana Núñez, +34 600 000 000" in read.words and titles("allergies")[0] in read.words
    assert all(abs(w - 85.6) < 0.05 and abs(h - 54) < 0.05 for w, h in read.sizes_mm)
    assert "No QR code" in cli(home, "emergency-card", "--pdf", str(card)).stdout

    cases = [
        (["summary", "--pdf", str(tmp_path)], "folder"),
        (["summary", "--pdf", str(tmp_path / "x.pdf"), "--expires", "7d"], "--shl-base-url"),
        (["summary", "--pdf", str(tmp_path / "x.pdf"), "--shl", "https://example.org/"], "Not a SMART Health Link"),
        (["emergency-card", "--pdf", str(tmp_path / "x.pdf"), "--contact", "x" * 121], "longer than 120"),
        (["summary", "--pdf", str(tmp_path / "x.pdf"), "--profile", "nobody"], "No profile 'nobody'"),
    ]
    for args, message in cases:
        bad = cli(home, *args)
        assert bad.code == 1 and message in bad.stderr and "Traceback" not in bad.stderr, (args, bad.stderr)
        assert len(bad.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.pdf").exists()
    links = len(cli(home, "shl", "list", "--json").json)
    folder = cli(home, "emergency-card", "--pdf", str(tmp_path), "--contact", "Someone Else, 1",
                 "--shl-base-url", "https://clinic.example/shl")
    assert folder.code == 1 and "folder" in folder.stderr
    assert len(cli(home, "shl", "list", "--json").json) == links  # no link was made for it
    assert cli(home, "emergency-card", "--pdf", str(card)).code == 0
    assert "Ana Núñez" in read_pdf(card).words and "Someone Else" not in read_pdf(card).words  # nor the contact kept


def test_serve_shl_shows_each_live_link_with_its_qr(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert cli(home, "init", "--json").code == 0
    assert cli(home, "import", str(write_patient(tmp_path)), "--json").code == 0
    port = free_port()
    base = f"http://127.0.0.1:{port}/shl"
    kept = cli(home, "shl", "create", "--ips", "--long-term", "--label", "For Dr Ruiz", "--base-url", base,
               "--out", str(tmp_path / "a"), "--json").json
    gone = cli(home, "shl", "create", "--ips", "--long-term", "--base-url", base, "--out", str(tmp_path / "b"),
               "--json").json
    revoked = cli(home, "shl", "revoke", gone["id"])
    assert revoked.code == 0 and "stay readable there until you delete them" in revoked.stdout

    cmd = [sys.executable, "-m", "wallet", "--home", str(home), "serve", "--shl", f"127.0.0.1:{port}"]
    with running(cmd, serve_env(home)) as (proc, first):
        assert f"127.0.0.1:{port}" in first
        assert proc.stdout is not None
        shown = "".join(proc.stdout.readline() for _ in range(8))
    assert "For Dr Ruiz" in shown and kept["shlink"] in shown and kept["url"] in shown
    assert gone["shlink"] not in shown
    assert "▀" in shown or "▄" in shown  # the QR code, drawn in half blocks
