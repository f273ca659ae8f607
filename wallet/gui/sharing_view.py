"""The patient's Sharing view: every grant with its status and how often it was opened;
new share (Ctrl+Shift+S), the share token of an active grant (text and QR), revoke.

Chain and IPFS calls run on the view's worker thread. While this wallet has an active
share, its IPFS node is started (without waiting) so doctors can fetch the records.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..events import CancelToken, ProgressSink
from ..services import UnlockedWallet
from .grant_models import GrantTableModel, local_time, plural
from .plain_text import plain_label
from .qr_widget import TokenDialog
from .share_dialog import CANNOT_UNSHARE, ShareDialog
from .table_view import row_table
from .theme import set_text_tone
from .workers import JobRunner, retire_runner

if TYPE_CHECKING:
    from ..services import GrantReceipt, GrantView, RevokeReceipt

__all__ = ["EMPTY_SHARES_TEXT", "SharingView", "revoke_question"]

EMPTY_SHARES_TEXT = ("You have not shared any records yet.\n\nNew share (Ctrl+Shift+S) encrypts the records you "
                     "choose for one doctor's wallet, until a time you choose.")


REVOKE_NEEDS = ("Revoking is one transaction on chain, signed by this share's own key and paid from this wallet's "
                "account in the network's currency (nothing on a development chain).")


def revoke_question(view: GrantView, name: str = "", cost: str | None = None) -> str:
    """What the revoke confirmation says (plain text: the name is the user's note); ``cost``
    is what revoking needs and costs on this network (:meth:`RevocationPlan.describe`) when known."""
    who = f"{name} ({view.counterpart})" if name else view.counterpart
    opened = view.grant.accesses
    seen = ("The doctor has not opened it yet." if not opened else
            f"The doctor has opened it {plural(opened, 'time')} and may have kept what they saw.")
    return (f"Revoke the share with {who}?\n\n"
            "From now on the doctor's wallet refuses to open it, and this computer stops serving its records.\n\n"
            f"{CANNOT_UNSHARE} {seen}\n\n"
            f"Your other shares are unaffected. {cost or REVOKE_NEEDS}")


class SharingView(QWidget):
    """Emits :attr:`records_changed` after a share or a revoke (each adds a consent or an
    audit record to the wallet)."""

    records_changed = Signal()
    loaded = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._plans: dict[str, str] = {}  # grant id -> what revoking it needs and costs
        self._wallet: UnlockedWallet | None = None
        self._runner: JobRunner | None = None
        self.loading = False
        self.dialog: ShareDialog | None = None
        self.token_dialog: TokenDialog | None = None
        self._select_after_load = ""

        title = QLabel("Your shares", self)
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        title.setFont(font)
        intro = plain_label("Each share lets one doctor's wallet open the records you chose until the time you "
                            "chose. You can revoke a share at any time; revocation cannot un-share what the "
                            "doctor has already opened.", self, selectable=False)

        self.new_button = QPushButton("New share…", self)
        self.new_button.setToolTip("Share records with a doctor (Ctrl+Shift+S)")
        self.new_button.clicked.connect(self.new_share)
        self.token_button = QPushButton("Show token", self)
        self.token_button.setToolTip("The share token of the selected share, as text and QR code, for the doctor")
        self.token_button.clicked.connect(self.show_token)
        self.revoke_button = QPushButton("Revoke…", self)
        self.revoke_button.setToolTip("Stop the selected share")
        self.revoke_button.clicked.connect(self.revoke)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setToolTip("Read the shares from the chain again")
        self.refresh_button.clicked.connect(self.refresh)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.token_button)
        buttons.addWidget(self.revoke_button)
        buttons.addStretch(1)
        buttons.addWidget(self.refresh_button)

        self.model = GrantTableModel(parent=self)
        self.table = row_table(self, "Your shares", model=self.model)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column, width in ((1, 230), (2, 190), (3, 110), (4, 190)):
            header.resizeSection(column, width)
        header.setHighlightSections(False)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.table.doubleClicked.connect(self._double_clicked)

        self.empty = plain_label(EMPTY_SHARES_TEXT, self, selectable=False)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setEnabled(False)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)

        self.detail = plain_label("", self)
        self.status = plain_label("", self)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addLayout(buttons)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.detail)
        layout.addWidget(self.status)
        self.clear()

    # --- wallet ---------------------------------------------------------------------------

    @property
    def wallet(self) -> UnlockedWallet | None:
        return self._wallet

    def set_wallet(self, wallet: UnlockedWallet) -> None:
        self.clear()
        self._wallet = wallet
        self._runner = JobRunner("sharing", self)
        self.new_button.setEnabled(True)
        self.refresh_button.setEnabled(True)

    def clear(self) -> None:
        """Forget the wallet and its shares (before it locks)."""
        if self.dialog is not None:
            self.dialog.abort()
        if self.token_dialog is not None:
            self.token_dialog.close()
        self.dialog = self.token_dialog = None
        retire_runner(self._runner)
        self._runner = None
        self._wallet = None
        self._plans = {}
        self.loading = False
        self.model.clear()
        self.detail.clear()
        self.status.clear()
        self.stack.setCurrentWidget(self.empty)
        for button in (self.new_button, self.refresh_button):
            button.setEnabled(False)
        self._update_buttons()

    def _message(self, text: str, *, error: bool = False) -> None:
        set_text_tone(self.status, "error" if error else None)
        self.status.setText(text)

    # --- the list ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the grants from the chain (on the worker)."""
        wallet, runner = self._wallet, self._runner
        if wallet is None or runner is None or self.loading:
            return
        self.loading = True
        self._message("Reading your shares from the chain…")

        def job(_p: ProgressSink, _c: CancelToken) -> tuple[list[GrantView], datetime, dict[str, str]]:
            from ..services import Sharing

            sharing = Sharing(wallet)
            views = sharing.grants()
            now = sharing.now()
            if any(v.status.value == "active" for v in views):
                wallet.ipfs(wait=None)  # serve the shared records while the wallet is open
            return views, now, wallet.address_book().names()

        def done(result: tuple[list[GrantView], datetime, dict[str, str]]) -> None:
            self.loading = False
            views, now, names = result
            self.model.set_grants(views, now, names)
            self.stack.setCurrentWidget(self.table if views else self.empty)
            active = sum(1 for v in views if v.status.value == "active")
            self._message(f"{plural(len(views), 'share')}, {active:,} active." if views else "")
            if self._select_after_load:
                self.select_grant(self._select_after_load)
                self._select_after_load = ""
            self._update_buttons()
            self.loaded.emit()

        def failed(message: str) -> None:
            self.loading = False
            self._message(message, error=True)
            self.loaded.emit()

        runner.submit(job, on_done=done, on_failed=failed, latest="grants")

    def select_grant(self, grant_id: str) -> bool:
        """Select the grant ``grant_id`` names: its full id or, as the command line takes it, a
        unique start or end of at least 8 hex digits (:meth:`Sharing.resolve_grant_id`).
        ``False`` when no listed grant is that one; the status line says why."""
        row = self.model.row_of(grant_id)
        if row < 0 and self._wallet is not None:
            from ..errors import WalletError
            from ..services import Sharing

            try:
                row = self.model.row_of(Sharing(self._wallet).resolve_grant_id(grant_id))
            except WalletError as exc:
                self._message(exc.user_message, error=True)
                return False
        if row < 0:
            return False
        flags = QItemSelectionModel.SelectionFlag
        self.table.selectionModel().setCurrentIndex(self.model.index(row, 0), flags.ClearAndSelect | flags.Rows)
        return True

    def current_grant(self) -> GrantView | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.grant_at(rows[0].row()) if rows else None

    def _update_buttons(self, *_: Any) -> None:
        view = self.current_grant()
        active = view is not None and view.status.value == "active" and self._wallet is not None
        self.token_button.setEnabled(active)
        self.revoke_button.setEnabled(active)
        self.detail.setText(self.describe(view) if view is not None else "")
        if active and view is not None and view.grant_id not in self._plans:
            self._fetch_plan(view.grant_id)

    def _fetch_plan(self, grant_id: str) -> None:
        """Learn what revoking ``grant_id`` needs and costs (on the worker), for the confirmation."""
        wallet, runner = self._wallet, self._runner
        if wallet is None or runner is None:
            return

        def job(_p: ProgressSink, _c: CancelToken) -> str:
            from ..services import Sharing

            return Sharing(wallet).revocation_plan(grant_id).describe()

        def done(text: str) -> None:
            self._plans[grant_id] = text

        runner.submit(job, on_done=done, on_failed=lambda _m: None, latest="revocation-plan")

    def describe(self, view: GrantView) -> str:
        """The selected share in a few lines (plain text)."""
        grant = view.grant
        name = self.model.name_of(view)
        lines = [f"Shared with {name + ' ' if name else ''}{view.counterpart} on {local_time(grant.granted_at)}"
                 + (f" (transaction {grant.grant_tx})" if grant.grant_tx else "") + "."]
        if grant.accesses:
            lines.append(f"Opened {plural(grant.accesses, 'time')}, last on {local_time(grant.last_access_at)}.")
        else:
            lines.append("Not opened yet.")
        if grant.revoked:
            lines.append(f"Revoked on {local_time(grant.revoked_at)}." if grant.revoked_at else "Revoked.")
        elif view.status.value == "active":
            lines.append("Show token gives the doctor what they need to open it (double-click does the same).")
        lines.append(f"Grant {view.grant_id}")
        return "\n".join(lines)

    def _double_clicked(self, index: QModelIndex) -> None:
        if index.isValid() and self.model.grant_at(index.row()).status.value == "active":
            self.show_token()

    # --- new share --------------------------------------------------------------------------

    def new_share(self) -> ShareDialog | None:
        if self._wallet is None:
            return None
        if self.dialog is not None:
            self.dialog.raise_()
            return self.dialog
        dialog = ShareDialog(self._wallet, self)
        dialog.granted.connect(self._granted)
        dialog.finished.connect(lambda _r: self._dialog_closed(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _dialog_closed(self, dialog: ShareDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None
        dialog.deleteLater()

    def _granted(self, receipt: GrantReceipt) -> None:
        self._select_after_load = receipt.grant_id
        self.loading = False  # a list read before the share is out of date
        self.refresh()
        self.records_changed.emit()

    # --- token ------------------------------------------------------------------------------

    def show_token(self, *, grant_id: str | None = None) -> None:
        """The token of the selected grant, or of the one ``grant_id`` names (see :meth:`select_grant`)."""
        if grant_id is not None and not self.select_grant(grant_id):
            return
        view, wallet, runner = self.current_grant(), self._wallet, self._runner
        if view is None or wallet is None or runner is None or view.status.value != "active":
            return
        name = self.model.name_of(view)
        dialog = TokenDialog(f"Share with {name or view.counterpart}, until {local_time(view.grant.expires_at)}",
                             self)
        dialog.token_widget.text.setPlainText("Preparing the token…")
        self.token_dialog = dialog
        dialog.finished.connect(lambda _r: self._token_closed(dialog))
        dialog.open()
        grant_id = view.grant_id

        def job(_p: ProgressSink, _c: CancelToken) -> str:
            from ..services import Sharing

            return Sharing(wallet).token_for(grant_id)

        def done(token: str) -> None:
            if self.token_dialog is dialog:
                dialog.set_token(token)

        def failed(message: str) -> None:
            if self.token_dialog is dialog:
                dialog.token_widget.text.setPlainText(message)

        runner.submit(job, on_done=done, on_failed=failed)

    def _token_closed(self, dialog: TokenDialog) -> None:
        if self.token_dialog is dialog:
            self.token_dialog = None
        dialog.deleteLater()

    # --- revoke -----------------------------------------------------------------------------

    def revoke_box(self, view: GrantView) -> QMessageBox:
        """The question asked before revoking ``view`` (Revoke or Cancel, Cancel the default)."""
        box = QMessageBox(QMessageBox.Icon.Warning, "Revoke this share?", "",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        box.setTextFormat(Qt.TextFormat.PlainText)  # the name is the user's own note, not markup
        box.setText(revoke_question(view, self.model.name_of(view), self._plans.get(view.grant_id)))
        box.button(QMessageBox.StandardButton.Yes).setText("Revoke")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        return box

    def confirm_revoke(self, view: GrantView) -> bool:
        box = self.revoke_box(view)
        try:
            return box.exec() == QMessageBox.StandardButton.Yes
        finally:
            box.deleteLater()

    def revoke(self, *, grant_id: str | None = None) -> None:
        """Revoke the selected grant, or the one ``grant_id`` names (see :meth:`select_grant`), after the question."""
        if grant_id is not None and not self.select_grant(grant_id):
            return
        view, wallet, runner = self.current_grant(), self._wallet, self._runner
        if view is None or wallet is None or runner is None or view.status.value != "active":
            return
        if not self.confirm_revoke(view):
            return
        if self._wallet is not wallet or self._runner is None:
            return  # locked while the question was open
        grant_id = view.grant_id
        self.revoke_button.setEnabled(False)
        self.token_button.setEnabled(False)
        self._message("Revoking on chain…")

        def job(_p: ProgressSink, _c: CancelToken) -> RevokeReceipt:
            from ..services import Sharing

            return Sharing(wallet).revoke_grant(grant_id)

        def done(receipt: RevokeReceipt) -> None:
            said = f"Revoked (transaction {receipt.tx.tx_hash})." if receipt.tx else "Already revoked on chain."
            if receipt.warning:
                said += f" Warning: {receipt.warning}"
            self._message(f"{said} {CANNOT_UNSHARE}", error=bool(receipt.warning))
            self._select_after_load = grant_id
            self.loading = False
            self._refresh_keeping_message()
            self.records_changed.emit()

        def failed(message: str) -> None:
            self._message(f"Not revoked: {message}", error=True)
            self._update_buttons()

        runner.submit(job, on_done=done, on_failed=failed)

    def _refresh_keeping_message(self) -> None:
        text = self.status.text()
        self.refresh()
        self.loaded.connect(lambda: self._message(text), Qt.ConnectionType.SingleShotConnection)
