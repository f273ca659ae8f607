"""The app's list tables: whole rows selected one at a time, alternating row colours,
no row numbers, one line a row."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QFontMetrics, QHelpEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QToolTip, QWidget

from .plain_text import safe_tooltip

__all__ = ["fit_columns", "follow_font", "keep_names_readable", "row_table"]

NAME_MIN_WIDTH = 170  # pixels (at 100 % text) the stretching name column keeps before the others give way
OTHER_MIN_WIDTH = 56
OTHER_MAX_WIDTH = 280


def row_table(parent: QWidget, name: str, *, model: QAbstractItemModel | None = None,
              padding: int = 10) -> QTableView:
    """A table named ``name`` for screen readers, showing ``model`` if given; each row is
    the font's height plus ``padding`` pixels."""
    table = QTableView(parent)
    if model is not None:
        table.setModel(model)
    table.setAccessibleName(name)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(QFontMetrics(parent.font()).height() + padding)
    follow_font(table, padding)
    table.viewport().installEventFilter(_ElidedTips(table))
    return table


def follow_font(table: QTableView, padding: int) -> None:
    """Keep ``table``'s rows one line plus ``padding`` pixels high when its font changes."""
    table.installEventFilter(_RowHeight(padding, table))


class _ElidedTips(QObject):
    """A cell whose text is cut ("…") shows the whole text as its tooltip, unless the
    model gives a tooltip of its own."""

    def __init__(self, table: QTableView) -> None:
        super().__init__(table)
        self._table = table

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.ToolTip or not isinstance(event, QHelpEvent):
            return False
        index = self._table.indexAt(event.pos())
        if not index.isValid() or index.data(Qt.ItemDataRole.ToolTipRole):
            return False
        text = index.data(Qt.ItemDataRole.DisplayRole)
        if not isinstance(text, str) or not text:
            return False
        width = self._table.visualRect(index).width() - 8
        if QFontMetrics(self._table.font()).horizontalAdvance(text) <= width:
            QToolTip.hideText()
            return True
        QToolTip.showText(event.globalPos(), safe_tooltip(text), self._table.viewport())
        return True


class _RowHeight(QObject):
    """Keeps a table's rows one line high when its font changes (the text size setting)."""

    def __init__(self, padding: int, table: QTableView) -> None:
        super().__init__(table)
        self._padding = padding
        self._table = table

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._table and event.type() == QEvent.Type.FontChange:
            height = QFontMetrics(self._table.font()).height() + self._padding
            self._table.verticalHeader().setDefaultSectionSize(height)
        return False


def fit_columns(table: QTableView, *, name_min: int | None = None) -> None:
    """Size the columns that do not stretch to the text of the rows in view (within
    bounds), and when the stretching name column would then get less than ``name_min``
    pixels, shrink the others in proportion so that names stay readable."""
    header = table.horizontalHeader()
    model = table.model()
    if model is None or header.count() == 0:
        return
    if name_min is None:  # grows with the text size
        name_min = int(NAME_MIN_WIDTH * max(1.0, QFontMetrics(table.font()).height() / 17))
    stretch = [c for c in range(header.count())
               if header.sectionResizeMode(c) == QHeaderView.ResizeMode.Stretch and not header.isSectionHidden(c)]
    others = [c for c in range(header.count()) if c not in stretch and not header.isSectionHidden(c)]
    if not stretch or not others:
        return
    want = {c: max(OTHER_MIN_WIDTH, min(OTHER_MAX_WIDTH, max(table.sizeHintForColumn(c),
                                                               header.sectionSizeHint(c)))) for c in others}
    room = table.viewport().width() - name_min * len(stretch)
    total = sum(want.values())
    if total > room > 0:  # the widest give way first: narrow columns (a date) keep their whole text
        low, high = OTHER_MIN_WIDTH, max(want.values())
        while low < high:
            cap = (low + high + 1) // 2
            if sum(min(w, cap) for w in want.values()) <= room:
                low = cap
            else:
                high = cap - 1
        want = {c: min(w, low) for c, w in want.items()}
    for c, width in want.items():
        if header.sectionResizeMode(c) != QHeaderView.ResizeMode.Stretch:
            header.resizeSection(c, width)


def keep_names_readable(table: QTableView) -> None:
    """Run :func:`fit_columns` whenever ``table`` is resized or shows other rows or columns."""
    keeper = _NameKeeper(table)
    table.installEventFilter(keeper)


class _NameKeeper(QObject):
    def __init__(self, table: QTableView) -> None:
        super().__init__(table)
        self._table = table
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(lambda: fit_columns(self._table))
        self._model: QAbstractItemModel | None = None
        table.horizontalHeader().sectionCountChanged.connect(lambda _a, _b: self._timer.start())

    def _watch_model(self) -> None:
        model = self._table.model()
        if model is self._model or model is None:
            return
        self._model = model
        model.modelReset.connect(self._timer.start)
        model.layoutChanged.connect(self._timer.start)
        model.rowsInserted.connect(self._first_rows)

    def _first_rows(self) -> None:
        model = self._table.model()
        if model is not None and model.rowCount() <= 400:  # the first pages only: later ones change nothing seen
            self._timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._table and event.type() in (QEvent.Type.Resize, QEvent.Type.Show,
                                                        QEvent.Type.FontChange):
            self._watch_model()
            self._timer.start()
        return False
