"""Export speed: signed export + verify of the largest Synthea fixture ÷ plain json.dump.

Baseline, measured in the same run: ``json.dump`` of the same collection Bundle to a
file in the same folder, fsynced. The export does that work and also canonicalises
(RFC 8785) and signs the bundle (ES256K), writes the Provenance, HOW-TO and SHA-256
manifest with its signature into a temporary folder, fsyncs each file, renames it,
then reads everything back and verifies it (digests, both signatures). ``verify`` is
then timed once more on its own, as a doctor's machine would run it.

``--breakdown`` then runs ``--repeat`` more exports + verifies, not part of the ratio,
with the main steps wrapped in timers, and prints the median time of each step.

    python benchmarks/bench_export.py [--repeat 5] [--encrypt] [--breakdown] [FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from wallet.clock import FixedClock  # noqa: E402
from wallet.records import fhir_json  # noqa: E402
from wallet.records.bundle import collection_bundle  # noqa: E402
from wallet.share import export as export_module  # noqa: E402
from wallet.share import verify as verify_module  # noqa: E402
from wallet.share.export import write_export  # noqa: E402
from wallet.share.verify import verify_export  # noqa: E402
from wallet.vault.keys import WalletKeys  # noqa: E402

PHRASE = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
PASSPHRASE = "benchmark passphrase"


def baseline(resources: list[dict], folder: Path, n: int, now: datetime) -> float:
    start = time.perf_counter()
    bundle = collection_bundle(resources, now=now)
    with open(folder / f"plain-{n}.json", "w", encoding="utf-8") as fh:
        json.dump(bundle, fh)
        fh.flush()
        os.fsync(fh.fileno())
    return time.perf_counter() - start


def export_and_verify(resources: list[dict], folder: Path, keys: WalletKeys, clock: FixedClock,
                      passphrase: str | None) -> tuple[float, float, Path]:
    start = time.perf_counter()
    result = write_export(folder, resources=resources, keys=keys, clock=clock, passphrase=passphrase)
    exported = time.perf_counter() - start
    start = time.perf_counter()
    verify_export(result.path, passphrase=passphrase)
    return exported, time.perf_counter() - start, result.path


# (module, attribute, label): the steps --breakdown times, in the order they run
STEPS = [
    (export_module, "collection_bundle", "export: build the Bundle (narratives, links)"),
    (export_module, "signed_bundle_bytes", "export: canonicalise + sign the Bundle"),
    (export_module, "seal_files", "export: encrypt (tar.gz + PBES2 + A256GCM)"),
    (export_module, "_write_file", "export: write + fsync each file"),
    (export_module, "verify_export", "export: read back + verify (all of it)"),
    (verify_module, "_read_folder", "  verify: read the files"),
    (verify_module, "open_sealed_files", "  verify: decrypt"),
    (verify_module, "_check_files", "  verify: SHA-256 digests + manifest signature"),
    (verify_module, "verify_bundle_bytes", "  verify: Bundle signature + parse (input gate)"),
    (verify_module, "unresolved_in_bundle", "  verify: references resolve"),
]


@contextmanager
def timed_steps(totals: dict[str, float]) -> Iterator[None]:
    """Wrap each step of :data:`STEPS` so that its time adds up in ``totals`` (ms)."""
    saved = []
    for module, name, label in STEPS:
        original = getattr(module, name)

        def wrapper(*args: Any, _f: Callable[..., Any] = original, _label: str = label, **kw: Any) -> Any:
            start = time.perf_counter()
            try:
                return _f(*args, **kw)
            finally:
                totals[_label] += (time.perf_counter() - start) * 1000

        saved.append((module, name, original))
        setattr(module, name, wrapper)
    try:
        yield
    finally:
        for module, name, original in saved:
            setattr(module, name, original)


def breakdown(resources: list[dict], folder: Path, keys: WalletKeys, clock: FixedClock,
              passphrase: str | None, repeat: int) -> None:
    runs: list[dict[str, float]] = []
    for _ in range(repeat):
        totals: dict[str, float] = defaultdict(float)
        with timed_steps(totals):
            e, v, _ = export_and_verify(resources, folder, keys, clock, passphrase)
        totals["export"], totals["verify"] = e * 1000, v * 1000
        runs.append(totals)
    print(f"breakdown, median of {repeat} more runs (verify steps summed over the read-back and the lone verify):")
    print(f"  export {statistics.median(r['export'] for r in runs):.0f} ms + "
          f"verify {statistics.median(r['verify'] for r in runs):.0f} ms")
    for _, _, label in STEPS:
        if label in runs[0]:
            print(f"  {label:<52} {statistics.median(r[label] for r in runs):7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--encrypt", action="store_true", help="also seal with a passphrase (PBES2 + A256GCM)")
    parser.add_argument("--breakdown", action="store_true", help="then time the steps of one more run")
    args = parser.parse_args()
    fixtures = REPO.parent / "shared" / "fixtures" / "synthea"
    path = args.file or next(fixtures.glob("Fletcher_Hyatt_*.json"))
    # records as the wallet holds them: decimals exact (what the store hands to an export)
    resources = [e["resource"] for e in fhir_json.loads(path.read_bytes())["entry"]]
    # the baseline writes the same records with the standard library, numbers as doubles
    plain_resources = [e["resource"] for e in json.loads(path.read_bytes())["entry"]]
    keys = WalletKeys(PHRASE)
    _ = keys.account  # derive the account once, outside the timings
    clock = FixedClock(datetime(2026, 11, 21, 12, 0, tzinfo=UTC))
    passphrase = PASSPHRASE if args.encrypt else None
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        export_and_verify(resources, folder, keys, clock, passphrase)  # warm up
        baseline(plain_resources, folder, -1, clock.now())
        base, exp, ver = [], [], []
        size = 0
        for n in range(args.repeat):
            base.append(baseline(plain_resources, folder, n, clock.now()))
            e, v, out = export_and_verify(resources, folder, keys, clock, passphrase)
            exp.append(e)
            ver.append(v)
            size = sum(p.stat().st_size for p in out.iterdir())
        if args.breakdown:
            breakdown(resources, folder, keys, clock, passphrase, args.repeat)
    b, e, v = statistics.median(base), statistics.median(exp), statistics.median(ver)
    print(f"file: {path.name} ({len(resources)} resources, {path.stat().st_size / 1e6:.1f} MB)")
    print(f"baseline json.dump + fsync of the bundle:           {b * 1000:.0f} ms (median of {args.repeat})")
    print(f"export (sign, write, fsync, rename, read back, verify){' + encrypt' if args.encrypt else ''}: "
          f"{e * 1000:.0f} ms, {size / 1e6:.1f} MB on disk")
    print(f"verify alone:                                       {v * 1000:.0f} ms")
    print(f"ratio export+verify / json.dump: {(e + v) / b:.2f}")
    print(f"ratio export (incl. its read-back verify) / json.dump: {e / b:.2f}")


if __name__ == "__main__":
    main()
