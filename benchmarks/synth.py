"""Benchmark: ``flowgraph synth --scale N [--years Y]`` writing a national data set and its key.

Prints wall time, CPU time and peak memory (uploads, registry and answers.jsonl written under
benchmarks/.cache), the events and files written, bytes on disk and the load average. synth
runs in three processes (this one waiting, the simulation in flowgraph/synth/simproc.py, tables,
files and key in flowgraph/synth/worker.py): CPU and peak are given for each (the children's
as sampled from /proc every 0.1 s), and the peak of all of them together, sampled. ``--profile``
runs the simulation in this process instead and prints the 25 functions with the most own
time in it (cProfile; slows the run down ~2x). Target (issue #15): scale 1000 (~10 M
events) in under 3 minutes and under 3 GB.

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


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a live process (0 once it has ended)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class TreeSampler(threading.Thread):
    """Every 0.1 s: the largest sum of this process's and its children's resident memory,
    and per child (by process name) its largest resident memory and the CPU seen last."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak, self.done = 0.0, threading.Event()
        self.child_peak: dict[str, float] = {}
        self.child_cpu: dict[str, float] = {}

    def run(self) -> None:
        while not self.done.wait(0.1):
            total = _rss_mb(os.getpid())
            for child in multiprocessing.active_children():
                rss, cpu = _rss_mb(child.pid), _cpu_s(child.pid)
                total += rss
                self.child_peak[child.name] = max(self.child_peak.get(child.name, 0.0), rss)
                self.child_cpu[child.name] = max(self.child_cpu.get(child.name, 0.0), cpu)
            self.peak = max(self.peak, total)


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

        from flowgraph.synth import _simulate_into
        from flowgraph.synth.worker import Worker

        profiler = cProfile.Profile()
        out.mkdir(parents=True)
        worker = Worker(out, None, 2024)
        profiler.runcall(
            _simulate_into, worker, out, args.seed, args.scale, False, 2024, args.years
        )
        result = worker.result()
        worker.close()
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
    children_cpu = worker.ru_utime + worker.ru_stime
    sim_cpu = sampler.child_cpu.get("synth-simulation", 0.0)
    print(
        f"  wall {wall:.1f} s  CPU {cpu + children_cpu:.1f} s (this process {cpu:.1f} s, "
        f"simulation ~{sim_cpu:.1f} s, worker ~{children_cpu - sim_cpu:.1f} s)"
    )
    peaks = ", ".join(
        f"{name.removeprefix('synth-')} {mb:,.0f} MB" for name, mb in sampler.child_peak.items()
    )
    print(
        f"  peak {sampler.peak:,.0f} MB together (sampled; this process {peak_rss_mb():,.0f} MB"
        f"{', ' + peaks if peaks else ''})"
    )
    print(f"  on disk {_du(out) / 1e6:,.0f} MB in {out}")
    print(f"  load average before {load_before[0]:.1f}, after {load_after[0]:.1f} (1 min)")
    if args.profile:
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(25)
    if not args.keep:
        shutil.rmtree(out)


if __name__ == "__main__":
    main()
