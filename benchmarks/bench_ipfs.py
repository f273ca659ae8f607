"""Publishing and fetching a 50 MB FHIR bundle through the sealed envelope and embedded Kubo.

Publish = ``publish_sealed`` (zlib + chunked AES-256-GCM into a scratch file, then the
embedded node adds and pins it). Baseline, same run, same bytes: one AES-256-GCM call
over the whole bundle, then the embedded node adds the ciphertext. Target: ratio ≤ 1.25.

Fetch = ``fetch_sealed`` (the node returns the envelope, every chunk is checked and
inflated). Baseline: the node returns the raw ciphertext, one AES-GCM decrypt. Target:
ratio ≤ 1.25.

Memory: a fresh process reads the bundle, starts a node, then publishes; its peak RSS
during the publish (Linux ``VmHWM`` after resetting it, which counts Kubo's Go heap
too) minus its resident memory just before, plus the input, must stay ≤ 3× the input.
tracemalloc's peak (Python allocations only) is printed beside it.

    python benchmarks/bench_ipfs.py [--size-mb 50] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402

from wallet.ipfs.kubo_embedded import EmbeddedKuboBackend  # noqa: E402
from wallet.ipfs.sealed import fetch_sealed, publish_sealed  # noqa: E402
from wallet.vault import aead  # noqa: E402

FIXTURES = Path(os.environ.get("HEALTH_WALLET_FIXTURES", REPO.parent / "shared" / "fixtures")) / "synthea"


def make_bundle(size: int) -> bytes:
    """A FHIR collection Bundle of about ``size`` bytes built from the Synthea fixtures."""
    entries = []
    for path in sorted(FIXTURES.glob("*.json")):
        doc = json.loads(path.read_bytes())
        if isinstance(doc, dict) and doc.get("resourceType") == "Bundle":
            entries.extend(doc.get("entry", []))
    if not entries:
        raise SystemExit(f"No Synthea bundles in {FIXTURES}")
    out, total, copy = [], 0, 0
    while total < size:
        for entry in entries:
            text = json.dumps(entry, separators=(",", ":"))
            text = text.replace('"urn:uuid:', f'"urn:uuid:{copy:04d}-')
            out.append(text)
            total += len(text) + 1
            if total >= size:
                break
        copy += 1
    return ('{"resourceType":"Bundle","type":"collection","entry":[' + ",".join(out) + "]}").encode()


def new_node(folder: Path) -> EmbeddedKuboBackend:
    node = EmbeddedKuboBackend(folder, loopback_only=True, bootstrap=False, mdns=False)
    node.wait_ready(timeout=60)
    return node


def timed(fn):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def speed(bundle: bytes, repeat: int) -> None:
    key = aead.new_key()
    with tempfile.TemporaryDirectory() as tmp:
        node = new_node(Path(tmp) / "ipfs")
        try:
            gcm = AESGCM(key)

            def base_publish():  # type: ignore[no-untyped-def]
                nonce = os.urandom(12)
                return nonce, node.add(gcm.encrypt(nonce, bundle, b""))

            def our_publish():  # type: ignore[no-untyped-def]
                return publish_sealed(node, key, bundle, purpose="share", scratch_dir=node.scratch_dir)

            base_publish(), our_publish()  # warm up
            base_t, ours_t = [], []
            for _ in range(repeat):
                t, (nonce, raw_cid) = timed(base_publish)
                base_t.append(t)
                t, cid = timed(our_publish)
                ours_t.append(t)
            envelope = len(node.get(cid, timeout=30))
            base_fetch, ours_fetch = [], []
            for _ in range(repeat):
                t, plain = timed(lambda: gcm.decrypt(nonce, node.get(raw_cid, timeout=30), b""))
                base_fetch.append(t)
                assert plain == bundle
                t, plain = timed(lambda: fetch_sealed(node, cid, key, purpose="share", timeout=30))
                ours_fetch.append(t)
                assert plain == bundle
        finally:
            node.close()
    mb = len(bundle) / 1e6
    pb, po = statistics.median(base_t), statistics.median(ours_t)
    fb, fo = statistics.median(base_fetch), statistics.median(ours_fetch)
    print(f"bundle: {mb:.1f} MB; sealed envelope: {envelope / 1e6:.2f} MB ({envelope / len(bundle):.1%})")
    print(f"publish  baseline (AES-GCM + add): {pb * 1000:7.1f} ms   sealed envelope + add: {po * 1000:7.1f} ms")
    print(f"publish ratio: {po / pb:.2f} (target <= 1.25)")
    print(f"fetch    baseline (get + AES-GCM): {fb * 1000:7.1f} ms   get + open envelope:   {fo * 1000:7.1f} ms")
    print(f"fetch ratio: {fo / fb:.2f} (target <= 1.25)")


_CHILD = """
import resource, sys, tracemalloc
from pathlib import Path
sys.path.insert(0, {repo!r})
from wallet.ipfs.kubo_embedded import EmbeddedKuboBackend
from wallet.ipfs.sealed import publish_sealed
from wallet.vault import aead
bundle = Path({bundle!r}).read_bytes()
node = EmbeddedKuboBackend({folder!r}, loopback_only=True, bootstrap=False, mdns=False)
node.wait_ready(timeout=60)
key = aead.new_key()
publish_sealed(node, key, b"warm up" * 1000, purpose="share", scratch_dir=node.scratch_dir)
status = Path("/proc/self/status")


def vm(field):
    return int(next(l for l in status.read_text().splitlines() if l.startswith(field + ":")).split()[1])


if status.exists():
    # Linux: reset the high-water mark (ru_maxrss would still hold the parent's peak from
    # before exec), then measure the peak from the resident memory now. KiB.
    Path("/proc/self/clear_refs").write_text("5")
    before = vm("VmRSS")
else:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
publish_sealed(node, key, bundle, purpose="share", scratch_dir=node.scratch_dir)
_, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
after = vm("VmHWM") if status.exists() else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
node.close()
print(before, after, peak)
"""


def memory(bundle: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bundle.json"
        path.write_bytes(bundle)
        code = _CHILD.format(repo=str(REPO), bundle=str(path), folder=str(Path(tmp) / "ipfs"))
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise SystemExit(done.stderr)
        before_kb, after_kb, py_peak = (int(x) for x in done.stdout.split()[-3:])
    scale = 1 if sys.platform != "darwin" else 1 / 1024  # ru_maxrss: KiB on Linux, bytes on macOS
    growth = (after_kb - before_kb) * 1024 * scale
    print(
        f"publish memory: peak RSS {growth / 1e6:.1f} MB above the resident memory before, "
        f"input {len(bundle) / 1e6:.1f} MB "
        f"(Python allocations peak {py_peak / 1e6:.1f} MB)"
    )
    print(f"peak memory / input: {(len(bundle) + growth) / len(bundle):.2f}x (target <= 3x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    bundle = make_bundle(int(args.size_mb * 1e6))
    speed(bundle, args.repeat)
    memory(bundle)


if __name__ == "__main__":
    main()
