"""New share: what, with whom, until when; a confirm step that says plainly what becomes
public; then the work on a worker thread with progress, and the share token (text and QR).

Step 1 (choose) checks nothing itself: "Next" runs :func:`wallet.services.plan_share` on a
worker, which validates the choice (records, address or address-book name, the doctor's
published key, the expiry on the chain's clock) with the core's own rules and returns a
:class:`~wallet.services.SharePlan`. Step 2 shows :func:`confirm_text` of
that plan. Step 3 runs :meth:`Sharing.grant` with exactly the plan's records and expiry.
"""

from __future__ import annotations

import contextlib
from typing import Any

from PySide6.QtCore import QDateTime, QSortFilterProxyModel, Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..errors import InvalidAddress
from ..events import CancelToken, Progress, ProgressSink
from ..services import AddressBook, GrantReceipt, SharePlan, Sharing, StoredSummary, UnlockedWallet, plan_share
from ..services.expiry import PRESETS
from ..services.sharing import LOCAL_ONLY_TYPES  # the wallet's own trail: never offered, never counted
from .grant_models import CategoryChoiceModel, RecordChoiceModel, about_gas, local_time, plural, short_address
from .plain_text import plain_label
from .progress import show_progress
from .qr_widget import TokenWidget
from .theme import set_text_tone
from .workers import JobRunner, Ticket

__all__ = ["DEFAULT_PRESET", "NAME_PRIVACY", "ShareDialog", "SharePlan", "confirm_text", "plan_share"]

DEFAULT_PRESET = "1 week"
NAME_PRIVACY = ("Names are your own notes. They are kept on this computer only, in a plain (not encrypted) file "
                "in your wallet folder that only your user account can read; they are never put on chain or "
                "sent to the doctor.")
PUBLIC_LINK = ("On the blockchain this share appears under an address made for it alone, publicly linked to the "
               "doctor's address: anyone can see that it shared something with the doctor, and when (never what), "
               "but nothing there ties it to your wallet or to your other shares.")
CANNOT_UNSHARE = ("You can revoke the share at any time, but revocation cannot un-share what the doctor has "
                  "already opened.")


def confirm_text(plan: SharePlan) -> str:
    """What the confirm step says, in plain words (shown as plain text: names are data)."""
    what = "\n".join(f"    {category}: {n:,}" for category, n in plan.by_category)
    gas = ""
    if plan.gas and plan.development_chain:
        gas = f"\n\nRecording the share on chain costs {about_gas(plan.gas)} (a development chain: no real money)."
    elif plan.gas:
        gas = (f"\n\nYou pay nothing: the doctor's wallet records the share on chain when it first opens it, and "
               f"pays {about_gas(plan.gas)}.")
    return (
        f"Share {plural(plan.records, 'record')} with {plan.who}\n"
        f"until {local_time(plan.expires_at)} (your local time).\n\n"
        f"{what}\n"
        "    and your patient details (name, date of birth), so the doctor knows whose records these are.\n\n"
        "The records are encrypted for the doctor's wallet alone; it can open them only until that time "
        "or until you revoke the share.\n\n"
        f"• {PUBLIC_LINK}\n"
        f"• {CANNOT_UNSHARE}\n"
        "• The doctor fetches the encrypted records from this computer: keep Health Wallet open until they have "
        f"opened them.{gas}"
    )


class _Step:
    CHOOSE, CONFIRM, RUN = range(3)


class ShareDialog(QDialog):
    """Emits :attr:`granted` with the :class:`GrantReceipt` when a share is made."""

    granted = Signal(object)

    def __init__(self, wallet: UnlockedWallet, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Share records with a doctor")
        self.setModal(True)
        self.wallet = wallet
        self.runner = JobRunner("share-dialog", self)
        self.plan: SharePlan | None = None
        self.receipt: GrantReceipt | None = None
        self.book: AddressBook | None = None
        self.error = ""
        self._ticket: Ticket | None = None
        self._records_loaded = False
        self._busy = False

        self.steps = QStackedWidget(self)
        self.steps.addWidget(self._build_choose())
        self.steps.addWidget(self._build_confirm())
        self.steps.addWidget(self._build_run())

        self.back_button = QPushButton("‹ Back", self)
        self.back_button.clicked.connect(self.back)
        self.next_button = QPushButton("Next ›", self)
        self.next_button.setDefault(True)
        self.next_button.clicked.connect(self.next)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.steps, 1)
        layout.addLayout(buttons)
        self.resize(900, 560)

        self._gas_timer = QTimer(self)
        self._gas_timer.setSingleShot(True)
        self._gas_timer.setInterval(400)
        self._gas_timer.timeout.connect(self._estimate_gas)
        self._show_step(_Step.CHOOSE)
        self._load()

    # --- step 1: choose -------------------------------------------------------------------

    def _build_choose(self) -> QWidget:
        page = QWidget(self)
        # what
        what = QGroupBox("1. What to share", page)
        self.by_category = QRadioButton("Whole categories", what)
        self.by_record = QRadioButton("Specific records", what)
        self.by_category.setChecked(True)
        mode = QButtonGroup(what)
        mode.addButton(self.by_category)
        mode.addButton(self.by_record)
        self.by_record.toggled.connect(self._mode_changed)
        self.categories = CategoryChoiceModel(self)
        self.categories.dataChanged.connect(self._update_chosen)
        self.category_list = QListView(what)
        self.category_list.setModel(self.categories)
        self.category_list.setAccessibleName("Categories to share")
        self.category_list.setSpacing(2)
        self.records = RecordChoiceModel(self)
        self.records.dataChanged.connect(self._update_chosen)
        self.record_proxy = QSortFilterProxyModel(self)
        self.record_proxy.setSourceModel(self.records)
        self.record_proxy.setFilterKeyColumn(-1)
        self.record_proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.record_filter = QLineEdit(what)
        self.record_filter.setPlaceholderText("Filter records")
        self.record_filter.setClearButtonEnabled(True)
        self.record_filter.textChanged.connect(self.record_proxy.setFilterFixedString)
        self.record_table = QTableView(what)
        self.record_table.setModel(self.record_proxy)
        self.record_table.setAccessibleName("Records to share")
        self.record_table.verticalHeader().hide()
        self.record_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.record_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.record_table.setWordWrap(False)
        records_box = QWidget(what)
        box = QVBoxLayout(records_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.record_filter)
        box.addWidget(self.record_table, 1)
        self.what_stack = QStackedWidget(what)
        self.what_stack.addWidget(self.category_list)
        self.what_stack.addWidget(records_box)
        self.chosen_label = plain_label("", what, selectable=False)
        note = plain_label("Your patient details (name, date of birth) always go along, so the doctor knows whose "
                           "records these are.", what, selectable=False)
        note.setEnabled(False)
        lay = QVBoxLayout(what)
        row = QHBoxLayout()
        row.addWidget(self.by_category)
        row.addWidget(self.by_record)
        row.addStretch(1)
        lay.addLayout(row)
        lay.addWidget(self.what_stack, 1)
        lay.addWidget(self.chosen_label)
        lay.addWidget(note)

        # with whom
        who = QGroupBox("2. With whom", page)
        self.contact_combo = QComboBox(who)
        self.contact_combo.setAccessibleName("Address book")
        self.contact_combo.currentIndexChanged.connect(self._contact_chosen)
        self.name_edit = QLineEdit(who)
        self.name_edit.setPlaceholderText("e.g. Dr Quinn, City Clinic")
        self.name_edit.setToolTip(NAME_PRIVACY)
        self.name_edit.setMaxLength(120)
        self.address_edit = QLineEdit(who)
        self.address_edit.setPlaceholderText("0x… the doctor's wallet address")
        self.address_edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.address_edit.setToolTip("The doctor's wallet address, as their Health Wallet shows it")
        self.address_edit.textChanged.connect(lambda _t: self._gas_timer.start())
        self.remember = QCheckBox("Remember this name in my address book", who)
        self.remember.setChecked(True)
        self.remember.setToolTip(NAME_PRIVACY)
        self.message_edit = QLineEdit(who)
        self.message_edit.setPlaceholderText("optional, e.g. For our appointment on Tuesday")
        self.message_edit.setToolTip("A short note for the doctor. It travels with the share, encrypted so that "
                                     "only the doctor's wallet can read it, with your name and what you shared.")
        self.message_edit.setMaxLength(140)
        self.gas_label = plain_label("", who, selectable=False)
        form = QFormLayout(who)
        form.addRow("Address book", self.contact_combo)
        form.addRow("Name", self.name_edit)
        form.addRow("Address", self.address_edit)
        form.addRow("", self.remember)
        form.addRow("Message", self.message_edit)
        form.addRow("", self.gas_label)

        # until when
        until = QGroupBox("3. Until when", page)
        self.expiry_group = QButtonGroup(until)
        self.presets: dict[str, QRadioButton] = {}
        grid = QVBoxLayout(until)
        row = QHBoxLayout()
        for label in PRESETS:
            button = QRadioButton(label, until)
            self.presets[label] = button
            self.expiry_group.addButton(button)
            row.addWidget(button)
        row.addStretch(1)
        grid.addLayout(row)
        self.presets[DEFAULT_PRESET].setChecked(True)
        self.custom = QRadioButton("Until", until)
        self.expiry_group.addButton(self.custom)
        self.custom_edit = QDateTimeEdit(until)
        self.custom_edit.setCalendarPopup(True)
        self.custom_edit.setDisplayFormat("ddd d MMM yyyy, HH:mm")
        self.custom_edit.setAccessibleName("Custom expiry")
        now = QDateTime.currentDateTime()
        self.custom_edit.setMinimumDateTime(now.addSecs(60))
        self.custom_edit.setMaximumDateTime(now.addDays(5 * 365))
        self.custom_edit.setDateTime(now.addDays(14))
        self.custom_edit.dateTimeChanged.connect(lambda _d: self.custom.setChecked(True))
        row = QHBoxLayout()
        row.addWidget(self.custom)
        row.addWidget(self.custom_edit)
        row.addWidget(plain_label("(your local time)", until, selectable=False))
        row.addStretch(1)
        grid.addLayout(row)
        grid.addWidget(plain_label("The chain refuses to open the share after this time; you can also revoke "
                                   "it earlier.", until, selectable=False))

        self.choose_error = plain_label("", page)
        set_text_tone(self.choose_error, "error")
        self.choose_error.hide()
        right = QVBoxLayout()
        right.addWidget(who)
        right.addWidget(until)
        right.addStretch(1)
        columns = QHBoxLayout()
        columns.addWidget(what, 1)
        columns.addLayout(right, 1)
        layout = QVBoxLayout(page)
        layout.addLayout(columns, 1)
        layout.addWidget(self.choose_error)
        return page

    def _load(self) -> None:
        wallet = self.wallet

        def job(_p: ProgressSink, _c: CancelToken) -> tuple[dict[str, int], AddressBook]:
            counts = dict(wallet.counts_by_category())  # the wallet's own activity is not counted
            return counts, wallet.address_book()

        self.runner.submit(job, on_done=self._loaded, on_failed=self._show_choose_error)

    def _loaded(self, result: tuple[dict[str, int], AddressBook]) -> None:
        counts, self.book = result
        self.categories.set_counts(counts)
        self.set_contacts(self.book)
        self._update_chosen()

    def set_contacts(self, book: AddressBook) -> None:
        self.book = book
        self.contact_combo.blockSignals(True)
        self.contact_combo.clear()
        self.contact_combo.addItem("New contact…", None)
        for contact in book.contacts:
            self.contact_combo.addItem(f"{contact.name} — {short_address(contact.address)}", contact.address)
        self.contact_combo.blockSignals(False)

    def choose_contact(self, address: str) -> None:
        n = self.contact_combo.findData(address)
        if n >= 0:
            self.contact_combo.setCurrentIndex(n)

    def _contact_chosen(self, n: int) -> None:
        address = self.contact_combo.itemData(n)
        if address and self.book is not None:
            self.name_edit.setText(self.book.name_of(address) or "")
            self.address_edit.setText(address)
        elif n == 0:
            self.name_edit.clear()
            self.address_edit.clear()

    def _mode_changed(self, specific: bool) -> None:
        self.what_stack.setCurrentIndex(1 if specific else 0)
        if specific and not self._records_loaded:
            self._records_loaded = True
            wallet = self.wallet
            self.chosen_label.setText("Loading the records…")
            self.runner.submit(
                lambda _p, _c: [r for r in wallet.summaries() if r.summary.resource_type not in LOCAL_ONLY_TYPES],
                on_done=self._records_ready, on_failed=self._show_choose_error)
        self._update_chosen()

    def _records_ready(self, rows: list[StoredSummary]) -> None:
        self.records.set_rows(rows)
        self.record_table.resizeColumnToContents(1)
        self.record_table.resizeColumnToContents(2)
        self._update_chosen()

    def _update_chosen(self, *_: Any) -> None:
        n = len(self.records.checked_ids) if self.by_record.isChecked() else self.categories.checked_count
        self.chosen_label.setText(f"{plural(n, 'record')} chosen")

    def _estimate_gas(self) -> None:
        if self.runner.shut_down:  # the debounce timer outlived the dialog
            return
        from ..services import Address

        self.runner.drop("gas")
        text = self.address_edit.text().strip()
        try:
            address = Address.parse(text)
        except InvalidAddress as exc:
            self.gas_label.setText(exc.user_message if text else "")
            return
        wallet = self.wallet
        self.gas_label.setText("Checking the doctor's key on chain…")

        def job(_p: ProgressSink, _c: CancelToken) -> tuple[bool, int | None, bool]:
            sharing = Sharing(wallet)
            if not sharing.key_registered(address):
                return False, None, False
            return True, sharing.estimate_grant_gas(address), sharing.development_chain

        def done(result: tuple[bool, int | None, bool]) -> None:
            registered, gas, dev = result
            if not registered:
                self.gas_label.setText("This address has not published its encryption key yet: ask the doctor to "
                                       "publish it in Health Wallet first.")
            else:
                self.gas_label.setText(f"The doctor's key is on chain. Sharing costs {about_gas(gas or 0)}"
                                       + (" (development chain: no real money)." if dev else "."))

        def failed(message: str) -> None:
            self.gas_label.setText(message)

        self.runner.submit(job, on_done=done, on_failed=failed, latest="gas")

    def _show_choose_error(self, message: str) -> None:
        self._busy = False
        self.choose_error.setText(message)
        self.choose_error.setVisible(bool(message))
        self._show_step(_Step.CHOOSE)

    def expiry_text(self) -> str:
        """The chosen expiry as :func:`parse_expiry` reads it."""
        for label, button in self.presets.items():
            if button.isChecked():
                return PRESETS[label]
        return self.custom_edit.dateTime().toString(Qt.DateFormat.ISODate)  # local time, no offset

    # --- step 2: confirm ------------------------------------------------------------------

    def _build_confirm(self) -> QWidget:
        page = QWidget(self)
        title = QLabel("Check before you share", page)
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        title.setFont(font)
        self.summary = plain_label("", page)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.confirm_error = plain_label("", page)
        set_text_tone(self.confirm_error, "error")
        self.confirm_error.hide()
        layout = QVBoxLayout(page)
        layout.addWidget(title)
        layout.addWidget(self.summary)
        layout.addStretch(1)
        layout.addWidget(self.confirm_error)
        return page

    def _planned(self, plan: SharePlan) -> None:
        self._busy = False
        self.plan = plan
        self.summary.setText(confirm_text(plan))
        self.confirm_error.hide()
        self._show_step(_Step.CONFIRM)

    # --- step 3: run and show the token ------------------------------------------------------

    def _build_run(self) -> QWidget:
        page = QWidget(self)
        self.run_title = plain_label("", page)
        font = self.run_title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.run_title.setFont(font)
        self.progress_label = plain_label("", page, selectable=False)
        self.progress = QProgressBar(page)
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.token = TokenWidget(page)
        self.token.hide()
        layout = QVBoxLayout(page)
        layout.addWidget(self.run_title)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.token, 1)
        layout.addStretch(0)
        return page

    def _share(self) -> None:
        plan, wallet, book = self.plan, self.wallet, self.book
        if plan is None:
            return
        message = self.message_edit.text().strip() or None

        def job(progress: ProgressSink, cancel: CancelToken) -> GrantReceipt:
            if plan.remember and plan.grantee_name and book is not None:
                with contextlib.suppress(OSError):  # the share matters more than the note
                    book.save_contact(plan.grantee_name, plan.grantee)
            return Sharing(wallet).grant(plan.grantee, record_ids=plan.record_ids, expires_at=plan.expires_at,
                                         grantee_name=plan.grantee_name or None, message=message,
                                         progress=progress, cancel=cancel)

        self._busy = True
        self.run_title.setText(f"Sharing with {plan.grantee_name or plan.grantee}…")
        self.progress_label.setText("Starting…")
        self.progress.setRange(0, 0)
        self.progress.show()
        self.token.hide()
        self._ticket = self.runner.submit(job, on_done=self._shared, on_failed=self._share_failed,
                                          on_progress=self._on_progress, on_cancelled=self._share_cancelled)
        self._show_step(_Step.RUN)

    def _on_progress(self, progress: Progress) -> None:
        show_progress(self.progress, self.progress_label, progress)

    def _shared(self, receipt: GrantReceipt) -> None:
        self._busy = False
        self._ticket = None
        self.receipt = receipt
        plan = self.plan
        who = (plan.grantee_name if plan else "") or receipt.grantee
        what = (f"{plural(plan.records, 'record')} and your patient details" if plan and plan.records
                else plural(receipt.records, 'record'))
        self.run_title.setText(f"Shared {what} with {who} until {local_time(receipt.expires_at)}.")
        self.progress.hide()
        if receipt.tx is not None:
            self.progress_label.setText(f"Grant {receipt.grant_id}, recorded in transaction {receipt.tx.tx_hash} "
                                        f"({receipt.tx.gas_used:,} gas).")
        else:
            self.progress_label.setText(f"Grant {receipt.grant_id} is signed; the doctor's wallet records it on "
                                        "chain when it first opens the share, and pays for it.")
        if receipt.held_by:
            self.progress_label.setText(f"{self.progress_label.text()} {receipt.availability}")
        self.token.set_token(receipt.token)
        self.token.show()
        self._show_step(_Step.RUN)
        self.granted.emit(receipt)

    def _share_failed(self, message: str) -> None:
        self._busy = False
        self._ticket = None
        self.error = message
        self.confirm_error.setText(f"Nothing was shared: {message}")
        self.confirm_error.show()
        self._show_step(_Step.CONFIRM)

    def _share_cancelled(self, _message: str) -> None:
        self._share_failed("you cancelled it.")

    # --- navigation -------------------------------------------------------------------------

    @property
    def step(self) -> int:
        return self.steps.currentIndex()

    def _show_step(self, step: int) -> None:
        self.steps.setCurrentIndex(step)
        done = self.receipt is not None
        self.back_button.setVisible(step == _Step.CONFIRM)
        self.back_button.setEnabled(not self._busy)
        self.next_button.setText({_Step.CHOOSE: "Next ›", _Step.CONFIRM: "Share"}.get(step, "Close"))
        self.next_button.setEnabled(not self._busy and (step != _Step.RUN or done))
        self.cancel_button.setVisible(not done)
        self.cancel_button.setEnabled(step != _Step.RUN or self._ticket is not None)

    def next(self) -> None:
        if self._busy:
            return
        if self.step == _Step.CHOOSE:
            self._check()
        elif self.step == _Step.CONFIRM:
            self._share()
        else:
            self.accept()

    def back(self) -> None:
        if not self._busy and self.step == _Step.CONFIRM:
            self._show_step(_Step.CHOOSE)

    def _check(self) -> None:
        wallet = self.wallet
        specific = self.by_record.isChecked()
        categories = [] if specific else self.categories.checked
        ids = self.records.checked_ids if specific else []
        if specific and not ids:
            self._show_choose_error("Tick at least one record to share.")
            return
        address, name = self.address_edit.text(), self.name_edit.text()
        expiry, remember = self.expiry_text(), self.remember.isChecked()
        self.choose_error.hide()
        self._busy = True
        self.next_button.setEnabled(False)
        self.chosen_label.setText("Checking…")

        def job(_p: ProgressSink, _c: CancelToken) -> SharePlan:
            return plan_share(wallet, categories=categories, record_ids=ids, grantee=address, name=name,
                              expiry=expiry, remember=remember)

        def done(plan: SharePlan) -> None:
            self._update_chosen()
            self._planned(plan)

        def failed(message: str) -> None:
            self._update_chosen()
            self._show_choose_error(message)

        self.runner.submit(job, on_done=done, on_failed=failed)

    def reject(self) -> None:
        if self._ticket is not None:
            self._ticket.cancel()  # stops before the chain transaction; after it, the share is made
            self.progress_label.setText("Cancelling…")
            return
        super().reject()

    def abort(self) -> None:
        """Close now, cancelling any work not yet on chain (the wallet is locking)."""
        if self._ticket is not None:
            self._ticket.cancel()
            self._ticket = None
        super().reject()

    def done(self, result: int) -> None:
        self._gas_timer.stop()
        self.runner.shutdown()
        super().done(result)
