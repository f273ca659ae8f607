"""Take the export, verify, health-card and backup screenshots in this folder: throwaway
wallets (light KDF, the well-known test phrase) on a throwaway embedded chain, each with
an embedded IPFS node on loopback only, every screen grabbed with ``QWidget.grab()``.

    QT_QPA_PLATFORM=offscreen python docs/screenshots/take_export_backup_screenshots.py

The export goes to the first removable drive mounted (a USB stick under /media, say);
with none, to a temporary folder chosen as "a folder". Saves ``export-*.png``,
``verify-*.png``, ``cards-badges.png``, ``backups-view.png``, ``restore-backup.png`` and
``status-bar.png``.

The cards: the SMART Health Cards spec examples, their issuer trusted for this run
(without its revocation list, so the expired example can be shown), and one card signed
here by a made-up clinic that no wallet trusts.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
FIXTURES = Path(os.environ.get("HEALTH_WALLET_FIXTURES", REPO.parent / "shared" / "fixtures"))
SHC = FIXTURES / "smart-health-cards"
PATIENT_FILE = FIXTURES / "synthea" / "Ned_Hintz_e4b9259d-0f54-48d1-a35d-b526729a4dfe.json"
PHRASE = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
PASSPHRASE = "correct horse battery staple"
SPEC_ISS = "https://spec.smarthealth.cards/examples/issuer"
LOOPBACK_IPFS = {"ipfs.loopback_only": True, "ipfs.bootstrap": False, "ipfs.mdns": False}

sys.path.insert(0, str(REPO))

from shots import Shots  # noqa: E402 - this folder is on the path when a script runs


def untrusted_card(folder: Path) -> Path:
    """The spec's example 00, re-issued by a made-up clinic with a key made now."""
    from joserfc import jws
    from joserfc.jwk import ECKey
    from joserfc.registry import HeaderParameter

    claims = json.loads((SHC / "example-00-c-jws-payload-minified.json").read_text())
    claims["iss"] = "https://clinic.example.org/shc"
    key = ECKey.generate_key("P-256")
    deflater = zlib.compressobj(wbits=-15)
    payload = deflater.compress(json.dumps(claims, separators=(",", ":")).encode()) + deflater.flush()
    registry = jws.JWSRegistry(header_registry={"zip": HeaderParameter("zip", "str")}, algorithms=["ES256"])
    token = jws.serialize_compact({"alg": "ES256", "zip": "DEF", "kid": key.thumbprint()}, payload, key,
                                  registry=registry)
    path = folder / "clinic.smart-health-card"
    path.write_text(json.dumps({"verifiableCredential": [token]}))
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtWidgets import QApplication, QMainWindow, QTabWidget, QWidget

    import wallet.gui
    from wallet.app import build_app
    from wallet.gui import export_dialog
    from wallet.gui.backups_view import BackupsView
    from wallet.gui.cards_view import CardsView
    from wallet.gui.export_dialog import ExportDialog, removable_volumes
    from wallet.gui.restore_backup_page import RestoreBackupDialog
    from wallet.gui.status_bar import NetworkStatusWidget
    from wallet.gui.theme import apply_theme
    from wallet.gui.verify_dialog import VerifyDialog
    from wallet.services import WalletService
    from wallet.share.issuers import TrustedIssuer

    app = QApplication(sys.argv[:1])
    apply_theme(app)
    out: Path = args.out
    shots = Shots(app, out)
    wait, save = shots.wait, shots.save

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        env = {"HEALTH_WALLET_UNSAFE_LIGHT_KDF": "1", "HOME": tmp, "HEALTH_WALLET_CHAIN_DIR": str(root / "chain")}
        jwks = json.loads((SHC / "issuer" / ".well-known" / "jwks.json").read_text())
        spec = TrustedIssuer.from_jwks(SPEC_ISS, jwks, name="SMART Health Cards spec examples")

        def open_wallet(name: str):
            home = build_app(root / name, environ=env)
            home.extra_trusted_issuers = (spec,)
            for key, value in LOOPBACK_IPFS.items():
                home.config.set(key, value)
            service = WalletService(home)
            service.restore(PHRASE, PASSPHRASE)
            return service.unlock(PASSPHRASE)

        wallet = open_wallet("laptop")
        wallet.import_file(PATIENT_FILE)
        for card in (SHC / "example-00-e-file.smart-health-card", SHC / "example-03-e-file.smart-health-card",
                     untrusted_card(root)):
            wallet.import_file(card)

        # --- export: the drive, the size against the free space, then "safe to remove"
        folder = root / "chosen-folder"
        folder.mkdir()
        volumes = removable_volumes()
        dialog = ExportDialog(wallet)
        if not volumes:
            export_dialog.ask_for_folder = lambda _parent, _title, _start: folder
            dialog.choose_folder()
        dialog.resize(660, 640)
        dialog.show()
        wait(lambda: dialog.measured and dialog.destination is not None)
        dialog.encrypt.setChecked(True)
        dialog.first.setText("a long export passphrase")
        dialog.second.setText("a long export passphrase")
        save(dialog, "export-1-choose")
        dialog.encrypt.setChecked(False)
        dialog.start_export()
        wait(lambda: dialog.result is not None or bool(dialog.error))
        if dialog.error:
            raise SystemExit(dialog.error)
        result = dialog.result
        save(dialog, "export-2-safe-to-remove")
        dialog.accept()

        # --- verify: valid, the records read-only, then one byte changed
        verify = VerifyDialog(wallet.app, path=result.path)
        verify.resize(660, 600)
        verify.show()
        wait(lambda: verify.outcome is not None)
        save(verify, "verify-1-valid")
        verify.open_records()
        viewer = verify.viewer
        viewer.resize(1100, 640)
        row = next(r for r in range(viewer.proxy.rowCount())
                   if viewer.model.summary_at(viewer.proxy.mapToSource(viewer.proxy.index(r, 0)).row())
                   .summary.category == "Conditions")
        viewer.select_row(row)
        save(viewer, "verify-3-records-read-only")
        viewer.close()
        bundle = result.path / "bundle.json"
        data = bytearray(bundle.read_bytes())
        data[len(data) // 2] ^= 0x01
        bundle.write_bytes(bytes(data))
        verify.verify(result.path)
        wait(lambda: not verify.busy)
        save(verify, "verify-2-invalid")
        verify.accept()

        # --- health cards with their badges and a QR code
        cards = CardsView(wallet)
        cards.resize(1000, 560)
        cards.show()
        cards.refresh()
        wait(lambda: not cards.loading)
        first = next(n for n in range(cards.model.rowCount()) if cards.model.row_at(n).badge.text == "Verified")
        cards.select_row(first)
        save(cards, "cards-badges")
        cards.clear()

        # --- back up to IPFS, the list of pins
        backups = BackupsView(wallet)
        backups.resize(1000, 420)
        backups.show()
        backups.back_up()
        wait(lambda: not backups.busy, 120)
        wait(lambda: not backups.listing and backups.model.rowCount() > 0)
        backups.table.selectRow(0)
        save(backups, "backups-view")

        # --- a new laptop restored from the phrase: its records from the latest backup
        new = open_wallet("new-laptop")
        restore = RestoreBackupDialog(new, timeout=60)
        restore.resize(640, 560)
        restore.show()
        restore.panel.peer.setText(wallet.ipfs().node_info().dial_addresses[0])
        restore.panel.peer.setCursorPosition(0)
        restore.panel.start()
        wait(lambda: not restore.panel.busy, 120)
        save(restore, "restore-backup")
        restore.accept()

        # --- the status bar of a window
        host = QMainWindow()
        host.resize(900, 120)
        tabs = QTabWidget(host)
        tabs.addTab(QWidget(), "Records")
        host.setCentralWidget(tabs)
        status = NetworkStatusWidget(host)
        host.statusBar().addPermanentWidget(status)
        host.show()
        new.ipfs().connect(wallet.ipfs().node_info().dial_addresses[0])
        status.start(wallet)
        wait(lambda: status.status is not None and status.status.ipfs_state == "running")
        save(host.statusBar(), "status-bar")
        status.stop()
        backups.clear()
        new.lock()
        wallet.lock()


if __name__ == "__main__":
    main()
