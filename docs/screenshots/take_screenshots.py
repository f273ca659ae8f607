"""Take the screenshots in this folder: a throwaway wallet (light KDF), a Synthea
patient from the shared fixtures, every screen grabbed with ``QWidget.grab()``.

    QT_QPA_PLATFORM=offscreen python docs/screenshots/take_screenshots.py
    xvfb-run -s "-screen 0 1400x900x24" python docs/screenshots/take_screenshots.py --xvfb

With ``--xvfb`` (a real X server, the xcb platform) it saves what the X screen shows
instead, through ImageMagick's ``import -window root`` (``*-screen.png``).
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

sys.path.insert(0, str(REPO))

from shots import Shots  # noqa: E402 - this folder is on the path when a script runs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--xvfb", action="store_true", help="also capture the X screen with 'import'")
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()
    if not args.xvfb:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtWidgets import QApplication, QWizard

    import wallet.gui  # noqa: F401 - binding guards first
    from wallet.app import build_app
    from wallet.gui.models import TrendPoint, TrendSeries, parse_when
    from wallet.gui.session import WalletSession
    from wallet.gui.trend_chart import TrendChart
    from wallet.services import WalletService

    app = QApplication(sys.argv[:1])
    out: Path = args.out
    shots = Shots(app, out, timeout=30)
    pump, wait = shots.pump, shots.wait

    def save(widget, name: str, *, settle: bool = True) -> None:
        if not args.xvfb:  # under X, the whole screen is captured instead
            shots.save(widget, name, settle=settle)

    def screen(name: str) -> None:
        pump(0.5)
        path = out / f"{name}-screen.png"
        subprocess.run(["import", "-window", "root", str(path)], check=True)
        print(path)

    with tempfile.TemporaryDirectory() as tmp:
        env = {"HEALTH_WALLET_UNSAFE_LIGHT_KDF": "1", "HOME": tmp}
        service = WalletService(build_app(Path(tmp) / "home", environ=env))
        session = WalletSession(service, idle_ms=0)
        session.start()
        wizard = session.wizard
        wizard.resize(720, 560)
        if not args.xvfb:
            save(wizard, "wizard-1-welcome")
            wizard.next()
            wizard.passphrase_page.first.setText("correct horse")
            save(wizard, "wizard-2-passphrase")
            wizard.passphrase_page.first.setText(PASSPHRASE)
            wizard.passphrase_page.second.setText(PASSPHRASE)
            wizard.phrase = DEMO_PHRASE  # the well-known test phrase, never a real one
            wizard.next()
            save(wizard, "wizard-3-recovery-phrase")
            wizard.phrase_page.saved.setChecked(True)
            wizard.next()
            words = DEMO_PHRASE.split()
            page = wizard.confirm_page
            for n, (pos, edit) in enumerate(zip(page.positions, page.edits, strict=True)):
                edit.setText("wrong" if n == 1 else words[pos])
            save(wizard, "wizard-4-confirm-words")
            page.edits[1].setText(words[page.positions[1]])
            wizard.next()
            wait(lambda: wizard.finish_page.done)
            save(wizard, "wizard-5-ready")
            wizard.button(QWizard.WizardButton.FinishButton).click()
        else:
            wizard.show()
            screen("wizard")
            wizard.hide()
            service.restore(DEMO_PHRASE, PASSPHRASE)
            session.finish()
            session = WalletSession(service, idle_ms=0)
            session.start()
            session.unlock_dialog.passphrase.setText(PASSPHRASE)
            session.unlock_dialog.try_unlock()
        wait(lambda: session.window is not None and session.window.isVisible())
        window = session.window
        window.resize(1280, 800)
        if not args.xvfb:
            save(window, "main-1-empty")

        window.import_files([PATIENT])
        wait(lambda: window.import_bar.bar.value() > 0 or window.last_import is not None)
        save(window, "main-2-importing", settle=False)  # now, before the import ends
        wait(lambda: window.last_import is not None and not window.importing, 60)
        if not args.xvfb:
            save(window.report_box, "import-report")
        window.report_box.close()
        pump()
        window.panel.select_row(2)
        wait(lambda: window.detail.fields["title"].text() != "")
        save(window, "main-3-overview")
        if args.xvfb:
            screen("main")

        window.show_category("Lab results")
        wait(lambda: not window.panel.loading)
        panel = window.panel
        row = next(r for r in range(panel.proxy.rowCount())
                   if panel.model.summary_at(r).summary.title.startswith("Glucose"))
        panel.select_row(row)
        pump(0.5)
        save(window, "main-4-lab-results")

        window.show_category("Conditions")
        panel.filter_edit.setText("no such condition")
        save(window, "main-5-filter-no-match")
        panel.filter_edit.clear()

        # lock, then the unlock dialog with a wrong passphrase
        window.lock_action.trigger()
        dialog = session.unlock_dialog
        dialog.passphrase.setText("not my passphrase")
        dialog.try_unlock()
        wait(lambda: dialog.error.isVisible())
        save(dialog, "unlock-wrong-passphrase")
        if args.xvfb:
            screen("unlock")
        session.finish()

    if not args.xvfb:
        # the trend chart with a reference range (the Synthea fixtures carry none)
        rng = random.Random(3)
        points = []
        for n in range(36):
            value = 5.4 + 0.05 * n + rng.uniform(-0.5, 0.5)
            points.append(TrendPoint(parse_when(f"{2015 + n // 12}-{1 + n % 12:02d}-15"), round(value, 1),
                                     "H" if value > 6.5 else ""))
        chart = TrendChart()
        chart.resize(640, 280)
        chart.set_series(TrendSeries("4548-4", "Hemoglobin A1c", "%", tuple(points), 4.0, 6.5))
        save(chart, "trend-chart-reference-range")


if __name__ == "__main__":
    main()
