"""Import speed: a full import of the largest Synthea fixture ÷ bare parse + validation.

Baseline, measured in the same run on the same file: ``json.loads`` plus
``fhir.resources`` (R4B) validation of the Bundle. The import does that work and also
checks value sets and JSON types, summarises, seals every row with AES-256-GCM and
writes one SQLite transaction. Target: ratio ≤ 1.3.

    python benchmarks/bench_import.py [--repeat 5] [FILE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from wallet.records.importer import import_file  # noqa: E402
from wallet.records.store import RecordStore  # noqa: E402
from wallet.vault import aead  # noqa: E402


def baseline(path: Path) -> float:
    from fhir.resources.R4B import get_fhir_model_class

    start = time.perf_counter()
    doc = json.loads(path.read_bytes())
    get_fhir_model_class(doc["resourceType"]).model_validate(doc)
    return time.perf_counter() - start


def full_import(path: Path, folder: Path, n: int) -> float:
    store = RecordStore(folder / f"bench-{n}.sqlite3", record_key=aead.new_key(), index_key=aead.new_key())
    start = time.perf_counter()
    import_file(store, path)
    elapsed = time.perf_counter() - start
    store.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    fixtures = REPO.parent / "shared" / "fixtures" / "synthea"
    path = args.file or max(fixtures.glob("*.json"), key=lambda p: p.stat().st_size)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        full_import(path, folder, -1)  # warm caches (model classes, imports)
        baseline(path)
        base, imp = [], []
        for n in range(args.repeat):
            base.append(baseline(path))
            imp.append(full_import(path, folder, n))
    b, i = statistics.median(base), statistics.median(imp)
    print(f"file: {path.name} ({path.stat().st_size / 1e6:.1f} MB)")
    print(f"baseline json.loads + fhir.resources validation: {b * 1000:.0f} ms (median of {args.repeat})")
    print(f"import (validate, summarise, seal, store):        {i * 1000:.0f} ms")
    print(f"ratio import / baseline: {i / b:.2f}  (target <= 1.30)")


if __name__ == "__main__":
    main()
