"""Benchmark: detection year by year (issue #15 item 3) against the whole history.

On ``flowgraph synth --years N --scale S`` loaded into the embedded store, each in a fresh
child process: the whole history read at once (dictionary-encoded, as detect reads a store of
one year) and detected (what detect did before on several years), ``detect
--year LAST`` with no carry-over kept (it computes them, reading every year one at a time),
``detect --year LAST`` again (its carry-over read back from the store), and ``detect`` of
every year (year by year, carry-overs kept). Prints seconds (wall and CPU), peak memory and
the findings' digest, which must be the same for the whole history and the partitioned run.

    python benchmarks/detect_years.py --scale 30 --years 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from _data import CACHE, peak_rss_mb, synth_dir


def _store(scale: float, seed: int, years: int) -> Path:
    """The synth world loaded into an embedded store (cached; the load is timed once)."""
    data = synth_dir(scale, seed, years)
    path = CACHE / f"store-scale{scale:g}-seed{seed}-years{years}.db"
    if not path.exists():
        flowgraph = [sys.executable, "-m", "flowgraph", "--store", str(path)]
        started = time.perf_counter()
        subprocess.run([*flowgraph, "registry", "load", str(data / "registry")], check=True)
        subprocess.run([*flowgraph, "load", "-q", str(data / "uploads")], check=True)
        print(f"loaded {path.name} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return path


def _digest(findings) -> str:
    import hashlib

    from flowgraph.analysis.findings import iter_jsonl

    return hashlib.sha256("\n".join(iter_jsonl(findings)).encode()).hexdigest()[:16]


def _child(mode: str, path: str, year: int) -> None:
    """One measurement; prints one JSON line."""
    from flowgraph.analysis import detect
    from flowgraph.analysis.detectors import run_detectors
    from flowgraph.analysis.findings import filter_findings
    from flowgraph.store.local import LocalStore

    store = LocalStore.open(path)
    base = peak_rss_mb()
    if mode == "cold":  # no carry-over kept: computed from every year
        store.connection.execute("DELETE FROM carryovers")
    started, cpu = time.perf_counter(), time.process_time()
    if mode == "whole":
        events = store.events(encoded=True)  # as detect reads a store of one year
        rows = len(events)
        found = run_detectors(events, store.registry())
        last = filter_findings(found, year=year)
    else:
        rows = None
        found = last = detect(store, year=None if mode == "all" else year)
    out = {
        "mode": mode,
        "seconds": time.perf_counter() - started,
        "cpu": time.process_time() - cpu,
        "peak_mb": peak_rss_mb(),
        "base_mb": base,
        "findings": len(found),
        "digest": _digest(found),
        "year_findings": len(last),
        "year_digest": _digest(last),
        "events": rows,
    }
    store.close()
    print(json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument(
        "--child", nargs=3, metavar=("MODE", "STORE", "YEAR"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], args.child[1], int(args.child[2]))
        return
    path = _store(args.scale, args.seed, args.years)
    from flowgraph.store.local import LocalStore

    store = LocalStore.open(path)
    periods = store.uploads()["period"]
    per_year = store.connection.execute(
        "SELECT substr(u.period, 1, 4), SUM(u.events) FROM uploads u "
        "WHERE u.superseded_by IS NULL GROUP BY 1 ORDER BY 1"
    ).fetchall()
    store.close()
    last = max(int(p[:4]) for p in periods)
    print(
        f"machine   {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"load avg  {' '.join(f'{x:.1f}' for x in os.getloadavg())} (1, 5, 15 min)")
    print(f"input     scale {args.scale:g}, seed {args.seed}, years: "
          + ", ".join(f"{y} {n:,} events" for y, n in per_year))  # fmt: skip
    print(f"{'run':<34} {'wall s':>7} {'CPU s':>7} {'peak MB':>8} {'findings':>9}  digest")
    results = {}
    for mode, label in (
        ("whole", f"whole history (then --year {last})"),
        ("cold", f"detect --year {last}, nothing kept"),
        ("year", f"detect --year {last}, carry-over kept"),
        ("all", "detect, every year (2 to compute)"),
        ("all", "detect, every year, all kept"),
    ):
        here = str(Path(__file__).resolve())
        done = subprocess.run(
            [sys.executable, here, "--child", mode, str(path), str(last)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        r = json.loads(done.stdout.strip().splitlines()[-1])
        results.setdefault(mode, r)
        n = r["findings"] if mode in ("whole", "all") else r["year_findings"]
        digest = r["digest"] if mode in ("whole", "all") else r["year_digest"]
        print(
            f"{label:<34} {r['seconds']:>7.2f} {r['cpu']:>7.2f} {r['peak_mb']:>8,.0f} {n:>9,}  {digest}"
        )
    from flowgraph.analysis.years import fingerprint

    store = LocalStore.open(path)
    print_ = fingerprint(store.uploads(), store.registry_version())
    sizes = {y: store.carryover(int(y), print_) for y, _ in per_year}
    store.close()
    print(
        "carry-overs kept: "
        + ", ".join(f"{y} {len(c):,} rows" for y, c in sizes.items() if c is not None)
    )
    w = results["whole"]
    same_all = w["digest"] == results["all"]["digest"]
    same_year = w["year_digest"] == results["year"]["year_digest"] == results["cold"]["year_digest"]
    print(f"same findings as the whole history: every year {same_all}, --year {last} {same_year}")
    print(f"(peak memory includes ~{w['base_mb']:,.0f} MB of interpreter and libraries)")


if __name__ == "__main__":
    main()
