"""Benchmark: ``flowgraph synth --scale N [--years Y]`` writing a national data set and its key.

Prints wall time, CPU time and peak memory (uploads, registry and answers.jsonl written under
benchmarks/.cache), the events and files written, bytes on disk and the load average. synth
runs in two processes (the simulation here, tables, files and key in a worker:
flowgraph/synth/worker.py): CPU and peak are given for each, and the peak of the two
together as sampled every 0.1 s (/proc). ``--profile`` also prints the 25 functions with the
most own time in this process (cProfile; slows the run down ~2x). Target (issue #15): scale
1000 (~10 M events) in under 3 minutes and under 3 GB.

    python benchmarks/synth.py --scale 100
    python benchmarks/synth.py --scale 1000 --keep
    python benchmarks/synth.py --scale 1000 --out /tmp/synth1000 --keep
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import resource
import shutil
import sys
import threading
import time
from pathlib import Path

from _data import CACHE, peak_rss_mb


def _du(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:  # the process has ended
        pass
    return 0.0


class TreeSampler(threading.Thread):
    """The largest sum of this process's and its children's resident memory, every 0.1 s."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak, self.done = 0.0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.1):
            pids = [os.getpid()] + [p.pid for p in multiprocessing.active_children()]
            self.peak = max(self.peak, sum(_rss_mb(pid) for pid in pids))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=100)
    parser.add_argument("--years", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions")
    parser.add_argument(
        "--keep", action="store_true", help="keep the output (benchmarks/.cache) for other runs"
    )
    parser.add_argument("--out", type=Path, help="write here instead of benchmarks/.cache")
    args = parser.parse_args()
    from flowgraph.synth import generate

    suffix = f"-years{args.years}" if args.years > 1 else ""
    out = args.out or CACHE / f"synth-scale{args.scale:g}-seed{args.seed}{suffix}"
    if out.exists():
        shutil.rmtree(out)
    load_before = os.getloadavg()
    sampler = TreeSampler()
    sampler.start()
    wall, cpu = time.perf_counter(), time.process_time()
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        result = profiler.runcall(generate, out, seed=args.seed, scale=args.scale, years=args.years)
    else:
        result = generate(out, seed=args.seed, scale=args.scale, years=args.years)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    sampler.done.set()
    sampler.join()
    worker = resource.getrusage(resource.RUSAGE_CHILDREN)
    load_after = os.getloadavg()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"synth --scale {args.scale:g} --years {args.years} --seed {args.seed}")
    print(f"  events {result.events:,}  files {result.files}  findings {len(result.findings)}")
    worker_cpu = worker.ru_utime + worker.ru_stime
    print(
        f"  wall {wall:.1f} s  CPU {cpu + worker_cpu:.1f} s "
        f"(simulation {cpu:.1f} s, worker {worker_cpu:.1f} s)"
    )
    print(
        f"  peak {sampler.peak:,.0f} MB together (sampled; simulation {peak_rss_mb():,.0f} MB, "
        f"worker {peak_rss_mb(children=True):,.0f} MB)"
    )
    print(f"  on disk {_du(out) / 1e6:,.0f} MB in {out}")
    print(f"  load average before {load_before[0]:.1f}, after {load_after[0]:.1f} (1 min)")
    if args.profile:
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(25)
    if not args.keep:
        shutil.rmtree(out)


if __name__ == "__main__":
    main()
