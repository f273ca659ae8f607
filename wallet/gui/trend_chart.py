"""A measurement's values over time, with its reference range drawn as a band.

Painted with QPainter (no chart library): a line through the values, dots coloured
when out of range, the range as a shaded band, value labels (and the unit) on the left
and dates below. Text goes through ``drawText``, which never interprets markup.

A single value is not a trend: the chart says so instead of drawing one dot. The value
axis comes from :func:`~wallet.gui.models.value_domain` (the values and the range, never
a crop that turns a small change into a cliff). Long series are drawn from
:attr:`TrendSeries.drawn` (per time slice the lowest and highest value), so painting
100,000 values costs about what 1,000 cost.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QMouseEvent, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from .models import TrendSeries, value_domain
from .plain_text import safe_tooltip
from .theme import error_color, success_color

__all__ = ["TrendChart"]

_BAND = QColor(46, 160, 67, 45)
_BAND_EDGE = QColor(46, 160, 67, 140)
_GRID = QColor(128, 128, 128, 60)


def _nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / max(1, count - 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step) * step
    ticks = []
    t = first
    while t <= hi + step * 1e-9:
        ticks.append(round(t, 10))
        t += step
    return ticks


def _envelope(xs: list[float], ys: list[float]) -> list[QPointF]:
    """A polyline through the lowest and highest value of each pixel column, in time order."""
    out: list[QPointF] = []
    column = None
    lo = hi = 0.0
    for x, y in zip(xs, ys, strict=False):
        c = int(x)
        if c != column:
            if column is not None:
                out.extend((QPointF(column, lo), QPointF(column, hi)))
            column, lo, hi = c, y, y
        else:
            lo, hi = min(lo, y), max(hi, y)
    if column is not None:
        out.extend((QPointF(column, lo), QPointF(column, hi)))
    return out


def _time_ticks(t0: float, t1: float, most: int) -> list[tuple[float, str]]:
    """Calendar-aligned ticks between two timestamps: whole years, else months, else
    days, with the smallest step that gives at most ``most`` of them."""
    start = datetime.fromtimestamp(t0, tz=UTC)
    end = datetime.fromtimestamp(t1, tz=UTC)

    def years(step: int) -> list[tuple[float, str]]:
        stamps = ((datetime(y, 1, 1, tzinfo=UTC).timestamp(), str(y))
                  for y in range(start.year - start.year % step, end.year + 1, step))
        return [(t, text) for t, text in stamps if t0 <= t <= t1]

    def months(step: int) -> list[tuple[float, str]]:
        out: list[tuple[float, str]] = []
        n = start.year * 12 + start.month - 1
        while True:
            y, m = divmod(n, 12)
            when = datetime(y, m + 1, 1, tzinfo=UTC)
            if when.timestamp() > t1:
                return out
            if when.timestamp() >= t0 and m % step == 0:
                out.append((when.timestamp(), when.strftime("%Y-%m")))
            n += 1

    for step in (1, 2, 5, 10, 20, 50, 100):
        ticks = years(step)
        if 3 <= len(ticks) <= most:
            return ticks
    for step in (1, 2, 3, 6):
        ticks = months(step)
        if 2 <= len(ticks) <= most:
            return ticks
    day = 86400.0
    step = max(1, -(-int((t1 - t0) // day) // max(1, most)))
    first = (int(t0 // day) + 1) * day
    ticks = [(t, datetime.fromtimestamp(t, tz=UTC).strftime("%Y-%m-%d"))
             for t in (first + k * step * day for k in range(most + 1)) if t <= t1]
    return ticks or [(t0, start.strftime("%Y-%m-%d"))]


class TrendChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._series: TrendSeries | None = None
        self._message = "Choose a test to see its trend."
        self._note = ""
        self._plotted: list[tuple[float, float]] = []
        self.setMinimumSize(320, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)
        self.setAccessibleName("Trend chart")

    def sizeHint(self) -> QSize:
        return QSize(560, 240)

    @property
    def series(self) -> TrendSeries | None:
        return self._series

    @property
    def note(self) -> str:
        """The line shown above the plot, e.g. that a filter keeps some of the values ("" when none)."""
        return self._note

    def set_series(self, series: TrendSeries | None, *, message: str = "", note: str = "") -> None:
        """Draw ``series`` (``None``: show ``message`` instead); ``note`` is said above the plot
        (and after ``message``), e.g. ``Filtered by “2023”: 3 of 40 values``."""
        self._series = series
        self._note = note
        self._message = message or ("No numeric values to chart for this test." if series is not None
                                    else "Choose a test to see its trend.")
        if series is not None and len(series.points) == 1:
            only = series.points[0]
            self._message = (f"{series.title}: one result so far ({only.text or f'{only.value:g} {series.unit}'}). "
                             "A trend needs two or more.")
        if series is None or len(series.points) < 2:
            self._message = f"{self._message}\n\n{note}" if note else self._message
        if series is not None:
            said = f"{series.title}: {len(series.points)} values"
            self.setAccessibleDescription(f"{said}. {note}" if note else said)
        self.update()

    # --- geometry -----------------------------------------------------------------

    def _ranges(self, s: TrendSeries) -> tuple[float, float, float, float]:
        lo, hi = value_domain([p.value for p in s.drawn], s.low, s.high)
        t0 = s.points[0].when.timestamp()
        t1 = s.points[-1].when.timestamp()
        if t1 == t0:
            t0, t1 = t0 - 86400, t1 + 86400
        return lo, hi, t0, t1

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        p.fillRect(self.rect(), pal.base())
        fm = QFontMetrics(self.font())
        text_color = pal.text().color()
        line_color, out_color = pal.link().color(), error_color(pal)  # readable on either scheme
        s = self._series
        self._plotted = []
        if s is None or len(s.points) < 2:
            p.setPen(pal.placeholderText().color())
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._message)
            p.end()
            return

        vmin, vmax, t0, t1 = self._ranges(s)
        ticks = _nice_ticks(vmin, vmax, 6)
        labels = [f"{t:g}" for t in ticks]
        left = 12 + max([fm.horizontalAdvance(x) for x in labels] + [fm.horizontalAdvance(s.unit)])
        top = 10 + 2 * fm.height() + 6
        frame = QRectF(left, top, max(10.0, self.width() - left - 16),
                       max(10.0, self.height() - top - fm.height() - 14))
        plot = frame.adjusted(8, 0, -8, 0)  # room for the first and last dots

        def x_of_t(t: float) -> float:
            return plot.left() + (t - t0) / (t1 - t0) * plot.width()

        def x_of(when: datetime) -> float:
            return x_of_t(when.timestamp())

        def y_of(v: float) -> float:
            return frame.bottom() - (v - vmin) / (vmax - vmin) * frame.height()

        # title, and the reference range in words
        title = f"{s.title} ({s.unit})" if s.unit else s.title
        legend = ""
        if s.low is not None or s.high is not None:
            low = "" if s.low is None else f"{s.low:g}"
            high = "" if s.high is None else f"{s.high:g}"
            legend = f"reference range {s.range_text or f'{low}–{high}'} {s.unit}".strip()
        legend_w = fm.horizontalAdvance(legend) + 12 if legend else 0
        p.setPen(text_color)
        p.drawText(QRectF(left, 4, frame.width() - legend_w, fm.height() + 4), Qt.AlignmentFlag.AlignLeft,
                   fm.elidedText(title, Qt.TextElideMode.ElideRight, int(frame.width() - legend_w)))
        if legend:
            p.setPen(success_color(pal))
            p.drawText(QRectF(left, 4, frame.width(), fm.height() + 4), Qt.AlignmentFlag.AlignRight, legend)

        if self._note:  # e.g. a filter keeps some values: said where the eye reads the title
            p.setPen(pal.placeholderText().color())
            p.drawText(QRectF(left, 6 + fm.height(), frame.width(), fm.height() + 2), Qt.AlignmentFlag.AlignLeft,
                       fm.elidedText(self._note, Qt.TextElideMode.ElideRight, int(frame.width())))

        # the unit above the value labels
        p.setPen(pal.placeholderText().color())
        p.drawText(QRectF(0, top - fm.height() - 6, left - 6, fm.height() + 2),
                   Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, s.unit)

        # grid and value labels
        for t, label in zip(ticks, labels, strict=False):
            y = y_of(t)
            p.setPen(QPen(_GRID, 1))
            p.drawLine(QPointF(frame.left(), y), QPointF(frame.right(), y))
            p.setPen(pal.placeholderText().color())
            p.drawText(QRectF(0, y - fm.height() / 2, left - 6, fm.height()),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)

        # reference range band
        if s.low is not None or s.high is not None:
            y_hi = y_of(s.high) if s.high is not None else frame.top()
            y_lo = y_of(s.low) if s.low is not None else frame.bottom()
            band = QRectF(frame.left(), y_hi, frame.width(), y_lo - y_hi)
            p.fillRect(band, _BAND)
            p.setPen(QPen(_BAND_EDGE, 1, Qt.PenStyle.DashLine))
            if s.high is not None:
                p.drawLine(QPointF(frame.left(), y_hi), QPointF(frame.right(), y_hi))
            if s.low is not None:
                p.drawLine(QPointF(frame.left(), y_lo), QPointF(frame.right(), y_lo))

        # dates: calendar ticks (years, months or days), as many as fit
        label_w = fm.horizontalAdvance("8888-88-88") + 12
        p.setPen(pal.placeholderText().color())
        for when, text in _time_ticks(t0, t1, max(2, int(plot.width() // label_w))):
            x = x_of_t(when)
            p.save()
            p.setPen(QPen(_GRID, 1))
            p.drawLine(QPointF(x, frame.top()), QPointF(x, frame.bottom()))
            p.restore()
            left_edge = min(max(0.0, x - label_w / 2), self.width() - label_w)  # never cut at the edges
            box = QRectF(left_edge, frame.bottom() + 4, label_w, fm.height() + 4)
            p.drawText(box, Qt.AlignmentFlag.AlignHCenter, text)

        # axes
        p.setPen(QPen(pal.mid().color(), 1))
        p.drawLine(frame.bottomLeft(), frame.bottomRight())
        p.drawLine(frame.bottomLeft(), frame.topLeft())

        # line and points. Long series are thinned to what the pixels can show: per
        # pixel column the lowest and highest value, so spikes stay visible.
        shown = s.drawn
        xs = [x_of(pt.when) for pt in shown]
        ys = [y_of(pt.value) for pt in shown]
        self._plotted = list(zip(xs, ys, strict=False))
        dense = len(xs) > plot.width() / 3
        if len(xs) > 1:
            if dense:
                p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
                line = QPolygonF(_envelope(xs, ys))
            else:
                line = QPolygonF([QPointF(x, y) for x, y in zip(xs, ys, strict=False)])
            p.setPen(QPen(line_color, 1.0 if dense else 1.6))
            p.drawPolyline(line)
        size = 3.0 if dense else 6.0
        for flagged, color in ((False, line_color), (True, out_color)):
            dots = {(round(x), round(y)) for x, y, pt in zip(xs, ys, shown, strict=False)
                    if bool(pt.flag) == flagged and not pt.comparator}
            if dots:
                p.setPen(QPen(color, size, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
                p.drawPoints(QPolygonF([QPointF(x, y) for x, y in dots]))
            # a value with a comparator ("< 5") is a bound, not a measurement: an open ring
            rings = [(x, y) for x, y, pt in zip(xs, ys, shown, strict=False)
                     if bool(pt.flag) == flagged and pt.comparator]
            p.setPen(QPen(color, 1.5))
            p.setBrush(Qt.BrushStyle.NoBrush)
            for x, y in rings[:2000]:
                p.drawEllipse(QPointF(x, y), size * 0.8, size * 0.8)
        p.end()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        s = self._series
        if s is None or not self._plotted:
            return
        pos = event.position()
        px, py = pos.x(), pos.y()
        n = min(range(len(self._plotted)),
                key=lambda i: abs(self._plotted[i][0] - px) + abs(self._plotted[i][1] - py))
        x, y = self._plotted[n]
        if abs(x - px) + abs(y - py) > 14:
            QToolTip.hideText()
            return
        pt = s.drawn[n]
        text = pt.text or f"{pt.when.strftime('%Y-%m-%d')}: {pt.value:.4g} {s.unit}"
        QToolTip.showText(event.globalPosition().toPoint(), safe_tooltip(text), self)
