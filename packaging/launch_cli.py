"""Frozen entry point of ``health-wallet``: the command line, or the app with no command."""

from wallet.launcher import main

main()
