"""Benchmark: load ``flowgraph synth --scale N`` into a fresh embedded store.

Prints events/s end to end (find files, hash, parse, validate, store) and peak memory.
Target (issue #2): >= 150,000 events/s and < 2 GB peak at a million events.

    python benchmarks/load.py --scale 100
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

from _data import peak_rss_mb, synth_dir

from flowgraph.ingest import load_files, load_registry
from flowgraph.store.local import LocalStore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    data = synth_dir(args.scale, args.seed)
    files = sorted(p for p in (data / "uploads").rglob("*") if p.is_file())
    size_mb = sum(p.stat().st_size for p in files) / 1e6

    with tempfile.TemporaryDirectory() as tmp:
        store = LocalStore.open(Path(tmp) / "bench.db")
        load_registry(store, data / "registry")
        started, cpu_started = time.perf_counter(), time.process_time()
        summary = load_files(store, [data / "uploads"])
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        again = time.perf_counter()
        second = load_files(store, [data / "uploads"])
        reload_s = time.perf_counter() - again
        read = time.perf_counter()
        events = store.events()
        read_s = time.perf_counter() - read
        db_mb = os.path.getsize(Path(tmp) / "bench.db") / 1e6
        store.close()

    print(
        f"machine        {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"input          {len(files)} files, {size_mb:.1f} MB, scale {args.scale:g}")
    print(f"summary        {summary.line()}")
    print(f"load           {elapsed:.2f} s  = {summary.events / elapsed:,.0f} events/s")
    print(f"main CPU       {cpu:.2f} s  (parsing runs in worker processes)")
    print(f"reload         {reload_s:.2f} s  ({second.count('unchanged')} unchanged)")
    print(f"read back      {read_s:.2f} s  ({len(events):,} current events)")
    print(f"store size     {db_mb:.1f} MB")
    print(
        f"peak memory    {peak_rss_mb():,.0f} MB (main), {peak_rss_mb(children=True):,.0f} MB (largest worker)"
    )


if __name__ == "__main__":
    main()
