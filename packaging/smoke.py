"""Frozen entry point of ``health-wallet-smoke``: checks that this installation has
everything it needs, in a throw-away wallet folder (see ``wallet/gui/smoke.py``).

    QT_QPA_PLATFORM=offscreen dist/health-wallet/health-wallet-smoke [--no-network] [--debug]

Exit status 0 when every check passed.
"""

import sys

import wallet.gui  # noqa: F401 - applies the Qt binding guards first, as the app does
from wallet.gui.smoke import run_smoke

sys.exit(run_smoke(network="--no-network" not in sys.argv[1:], debug="--debug" in sys.argv[1:]))
