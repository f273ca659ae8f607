"""Settings ▸ Networks: which network shares are recorded on, and the networks known.

Built in: ``embedded`` (this computer only, the default), ``localhost`` and public
networks with their RPC lists. "Use" makes one active; "Add…" adds a network (or new RPC
addresses for a built-in one) with its chain id, RPC URLs, currency and explorer;
"Remove" removes one added here. :func:`choose_network` is the small picker the sharing
views call when several networks share a token's chain id.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..errors import WalletError
from ..services import NetworkProfile, Networks, UnlockedWallet
from .plain_text import plain_label
from .settings_table import SettingsTablePage, confirm

__all__ = ["AddNetworkDialog", "NetworksPage", "choose_network"]



def _describe(profile: dict[str, object]) -> str:
    if profile["name"] == "embedded":
        return "This computer only (no internet needed; a doctor on another computer cannot open shares)"
    kind = "test network" if profile.get("testnet") else "network"
    return f"{profile.get('title') or profile['name']} ({kind}, chain id {profile['chain_id']})"


class AddNetworkDialog(QDialog):
    """Name, chain id, RPC URLs (one a line), currency and explorer of a network."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a network")
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("e.g. my-clinic (lower-case letters, digits, -)")
        self.name.setAccessibleName("Network name")
        self.chain_id = QSpinBox(self)
        self.chain_id.setRange(1, 2**31 - 1)  # QSpinBox is 32-bit; larger ids are typed in the RPC's own tool
        self.chain_id.setAccessibleName("Chain id")
        self.rpc = QPlainTextEdit(self)
        self.rpc.setPlaceholderText("https://rpc.example.org\n(one address a line)")
        self.rpc.setAccessibleName("RPC addresses")
        self.rpc.setTabChangesFocus(True)
        self.rpc.setMaximumHeight(90)
        self.currency = QLineEdit("ETH", self)
        self.currency.setAccessibleName("Currency symbol")
        self.explorer = QLineEdit(self)
        self.explorer.setPlaceholderText("https://explorer.example.org (optional)")
        self.explorer.setAccessibleName("Block explorer address")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Add network")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.name.textChanged.connect(self._check)
        self.rpc.textChanged.connect(self._check)
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Chain id", self.chain_id)
        form.addRow("RPC addresses", self.rpc)
        form.addRow("Currency", self.currency)
        form.addRow("Explorer", self.explorer)
        layout = QVBoxLayout(self)
        layout.addWidget(plain_label("Ask whoever runs the network for these values. Using the name of a built-in "
                                     "network replaces its RPC addresses.", self, selectable=False))
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self._check()
        self.resize(520, self.sizeHint().height())

    @property
    def rpc_urls(self) -> list[str]:
        return [line.strip() for line in self.rpc.toPlainText().splitlines() if line.strip()]

    def _check(self) -> None:
        ok = bool(self.name.text().strip()) and bool(self.rpc_urls)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)


class NetworksPage(SettingsTablePage):
    changed = Signal()  # another network is active

    def __init__(self, wallet: UnlockedWallet, parent: QWidget | None = None) -> None:
        super().__init__(parent, explain="Shares are recorded on a network. On “embedded” they work on this computer "
                         "only; to share with a doctor on another computer, you and the doctor use the same public "
                         "network. Nothing needs to be bought: the doctor's wallet records the share.",
                         headers=("Network", "Chain id", "Currency", "In use"), accessible_name="Networks",
                         stretch=(0,), detail=True)
        self._networks = Networks(wallet.app)
        self.table.doubleClicked.connect(lambda _index: self.use_selected())
        self.use_button = QPushButton("Use this network", self)
        self.use_button.clicked.connect(self.use_selected)
        self.add_button = QPushButton("Add…", self)
        self.add_button.clicked.connect(self.ask_add)
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.clicked.connect(self.remove_selected)
        self.place_buttons(self.use_button, self.add_button, self.remove_button)
        self.profiles: list[dict[str, object]] = []
        self.reload()

    def __repr__(self) -> str:
        return f"NetworksPage(rows={len(self.profiles)})"

    def reload(self, select: str | None = None) -> None:
        try:
            self.profiles = self._networks.profiles()
        except WalletError as exc:
            self.say(exc.user_message, "error")
            self.profiles = []
        self.table.setRowCount(len(self.profiles))
        chosen = 0
        for row, p in enumerate(self.profiles):
            title = str(p.get("title") or p["name"])
            if p.get("testnet") and "test" not in title.lower():
                title += " (test network)"
            cells = (title, "" if p["chain_id"] is None else str(p["chain_id"]),
                     "—" if p["name"] == "embedded" else str(p["currency"]), "✓ in use" if p["active"] else "")
            self.set_row(row, cells, tooltip=_describe(p))
            if (select is None and p["active"]) or p["name"] == select:
                chosen = row
        if self.profiles:
            self.table.selectRow(chosen)
        self._selection()

    def selected(self) -> dict[str, object] | None:
        row = self.table.currentRow()
        return self.profiles[row] if 0 <= row < len(self.profiles) else None

    def _selection(self) -> None:
        p = self.selected()
        self.use_button.setEnabled(p is not None and not p["active"])
        self.remove_button.setEnabled(p is not None and not p["active"] and p["name"] != "embedded")
        if p is None:
            self.detail.clear()
            return
        rpc = p.get("rpc") or []
        lines = [_describe(p)]
        if isinstance(rpc, list) and rpc:
            lines.append("RPC: " + ", ".join(str(u) for u in rpc))
        if p.get("explorer"):
            lines.append(f"Explorer: {p['explorer']}")
        self.detail.setText("\n".join(lines))

    def use_selected(self) -> None:
        p = self.selected()
        if p is not None and not p["active"]:
            self.use(str(p["name"]))

    def use(self, name: str) -> bool:
        try:
            choice = self._networks.use(name)
        except WalletError as exc:
            self.say(f"{exc.user_message} The network in use did not change.", "error")
            return False
        self.reload(select=name)
        note = f" (cleared {', '.join(choice.cleared)})" if choice.cleared else ""
        self.say(f"Now using {choice.profile.title}{note}. Lock and unlock the wallet (Ctrl+L) to connect to "
                 "it; new shares are recorded there from then on.", "success")
        self.changed.emit()
        return True

    def ask_add(self) -> None:
        dialog = AddNetworkDialog(self)
        while dialog.exec() == QDialog.DialogCode.Accepted:
            if self.add(dialog.name.text(), dialog.chain_id.value(), dialog.rpc_urls, dialog.currency.text(),
                        dialog.explorer.text()):
                return

    def add(self, name: str, chain_id: int, rpc: Sequence[str], currency: str = "", explorer: str = "") -> bool:
        try:
            profile = self._networks.add(name, chain_id=chain_id, rpc=list(rpc), currency=currency.strip() or None,
                                         explorer=explorer.strip() or None)
        except WalletError as exc:
            self.say(f"{exc.user_message} Correct it and add the network again.", "error")
            return False
        self.reload(select=profile.name)
        self.say(f"Added {profile.title}. Choose “Use this network” to share on it.", "success")
        return True

    def remove_selected(self) -> None:
        p = self.selected()
        if p is None:
            return
        if confirm(self, "Remove this network?", f"Remove {p.get('title') or p['name']} from this wallet's networks?"):
            self.remove(str(p["name"]))

    def remove(self, name: str) -> bool:
        try:
            note = self._networks.remove(name)
        except WalletError as exc:
            self.say(exc.user_message, "error")
            return False
        self.reload()
        self.say(note, None)
        return True


class _NetworkPicker(QDialog):
    def __init__(self, profiles: Sequence[NetworkProfile], chain_id: int, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Which network?")
        self.group = QButtonGroup(self)
        layout = QVBoxLayout(self)
        layout.addWidget(plain_label(f"This share is on chain {chain_id}, and several of your networks use it. "
                                     "Choose the one to open it with:", self, selectable=False))
        self.names: list[str] = []
        for n, profile in enumerate(profiles):
            button = QRadioButton(f"{profile.title} — {', '.join(profile.rpc[:2])}", self)
            button.setChecked(n == 0)
            self.group.addButton(button, n)
            self.names.append(profile.name)
            layout.addWidget(button)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Use this network")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    @property
    def choice(self) -> str:
        return self.names[max(0, self.group.checkedId())]


def choose_network(parent: QWidget | None, profiles: Sequence[NetworkProfile], chain_id: int) -> str | None:
    """The name of the network to open a share of ``chain_id`` with: the only match
    without asking, the user's choice among several, ``None`` when there is none or the
    user cancels (the caller says how to add one: Settings ▸ Networks)."""
    if not profiles:
        return None
    if len(profiles) == 1:
        return profiles[0].name
    picker = _NetworkPicker(profiles, chain_id, parent)
    picker.setWindowModality(Qt.WindowModality.WindowModal)
    return picker.choice if picker.exec() == QDialog.DialogCode.Accepted else None
