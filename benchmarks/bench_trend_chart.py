"""Trend chart: painting a series of 100,000 values ÷ painting one of 1,000 (offscreen).

A long series is drawn from its time slices (``TrendSeries.drawn``: per slice the lowest
and highest value), so a paint costs about the same whatever the series' length. Each
size is measured as the median of ``--repeat`` full paints (``QWidget.grab``) of a
600×300 chart, after one warm-up paint, in CPU time of this process (on a shared machine
wall time mostly measures the neighbours); building the series (done once, on a worker
thread in the app) is reported apart. Target: paint ratio ≤ 3.0.

    python benchmarks/bench_trend_chart.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import UTC, datetime, timedelta

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from wallet.gui.models import TrendPoint, TrendSeries
from wallet.gui.trend_chart import TrendChart


def series(n: int) -> TrendSeries:
    start = datetime(2000, 1, 1, tzinfo=UTC)
    step = timedelta(days=9000) / n
    points = tuple(TrendPoint(start + step * i, 90.0 + (i * 7919 % 40), "H" if i % 97 == 0 else "", f"v{i}")
                   for i in range(n))
    return TrendSeries("http://loinc.org|2345-7", "Glucose", "mg/dL", points, 70.0, 110.0)


def paint_time(chart: TrendChart, s: TrendSeries, repeat: int) -> float:
    chart.set_series(s)
    chart.grab()  # warm-up
    times = []
    for _ in range(repeat):
        t = time.process_time()
        chart.grab()
        times.append(time.process_time() - t)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    chart = TrendChart()
    chart.resize(600, 300)
    results = {}
    for n in (1_000, 100_000):
        t = time.perf_counter()
        s = series(n)
        built = time.perf_counter() - t
        results[n] = paint_time(chart, s, args.repeat)
        print(f"{n:>7,} values: series built in {built * 1000:7.1f} ms ({len(s.drawn):,} drawn); "
              f"paint {results[n] * 1000:6.2f} ms CPU (median of {args.repeat})")
    print(f"paint ratio 100,000 ÷ 1,000 (target <= 3.0): {results[100_000] / results[1_000]:.2f}")
    del app


if __name__ == "__main__":
    main()
