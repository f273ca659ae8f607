"""The status bar's Details open in a popup that fits the screen (offscreen Qt)."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QMainWindow

from wallet.gui.status_bar import NetworkStatus, NetworkStatusWidget, popup_rect

SCREEN = QRect(0, 0, 1024, 700)


def test_the_popup_goes_above_the_button_and_stays_on_screen() -> None:
    assert popup_rect(QRect(100, 670, 60, 24), (300, 120), SCREEN) == QRect(100, 546, 300, 120)
    right = popup_rect(QRect(980, 670, 40, 24), (300, 120), SCREEN)
    assert right.right() == 1023 and right.width() == 300  # pushed left, not cut off
    below = popup_rect(QRect(100, 10, 60, 24), (300, 120), SCREEN)
    assert below.top() == 38  # no room above: below the button
    huge = popup_rect(QRect(0, 600, 60, 24), (2000, 900), SCREEN)
    assert SCREEN.contains(huge)


def test_details_open_in_a_popup_that_fits_a_small_window(qtbot) -> None:
    window = QMainWindow()
    window.resize(1024, 700)
    widget = NetworkStatusWidget(window)
    window.statusBar().insertPermanentWidget(0, widget)
    qtbot.addWidget(window)
    window.show()
    long_detail = "The chain's RPC address https://rpc.example.org/a/very/long/path did not answer " * 3
    widget._show(NetworkStatus("Kubo RPC at /ip4/127.0.0.1/tcp/5001", "running", peers=3,
                               peer_id="12D3KooWabcdefghijklmnopqrstuvwxyz0123456789", chain="Gnosis",
                               chain_state="error", chain_detail=long_detail))
    assert not widget.popup.isVisible() and widget.width() < 400  # only "Sharing: …" and Details in the bar
    toggles: list[bool] = []
    widget.details_toggled.connect(toggles.append)
    widget.details_button.click()
    assert widget.popup.isVisible() and widget.ipfs_label.isVisible()
    assert widget.chain_label.text() == "Gnosis · unreachable"
    assert "12D3KooWabcdefghijklmnopqrstuvwxyz0123456789" in widget.more_label.text()
    screen = widget.details_button.screen().availableGeometry()
    assert screen.contains(widget.popup.frameGeometry()) and widget.popup.width() <= 520
    assert widget.more_label.height() > widget.more_label.fontMetrics().height()  # the long line wraps
    qtbot.keyClick(widget.popup, Qt.Key.Key_Escape)  # Escape closes it, and Details is unchecked
    assert not widget.popup.isVisible() and not widget.details_button.isChecked()
    assert toggles == [True, False]
