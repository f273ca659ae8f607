"""Colours that carry meaning stay readable on the light and the dark palette, the Lock
icon stands out on both, and the shared table-model base behaves like a Qt table model."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QLabel

from wallet.gui.grant_models import AccessLogModel
from wallet.gui.icon import LOCK_COLOUR, lock_icon, lock_pixmap
from wallet.gui.table_model import RowsTableModel
from wallet.gui.theme import (
    TONES,
    apply_theme,
    error_color,
    is_dark,
    muted_color,
    palette_for,
    set_text_tone,
    success_color,
    tone_color,
    warning_color,
)

from .test_about_theme import contrast

Role = QPalette.ColorRole
SCHEMES = [Qt.ColorScheme.Light, Qt.ColorScheme.Dark]


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("tone", sorted(TONES))
def test_every_tone_is_readable_on_the_window_and_the_views(scheme: Qt.ColorScheme, tone: str) -> None:
    palette = palette_for(scheme)
    colour = tone_color(tone, palette)
    for background in (Role.Window, Role.Base, Role.AlternateBase):
        ratio = contrast(colour, palette.color(background))
        assert ratio >= 4.5, f"{scheme.name} {tone} on {background.name}: {ratio:.2f}:1"


def test_the_dark_palette_gets_the_lighter_shade() -> None:
    light, dark = palette_for(Qt.ColorScheme.Light), palette_for(Qt.ColorScheme.Dark)
    assert not is_dark(light) and is_dark(dark)
    for short, tone in ((error_color, "error"), (warning_color, "warning"), (success_color, "success"),
                        (muted_color, "muted")):
        assert short(light) == QColor(TONES[tone][0])
        assert short(dark) == QColor(TONES[tone][1])
        assert short(dark).lightness() > short(light).lightness()
    # the old fixed red was unreadable on the dark window; the dark error red is not
    assert contrast(QColor("#b3261e"), dark.color(Role.Window)) < 4.5 <= contrast(error_color(dark),
                                                                                   dark.color(Role.Window))


def test_a_toned_label_follows_a_scheme_change(themed_app: QApplication, qtbot) -> None:
    theme = apply_theme(themed_app, scheme=Qt.ColorScheme.Light)
    label = QLabel("Wrong passphrase")
    qtbot.addWidget(label)
    set_text_tone(label, "error")
    assert TONES["error"][0] in label.styleSheet()
    theme.force(Qt.ColorScheme.Dark)
    assert TONES["error"][1] in label.styleSheet()
    set_text_tone(label, None)
    assert label.styleSheet() == ""
    theme.force(Qt.ColorScheme.Light)
    assert label.styleSheet() == ""  # a cleared tone stays cleared


def test_the_models_colour_ended_rows_for_the_palette_in_use(themed_app: QApplication) -> None:
    model = AccessLogModel()
    model.set_events([{"source": "wallet", "event": "Exported", "at": "2025-01-02T03:04:05Z", "detail": "x"}])
    index = model.index(0, 5)
    for scheme in SCHEMES:
        apply_theme(themed_app, scheme=scheme)
        brush = model.data(index, Qt.ItemDataRole.ForegroundRole)
        assert brush.color() == muted_color(palette_for(scheme))


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_lock_icon_stands_out_on_both_windows(scheme: Qt.ColorScheme, qapp: QApplication) -> None:
    window = palette_for(scheme).color(Role.Window)
    assert contrast(QColor(LOCK_COLOUR), window) >= 3.0  # WCAG's minimum for graphics
    assert not lock_icon().isNull()
    image = lock_pixmap(32).toImage()
    drawn = [image.pixelColor(x, y) for x in range(32) for y in range(32) if image.pixelColor(x, y).alpha() == 255]
    assert len(drawn) > 150  # a solid shape, not a hairline
    assert all(c.rgb() == QColor(LOCK_COLOUR).rgb() for c in drawn)


class _Pairs(RowsTableModel):
    HEADERS = ("Name", "Value")

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        row = self.item(index)
        return None if row is None or role != Qt.ItemDataRole.DisplayRole else str(row[index.column()])


def test_the_rows_model_base(qtmodeltester) -> None:
    model = _Pairs()
    assert (model.rowCount(), model.columnCount()) == (0, 2)
    model.set_rows([("a", 1), ("b", 2)])
    assert model.rowCount() == 2 and model.rowCount(model.index(0, 0)) == 0
    assert model.headerData(1, Qt.Orientation.Horizontal) == "Value"
    assert model.headerData(1, Qt.Orientation.Vertical) is None
    assert model.row_at(1) == ("b", 2) and model.rows() == [("a", 1), ("b", 2)]
    assert model.item(QModelIndex()) is None
    assert model.data(model.index(1, 1)) == "2"
    qtmodeltester.check(model)
    model.clear()
    assert model.rowCount() == 0
