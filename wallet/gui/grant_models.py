"""Qt item models for sharing, testable without widgets.

- :class:`GrantTableModel`: grants issued (or received) with their status and accesses,
  over :meth:`Sharing.grants` / :meth:`Sharing.received`.
- :class:`AccessLogModel`: the access log, over :meth:`Sharing.audit`.
- :class:`CategoryChoiceModel`: checkable categories with counts, for a new share.
- :class:`RecordChoiceModel`: checkable records, for sharing specific ones.
- :func:`shared_rows`: the resources of an opened share as summaries, for a
  :class:`~wallet.gui.models.RecordTableModel`.

Names come from the user's address book or from a patient's records and addresses from
the chain, so everything is text for display roles (item views never interpret it) and
tooltips are escaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, Qt
from PySide6.QtGui import QBrush

from ..services import CATEGORIES, StoredSummary, named_within, shown_detail, utc_text
from .plain_text import safe_tooltip
from .table_model import Index, RowsTableModel
from .theme import error_color, muted_color

if TYPE_CHECKING:
    from ..services import GrantView

__all__ = [
    "AccessLogModel",
    "CategoryChoiceModel",
    "EventRole",
    "GrantRole",
    "GrantTableModel",
    "RecordChoiceModel",
    "about_gas",
    "local_time",
    "party_text",
    "plural",
    "shared_rows",
    "short_address",
    "short_id",
    "status_text",
    "until_text",
]

GrantRole = Qt.ItemDataRole.UserRole + 20
EventRole = Qt.ItemDataRole.UserRole + 21

_ROOT = QModelIndex()


# --- words --------------------------------------------------------------------------


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def local_time(moment: datetime | None) -> str:
    """A moment in this computer's time zone, e.g. ``Tue 21 Oct 2025, 14:03``."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone().strftime("%a %d %b %Y, %H:%M")


def until_text(expires: datetime, now: datetime) -> str:
    """How long until ``expires``: ``in 3 days``, ``in 5 hours``, ``in 12 minutes``."""
    seconds = (expires - now).total_seconds()
    if seconds <= 0:
        return "now"
    # rounded to the nearest unit: a week minus the seconds a transaction took is "7 days"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"in {plural(max(1, minutes), 'minute')}"
    hours = round(seconds / 3600)
    if hours < 48:
        return f"in {plural(hours, 'hour')}"
    return f"in {plural(round(seconds / 86400), 'day')}"


def status_text(status: str, expires: datetime, now: datetime) -> str:
    """``Active, expires in 3 days``, ``Expired`` or ``Revoked``."""
    value = getattr(status, "value", status)
    if value == "active":
        return f"Active, expires {until_text(expires, now)}"
    return str(value).capitalize()


def short_address(address: str) -> str:
    return f"{address[:6]}…{address[-4:]}" if len(address) > 12 else address


def short_id(grant_id: str) -> str:
    """A grant id shortened to its random tail (its head is the grantee's address)."""
    return f"…{grant_id[-8:]}" if len(grant_id) > 12 else grant_id


def about_gas(gas: int) -> str:
    """``about 52,300 gas``: an estimate, rounded to the hundred."""
    return f"about {max(100, round(gas, -2)):,} gas"


def party_text(address: str, names: Mapping[str, str]) -> str:
    """``Dr Quinn (0x1234…abcd)``, or the full address when it has no name."""
    name = names.get(address)
    return f"{name} ({short_address(address)})" if name else address


def _when(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- grants -------------------------------------------------------------------------


class GrantTableModel(RowsTableModel):
    """Grants, newest first. ``received=True`` names the patient instead of the doctor.

    Rows are :class:`~wallet.services.sharing.GrantView` objects; ``now`` is the chain's
    time when they were read (the status and "expires in" are relative to it)."""

    HEADERS = ("Doctor", "Status", "Expires", "Times opened", "Shared on")

    def __init__(self, *, received: bool = False, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.received = received
        self._names: dict[str, str] = {}
        self._now = datetime.now(UTC)

    def set_grants(self, views: Iterable[GrantView], now: datetime, names: Mapping[str, str] | None = None) -> None:
        self.beginResetModel()
        self._now = now
        self._names = dict(names or {})
        self._rows = sorted(views, key=lambda v: (v.grant.granted_at or v.grant.expires_at), reverse=True)
        self.endResetModel()

    def clear(self) -> None:
        self.set_grants([], self._now)

    def grant_at(self, row: int) -> GrantView:
        return self.row_at(row)

    def grants(self) -> list[GrantView]:
        return self.rows()

    def row_of(self, grant_id: str) -> int:
        """The row of the grant with full id ``grant_id`` (any letter case), -1 when not listed."""
        wanted = grant_id.strip().lower()
        for n, view in enumerate(self._rows):
            if view.grant_id.lower() == wanted:
                return n
        return -1

    def name_of(self, view: GrantView) -> str:
        return view.counterpart_name or self._names.get(view.counterpart) or ""

    def header(self, section: int) -> str:
        if self.received and section == 0:
            return "Patient"
        if self.received and section == 4:
            return "What was shared"
        return self.HEADERS[section]

    def _display(self, view: GrantView, column: int) -> str:
        grant = view.grant
        label = getattr(view, "label", None)
        if column == 0:
            name = self.name_of(view)
            if name and label is not None:
                return name  # the name the patient's wallet sealed for this doctor; the address is per grant
            return f"{name} ({short_address(view.counterpart)})" if name else view.counterpart
        if column == 1:
            if getattr(view, "on_chain", True) is None:  # on another network: not checked, never "active"
                return view.status_text[:1].upper() + view.status_text[1:]
            if getattr(view, "on_chain", True) is False and getattr(view.status, "value", view.status) == "active":
                return "Not yet on chain (opens from its token)"
            return status_text(view.status, grant.expires_at, self._now)
        if self.received and column == 4:
            return label.describe() if label is not None else local_time(grant.granted_at)
        if column == 2:
            return local_time(grant.expires_at)
        if column == 3:
            return f"{grant.accesses:,}"
        if column == 4:
            return local_time(grant.granted_at)
        return ""

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        view = self.item(index)
        if view is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(view, column)
        if role == GrantRole:
            return view
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 0:
                name = self.name_of(view)
                label = getattr(view, "label", None)
                note = f"\nMessage: {label.message}" if label is not None and label.message else ""
                return safe_tooltip((f"{name}\n{view.counterpart}" if name else view.counterpart) + note)
            if column == 3 and view.grant.last_access_at is not None:
                return safe_tooltip(f"Last opened {local_time(view.grant.last_access_at)}")
            if column == 1:
                return safe_tooltip(f"Grant {view.grant_id}")
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 3:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and column == 1:
            value = getattr(view.status, "value", view.status)
            if value == "revoked":
                return QBrush(error_color())
            if value == "expired":
                return QBrush(muted_color())
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._display(view, column)
        return None


# --- the access log -----------------------------------------------------------------

_CHAIN_EVENTS = {"granted": "Shared", "revoked": "Revoked", "accessed": "Opened"}


class AccessLogModel(RowsTableModel):
    """The events of :meth:`Sharing.audit`: on-chain grants, revokes and accesses, and
    this wallet's own audit events (shares, opens, exports, backups)."""

    HEADERS = ("When", "What", "With / details", "Grant", "Transaction", "Recorded")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._names: dict[str, str] = {}

    def set_events(self, events: Sequence[dict[str, Any]], names: Mapping[str, str] | None = None) -> None:
        self._names = dict(names or {})
        self.set_rows(events)

    def clear(self) -> None:
        self.set_events([])

    def event_at(self, row: int) -> dict[str, Any]:
        return self.row_at(row)

    def _display(self, event: dict[str, Any], column: int) -> str:
        on_chain = event.get("source") == "chain"
        if column == 0:
            moment = _when(str(event.get("at", "")))
            return local_time(moment) if moment else str(event.get("at", ""))
        if column == 1:
            kind = str(event.get("event", ""))
            return _CHAIN_EVENTS.get(kind, kind.capitalize()) if on_chain else kind
        if column == 2:
            if on_chain:
                return party_text(str(event.get("party", "")), self._names)
            return str(event.get("detail", ""))
        if column == 3:
            return short_id(str(event.get("grant_id") or ""))
        if column == 4:
            tx = str(event.get("tx") or "")
            return f"{tx[:10]}…{tx[-6:]}" if len(tx) > 20 else tx
        if column == 5:
            return "On chain" if on_chain else "This wallet"
        return ""

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        event = self.item(index)
        if event is None:
            return None
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._display(event, column)
        if role == EventRole:
            return event
        if role == Qt.ItemDataRole.ToolTipRole:
            full = {0: str(event.get("at", "")), 2: str(event.get("party") or event.get("detail") or ""),
                    3: str(event.get("grant_id") or ""), 4: str(event.get("tx") or "")}.get(column, "")
            if column == 4 and event.get("block") is not None:
                full += f"\nblock {event['block']}"
            return safe_tooltip(full) if full else None
        if role == Qt.ItemDataRole.ForegroundRole and column == 5 and event.get("source") != "chain":
            return QBrush(muted_color())
        return None


# --- choosing what to share ------------------------------------------------------------


class CategoryChoiceModel(QAbstractListModel):
    """The record categories with their counts, each checkable; empty ones are disabled."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._counts: dict[str, int] = dict.fromkeys(CATEGORIES, 0)
        self._checked: set[str] = set()

    def set_counts(self, counts: Mapping[str, int]) -> None:
        self.beginResetModel()
        self._counts = {c: int(counts.get(c, 0)) for c in CATEGORIES}
        self._checked = {c for c in self._checked if self._counts[c]}
        self.endResetModel()

    def count(self, category: str) -> int:
        return self._counts.get(category, 0)

    @property
    def checked(self) -> list[str]:
        return [c for c in CATEGORIES if c in self._checked]

    @property
    def checked_count(self) -> int:
        return sum(self._counts[c] for c in self._checked)

    def set_checked(self, category: str, on: bool = True) -> None:
        row = CATEGORIES.index(category)
        self.setData(self.index(row), Qt.CheckState.Checked if on else Qt.CheckState.Unchecked,
                     Qt.ItemDataRole.CheckStateRole)

    def rowCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(CATEGORIES)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        if not self._counts[CATEGORIES[index.row()]]:
            return Qt.ItemFlag.ItemNeverHasChildren
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        name = CATEGORIES[index.row()]
        n = self._counts[name]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{name}  ({n:,})"
        if role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if name in self._checked else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{name}, {plural(n, 'record')}"
        if role == Qt.ItemDataRole.UserRole:
            return name
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.CheckStateRole:
            return False
        name = CATEGORIES[index.row()]
        if not self._counts[name]:
            return False
        on = Qt.CheckState(value) == Qt.CheckState.Checked if not isinstance(value, bool) else value
        if on:
            self._checked.add(name)
        else:
            self._checked.discard(name)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        return True


class RecordChoiceModel(RowsTableModel):
    """Records to pick one by one: a check box, what, category and date."""

    HEADERS = ("What", "Category", "Date")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._checked: set[str] = set()

    def set_rows(self, rows: Iterable[StoredSummary]) -> None:
        rows = list(rows)
        self._checked &= {r.id for r in rows}
        super().set_rows(rows)

    @property
    def checked_ids(self) -> list[str]:
        return [r.id for r in self._rows if r.id in self._checked]

    def set_checked(self, row: int, on: bool = True) -> None:
        self.setData(self.index(row, 0), Qt.CheckState.Checked if on else Qt.CheckState.Unchecked,
                     Qt.ItemDataRole.CheckStateRole)

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
        return base | Qt.ItemFlag.ItemIsUserCheckable if index.isValid() and index.column() == 0 else base

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.item(index)
        if row is None:
            return None
        m = row.summary
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (m.title, m.category if m.category != "Other" else m.resource_type, m.date[:10])[column]
        if role == Qt.ItemDataRole.CheckStateRole and column == 0:
            return Qt.CheckState.Checked if row.id in self._checked else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ToolTipRole and column == 0:
            return safe_tooltip(f"{m.title}\n{shown_detail(m)}".strip())
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or index.column() != 0 or role != Qt.ItemDataRole.CheckStateRole:
            return False
        rid = self._rows[index.row()].id
        on = Qt.CheckState(value) == Qt.CheckState.Checked if not isinstance(value, bool) else value
        if on:
            self._checked.add(rid)
        else:
            self._checked.discard(rid)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        return True


# --- an opened share --------------------------------------------------------------------


def shared_rows(resources: Sequence[dict[str, Any]]) -> list[StoredSummary]:
    """Summaries of a share's resources, newest first; each row's id is the resource's
    position in ``resources`` (the records are not in the doctor's store)."""
    rows = [StoredSummary(str(n), s) for n, s in enumerate(named_within(resources))]  # named among themselves
    return sorted(rows, key=lambda r: utc_text(r.summary.date), reverse=True)  # by instant
