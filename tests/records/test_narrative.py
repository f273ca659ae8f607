"""FHIR narratives (text.div): only safe XHTML is kept; an unsafe one is removed with a
warning on import and is never written into a Bundle that leaves the wallet."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from wallet.records.bundle import collection_bundle
from wallet.records.importer import import_file
from wallet.records.narrative import remove_unsafe_narratives, unsafe_reason
from wallet.records.store import NewRecord, RecordStore
from wallet.records.summary import summarize
from wallet.vault import aead

SCRIPT_FILE = FIXTURES / "realworld" / "narrative-script" / "narrative-script.json"
NS = 'xmlns="http://www.w3.org/1999/xhtml"'


@pytest.fixture
def store(tmp_path: Path):
    s = RecordStore(tmp_path / "records.sqlite3", record_key=aead.new_key(), index_key=aead.new_key())
    yield s
    s.close()


@pytest.mark.parametrize("div", [
    f"<div {NS}>Asthma, <b>active</b> since 2019</div>",
    f'<div {NS}><p>Table</p><table border="1"><tr><th>a</th><td colspan="2">b</td></tr></table><br/></div>',
    f'<div {NS}><a href="https://example.org/x">link</a> <a name="n1">anchor</a> <a href="#n1">back</a></div>',
    f'<div {NS}><img src="#pic" alt="x"/><img src="data:image/png;base64,AAAA" alt="y"/></div>',
    f'<div {NS} style="color: red"><span class="x" id="s1" title="t">&lt;script&gt; as text</span></div>',
    '<div>no namespace, still safe</div>',
])
def test_safe_narratives(div: str) -> None:
    assert unsafe_reason(div) is None


@pytest.mark.parametrize("div, reason", [
    (f"<div {NS}><script>alert(1)</script></div>", "<script>"),
    (f"<div {NS}><SCRIPT>alert(1)</SCRIPT></div>", "<script>"),
    (f'<div {NS}><a href="#" onclick="alert(1)">x</a></div>', "event handler (onclick)"),
    (f'<div {NS}><img src="x" OnError="alert(1)"/></div>', "event handler (onerror)"),
    (f'<div {NS}><a href="javascript:alert(1)">x</a></div>', "javascript: URL"),
    (f'<div {NS}><a href=" JaVa&#x09;Script:alert(1)">x</a></div>', "javascript: URL"),
    (f'<div {NS}><a href="&#106;avascript:alert(1)">x</a></div>', "javascript: URL"),
    (f'<div {NS}><a href="data:text/html,&lt;script&gt;">x</a></div>', "data: URL"),
    (f'<div {NS}><a href="vbscript:x">x</a></div>', "vbscript: URL"),
    (f'<div {NS}><iframe src="https://x"></iframe></div>', "<iframe>"),
    (f'<div {NS}><object data="x"></object></div>', "<object>"),
    (f'<div {NS}><embed src="x"/></div>', "<embed>"),
    (f'<div {NS}><form action="x"><input name="a"/></form></div>', "<form>"),
    (f'<div {NS}><style>body{{}}</style></div>', "<style>"),
    (f'<div {NS}><link rel="stylesheet" href="x"/></div>', "<link>"),
    (f'<div {NS}><base href="https://evil"/></div>', "<base>"),
    (f'<div {NS}><svg><script>1</script></svg></div>', "<svg>"),
    (f'<div {NS}><math></math></div>', "<math>"),
    (f'<div {NS} style="background: url(https://track.example/p.gif)">x</div>', "url("),
    (f'<div {NS} style="width: expression(alert(1))">x</div>', "expression("),
    (f'<div {NS}><p srcdoc="x">a</p></div>', "srcdoc attribute"),
    ('<html><body>x</body></html>', "root other than one <div>"),
    ('<div>a</div><div>b</div>', "root other than one <div>"),
    ("just text", "text outside the root"),
    ("", "no root <div>"),
    (f"<div {NS}><p>unclosed</div>", "closes nothing"),
    (f"<div {NS}><b>x", "unclosed <b>"),
    ('<div xmlns="http://evil.example/ns">x</div>', "namespace"),
    (f"<div {NS}><![CDATA[x]]></div>", "marked section"),
    (f"<!DOCTYPE html><div {NS}>x</div>", "declaration"),
    (f"<?xml-stylesheet href='x'?><div {NS}>x</div>", "processing instruction"),
    (42, "not a string"),
])
def test_unsafe_narratives(div: object, reason: str) -> None:
    found = unsafe_reason(div)
    assert found is not None and reason in found, found


def test_removal_names_the_resource_and_keeps_it_valid() -> None:
    resource = json.loads(SCRIPT_FILE.read_text())
    warnings = remove_unsafe_narratives(resource, where="narrative-script.json")
    assert "text" not in resource and resource["code"]["text"].startswith("<img")  # plain strings stay
    (warning,) = warnings
    assert warning.startswith("Condition/xss-1 (narrative-script.json): its narrative (text.div) holds a <script>")
    assert len(warning.splitlines()) == 1


def test_contained_and_nested_narratives_are_checked() -> None:
    bad = {"status": "generated", "div": f'<div {NS}><a href="javascript:x">x</a></div>'}
    good = {"status": "generated", "div": f"<div {NS}>fine</div>"}
    resource = {"resourceType": "Observation", "id": "o1", "text": good,
                "contained": [{"resourceType": "Patient", "id": "p1", "text": copy.deepcopy(bad)}]}
    (warning,) = remove_unsafe_narratives(resource)
    assert warning.startswith("Patient/p1: ") and resource["text"] == good
    assert "text" not in resource["contained"][0]


def test_import_removes_the_narrative_with_a_warning(store: RecordStore) -> None:
    result = import_file(store, SCRIPT_FILE)
    assert result.imported == {"Condition": 1}
    assert any(w.startswith("Condition/xss-1: its narrative") for w in result.warnings)
    (rid,) = store.ids()
    stored = store.get(rid)
    assert "text" not in stored and stored["id"] == "xss-1"


def test_a_narrative_stored_before_is_checked_on_the_way_out(store: RecordStore) -> None:
    from datetime import UTC, datetime

    from tests.conftest import ABANDON
    from wallet.share.export import build_export_files
    from wallet.vault.keys import WalletKeys

    # A record stored by an older version, before narratives were checked on import.
    resource = json.loads(SCRIPT_FILE.read_text())
    store.add_many([NewRecord(store.record_id(resource), resource, summarize(resource))])
    (rid,) = store.ids()
    assert "<script>" in store.get(rid)["text"]["div"]

    bundle = collection_bundle([store.get(rid)], now=datetime.now(UTC))  # what shares and backups send
    assert "text" not in bundle["entry"][0]["resource"]

    keys = WalletKeys(ABANDON)
    files = build_export_files(resources=[store.get(rid)], cards=[], private_key=bytes(keys.account.key),
                               address=keys.identity.address, now=datetime.now(UTC))
    assert b"<script" not in files["bundle.json"] and b"javascript:" not in files["bundle.json"]


@pytest.mark.parametrize("tail", ["<a " * 40_000, "<" * 40_000, "<!--" * 40_000, "<b>x</b>" * 20_000])
def test_crafted_markup_is_checked_in_linear_time(tail: str) -> None:
    """html.parser's close() retries from every "<" of markup left open (minutes for these);
    the check never calls it, so each of these takes a fraction of a second."""
    reason = unsafe_reason(f"<div {NS}>" + tail)
    assert reason is not None and ("never closed" in reason or "unclosed" in reason)


def test_oversized_narrative_is_unsafe() -> None:
    from wallet.records.narrative import MAX_NARRATIVE_CHARS

    assert "more than" in (unsafe_reason(f"<div {NS}>" + "x" * MAX_NARRATIVE_CHARS + "</div>") or "")
