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
colours), so they follow a change too. Coloured text and lines that carry meaning
(an error, a warning, an out-of-range value, something ended) come from one place,
:func:`tone_color` and its short forms :func:`error_color`, :func:`warning_color`,
:func:`success_color` and :func:`muted_color`: each returns a darker shade on a light
palette and a lighter one on a dark palette, at least 4.5:1 against the window and
the view background. :func:`set_text_tone` colours a label's text and keeps it right
when the scheme changes.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontDatabase, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QWidget

__all__ = [
    "TONES",
    "SystemTheme",
    "apply_text_percent",
    "apply_theme",
    "error_color",
    "fixed_font",
    "is_dark",
    "muted_color",
    "palette_for",
    "scheme_for",
    "set_text_tone",
    "success_color",
    "text_percent",
    "tone_color",
    "warning_color",
]

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


# Text and line colours that carry meaning: tone -> (on a light palette, on a dark palette).
TONES: dict[str, tuple[str, str]] = {
    "error": ("#b3261e", "#ff8a80"),  # errors, revoked, out of range
    "warning": ("#8a5a00", "#e3b341"),  # needs attention
    "success": ("#176b30", "#56d364"),  # verified, in range
    "muted": ("#5c636c", "#9ba2ab"),  # expired, unpinned, not on chain
}
_TONE_PROPERTY = "healthWalletTone"


def is_dark(palette: QPalette | None = None) -> bool:
    """True when ``palette`` (default: the application's) draws light text on a dark window."""
    palette = palette if palette is not None else QGuiApplication.palette()
    return palette.color(_Group.Active, _Role.Window).lightnessF() < 0.5


def tone_color(tone: str, palette: QPalette | None = None) -> QColor:
    """The colour of ``tone`` (a key of :data:`TONES`) for ``palette`` (default: the application's)."""
    light, dark = TONES[tone]
    return QColor(dark if is_dark(palette) else light)


def error_color(palette: QPalette | None = None) -> QColor:
    return tone_color("error", palette)


def warning_color(palette: QPalette | None = None) -> QColor:
    return tone_color("warning", palette)


def success_color(palette: QPalette | None = None) -> QColor:
    return tone_color("success", palette)


def muted_color(palette: QPalette | None = None) -> QColor:
    return tone_color("muted", palette)


def set_text_tone(widget: QWidget, tone: str | None) -> None:
    """Colour ``widget``'s text with ``tone`` (``None``: the palette's own text colour).
    The colour is chosen again when the application's colour scheme changes."""
    widget.setProperty(_TONE_PROPERTY, tone or "")
    widget.setStyleSheet(f"color: {tone_color(tone, widget.palette()).name()};" if tone else "")


def _refresh_tones(app: QApplication) -> None:
    for widget in app.allWidgets():
        tone = widget.property(_TONE_PROPERTY)
        if tone:
            widget.setStyleSheet(f"color: {tone_color(str(tone), app.palette()).name()};")


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
        _refresh_tones(self._app)
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


def scheme_for(theme: str) -> Qt.ColorScheme | None:
    """The scheme a ``ui.theme`` setting names: ``light``, ``dark``, else ``None`` (the system's)."""
    return {"light": Qt.ColorScheme.Light, "dark": Qt.ColorScheme.Dark}.get(theme)


_BASE_FONT_PROPERTY = "healthWalletBaseFontPt"


def _base_point_size(app: QApplication) -> float:
    base = app.property(_BASE_FONT_PROPERTY)
    if not base:
        size = app.font().pointSizeF()
        base = size if size > 0 else 10.0
        app.setProperty(_BASE_FONT_PROPERTY, base)
    return float(base)


def text_percent(app: QApplication) -> int:
    """The text size now shown, in percent of the system's."""
    return round(100 * app.font().pointSizeF() / _base_point_size(app))


def apply_text_percent(app: QApplication, percent: int) -> int:
    """Show every window's text at ``percent`` of the system's size; returns the percent.

    The application font changes, so every widget that did not choose a font of its own
    follows at once; headings that did choose one keep their size until their window is
    made again (the next unlock)."""
    base = _base_point_size(app)
    font = QFont(app.font())
    font.setPointSizeF(base * percent / 100)
    app.setFont(font)
    return percent


def fixed_font(widget: QWidget, scale: float = 1.0) -> QFont:
    """The system's fixed-width font at ``scale`` times ``widget``'s text size (so it
    follows the text size setting, as the system's fixed font alone does not)."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    size = widget.font().pointSizeF()
    if size > 0:
        font.setPointSizeF(size * scale)
    return font
