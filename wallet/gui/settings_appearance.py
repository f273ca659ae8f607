"""Settings ▸ Appearance: light, dark or the system's colours, and the text size.

Both apply at once and are kept in the home's settings (``ui.theme``,
``ui.text_percent``), so the unlock window already shows them next time. The text
size is the one View ▸ Zoom in / Zoom out (Ctrl+plus / Ctrl+minus) changes.
"""

from __future__ import annotations

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..errors import WalletError
from ..services import TEXT_PERCENT_RANGE, Preferences, WalletService
from .plain_text import plain_label
from .theme import apply_text_percent, apply_theme, scheme_for, set_text_tone, text_percent

__all__ = ["AppearancePage"]

_THEMES = (("system", "Follow the system"), ("light", "Light"), ("dark", "Dark"))


class AppearancePage(QWidget):
    def __init__(self, service: WalletService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._prefs = Preferences(service.app)
        colours = QGroupBox("Colours", self)
        self.theme_group = QButtonGroup(self)
        self.theme_buttons: dict[str, QRadioButton] = {}
        colour_layout = QVBoxLayout(colours)
        current = self._prefs.theme
        for n, (key, text) in enumerate(_THEMES):
            button = QRadioButton(text, colours)
            button.setChecked(key == current)
            self.theme_group.addButton(button, n)
            self.theme_buttons[key] = button
            colour_layout.addWidget(button)
        self.theme_group.idClicked.connect(lambda n: self.set_theme(_THEMES[n][0]))

        size_box = QGroupBox("Text size", self)
        self.text_size = QSpinBox(size_box)
        self.text_size.setRange(*TEXT_PERCENT_RANGE)
        self.text_size.setSingleStep(10)
        self.text_size.setSuffix(" %")
        self.text_size.setAccessibleName("Text size in percent")
        app = QApplication.instance()
        self.text_size.setValue(text_percent(app) if isinstance(app, QApplication) else self._prefs.text_percent)
        self.text_size.setKeyboardTracking(False)  # a typed number applies on Enter, not at each digit
        self.text_size.valueChanged.connect(self.set_text_percent)
        reset = QPushButton("Actual size", size_box)
        reset.clicked.connect(lambda: self.set_text_percent(100))
        row = QHBoxLayout()
        row.addWidget(QLabel("Text at", size_box))
        row.addWidget(self.text_size)
        row.addWidget(reset)
        row.addStretch(1)
        hint = plain_label("Ctrl+plus and Ctrl+minus change it from any window; Ctrl+0 goes back to the "
                           "system's size.", size_box, selectable=False)
        set_text_tone(hint, "muted")
        size_layout = QVBoxLayout(size_box)
        size_layout.addLayout(row)
        size_layout.addWidget(hint)
        self.status = plain_label("", self)

        layout = QVBoxLayout(self)
        layout.addWidget(colours)
        layout.addWidget(size_box)
        layout.addWidget(self.status)
        layout.addStretch(1)

    def __repr__(self) -> str:
        return f"AppearancePage(theme={self._prefs.theme})"

    def set_theme(self, theme: str) -> None:
        """Show and keep ``theme`` (``system``, ``light`` or ``dark``)."""
        app = QApplication.instance()
        try:
            self._prefs.set_theme(theme)
        except WalletError as exc:
            self._fail(exc)
            return
        self.theme_buttons[theme].setChecked(True)
        if isinstance(app, QApplication):
            apply_theme(app, scheme=scheme_for(theme))

    def showEvent(self, event: QShowEvent) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):  # Ctrl+plus in the main window may have changed it
            self.text_size.blockSignals(True)
            self.text_size.setValue(text_percent(app))
            self.text_size.blockSignals(False)
        super().showEvent(event)

    def set_text_percent(self, percent: int) -> None:
        """Show and keep the text at ``percent`` of the system's size."""
        app = QApplication.instance()
        try:
            percent = self._prefs.set_text_percent(percent)
        except WalletError as exc:
            self._fail(exc)
            return
        if isinstance(app, QApplication) and text_percent(app) != percent:
            apply_text_percent(app, percent)
        if self.text_size.value() != percent:
            self.text_size.blockSignals(True)
            self.text_size.setValue(percent)
            self.text_size.blockSignals(False)

    def _fail(self, exc: WalletError) -> None:
        set_text_tone(self.status, "error")
        self.status.setText(f"{exc.user_message} The setting was not changed.")
