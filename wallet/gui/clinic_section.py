"""Sharing with a clinic that has no Health Wallet: the Clinic menu of the main window.

- Print patient summary… (Ctrl+P) and Save patient summary as PDF…: the printable summary;
- Emergency card…: the wallet-sized card, with the emergency contact (kept, sealed) and
  the QR code of a SMART Health Link;
- New SMART Health Link…, SMART Health Links… (list, revoke) and Open a SMART Health
  Link… (paste or drop a ``shlink:/``); a link dropped anywhere on the window opens it too.

The section reads the window's open wallet when an action runs; dialogs' modules load when
a dialog opens. The PDFs are made on a worker thread (:class:`SingleJob`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QMainWindow,
    QMenu,
    QMessageBox,
    QWidget,
)

from ..services import UnlockedWallet
from .actions import make_action
from .single_job import SingleJob

if TYPE_CHECKING:  # the PDF stack loads when a printout is first made, not at start-up
    from ..services.clinic import PdfDocument, PrintedLink
    from .clinic_card_dialog import EmergencyCardDialog

__all__ = ["ClinicSection", "PdfJob", "dropped_link"]

PDF_FILTER = "PDF documents (*.pdf)"


def dropped_link(text: str) -> str | None:
    """The first ``shlink:/…`` (or viewer URL holding one) in dropped or pasted text."""
    for word in text.split():
        if "shlink:/" in word:
            return word
    return None


def _mime_link(event: Any) -> str | None:
    mime = event.mimeData()
    return dropped_link(" ".join([mime.text(), *(u.toString() for u in mime.urls())]))


class PdfJob(QObject):
    """Makes one PDF on a worker thread, then prints it or saves it where the user chooses."""

    def __init__(self, parent: QWidget, title: str, make: Callable[[], PdfDocument], *,
                 on_problem: Callable[[str], None] | None = None) -> None:
        super().__init__(parent)
        self.on_problem = on_problem
        self.parent_widget = parent
        self.title = title
        self.make = make
        self.job = SingleJob("clinic-pdf", self)
        self.document: PdfDocument | None = None
        self.saved: Path | None = None
        self.problem = ""

    def run(self, then: Callable[[PdfDocument], Any]) -> None:
        def done(doc: PdfDocument) -> None:
            self.document = doc
            then(doc)

        self.job.start(lambda _progress, _cancel: self.make(), on_done=done, on_failed=self._failed)

    def _failed(self, message: str) -> None:
        self.problem = message
        if self.on_problem is not None:
            self.on_problem(message)
            return
        box = QMessageBox(QMessageBox.Icon.Warning, self.title, message, QMessageBox.StandardButton.Ok,
                          self.parent_widget)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.open()  # not modal: the window stays usable

    def print(self) -> None:
        from .clinic_print import ask_and_print

        self.run(lambda doc: ask_and_print(self.parent_widget, doc, self.title))

    def save(self, path: Path | None = None) -> None:
        """Save as PDF: ``path``, or one the user picks (nothing happens when they cancel)."""
        if path is None:
            from PySide6.QtWidgets import QFileDialog  # its classes load when it is first opened

            name, _ = QFileDialog.getSaveFileName(self.parent_widget, f"Save {self.title.lower()} as PDF",
                                                  f"{self.title}.pdf", PDF_FILTER)
            if not name:
                return
            path = Path(name if name.lower().endswith(".pdf") else name + ".pdf")
        target = path

        from ..services.clinic import write_pdf

        def make_and_write() -> PdfDocument:
            doc = self.make()
            write_pdf(doc, target)
            return doc

        def written(doc: PdfDocument) -> None:
            self.document, self.saved = doc, target

        self.job.start(lambda _progress, _cancel: make_and_write(), on_done=written, on_failed=self._failed)


class ClinicSection(QObject):
    """Adds the Clinic menu to ``window`` (which has a ``wallet`` property: the open wallet or None)."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.dialogs: list[Any] = []
        w = window
        self.print_action = make_action(w, "&Print patient summary…", "Ctrl+P", self.print_summary,
                                        "Print a summary for you and a clinician: allergies, medications, "
                                        "problems, immunizations, recent results")
        self.save_action = make_action(w, "&Save patient summary as PDF…", None, self.save_summary,
                                       "Write the printable patient summary to a PDF file")
        self.card_action = make_action(w, "&Emergency card…", None, self.emergency_card,
                                       "A wallet-sized card for first responders")
        self.new_link_action = make_action(w, "&New SMART Health Link…", None, self.new_link,
                                           "Share your patient summary or chosen records with a clinic that has "
                                           "no Health Wallet")
        self.links_action = make_action(w, "SMART Health &Links…", None, self.show_links,
                                        "The links you made: who opened them; revoke")
        self.open_link_action = make_action(w, "&Open a SMART Health Link…", None, self.open_link,
                                            "Paste or drop a shlink:/ someone sent and import what it holds")
        self.menu = QMenu("&Clinic", window)
        for action in (self.print_action, self.save_action, self.card_action, None, self.new_link_action,
                       self.links_action, self.open_link_action):
            if action is None:
                self.menu.addSeparator()
            else:
                self.menu.addAction(action)
        bar = window.menuBar()
        help_menu = next((a for a in bar.actions() if a.text().replace("&", "") == "Help"), None)
        bar.insertMenu(help_menu, self.menu) if help_menu is not None else bar.addMenu(self.menu)
        # Greyed in the menu while no wallet is open; enabled otherwise so the shortcut (Ctrl+P)
        # works as soon as a wallet opens. Every action does nothing without an open wallet.
        self.menu.aboutToShow.connect(self._enable)
        self.menu.aboutToHide.connect(self._enable_all)
        window.installEventFilter(self)  # a shlink:/ dropped anywhere on the window opens it

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop) and self.wallet is not None:
            link = _mime_link(event)
            if link:
                event.acceptProposedAction()  # type: ignore[attr-defined]
                if kind == QEvent.Type.Drop:
                    self.open_link(text=link)
                return True
        return super().eventFilter(watched, event)

    def __repr__(self) -> str:
        return f"ClinicSection(open={self.wallet is not None})"

    @property
    def wallet(self) -> UnlockedWallet | None:
        wallet = getattr(self.window, "wallet", None)
        return wallet if isinstance(wallet, UnlockedWallet) else None

    def _enable_all(self) -> None:
        for action in self.menu.actions():
            action.setEnabled(True)

    def _enable(self) -> None:
        for action in self.menu.actions():
            action.setEnabled(self.wallet is not None)

    def clear(self) -> None:
        """Close the dialogs (each holds the open wallet) and stop their work, before the wallet locks."""
        for dialog in self.dialogs:
            for job in (getattr(dialog, "job", None), getattr(getattr(dialog, "pdf", None), "job", None)):
                if job is not None:
                    job.stop()
            dialog.close()
        self.dialogs.clear()

    def _keep(self, dialog: Any) -> Any:
        self.dialogs = [d for d in self.dialogs if d.isVisible()] + [dialog]
        dialog.show()
        return dialog

    def summary_job(self, link: PrintedLink | None = None) -> PdfJob | None:
        wallet = self.wallet
        if wallet is None:
            return None
        from ..services.clinic import summary_pdf

        return PdfJob(self.window, "Patient summary", lambda: summary_pdf(wallet, link=link))

    def print_summary(self, _checked: bool = False) -> PdfJob | None:
        job = self.summary_job()
        if job is not None:
            job.print()
        return job

    def save_summary(self, _checked: bool = False) -> PdfJob | None:
        job = self.summary_job()
        if job is not None:
            job.save()
        return job

    def emergency_card(self, _checked: bool = False) -> EmergencyCardDialog | None:
        if self.wallet is None:
            return None
        from .clinic_card_dialog import EmergencyCardDialog

        dialog = EmergencyCardDialog(self.wallet, self.window)
        self._keep(dialog)
        return dialog

    def new_link(self, _checked: bool = False) -> Any:
        if self.wallet is None:
            return None
        from .clinic_link_dialog import NewLinkDialog

        return self._keep(NewLinkDialog(self.wallet, self.window, section=self))

    def show_links(self, _checked: bool = False) -> Any:
        if self.wallet is None:
            return None
        from .clinic_links_dialog import LinksDialog

        return self._keep(LinksDialog(self.wallet, self.window))

    def open_link(self, _checked: bool = False, *, text: str = "") -> Any:
        """The Open a SMART Health Link dialog; with ``text`` (a dropped link) it opens it at once."""
        if self.wallet is None:
            return None
        from .clinic_open_link import OpenLinkDialog

        dialog = OpenLinkDialog(self.wallet, self.window)
        refresh = getattr(self.window, "refresh", None)
        if callable(refresh):
            dialog.imported.connect(lambda _outcomes: refresh())
        self._keep(dialog)
        if text:
            dialog.link.setPlainText(text)
            dialog.open_link()
        return dialog
