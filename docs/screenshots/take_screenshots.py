"""Retake the screenshots of every screen, in light and dark, at 1024×700 and at 150 %
text: a throwaway wallet (light KDF), a Synthea patient from the shared fixtures, every
window grabbed with ``QWidget.grab()``.

    QT_QPA_PLATFORM=offscreen python docs/screenshots/take_screenshots.py
    xvfb-run -s "-screen 0 1400x900x24" python docs/screenshots/take_screenshots.py --xvfb

Each variant runs in a process of its own (a fresh application, its colours and text
size set as a user would in Settings) and writes ``<variant>/<NN-screen>.png``:
``light-1024x700``, ``dark-1024x700``, ``light-150pct`` and ``dark-150pct``. ``--variant``
takes one of them only.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
FIXTURES = Path(os.environ.get("HEALTH_WALLET_FIXTURES", REPO.parent / "shared" / "fixtures"))
PATIENT = FIXTURES / "synthea" / "Fletcher_Hyatt_fe0562b5-f517-4951-8366-32fdab088930.json"
DEMO_PHRASE = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
PASSPHRASE = "correct horse battery staple"
# name -> (theme, text percent, window width, window height)
VARIANTS = {
    "light-1024x700": ("light", 100, 1024, 700),
    "dark-1024x700": ("dark", 100, 1024, 700),
    "light-150pct": ("light", 150, 1280, 800),
    "dark-150pct": ("dark", 150, 1280, 800),
}

sys.path.insert(0, str(REPO))

from shots import Shots  # noqa: E402 - this folder is on the path when a script runs


def take(variant: str, out: Path) -> None:
    """Every screen of one variant into ``out``."""
    from PySide6.QtWidgets import QApplication

    import wallet.gui  # noqa: F401 - binding guards first
    from wallet.app import build_app
    from wallet.gui.help_window import HelpWindow
    from wallet.gui.session import WalletSession
    from wallet.gui.settings_data import DeleteWalletDialog
    from wallet.services import Preferences, WalletService

    theme, percent, width, height = VARIANTS[variant]
    app = QApplication(sys.argv[:1])
    shots = Shots(app, out, timeout=120)
    pump, wait = shots.pump, shots.wait
    count = [0]

    def save(widget, name: str, *, settle: bool = True) -> None:
        count[0] += 1
        shots.save(widget, f"{count[0]:02d}-{name}", settle=settle)

    with tempfile.TemporaryDirectory() as tmp:
        env = {"HEALTH_WALLET_UNSAFE_LIGHT_KDF": "1", "HOME": tmp}
        wallet_app = build_app(Path(tmp) / "home", environ=env)
        for key, value in {"ipfs.loopback_only": True, "ipfs.bootstrap": False, "ipfs.mdns": False}.items():
            wallet_app.config.set(key, value)
        prefs = Preferences(wallet_app)
        prefs.set_theme(theme)
        prefs.set_text_percent(percent)
        service = WalletService(wallet_app)
        session = WalletSession(service, idle_ms=0)
        session.start()

        # --- the first-run wizard
        wizard = session.wizard
        wizard.resize(max(720, wizard.minimumWidth()), max(560, wizard.minimumHeight()))
        save(wizard, "wizard-welcome")
        wizard.next()
        wizard.passphrase_page.first.setText("correct horse")
        save(wizard, "wizard-passphrase")
        wizard.passphrase_page.first.setText(PASSPHRASE)
        wizard.passphrase_page.second.setText(PASSPHRASE)
        wizard.phrase = DEMO_PHRASE  # the well-known test phrase, never a real one
        wizard.next()
        save(wizard, "wizard-recovery-phrase")
        wizard.phrase_page.saved.setChecked(True)
        wizard.next()
        words = DEMO_PHRASE.split()
        page = wizard.confirm_page
        for n, (pos, edit) in enumerate(zip(page.positions, page.edits, strict=True)):
            edit.setText("abandoned" if n == 1 else words[pos])
        page.edits[2].setFocus()
        page.edits[2].setText("abo")
        page.completer.setCompletionPrefix("abo")
        page.completer.complete()
        save(wizard, "wizard-check-words")
        page.completer.popup().hide()
        page.edits[2].setText(words[page.positions[2]])
        wizard.reject()  # Escape: it asks first
        save(wizard.leave_box, "wizard-leave-question")
        wizard.stay_button.click()
        page.edits[1].setText(words[page.positions[1]])
        wizard.next()
        wait(lambda: wizard.finish_page.done)
        save(wizard, "wizard-ready")
        wizard.accept()

        # --- the main window
        wait(lambda: session.window is not None and session.window.isVisible())
        window = session.window
        window.resize(width, height)
        save(window, "main-empty")
        window.import_files([PATIENT])
        wait(lambda: window.last_import is not None and not window.importing, 120)
        save(window.report_box, "import-report")
        window.report_box.close()
        pump()
        wait(lambda: not window.overview.status.text().startswith("Reading"))  # the overview is read on a worker
        save(window, "main-overview")
        window.show_category("Lab results")
        wait(lambda: not window.panel.loading)
        panel = window.panel
        rows = range(panel.proxy.rowCount())
        row = next((r for r in rows if "lucose" in panel.model.summary_at(r).summary.title), 0)
        panel.select_row(row)
        pump(0.8)
        save(window, "main-lab-detail")
        window.show_category("Immunizations")
        wait(lambda: not window.panel.loading)
        window.panel.select_row(0)
        pump(0.8)
        save(window, "main-immunization-detail")
        window.show_category("Conditions")
        window.panel.filter_edit.setText("no such condition")
        save(window, "main-filter-no-match")
        window.panel.filter_edit.clear()
        window.records_tools.network.details_button.setChecked(True)
        wait(lambda: window.records_tools.network.status is not None
             and window.records_tools.network.status.ipfs_state != "starting", 60)
        save(window.records_tools.network.popup, "main-status-details")  # a popup window of its own
        window.records_tools.network.details_button.setChecked(False)
        for index in range(1, window.sections.count()):
            window.sections.setCurrentIndex(index)
            name = window.sections.tabText(index).lower().replace(" ", "-").replace("&", "")
            save(window, f"tab-{name}")
        window.sections.setCurrentIndex(0)

        dialog = window.sharing.new_share()
        if dialog is not None:
            dialog.resize(min(900, width), min(640, height))
            wait(lambda: dialog.categories.count("Conditions") > 0)
            for category in ("Conditions", "Immunizations"):
                dialog.categories.set_checked(category)
            dialog.name_edit.setText("Dr Ada Quinn, City Clinic")
            save(dialog, "sharing-new-share")
            dialog.reject()

        # --- settings, help
        window.open_settings()
        settings = window.settings_dialog
        for key in ("security", "appearance", "sharing", "issuers", "networks", "pinning", "data"):
            settings.show_page(key)
            save(settings, f"settings-{key}")
        settings.data.refresh()
        delete = DeleteWalletDialog(session.wallet, settings)
        delete.confirm.setText("del")
        delete.show()
        save(delete, "settings-delete-wallet")
        delete.reject()
        settings.close()
        window.open_help()
        assert isinstance(window.help_window, HelpWindow)
        save(window.help_window, "help-guide")
        window.open_help("glossary")
        save(window.help_window, "help-glossary")
        window.help_window.close()

        # --- lock, unlock, forgotten passphrase
        window.lock_action.trigger()
        unlock = session.unlock_dialog
        save(unlock, "unlock")
        unlock.passphrase.setText("not my passphrase")
        unlock.try_unlock()
        wait(lambda: unlock.error.isVisible())
        save(unlock, "unlock-wrong-passphrase")
        unlock.forgot_link.linkActivated.emit("#forgot")
        reset = session.reset_dialog
        reset.phrase.setPlainText(DEMO_PHRASE.replace("about", "abuot"))
        save(reset, "forgot-passphrase")
        reset.reject()
        session.finish()


def trend_chart(out: Path) -> None:
    """The trend chart with a reference range (the Synthea fixtures carry none)."""
    from PySide6.QtWidgets import QApplication

    import wallet.gui  # noqa: F401
    from wallet.gui.models import TrendPoint, TrendSeries, parse_when
    from wallet.gui.trend_chart import TrendChart

    app = QApplication(sys.argv[:1])
    rng = random.Random(3)
    points = []
    for n in range(36):
        value = 5.4 + 0.05 * n + rng.uniform(-0.5, 0.5)
        points.append(TrendPoint(parse_when(f"{2015 + n // 12}-{1 + n % 12:02d}-15"), round(value, 1),
                                 "H" if value > 6.5 else ""))
    chart = TrendChart()
    chart.resize(640, 280)
    chart.set_series(TrendSeries("4548-4", "Hemoglobin A1c", "%", tuple(points), 4.0, 6.5))
    Shots(app, out).save(chart, "trend-chart-reference-range")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--xvfb", action="store_true", help="run on the X server of xvfb-run (else offscreen)")
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--variant", choices=[*VARIANTS, "trend-chart"], help="take one variant only, here")
    args = parser.parse_args()
    if not args.xvfb:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if args.variant == "trend-chart":
        trend_chart(args.out)
        return
    if args.variant:
        take(args.variant, args.out / args.variant)
        return
    for variant in [*VARIANTS, "trend-chart"]:  # each in a fresh application
        command = [sys.executable, __file__, "--variant", variant, "--out", str(args.out)]
        subprocess.run(command + (["--xvfb"] if args.xvfb else []), check=True)


if __name__ == "__main__":
    main()
