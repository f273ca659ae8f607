"""GUI start-up: time to the main window painted with 20,000 records ÷ time to the floor
window painted (a PySide6 QMainWindow plus what the product cannot open without, below),
each in a fresh process (offscreen platform). Target: ratio ≤ 2.0.

Both children take ``t0`` as their first statement, then import what they need,
create the QApplication, show the window and return once it is exposed and its
first paint has run: the window and, in the app, the overview page's lists have
had their paint events (Qt paints a window's whole tree in one pass), and the events
queued by then are processed. Only those widgets carry the event filter that watches:
a filter on every child costs Python calls per widget and event, which is the
harness's time, not the app's. The app child also builds the App, unlocks the wallet
(light KDF: the deliberate cost of scrypt is reported apart, it is the same with or
without a GUI), loads the counts and shows the overview page with its content (read on
a worker thread). The harness finds the list's viewport with ``findChild`` (the same
widget): the first call of ``viewport()`` in a process makes PySide build some 40 enum
types of unrelated widget classes (QWizard, QDockWidget, QColorDialog…), milliseconds of
the harness's own that the app, which never calls it before its first paint, does not spend.

The floor child is the bare window plus what the product cannot open without (the Qt
namespace for plain-text display, the encryption-at-rest libraries, the light-KDF
unlock). A third child shows a bare QMainWindow, so the ratio splits into what any such
app pays and what this app's own code adds; the app ÷ bare ratio is printed too.

Also reported: the app's time split into module imports, unlock and the window's own
work (build, counts, first page, paint; the build, the wait for the overview's worker and
the paint apart), the ratios with module imports excluded
(``t0`` after imports), the wall time from process spawn, and each child's own peak
memory (``VmHWM``; ``ru_maxrss`` is not used because Linux carries it across ``exec``,
so a child would report the peak of the benchmark that spawned it).

Both import from compiled bytecode, as an installed app does: ``pip install`` compiles
every module, but a source checkout run with ``PYTHONDONTWRITEBYTECODE`` would compile
``wallet/`` from source on every start, so the benchmark compiles it first (into the
usual ``__pycache__`` folders, which git ignores).

    python benchmarks/bench_gui_startup.py [--repeat 5] [--records 20000]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PASSPHRASE = "benchmark passphrase"

_WAIT_PAINTED = r"""
from PySide6.QtCore import QEvent, QObject
class _Painted(QObject):
    def __init__(self):
        super().__init__()
        self.painted = set()
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            self.painted.add(id(obj))
        return False
def wait_painted(app, window, *inner):
    spy = _Painted()
    watched = (window, *inner)
    for widget in watched:
        widget.installEventFilter(spy)
    window.show()
    handle = window.windowHandle()
    while not (handle is not None and handle.isExposed() and all(id(w) in spy.painted for w in watched)):
        app.processEvents()
        handle = window.windowHandle()
    app.processEvents()
"""

def _window_child(extra_imports: str = "", extra_work: str = "") -> str:
    """A child that shows a bare QMainWindow, after ``extra_imports`` and ``extra_work``."""
    return (r"""
import time
t0 = time.perf_counter()
from PySide6.QtWidgets import QApplication, QMainWindow
""" + extra_imports + r"""
t_imports = time.perf_counter()
""" + _WAIT_PAINTED + extra_work + r"""
app = QApplication([])
window = QMainWindow()
window.resize(1280, 780)
wait_painted(app, window)
t1 = time.perf_counter()
""")


BARE = _window_child()

# What any window of this product pays before its own code runs: the bare window, plus
# the Qt namespace (untrusted text is shown with Qt.TextFormat.PlainText, and touching
# ``Qt`` builds its Python enums), the libraries of encryption at rest (AES-GCM,
# scrypt, SQLite, JSON) and the same light-KDF unlock the app child does.
FLOOR = _window_child(r"""
from PySide6.QtCore import Qt
Qt.TextFormat.PlainText
import hashlib, json, sqlite3
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
""", r"""
Scrypt(salt=bytes(16), length=32, n=2**12, r=8, p=1).derive(b"benchmark passphrase")
""")

APP = r"""
import time, os
t0 = time.perf_counter()
import wallet.gui
from PySide6.QtWidgets import QApplication
from wallet.app import build_app
from wallet.services import WalletService
from wallet.gui.app_window import MainWindow
t_imports = time.perf_counter()
""" + _WAIT_PAINTED + r"""
from PySide6.QtWidgets import QWidget
app = QApplication([])
service = WalletService(build_app(os.environ["BENCH_HOME"]))
wallet = service.unlock(os.environ["BENCH_PASSPHRASE"])
t_unlocked = time.perf_counter()
window = MainWindow()
window.set_wallet(wallet)
t_set = time.perf_counter()
assert window.categories.total == int(os.environ["BENCH_RECORDS"]), window.categories.total
# the first screen is the overview page, read on a worker thread: wait for its content
while not window.overview.status.text() or window.overview.status.text().startswith("Reading"):
    app.processEvents()
t_read = time.perf_counter()
conditions = window.overview.lists["current_conditions"]
viewport = conditions.findChild(QWidget, "qt_scrollarea_viewport")
wait_painted(app, window, viewport)
t1 = time.perf_counter()
assert viewport is conditions.viewport()
extra = {"unlock": t_unlocked - t_imports, "window": t1 - t_unlocked, "build": t_set - t_unlocked,
         "read_wait": t_read - t_set, "paint": t1 - t_read,
         "rows_loaded": sum(items.count() for items in window.overview.lists.values())}
window.clear()
wallet.lock()
"""

REPORT = r"""
import json, resource, sys
def _peak_mb():
    try:  # this process's own peak: ru_maxrss would include the spawning benchmark's on Linux
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
doc = {"total": t1 - t0, "after_imports": t1 - t_imports, "imports": t_imports - t0,
       "maxrss_mb": _peak_mb(), "painted_at": time.time()}
doc.update(globals().get("extra", {}))
print(json.dumps(doc))
"""


def build_home(home: Path, records: int) -> None:
    sys.path.insert(0, str(REPO))
    from wallet.app import build_app
    from wallet.records.store import NewRecord
    from wallet.records.summary import summarize
    from wallet.services import WalletService

    service = WalletService(build_app(home, environ={"HEALTH_WALLET_UNSAFE_LIGHT_KDF": "1"}))
    service.create(PASSPHRASE)
    service.mark_phrase_shown()  # as after init: the app does not show it again
    wallet = service.unlock(PASSPHRASE)
    batch = []
    for i in range(records):
        code, name, unit = (("2339-0", "Glucose", "mg/dL"), ("718-7", "Hemoglobin", "g/dL"),
                            ("8480-6", "Systolic blood pressure", "mm[Hg]"))[i % 3]
        res = {"resourceType": "Observation", "id": f"bench-{i}", "status": "final",
               "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                         "code": "laboratory"}]}],
               "code": {"coding": [{"system": "http://loinc.org", "code": code, "display": name}]},
               "effectiveDateTime": f"{1990 + i % 30}-{1 + i % 12:02d}-{1 + i % 28:02d}T08:00:00Z",
               "valueQuantity": {"value": 50 + (i * 37) % 100, "unit": unit},
               "referenceRange": [{"low": {"value": 70}, "high": {"value": 110}}]}
        batch.append(NewRecord(wallet.store.record_id(res), res, summarize(res)))
    wallet.store.add_many(batch)
    wallet.lock()


def scrypt_unlock_seconds(home: Path) -> float:
    """The default-KDF unlock, for context (a deliberate cost, GUI or not)."""
    from wallet.app import build_app
    from wallet.services import WalletService

    with tempfile.TemporaryDirectory() as tmp:
        service = WalletService(build_app(Path(tmp) / "w", environ={}))
        service.create(PASSPHRASE)
        start = time.perf_counter()
        service.unlock(PASSPHRASE).lock()
        return time.perf_counter() - start


def run_child(code: str, env: dict[str, str]) -> dict:
    spawned = time.time()
    out = subprocess.run([sys.executable, "-c", code + REPORT], env=env, capture_output=True, text=True,
                         timeout=300, cwd=REPO)
    if out.returncode != 0:
        raise SystemExit(f"child failed ({out.returncode}):\n{out.stderr}")
    doc = json.loads(out.stdout.strip().splitlines()[-1])
    doc["wall_from_spawn"] = doc.pop("painted_at") - spawned
    return doc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--records", type=int, default=20_000)
    args = parser.parse_args()
    if not compileall.compile_dir(REPO / "wallet", quiet=1):
        raise SystemExit("could not compile wallet/ to bytecode")
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        build_home(home, args.records)
        env = {k: v for k, v in os.environ.items() if not k.startswith("HEALTH_WALLET_")}
        env.update({"QT_QPA_PLATFORM": "offscreen", "HEALTH_WALLET_UNSAFE_LIGHT_KDF": "1",
                    "BENCH_HOME": str(home), "BENCH_PASSPHRASE": PASSPHRASE, "BENCH_RECORDS": str(args.records),
                    "PYTHONPATH": str(REPO)})
        for code in (BARE, FLOOR, APP):
            run_child(code, env)  # warm the file cache
        bare, floor, app = [], [], []
        for _ in range(args.repeat):
            bare.append(run_child(BARE, env))
            floor.append(run_child(FLOOR, env))
            app.append(run_child(APP, env))
        kdf = scrypt_unlock_seconds(home)

    def med(rows: list[dict], key: str) -> float:
        return statistics.median(r[key] for r in rows)

    ratio = med(app, "total") / med(floor, "total")
    bare_ratio = med(app, "total") / med(bare, "total")
    floor_ratio = med(floor, "total") / med(bare, "total")
    print(f"records: {args.records:,}   runs: {args.repeat} (medians)")

    def line(name: str, rows: list[dict], extra: str = "") -> None:
        def ms(key: str) -> str:
            return f"{med(rows, key) * 1000:7.1f}"

        print(f"{name:<17} total {ms('total')} ms (imports {ms('imports')}, after {ms('after_imports')}{extra})"
              f"  wall from spawn {ms('wall_from_spawn')} ms  peak RSS {med(rows, 'maxrss_mb'):6.1f} MB")

    line("bare QMainWindow:", bare)
    line("floor:", floor)
    line("Health Wallet:", app, f"; unlock {med(app, 'unlock') * 1000:5.1f}, window {med(app, 'window') * 1000:5.1f}")
    print(f"  the window: built and given the wallet {med(app, 'build') * 1000:.1f} ms, then waits "
          f"{med(app, 'read_wait') * 1000:.1f} ms for the overview read on its worker, then shows and paints "
          f"{med(app, 'paint') * 1000:.1f} ms")
    print(f"rows loaded at first paint: {app[0]['rows_loaded']}  (lazy: the rest on scroll)")
    print(f"default-KDF unlock (scrypt, not in the ratio): {kdf * 1000:.0f} ms")
    print(f"ratio main window ÷ floor (total, target <= 2.0): {ratio:.2f}")
    print(f"ratio main window ÷ bare QMainWindow (total): {bare_ratio:.2f}")
    print(f"floor ÷ bare (Qt namespace + AES-GCM/scrypt/SQLite imports + light KDF, no app code): {floor_ratio:.2f}")
    over = med(app, "total") - med(floor, "total")
    over_imports = med(app, "imports") - med(floor, "imports")
    over_after = med(app, "after_imports") - med(floor, "after_imports")
    print(f"app beyond the floor: {over * 1000:.1f} ms = {over / med(floor, 'total'):.2f} floors, of which "
          f"imports {over_imports * 1000:.1f} ms, unlock + window beyond the floor's {over_after * 1000:.1f} ms")
    print(f"ratio ÷ floor (imports excluded): {med(app, 'after_imports') / med(floor, 'after_imports'):.2f}")
    print(f"ratio ÷ bare (imports excluded):  {med(app, 'after_imports') / med(bare, 'after_imports'):.2f}")
    print(f"ratio (window work only: building, first page, paint ÷ bare after imports): "
          f"{med(app, 'window') / med(bare, 'after_imports'):.2f}")


if __name__ == "__main__":
    main()
