"""Entry points: ``health-wallet`` (CLI, or the GUI with no command) and
``health-wallet-gui``. The one module that knows both leaves."""

from __future__ import annotations

import sys

__all__ = ["gui_main", "main"]


def _open_gui(home: str | None) -> int:
    from .gui.main import run

    return run(home=home)


def main() -> None:
    from .cli.main import main as cli_main

    sys.exit(cli_main(sys.argv[1:], open_gui=_open_gui))


def gui_main() -> None:
    sys.exit(_open_gui(None))
