"""Light and dark colours that follow the system.

The app draws with Qt's Fusion style everywhere (the same widgets on Linux, macOS and
Windows) and picks one of two palettes from the system's colour scheme
(``QStyleHints.colorScheme()``, Qt 6.5+). When the user switches the system between
light and dark while the app runs, ``colorSchemeChanged`` swaps the palette at once.
A system that does not say (``Qt.ColorScheme.Unknown``, e.g. a bare X11 session or
the offscreen platform) gets the light palette.

Both palettes keep every text colour at a WCAG contrast of at least 4.5:1 against
the background it is drawn on (``tests/gui/test_about_theme.py`` checks it).

Widgets that paint themselves take colours from their ``palette()`` (never fixed
colours), so they follow a change too.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

__all__ = ["apply_theme", "palette_for", "SystemTheme"]

_Role = QPalette.ColorRole
_Group = QPalette.ColorGroup

# One table per scheme: role -> (normal, disabled). Normal is used for the Active and
# Inactive groups; a window in the background keeps its colours (as on every platform).
_LIGHT: dict[QPalette.ColorRole, tuple[str, str]] = {
    _Role.Window: ("#f4f5f7", "#f4f5f7"),
    _Role.WindowText: ("#1b1f24", "#8b929a"),
    _Role.Base: ("#ffffff", "#f4f5f7"),
    _Role.AlternateBase: ("#f0f2f5", "#f0f2f5"),
    _Role.Text: ("#1b1f24", "#8b929a"),
    _Role.PlaceholderText: ("#5c636c", "#9aa0a8"),
    _Role.Button: ("#e9ecf0", "#eef0f3"),
    _Role.ButtonText: ("#1b1f24", "#8b929a"),
    _Role.BrightText: ("#ffffff", "#ffffff"),
    _Role.Light: ("#ffffff", "#ffffff"),
    _Role.Midlight: ("#e1e5ea", "#e1e5ea"),
    _Role.Mid: ("#b4bbc4", "#c4cad1"),
    _Role.Dark: ("#868e98", "#a0a7b0"),
    _Role.Shadow: ("#3c4249", "#5c636c"),
    _Role.Highlight: ("#1f5fbf", "#c5ccd6"),
    _Role.HighlightedText: ("#ffffff", "#5c636c"),
    _Role.Accent: ("#1f5fbf", "#c5ccd6"),
    _Role.Link: ("#1a56b0", "#8b929a"),
    _Role.LinkVisited: ("#6a3aa8", "#8b929a"),
    _Role.ToolTipBase: ("#ffffff", "#ffffff"),
    _Role.ToolTipText: ("#1b1f24", "#8b929a"),
}

_DARK: dict[QPalette.ColorRole, tuple[str, str]] = {
    _Role.Window: ("#1f2226", "#1f2226"),
    _Role.WindowText: ("#e6e8eb", "#7d848c"),
    _Role.Base: ("#17191c", "#1f2226"),
    _Role.AlternateBase: ("#22262b", "#22262b"),
    _Role.Text: ("#e6e8eb", "#7d848c"),
    _Role.PlaceholderText: ("#9ba2ab", "#646b73"),
    _Role.Button: ("#2b3036", "#25292e"),
    _Role.ButtonText: ("#e6e8eb", "#7d848c"),
    _Role.BrightText: ("#ffffff", "#ffffff"),
    _Role.Light: ("#454b53", "#3a3f46"),
    _Role.Midlight: ("#363b42", "#30353b"),
    _Role.Mid: ("#2a2e34", "#2a2e34"),
    _Role.Dark: ("#111315", "#111315"),
    _Role.Shadow: ("#000000", "#000000"),
    _Role.Highlight: ("#3570cc", "#3a3f46"),
    _Role.HighlightedText: ("#ffffff", "#9ba2ab"),
    _Role.Accent: ("#3570cc", "#3a3f46"),
    _Role.Link: ("#7fb0ff", "#7d848c"),
    _Role.LinkVisited: ("#c29bff", "#7d848c"),
    _Role.ToolTipBase: ("#2b3036", "#2b3036"),
    _Role.ToolTipText: ("#e6e8eb", "#7d848c"),
}


def palette_for(scheme: Qt.ColorScheme) -> QPalette:
    """The palette for a colour scheme: dark for ``Dark``, light otherwise."""
    table = _DARK if scheme == Qt.ColorScheme.Dark else _LIGHT
    palette = QPalette()
    for role, (normal, disabled) in table.items():
        for group in (_Group.Active, _Group.Inactive):
            palette.setColor(group, role, QColor(normal))
        palette.setColor(_Group.Disabled, role, QColor(disabled))
    return palette


class SystemTheme(QObject):
    """Keeps an application's palette in step with the system's colour scheme.

    Made by :func:`apply_theme`, as a child of the application (so it lives as long)."""

    changed = Signal(object)  # the Qt.ColorScheme now shown (Light or Dark)

    OBJECT_NAME = "health-wallet-theme"

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self.setObjectName(self.OBJECT_NAME)
        self._app = app
        self._forced: Qt.ColorScheme | None = None
        self.scheme = Qt.ColorScheme.Light
        app.styleHints().colorSchemeChanged.connect(self._system_changed)

    def __repr__(self) -> str:
        return f"SystemTheme(scheme={self.scheme.name}, forced={self._forced is not None})"

    @property
    def follows_system(self) -> bool:
        return self._forced is None

    def force(self, scheme: Qt.ColorScheme | None) -> Qt.ColorScheme:
        """Show ``scheme`` whatever the system says; ``None`` follows the system again."""
        self._forced = None if scheme in (None, Qt.ColorScheme.Unknown) else scheme
        return self.apply()

    def apply(self) -> Qt.ColorScheme:
        """Set the palette for the forced scheme, else the system's; returns the scheme shown."""
        return self._show(self._forced if self._forced is not None else self._app.styleHints().colorScheme())

    def stop(self) -> None:
        """Stop following the system (the palette shown stays) and go away."""
        self._app.styleHints().colorSchemeChanged.disconnect(self._system_changed)
        self.setParent(None)
        self.deleteLater()

    def _system_changed(self, scheme: Qt.ColorScheme) -> None:
        if self._forced is None:
            self._show(scheme)

    def _show(self, wanted: Qt.ColorScheme) -> Qt.ColorScheme:
        scheme = Qt.ColorScheme.Dark if wanted == Qt.ColorScheme.Dark else Qt.ColorScheme.Light
        self._app.setPalette(palette_for(scheme))
        changed, self.scheme = scheme != self.scheme, scheme
        if changed:
            self.changed.emit(scheme)
        return scheme


def apply_theme(app: QApplication, *, scheme: Qt.ColorScheme | None = None) -> SystemTheme:
    """Put ``app`` on the Fusion style with the palette for the system's colour scheme,
    and keep following the system (or show ``scheme`` if given). Calling it again reuses
    the same :class:`SystemTheme`."""
    app.setStyle("Fusion")
    theme = app.findChild(SystemTheme, SystemTheme.OBJECT_NAME)
    if not isinstance(theme, SystemTheme):
        theme = SystemTheme(app)
    theme.force(scheme)
    return theme
