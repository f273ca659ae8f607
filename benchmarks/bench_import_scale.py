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
  A file of 4 MiB or more is validated by a second process while the import child
  summarises and writes it (``wallet.records.line_validator``), when two CPUs are usable;
  the import child validates the next chunks itself whenever that process is behind
  (while it starts, or when it is the slower of the two).

Two ratios are printed: wall time (what a user waits) and CPU time (the import child and
its validating process summed, user + system; the baseline's own). With one usable CPU
the import validates in its own process and the two ratios are about equal.

Targets: import ÷ baseline ≤ 1.3 (wall time); peak RSS ≤ 400 MB.

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


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def child_baseline(folder: Path) -> dict[str, float]:
    from decimal import Decimal

    from fhir.resources.R4B import get_fhir_model_class

    get_fhir_model_class("Observation")  # import the models outside the timing
    count = 0
    cpu = _cpu(resource.RUSAGE_SELF)
    start = time.perf_counter()
    for path in _files(folder):
        with open(path, "rb") as fh:
            for line in fh:
                doc = json.loads(line, parse_float=Decimal)
                get_fhir_model_class(doc["resourceType"]).model_validate(doc)
                count += 1
    return {"seconds": time.perf_counter() - start, "resources": count,
            "cpu_seconds": _cpu(resource.RUSAGE_SELF) - cpu,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def child_import(folder: Path, store_dir: Path) -> dict[str, float]:
    from fhir.resources.R4B import get_fhir_model_class

    from wallet.records import line_validator
    from wallet.records.importer import import_path
    from wallet.records.store import RecordStore
    from wallet.vault import aead

    get_fhir_model_class("Observation")
    store = RecordStore(store_dir / "records.sqlite3", record_key=aead.new_key(), index_key=aead.new_key())
    store.count()  # create the file outside the timing
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    count = 0
    cpu = _cpu(resource.RUSAGE_SELF)
    start = time.perf_counter()
    for path in _files(folder):
        count += import_path(store, path, check_person=True).total
    elapsed = time.perf_counter() - start
    main_cpu = _cpu(resource.RUSAGE_SELF) - cpu
    shared = line_validator._shared
    here, there = (shared.checked_here, shared.checked_there) if shared is not None else (0, 0)
    line_validator.shutdown()  # waits for the validating process, so its time is counted below
    helper_cpu = _cpu(resource.RUSAGE_CHILDREN)
    stored = store.count()
    store.close()
    return {"seconds": elapsed, "resources": count, "stored": stored, "rss_before_mb": before,
            "cpu_seconds": main_cpu + helper_cpu, "main_cpu_seconds": main_cpu, "helper_cpu_seconds": helper_cpu,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "store_mb": sum(p.stat().st_size for p in store_dir.iterdir()) / 1e6,
            "chunks_here": here, "chunks_there": there}


def line_validator_chunk() -> int:
    from wallet.records.line_validator import CHUNK

    return CHUNK


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
        load_before = os.getloadavg()[0]
        base = _run_child("baseline", str(folder))
        load_between = os.getloadavg()[0]
        imp = _run_child("import", str(folder), str(store_dir))
    print(f"record: {base['resources']:,.0f} resources, {len(_files(folder)) if args.keep else 'several'} NDJSON "
          f"files, {size / 1e6:.0f} MB (generated in {written:.1f} s)")
    print(f"load (1-minute average, {os.cpu_count()} cores): {load_before:.2f} before the baseline, "
          f"{load_between:.2f} before the import, {os.getloadavg()[0]:.2f} at the end")
    print(f"baseline json.loads + fhir.resources validation: {base['seconds']:.1f} s "
          f"({base['seconds'] / base['resources'] * 1e6:.0f} µs per resource)")
    print(f"import into the encrypted store:                 {imp['seconds']:.1f} s "
          f"({imp['seconds'] / imp['resources'] * 1e6:.0f} µs per resource), {imp['stored']:,.0f} records, "
          f"store {imp['store_mb']:.0f} MB")
    print(f"peak RSS of the import process: {imp['peak_rss_mb']:.0f} MB "
          f"({imp['rss_before_mb']:.0f} MB before the first file; baseline process {base['peak_rss_mb']:.0f} MB)")
    print(f"CPU time: baseline {base['cpu_seconds']:.1f} s; import {imp['cpu_seconds']:.1f} s "
          f"(import process {imp['main_cpu_seconds']:.1f} s + validating process {imp['helper_cpu_seconds']:.1f} s)")
    print(f"chunks of {line_validator_chunk()} lines validated: {imp['chunks_there']:,.0f} by the validating process, "
          f"{imp['chunks_here']:,.0f} by the import process")
    print(f"ratio import / (parse + validate), wall time: {imp['seconds'] / base['seconds']:.2f}")
    print("ratio import / (parse + validate), CPU time (all processes): "
          f"{imp['cpu_seconds'] / base['cpu_seconds']:.2f}")


if __name__ == "__main__":
    main()
