"""Frozen entry point of the windowed app (Windows and macOS): opens the window, no console."""

from wallet.launcher import gui_main

gui_main()
