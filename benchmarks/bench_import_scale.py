"""Import at scale: a lifetime record (N resources as NDJSON) ÷ bare parse + validation.

The record is written by ``gen_lifetime.py`` (one Patient, ~1 % clinical records, the
rest heart rate, steps, blood pressure and weight Observations; 100,000 lines per file).
Then, each in a fresh child process, one after the other:

- baseline: every line through ``json.loads`` (decimals as ``Decimal``) and
  ``fhir.resources`` (R4B) ``model_validate``: the least any importer must do;
- import: the wallet's importer, file by file into one encrypted store (SQLCipher, with
  its full-text index), as ``health-wallet import`` does: each line through the input
  gate, value-set and JSON-type checks, validation, narrative checks, summaries, record
  ids, batched inserts in one transaction per file, person checks before each commit.
  Peak RSS of that child (``resource.getrusage``, ``ru_maxrss``) is the import's memory.

Targets: import ÷ baseline ≤ 1.3; peak RSS ≤ 400 MB.

    python benchmarks/bench_import_scale.py [--resources 100000] [--seed 1] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _files(folder: Path) -> list[Path]:
    """Patient first (it names the person), then the clinical records, then the readings."""
    files = sorted(folder.glob("*.ndjson"))
    return sorted(files, key=lambda p: (p.name != "Patient.ndjson", p.name.startswith("Observation"), p.name))


def child_baseline(folder: Path) -> dict[str, float]:
    from decimal import Decimal

    from fhir.resources.R4B import get_fhir_model_class

    get_fhir_model_class("Observation")  # import the models outside the timing
    count = 0
    start = time.perf_counter()
    for path in _files(folder):
        with open(path, "rb") as fh:
            for line in fh:
                doc = json.loads(line, parse_float=Decimal)
                get_fhir_model_class(doc["resourceType"]).model_validate(doc)
                count += 1
    return {"seconds": time.perf_counter() - start, "resources": count,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def child_import(folder: Path, store_dir: Path) -> dict[str, float]:
    from fhir.resources.R4B import get_fhir_model_class

    from wallet.records.importer import import_path
    from wallet.records.store import RecordStore
    from wallet.vault import aead

    get_fhir_model_class("Observation")
    store = RecordStore(store_dir / "records.sqlite3", record_key=aead.new_key(), index_key=aead.new_key())
    store.count()  # create the file outside the timing
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    count = 0
    start = time.perf_counter()
    for path in _files(folder):
        count += import_path(store, path, check_person=True).total
    elapsed = time.perf_counter() - start
    stored = store.count()
    store.close()
    return {"seconds": elapsed, "resources": count, "stored": stored, "rss_before_mb": before,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "store_mb": sum(p.stat().st_size for p in store_dir.iterdir()) / 1e6}


def _run_child(*args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", *args], check=True, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(REPO)})
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="write the record here (and keep it) instead of a temporary folder")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *paths = args.child
        result = child_baseline(Path(paths[0])) if kind == "baseline" else child_import(Path(paths[0]), Path(paths[1]))
        print(json.dumps(result))
        return
    from benchmarks.gen_lifetime import generate

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp) / "record"
        start = time.perf_counter()
        if not (args.keep and any(folder.glob("*.ndjson"))):
            generate(folder, args.resources, seed=args.seed)
        written = time.perf_counter() - start
        size = sum(p.stat().st_size for p in folder.glob("*.ndjson"))
        store_dir = Path(tmp) / "home"
        store_dir.mkdir()
        base = _run_child("baseline", str(folder))
        imp = _run_child("import", str(folder), str(store_dir))
    print(f"record: {base['resources']:,.0f} resources, {len(_files(folder)) if args.keep else 'several'} NDJSON "
          f"files, {size / 1e6:.0f} MB (generated in {written:.1f} s)")
    print(f"load: {os.getloadavg()[0]:.2f} (1-minute average, {os.cpu_count()} cores) at the end")
    print(f"baseline json.loads + fhir.resources validation: {base['seconds']:.1f} s "
          f"({base['seconds'] / base['resources'] * 1e6:.0f} µs per resource)")
    print(f"import into the encrypted store:                 {imp['seconds']:.1f} s "
          f"({imp['seconds'] / imp['resources'] * 1e6:.0f} µs per resource), {imp['stored']:,.0f} records, "
          f"store {imp['store_mb']:.0f} MB")
    print(f"peak RSS of the import process: {imp['peak_rss_mb']:.0f} MB "
          f"({imp['rss_before_mb']:.0f} MB before the first file; baseline process {base['peak_rss_mb']:.0f} MB)")
    print(f"ratio import / (parse + validate): {imp['seconds'] / base['seconds']:.2f}")


if __name__ == "__main__":
    main()
