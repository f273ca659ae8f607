"""Take the sharing screenshots in this folder: a patient's and a doctor's wallet (light
KDF, well-known test phrases) on a throwaway embedded chain, each with an embedded IPFS
node on loopback only, every screen grabbed with ``QWidget.grab()``.

    QT_QPA_PLATFORM=offscreen python docs/screenshots/take_sharing_screenshots.py

Saves ``sharing-*.png``: the share dialog (choose, confirm, token and QR), the patient's
list of shares, the revoke question, the doctor's opened share, the access log, and the
doctor's wallet refusing the share once it is revoked.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
FIXTURES = Path(os.environ.get("HEALTH_WALLET_FIXTURES", REPO.parent / "shared" / "fixtures"))
PATIENT_FILE = FIXTURES / "synthea" / "Ned_Hintz_e4b9259d-0f54-48d1-a35d-b526729a4dfe.json"
PATIENT_PHRASE = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
DOCTOR_PHRASE = "legal winner thank year wave sausage worth useful legal winner thank yellow"  # BIP-39 test vector
CLINIC_PHRASE = "letter advice cage absurd amount doctor acoustic avoid letter advice cage above"  # test vector
PASSPHRASE = "correct horse battery staple"

sys.path.insert(0, str(REPO))

from shots import Shots  # noqa: E402 - this folder is on the path when a script runs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtWidgets import QApplication

    import wallet.gui  # noqa: F401 - binding guards first
    from wallet.app import build_app
    from wallet.clock import FixedClock
    from wallet.gui.app_window import MainWindow
    from wallet.gui.theme import apply_theme
    from wallet.services import Sharing, WalletService
    from wallet.services.expiry import parse_expiry

    app = QApplication(sys.argv[:1])
    apply_theme(app)
    out: Path = args.out
    shots = Shots(app, out)
    wait, save = shots.wait, shots.save

    with tempfile.TemporaryDirectory() as tmp:
        clock = FixedClock(datetime.now(UTC).replace(microsecond=0) - timedelta(days=3))
        env = {"HEALTH_WALLET_UNSAFE_LIGHT_KDF": "1", "HOME": tmp, "HEALTH_WALLET_CHAIN_DIR": str(Path(tmp) / "chain")}

        def open_wallet(name: str, phrase: str):
            a = build_app(Path(tmp) / name, environ=env, clock=clock)
            for key, value in {"ipfs.loopback_only": True, "ipfs.bootstrap": False, "ipfs.mdns": False}.items():
                a.config.set(key, value)
            service = WalletService(a)
            service.restore(phrase, PASSPHRASE)
            return service.unlock(PASSPHRASE)

        patient = open_wallet("patient", PATIENT_PHRASE)
        patient.import_file(PATIENT_FILE)
        doctor = open_wallet("doctor", DOCTOR_PHRASE)
        clinic = open_wallet("clinic", CLINIC_PHRASE)
        Sharing(doctor).register_key()
        Sharing(clinic).register_key()
        # some history: a share that has expired, and one revoked
        sharing = Sharing(patient)
        sharing.grant(clinic.identity.address, record_ids=sharing.choose_records(categories=["Immunizations"]),
                      expires_at=parse_expiry("1d", now=clock.now()), grantee_name="Walk-in clinic, Main Street")
        clock.at += timedelta(days=2)
        revoked = sharing.grant(clinic.identity.address, record_ids=sharing.choose_records(categories=["Allergies",
                                                                                                        "Medications"]),
                                expires_at=parse_expiry("30d", now=clock.now()),
                                grantee_name="Walk-in clinic, Main Street")
        sharing.revoke(revoked.grant_id)
        clock.at += timedelta(days=1)

        windows = []
        for unlocked in (patient, doctor):
            window = MainWindow()
            window.resize(1280, 800)
            window.set_wallet(unlocked)
            window.show()
            windows.append(window)
        patient_win, doctor_win = windows
        section = patient_win.sharing
        view = section.sharing_view

        # the dialog: choose, confirm, token
        dialog = section.new_share()
        wait(lambda: dialog.categories.count("Conditions") > 0)
        for category in ("Conditions", "Immunizations", "Lab results"):
            dialog.categories.set_checked(category)
        dialog.name_edit.setText("Dr Ada Quinn, City Clinic")
        dialog.address_edit.setText(doctor.identity.address)
        wait(lambda: "about" in dialog.gas_label.text())
        dialog.presets["30 days"].setChecked(True)
        save(dialog, "sharing-1-share-dialog")
        dialog.next()
        wait(lambda: dialog.step == 1 or dialog.choose_error.isVisible())
        save(dialog, "sharing-2-confirm")
        dialog.next()
        wait(lambda: dialog.receipt is not None or dialog.confirm_error.isVisible(), 120)
        if dialog.receipt is None:
            raise SystemExit(dialog.confirm_error.text())
        receipt = dialog.receipt
        save(dialog, "sharing-3-token-qr")
        dialog.next()

        # the doctor opens it
        doctor_view = doctor_win.sharing.shared_view
        doctor_win.sharing.show_tab(2)
        wait(lambda: doctor_view.key_registered is not None)
        doctor_view.token_edit.setPlainText(receipt.token)
        doctor_view.open_token()
        wait(lambda: doctor_view.share is not None or doctor_view.message.isVisible(), 120)
        model = doctor_view.records_model
        row = next((r for r in range(model.rowCount()) if model.summary_at(r).summary.resource_type == "Condition"), 0)
        doctor_view.select_record(row)
        wait(lambda: not doctor_view.loading)
        save(doctor_win, "sharing-5-doctor-opened")

        # the patient's list of shares, and the question before revoking
        patient_win.sharing.show_tab(1)
        view.refresh()
        wait(lambda: not view.loading and view.model.rowCount() == 3)
        view.select_grant(receipt.grant_id)
        save(patient_win, "sharing-4-grants")
        box = view.revoke_box(view.current_grant())
        box.show()
        save(box, "sharing-6-revoke-question")
        box.close()

        # the access log
        patient_win.sharing.show_tab(3)
        log = patient_win.sharing.log_view
        wait(lambda: not log.loading and log.model.rowCount() > 0)
        log.table.selectRow(0)
        save(patient_win, "sharing-7-access-log")

        # revoked: the doctor's wallet refuses to open it again, and says why
        Sharing(patient).revoke(receipt.grant_id)
        doctor_view.close_share()
        doctor_view.open_token()
        wait(lambda: doctor_view.message.isVisible(), 120)
        save(doctor_win, "sharing-8-refused-after-revoke")

        for window in windows:
            window.clear()
        for unlocked in (patient, doctor, clinic):
            unlocked.lock()


if __name__ == "__main__":
    main()
