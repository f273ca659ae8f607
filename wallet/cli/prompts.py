"""Where the CLI gets secrets: a terminal prompt, ``HEALTH_WALLET_PASSPHRASE`` or
``--passphrase-file``. Never a command-line value, which other users could read."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

from ..errors import WalletError

__all__ = ["passphrase_if_given", "read_new_passphrase", "read_passphrase", "read_phrase"]

NEED_PASSPHRASE = ("A passphrase is needed: run in a terminal, or set HEALTH_WALLET_PASSPHRASE or "
                   "--passphrase-file.")


MAX_PASSPHRASE_FILE = 64 * 1024
"""Most bytes read from a passphrase file. It may be a pipe (``--passphrase-file <(pass x)``),
so it is not required to be a regular file, but ``/dev/zero`` must not fill memory."""


def _from_sources(passphrase_file: str | None, *, wallet_env: bool = True) -> str | None:
    if passphrase_file:
        try:
            with Path(passphrase_file).open("rb") as fh:
                data = fh.read(MAX_PASSPHRASE_FILE + 1)
        except OSError as exc:
            raise WalletError(f"Cannot read the passphrase file {passphrase_file}: {exc.strerror}.") from exc
        if len(data) > MAX_PASSPHRASE_FILE:
            raise WalletError(f"The passphrase file {passphrase_file} is longer than any passphrase.")
        try:
            return data.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError as exc:
            raise WalletError(f"The passphrase file {passphrase_file} is not UTF-8 text.") from exc
    env = os.environ.get("HEALTH_WALLET_PASSPHRASE") if wallet_env else None
    return env if env else None


def passphrase_if_given(passphrase_file: str | None) -> str | None:
    """The passphrase from ``--passphrase-file`` or ``HEALTH_WALLET_PASSPHRASE``, never a prompt."""
    return _from_sources(passphrase_file)


def read_passphrase(passphrase_file: str | None, prompt: str = "Passphrase: ") -> str:
    found = _from_sources(passphrase_file)
    if found is not None:
        return found
    if not sys.stdin.isatty():
        raise WalletError(NEED_PASSPHRASE)
    return getpass.getpass(prompt)


def read_new_passphrase(passphrase_file: str | None, prompt: str = "New passphrase: ", *,
                        wallet_env: bool = True, needed: str = NEED_PASSPHRASE) -> str:
    """A passphrase to set: from ``passphrase_file``, ``HEALTH_WALLET_PASSPHRASE`` (only
    when ``wallet_env``: a new wallet's passphrase, never a second secret such as an
    export's or a changed one, which must not silently be the wallet's) or typed twice.
    Raises :class:`WalletError` (``needed``) without a terminal."""
    found = _from_sources(passphrase_file, wallet_env=wallet_env)
    if found is not None:
        return found
    if not sys.stdin.isatty():
        raise WalletError(needed)
    first = getpass.getpass(prompt)
    if getpass.getpass("Repeat it: ") != first:
        raise WalletError("The two passphrases differ; nothing was changed.")
    return first


def read_phrase() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("Recovery phrase (words separated by spaces): ")
    line = sys.stdin.readline()
    if not line.strip():
        raise WalletError("No recovery phrase on standard input.")
    return line
