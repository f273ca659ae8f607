"""Packaging tests render icons with Qt: offscreen, as the GUI tests do."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
