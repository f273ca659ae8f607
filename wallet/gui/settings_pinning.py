"""Settings ▸ Pinning services: the services that keep shares and backups available
while this computer is off.

Lists each service the wallet knows (:meth:`RemotePinning.services`) with whether it
answers and how many copies it keeps for this wallet (:meth:`RemotePinning.states`,
asked in the background when the page is first shown). "Add…" asks for a name, the service's
address and its access token (typed in a password field, handed straight to
:meth:`RemotePinning.add`, which keeps it in the OS keyring or sealed by the wallet's
keys: this page never writes it anywhere). "Check" asks one service again; "Remove"
forgets one after a confirmation (copies it holds stay at the service). Every call that
talks to a service runs on the page's own :class:`~wallet.gui.workers.JobRunner`, so a
slow service never holds up the other Settings pages; :meth:`PinningPage.shutdown`
stops it.

"Keep sharing after the window closes" is on Settings ▸ Sharing (:mod:`.settings_sharing`).
"""

from __future__ import annotations

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..errors import WalletError
from ..events import CancelToken, ProgressSink
from ..services import UnlockedWallet
from ..services.pinning import PinningService, RemotePinning, ServiceState
from .plain_text import plain_label
from .settings_table import SettingsTablePage, confirm
from .workers import JobRunner, retire_runner

__all__ = ["EXPLAIN", "AddPinningServiceDialog", "PinningPage", "confirm_remove", "state_words"]

EXPLAIN = ("A pinning service keeps your shares and backups available when your computer is off; it holds only an "
           "encrypted copy that it cannot read.")
NOT_ASKED = "Not checked yet"
ASKING = "Checking…"


def state_words(state: ServiceState) -> str:
    """``Working`` or the service's one-line problem, for the Status column."""
    return "Working" if state.status == "ok" else state.status


def confirm_remove(parent: QWidget | None, name: str) -> bool:
    """Ask before forgetting service ``name`` (replaced in tests)."""
    return confirm(parent, "Remove this pinning service?",
                   f"Stop using {name}? New shares and backups will no longer be kept there, and its access token "
                   "is forgotten. Copies it already keeps stay at the service until you remove them there.")


class AddPinningServiceDialog(QDialog):
    """Name, address and access token of a service; the token field shows dots."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a pinning service")
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("e.g. Home, Filebase")
        self.name.setAccessibleName("Service name")
        self.url = QLineEdit(self)
        self.url.setPlaceholderText("https://api.filebase.io/v1/ipfs")
        self.url.setAccessibleName("Service address")
        self.token = QLineEdit(self)
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setAccessibleName("Access token")
        self.token.setPlaceholderText("from the service's account page")
        self.fingerprint = QLineEdit(self)
        self.fingerprint.setAccessibleName("Certificate fingerprint")
        self.fingerprint.setPlaceholderText("only for a keeper started with --tls: the SHA-256 it prints")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Add service")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        for field in (self.name, self.url, self.token):
            field.textChanged.connect(self._check)
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Address", self.url)
        form.addRow("Access token", self.token)
        form.addRow("Certificate (SHA-256)", self.fingerprint)
        layout = QVBoxLayout(self)
        layout.addWidget(plain_label("The service's website gives its address and an access token. Your own box "
                                     "running 'health-wallet keeper --tls' prints its address and its "
                                     "certificate's fingerprint when it starts.", self,
                                     selectable=False))
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self._check()
        self.resize(520, self.sizeHint().height())

    def _check(self) -> None:
        ok = all(field.text().strip() for field in (self.name, self.url, self.token))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)


class PinningPage(SettingsTablePage):
    """The list of services with Add…, Check and Remove."""

    def __init__(self, wallet: UnlockedWallet, parent: QWidget | None = None) -> None:
        super().__init__(parent, explain=EXPLAIN + " Without one, a doctor can open what you share only while this "
                         "computer is on.", headers=("Service", "Status", "Copies kept"),
                         accessible_name="Pinning services", stretch=(1,), detail=True)
        self._wallet = wallet
        self._runner = JobRunner("settings-pinning", self)
        self._pinning = RemotePinning(wallet)
        self.add_button = QPushButton("Add…", self)
        self.add_button.clicked.connect(self.ask_add)
        self.check_button = QPushButton("Check", self)
        self.check_button.setToolTip("Ask the service again whether it answers and how many copies it keeps")
        self.check_button.clicked.connect(self.check_selected)
        self.remove_button = QPushButton("Remove…", self)
        self.remove_button.clicked.connect(self.remove_selected)
        self.place_buttons(self.add_button, self.check_button, self.remove_button)
        self.services: list[PinningService] = []
        self.states: dict[str, ServiceState] = {}
        self.checking: set[str] = set()
        self.adding = False
        self._asked = False  # every service is asked once, when the page is first shown
        self._draft = ("", "", "")  # name, address and fingerprint of the last add that failed
        self.reload()

    def __repr__(self) -> str:
        return f"PinningPage(services={len(self.services)})"

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._asked:
            self._asked = True
            self.check_all()

    def shutdown(self) -> None:
        """Stop the background thread (waits for a call in progress, 15 seconds at most)."""
        retire_runner(self._runner)

    # --- the list -------------------------------------------------------------------------

    def reload(self, select: str | None = None) -> None:
        """Read the list of services (a local file) and show what is known of each."""
        chosen = self.selected()
        keep = select or (chosen.name if chosen is not None else None)
        try:
            self.services = self._pinning.services()
        except WalletError as exc:
            self.services = []
            self.say(exc.user_message, "error")
        self.table.setRowCount(len(self.services))
        row_to_select = 0
        for row, service in enumerate(self.services):
            state = self.states.get(service.name)
            if service.name in self.checking:
                status, pins = ASKING, ""
            elif state is None:
                status, pins = NOT_ASKED, ""
            else:
                status, pins = state_words(state), "—" if state.pins is None else f"{state.pins:,}"
            self.set_row(row, (service.name, status, pins))
            if service.name == keep:
                row_to_select = row
        if self.services:
            self.table.selectRow(row_to_select)
        self._selection()

    def selected(self) -> PinningService | None:
        row = self.table.currentRow()
        return self.services[row] if 0 <= row < len(self.services) else None

    def _selection(self) -> None:
        service = self.selected()
        self.check_button.setEnabled(service is not None and service.name not in self.checking)
        self.remove_button.setEnabled(service is not None)
        self.add_button.setEnabled(not self.adding)
        if service is None:
            self.detail.setText("" if self.services else "No pinning service yet. Choose “Add…” and enter the address "
                                "and access token your service gives you.")
        else:
            self.detail.setText(f"Address: {service.url}")

    # --- checking ---------------------------------------------------------------------------

    def check_all(self) -> None:
        """Ask every service in the background how it is (on opening the page)."""
        if not self.services or self._runner.shut_down:
            return
        pinning = self._pinning
        self.checking.update(s.name for s in self.services)
        self.reload()

        def job(_progress: ProgressSink, _cancel: CancelToken) -> list[ServiceState]:
            return pinning.states()

        self._runner.submit(job, on_done=self._all_checked, on_failed=self._all_failed, latest="pinning-states")

    def _all_checked(self, states: list[ServiceState]) -> None:
        self.checking.clear()
        self.states.update({s.name: s for s in states})
        self.reload()

    def _all_failed(self, message: str) -> None:
        self.checking.clear()
        self.reload()
        self.say(message, "error")

    def check_selected(self) -> None:
        service = self.selected()
        if service is not None:
            self.check(service.name)

    def check(self, name: str) -> None:
        """Ask service ``name`` again, in the background."""
        if name in self.checking or self._runner.shut_down:
            return
        pinning = self._pinning
        self.checking.add(name)
        self.say(f"Asking {name}…", None)
        self.reload()

        def job(_progress: ProgressSink, _cancel: CancelToken) -> ServiceState:
            return pinning.check(name)

        self._runner.submit(job, on_done=self._checked, on_failed=lambda message: self._check_failed(name, message))

    def _checked(self, state: ServiceState) -> None:
        self.checking.discard(state.name)
        self.states[state.name] = state
        self.reload()
        if state.status == "ok":
            copies = "" if state.pins is None else f"; it keeps {state.pins:,} cop{'y' if state.pins == 1 else 'ies'}"
            self.say(f"{state.name} answers{copies}.", "success")
        else:
            self.say(state.status, "error")

    def _check_failed(self, name: str, message: str) -> None:
        self.checking.discard(name)
        self.reload()
        self.say(message, "error")

    # --- adding and removing ------------------------------------------------------------------

    def add_dialog(self) -> AddPinningServiceDialog:
        """The Add dialog, holding the name and address of an add that failed (never the token)."""
        dialog = AddPinningServiceDialog(self)
        dialog.name.setText(self._draft[0])
        dialog.url.setText(self._draft[1])
        dialog.fingerprint.setText(self._draft[2])
        return dialog

    def ask_add(self) -> None:
        dialog = self.add_dialog()
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.add(dialog.name.text(), dialog.url.text(), dialog.token.text(), dialog.fingerprint.text())
        dialog.token.clear()

    def add(self, name: str, url: str, token: str, fingerprint: str = "") -> None:
        """Check the service answers with ``token`` (and, given ``fingerprint``, presents
        that certificate) and keep it, in the background; the status line says what
        happened, and a refused service is not kept."""
        if self.adding or self._runner.shut_down:
            return
        pinning = self._pinning
        name, url, fingerprint = name.strip(), url.strip(), fingerprint.strip()
        self.adding = True
        self._draft = (name, url, fingerprint)
        self.say(f"Asking {name or 'the service'} whether the access token works…", None)
        self._selection()

        def job(_progress: ProgressSink, _cancel: CancelToken) -> ServiceState:
            return pinning.add(name, url, token, certificate_sha256=fingerprint or None)

        self._runner.submit(job, on_done=self._added, on_failed=self._add_failed)

    def _added(self, state: ServiceState) -> None:
        self.adding = False
        self._draft = ("", "", "")
        self.states[state.name] = state
        self.reload(select=state.name)
        self.say(f"Added {state.name}. New shares and backups are kept there too, so they stay available when "
                 "this computer is off.", "success")

    def _add_failed(self, message: str) -> None:
        self.adding = False
        self._selection()
        self.say(f"{message} Nothing was added; correct it and add the service again.", "error")

    def remove_selected(self) -> None:
        service = self.selected()
        if service is not None and confirm_remove(self, service.name):
            self.remove(service.name)

    def remove(self, name: str) -> bool:
        """Forget service ``name`` and its token (copies it keeps stay at the service)."""
        try:
            service = self._pinning.remove(name)
        except WalletError as exc:
            self.say(exc.user_message, "error")
            return False
        self.states.pop(service.name, None)
        self.reload()
        self.say(f"Removed {service.name}. Copies it already keeps stay there until you remove them at the "
                 "service.", None)
        return True
