"""The entry point, the binding guard, and the plain-text helpers."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

from wallet.gui.main import run
from wallet.gui.plain_text import narrative_text, plain_label, safe_tooltip
from wallet.gui.wizard import FirstRunWizard


def close_when_shown(kind: type, found: list) -> None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, kind) and widget.isVisible():
            found.append(widget)
            widget.reject()
            return
    QTimer.singleShot(20, lambda: close_when_shown(kind, found))


def test_run_shows_the_wizard_on_an_empty_home(qapp, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HEALTH_WALLET_UNSAFE_LIGHT_KDF", "1")
    found: list = []
    QTimer.singleShot(0, lambda: close_when_shown(FirstRunWizard, found))
    assert run(str(tmp_path / "home")) == 0
    assert found and found[0].windowTitle().startswith("Health Wallet")
    assert not (tmp_path / "home" / "keystore.json").exists()


def test_run_reports_a_broken_settings_file(qapp, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.json").write_text("{not json")
    found: list = []
    QTimer.singleShot(0, lambda: close_when_shown(QMessageBox, found))
    assert run(str(home)) == 1
    assert found and "unreadable" in found[0].text()


def test_void_calls_do_not_use_up_none(qapp) -> None:
    """PySide6 6.12.0 on Python 3.11 drops a reference to None per void call; the
    guard applied by ``wallet.gui`` keeps a long session from aborting."""
    label = QLabel()
    for _ in range(50_000):
        label.setText("x")
    QApplication.processEvents()
    assert sys.getrefcount(None) > 10_000


def test_safe_tooltip_shows_markup_literally() -> None:
    for text in ("<b>x</b>", "a & b < c", "<img src=x onerror=alert(1)>", "plain"):
        doc = QTextDocument()
        doc.setHtml(safe_tooltip(text))
        assert doc.toPlainText() == text
    assert len(safe_tooltip("y" * 5000)) < 700


def test_narrative_text_drops_tags_and_keeps_text() -> None:
    div = ('<div xmlns="http://www.w3.org/1999/xhtml"><p>Blood <b>pressure</b> &gt; 140</p>'
           '<script>alert(1)</script><table><tr><td>a</td><td>b</td></tr></table>'
           '&lt;img src=x&gt;</div>')
    assert narrative_text(div) == "Blood pressure > 140\n\na b\n\n<img src=x>"


def test_plain_label_never_renders_markup(qapp) -> None:
    label = plain_label("<b>bold?</b>")
    assert label.textFormat().name == "PlainText" and label.text() == "<b>bold?</b>"
