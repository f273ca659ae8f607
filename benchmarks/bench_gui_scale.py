"""The GUI at the scale of a lifetime record: each number a ratio measured in one run.

1. Main window painted with LARGE records ÷ with SMALL records (target ≤ 1.2): the app
   child of ``bench_gui_startup.py`` (fresh process, offscreen, light-KDF unlock, counts,
   the overview page read and painted) on two wallets that differ only in size.
2. Main window with SMALL records ÷ the floor window of ``bench_gui_startup.py`` (target ≤ 2.0).
   The three children run in turn, one of each per round (so all see the same load), from
   compiled bytecode (``wallet/`` is compiled first, as an installed app is).
3. A search over LARGE ÷ over SMALL records (target ≤ 2): what the filter box does on the
   GUI thread at a keystroke on a large wallet's timeline, the same call with the same
   sizes: ``UnlockedWallet.search_page(word, category=ALL_RECORDS, limit=ROWS, cap=None)``,
   the newest ROWS matches, ROWS being ``RecordsPanel.first_page_rows()`` of the main
   window at its default size (the rows its table shows plus a margin; the next pages come
   as the table scrolls). When more match than the page holds, the filter box counts them
   on its worker thread: exactly up to 1,000 (``capped_count``), then every one
   (``count``); both are timed and printed apart, with the ratio the search would have with
   the capped count on the GUI thread. A rare word finds fewer rows than the page in the
   small wallet and a full page in the large one; a second line times the large wallet's
   search limited to the rows the small one found, which is the part that depends on the
   store's size.
4. A trend chart of 100,000 points ÷ of 1,000 points (target ≤ 3): ``TrendChart`` given
   the series and painted (``grab``), offscreen: the GUI thread's work. Building the
   ``TrendSeries`` (its order check and its thinning to the points drawn) happens where the
   app does it, on the worker thread that reads the rows; its time is printed apart.

The wallets hold lifetime records from ``gen_lifetime.py`` (the same seed, so the small one
is a prefix of the large one's kinds of records), written straight into the store with
their summaries (the importer is measured by ``bench_import_scale.py``).

    python benchmarks/bench_gui_scale.py [--large 1000000] [--small 20000] [--repeat 3] [--homes DIR]
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wallet.services import SearchPage, UnlockedWallet

ALL_RECORDS_VIEW = "All records"  # wallet.services.ALL_RECORDS: the timeline

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.bench_gui_startup import APP, FLOOR, PASSPHRASE, run_child  # noqa: E402
from benchmarks.gen_lifetime import lifetime_resources  # noqa: E402

SEARCH_WORDS = ("lisinopril", "weight")  # a clinical record's word (rare), a reading's (one in ten)
COUNT_CAP = 1000  # the filter box's first count (wallet.gui.records_panel.COUNT_CAP)


def build_home(home: Path, records: int, *, seed: int = 1) -> None:
    from wallet.app import build_app
    from wallet.records.store import NewRecord
    from wallet.records.summary import summarize
    from wallet.services import WalletService

    if (home / "records.sqlite3").exists():
        return
    service = WalletService(build_app(home, environ={"HEALTH_WALLET_UNSAFE_LIGHT_KDF": "1"}))
    service.create(PASSPHRASE)
    service.mark_phrase_shown()
    wallet = service.unlock(PASSPHRASE)
    batch: list[NewRecord] = []
    for resource in lifetime_resources(records, seed=seed):
        batch.append(NewRecord(wallet.store.record_id(resource), resource, summarize(resource)))
        if len(batch) == 20_000:
            wallet.store.add_many(batch)
            batch = []
    wallet.store.add_many(batch)
    wallet.lock()


def window_times(runs: list[tuple[Path, int, str]], repeat: int) -> list[list[dict[str, Any]]]:
    """Each run's child (home, records, code) ``repeat`` times, interleaved (one of each per
    round, as ``bench_gui_startup.py`` does), so every run sees the same load; after one
    round that warms the file cache."""

    def env(home: Path, records: int) -> dict[str, str]:
        found = {k: v for k, v in os.environ.items() if not k.startswith("HEALTH_WALLET_")}
        found.update({"QT_QPA_PLATFORM": "offscreen", "HEALTH_WALLET_UNSAFE_LIGHT_KDF": "1",
                      "BENCH_HOME": str(home), "BENCH_PASSPHRASE": PASSPHRASE, "BENCH_RECORDS": str(records),
                      "PYTHONPATH": str(REPO)})
        return found

    for home, records, code in runs:
        run_child(code, env(home, records))  # warm the file cache
    times: list[list[dict[str, Any]]] = [[] for _ in runs]
    for _ in range(repeat):
        for n, (home, records, code) in enumerate(runs):
            times[n].append(run_child(code, env(home, records)))
    return times


@dataclass(frozen=True)
class SearchTimes:
    seconds: float  # median: the first page, as the filter box reads it on the GUI thread
    count: str  # the count the page alone gives ("12", or "30+" when more match)
    rows: int  # rows on the first page
    capped: str = ""  # the worker thread's first count, exact up to COUNT_CAP ("496", "1,000+")
    capped_seconds: float = 0.0  # median of that count
    exact: int = 0  # every match (the worker thread's count above the cap)
    exact_seconds: float = 0.0  # median of the exact count


def first_page_rows(wallet: UnlockedWallet) -> int:
    """The rows the filter box's first page reads in the main window at its default size, on
    the timeline of ``wallet`` (``RecordsPanel.first_page_rows``), shown offscreen."""
    from PySide6.QtWidgets import QApplication

    from wallet.gui.app_window import MainWindow

    app = QApplication.instance() or QApplication([])
    window = MainWindow()
    window.set_wallet(wallet)
    window.show()
    window.show_category(ALL_RECORDS_VIEW)
    for _ in range(20):
        app.processEvents()
    rows = window.panel.first_page_rows()
    window.clear()
    window.close()
    window.deleteLater()
    app.processEvents()
    return rows


SEARCH_ROUNDS = 5  # a search takes milliseconds: each repeat times this many rounds of both wallets


def search_times(homes: tuple[Path, Path], word: str, repeat: int,
                 rows: int) -> tuple[SearchTimes, SearchTimes, SearchTimes, float]:
    """The filter box's store work on the GUI thread for ``word`` on the timeline
    (``search_page`` of its first ``rows`` rows, no count beyond the page) over the small
    and the large wallet, both open, timed in alternation (so both see the same load); then
    the large wallet's search limited to the rows the small one found; each with the worker
    thread's counts (capped, exact). Also the median ratio with the capped count on the GUI
    thread (``search_page(..., cap=COUNT_CAP)``), for comparison."""
    from wallet.app import build_app
    from wallet.services import ALL_RECORDS, WalletService

    wallets = [WalletService(build_app(home, environ={"HEALTH_WALLET_UNSAFE_LIGHT_KDF": "1"})).unlock(PASSPHRASE)
               for home in homes]
    try:
        small_rows = len(wallets[0].search_page(word, category=ALL_RECORDS, limit=rows, cap=None).page.rows)
        runs = [(wallets[0], rows), (wallets[1], rows), (wallets[1], max(1, small_rows))]

        def once(wallet: UnlockedWallet, limit: int, cap: int | None = None) -> tuple[float, SearchPage]:
            start = time.perf_counter()
            found = wallet.search_page(word, category=ALL_RECORDS, limit=limit, cap=cap)
            return time.perf_counter() - start, found

        for wallet, limit in runs:
            once(wallet, limit)  # warms the page cache
        times: list[list[float]] = [[] for _ in runs]
        found: list[SearchPage] = [once(w, n)[1] for w, n in runs]
        for _ in range(repeat * SEARCH_ROUNDS):
            for n, (wallet, limit) in enumerate(runs):
                seconds, found[n] = once(wallet, limit)
                times[n].append(seconds)
        with_count: list[list[float]] = [[], []]  # the page and the capped count on one thread, for comparison
        for _ in range(repeat * SEARCH_ROUNDS):
            for n, wallet in enumerate(wallets):
                with_count[n].append(once(wallet, rows, COUNT_CAP)[0])
        counted_ratio = statistics.median(with_count[1]) / statistics.median(with_count[0])
        # the worker thread's counts after: reading every match would push the page's rows out
        # of the connection's page cache (the GUI counts on its worker thread's own connection)
        capped: list[tuple[str, float]] = []
        exact: list[tuple[int, float]] = []
        for wallet in wallets:
            firsts, counts = [], []
            for _ in range(repeat * SEARCH_ROUNDS):
                start = time.perf_counter()
                first = wallet.capped_count(category=ALL_RECORDS, text=word, cap=COUNT_CAP)
                firsts.append(time.perf_counter() - start)
            for _ in range(repeat):
                start = time.perf_counter()
                total = wallet.count(category=ALL_RECORDS, text=word)
                counts.append(time.perf_counter() - start)
            capped.append((first.text, statistics.median(firsts)))
            exact.append((total, statistics.median(counts)))
        small, large, same = (SearchTimes(statistics.median(t), f.count.text, len(f.page.rows))
                              for t, f in zip(times, found, strict=True))
        return (SearchTimes(small.seconds, small.count, small.rows, *capped[0], *exact[0]),
                SearchTimes(large.seconds, large.count, large.rows, *capped[1], *exact[1]), same, counted_ratio)
    finally:
        for wallet in wallets:
            wallet.lock()


def first_page_rows_of(home: Path) -> int:
    """:func:`first_page_rows` with the wallet at ``home`` (opened, then locked)."""
    from wallet.app import build_app
    from wallet.services import WalletService

    wallet = WalletService(build_app(home, environ={"HEALTH_WALLET_UNSAFE_LIGHT_KDF": "1"})).unlock(PASSPHRASE)
    try:
        return first_page_rows(wallet)
    finally:
        wallet.lock()


def chart_seconds(points: int, repeat: int) -> tuple[float, float]:
    """(median seconds of set_series + paint, seconds to build the series)."""
    from PySide6.QtWidgets import QApplication

    from wallet.gui.models import TrendPoint, TrendSeries
    from wallet.gui.trend_chart import TrendChart

    app = QApplication.instance() or QApplication([])
    start_day = datetime(2016, 6, 30, tzinfo=UTC)
    step = timedelta(days=3650) / points
    values = tuple(TrendPoint(start_day + step * i, 60 + (i * 37) % 50, "H" if i % 97 == 0 else "",
                              f"{60 + (i * 37) % 50} /min") for i in range(points))
    built = time.perf_counter()
    series = TrendSeries("8867-4", "Heart rate", "/min", values, 50.0, 100.0, "50–100")
    built = time.perf_counter() - built
    chart = TrendChart()
    chart.resize(900, 320)
    chart.grab()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        chart.set_series(series)
        chart.grab()
        app.processEvents()
        times.append(time.perf_counter() - start)
        chart.set_series(None)
    return statistics.median(times), built


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--homes", type=Path, help="keep the wallets here (built once, reused)")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if not compileall.compile_dir(REPO / "wallet", quiet=1):  # as bench_gui_startup.py: an installed app's bytecode
        raise SystemExit("could not compile wallet/ to bytecode")
    with tempfile.TemporaryDirectory() as tmp:
        root = args.homes or Path(tmp)
        small, large = root / f"wallet-{args.small}", root / f"wallet-{args.large}"
        start = time.perf_counter()
        build_home(small, args.small)
        build_home(large, args.large)
        built = time.perf_counter() - start
        app_small, app_large, floor = window_times(
            [(small, args.small, APP), (large, args.large, APP), (small, args.small, FLOOR)], args.repeat)
        rows = first_page_rows_of(small)
        searches = {word: search_times((small, large), word, args.repeat, rows) for word in SEARCH_WORDS}
    chart_small, built_small = chart_seconds(1_000, args.repeat)
    chart_large, built_large = chart_seconds(100_000, args.repeat)

    def med(rows: list[dict[str, Any]], key: str = "total") -> float:
        return float(statistics.median(r[key] for r in rows))

    print(f"wallets: {args.small:,} and {args.large:,} records (built in {built:.0f} s); medians of {args.repeat}; "
          f"load {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"main window, {args.small:,} records: {med(app_small) * 1000:.0f} ms "
          f"(unlock {med(app_small, 'unlock') * 1000:.0f}, window {med(app_small, 'window') * 1000:.0f}); "
          f"{args.large:,} records: {med(app_large) * 1000:.0f} ms "
          f"(unlock {med(app_large, 'unlock') * 1000:.0f}, window {med(app_large, 'window') * 1000:.0f}); "
          f"floor window: {med(floor) * 1000:.0f} ms")
    print(f"ratio main window {args.large:,} / {args.small:,} (target <= 1.2): {med(app_large) / med(app_small):.2f}")
    print(f"ratio main window {args.small:,} / floor (target <= 2.0): {med(app_small) / med(floor):.2f}")
    for word, (on_small, on_large, same_rows, counted_ratio) in searches.items():
        print(f"search {word!r} (the filter box's first page, {rows} rows: what its table shows + a margin): "
              f"{on_small.count} found, {on_small.rows} shown, in {on_small.seconds * 1000:.2f} ms over "
              f"{args.small:,}; {on_large.count} found, {on_large.rows} shown, in {on_large.seconds * 1000:.2f} ms "
              f"over {args.large:,}; ratio (target <= 2): {on_large.seconds / on_small.seconds:.2f}")
        print(f"  the same {same_rows.rows} rows over {args.large:,}: {same_rows.seconds * 1000:.2f} ms, ratio "
              f"{same_rows.seconds / on_small.seconds:.2f}; with the capped count on the same thread: ratio "
              f"{counted_ratio:.2f}")
        print(f"  counts on the worker thread: to {COUNT_CAP:,} {on_small.capped} in "
              f"{on_small.capped_seconds * 1000:.2f} ms, {on_large.capped} in {on_large.capped_seconds * 1000:.2f} ms; "
              f"exact {on_small.exact:,} in {on_small.exact_seconds * 1000:.1f} ms, {on_large.exact:,} in "
              f"{on_large.exact_seconds * 1000:.1f} ms")
    print(f"trend chart (GUI thread): 1,000 points {chart_small * 1000:.1f} ms, 100,000 points "
          f"{chart_large * 1000:.1f} ms; ratio (target <= 3): {chart_large / chart_small:.2f}")
    print(f"  series built on the worker thread (order check, thinning): 1,000 points {built_small * 1000:.1f} ms, "
          f"100,000 points {built_large * 1000:.1f} ms")


if __name__ == "__main__":
    main()
