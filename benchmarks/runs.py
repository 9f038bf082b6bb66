"""Benchmark: detection runs kept over two years of monthly cycles on the embedded store (SPEC §6).

A national year (``flowgraph synth --scale N``) arrives month by month: before run m (1-12) the
uploads of month m are loaded; before runs 13-24 every CSV upload of month m - 12 is sent again
as a revision (same rows, one more blank line: a new SHA-256, so a new current upload), as if each
month were corrected a year on. After each load: ``detect`` (events read + every detector), then
``record_run`` (fingerprint, the previous run's findings, statuses, one transaction writing the
run, its findings and any reopening). Prints, per run: events, findings and statuses, seconds for
detect and for recording, the overhead of recording, and how much the store file grew by the
record alone (after a WAL checkpoint).

Targets (issue #11): recording adds under 10% to detect at scale 100; the store grows by under
1 MB per run.

    python benchmarks/runs.py --scale 100
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _data import peak_rss_mb, synth_dir


def _month_files(uploads: Path) -> dict[str, list[Path]]:
    by_month: dict[str, list[Path]] = {}
    for path in sorted(uploads.rglob("*")):
        if path.suffix.lower() in (".csv", ".xlsx"):
            by_month.setdefault(path.stem[:7], []).append(path)
    return dict(sorted(by_month.items()))


def _revisions(files: list[Path], folder: Path) -> list[Path]:
    """CSV copies with one more blank line (ignored by the loader, a new SHA-256)."""
    out = []
    for path in files:
        if path.suffix.lower() != ".csv":
            continue
        target = folder / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes() + b"\n")
        out.append(target)
    return out


def _size(store, path: Path) -> int:
    store.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.stat().st_size + sum(
        p.stat().st_size for p in (Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=24)
    args = parser.parse_args()

    from flowgraph.analysis import detect
    from flowgraph.config import Tolerances
    from flowgraph.ingest import load_files
    from flowgraph.investigations import record_run
    from flowgraph.store.local import LocalStore
    from loaders import read_registry

    data = synth_dir(args.scale, args.seed)
    months = _month_files(data / "uploads")
    work = Path(tempfile.mkdtemp(prefix="fg-runs-"))
    db_path = work / "runs.db"
    store = LocalStore.open(db_path)
    store.save_registry(read_registry(data / "registry"), str(data / "registry"))
    print(
        f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores; "
        f"load average {os.getloadavg()[0]:.2f}; synth scale {args.scale:g} seed {args.seed}; "
        f"{sum(len(v) for v in months.values())} files"
    )
    header = (
        f"{'run':>3} {'loaded':<16} {'events':>9} {'finds':>5} {'new':>4} {'open':>4} "
        f"{'resolv':>6} {'detect s':>8} {'record s':>8} {'overhead':>8} {'store MB':>8} "
        f"{'run KB':>7}"
    )
    print(header)
    names = list(months)
    totals = {"detect": 0.0, "record": 0.0, "growth": []}
    tol = Tolerances()
    for run in range(1, args.runs + 1):
        month = names[(run - 1) % len(names)]
        if run <= len(names):
            files, label = months[month], f"{month}"
        else:
            files = _revisions(months[month], work / f"rev{run}")
            label = f"{month} rev."
        load_files(store, files)
        started = time.perf_counter()
        findings = detect(store, tolerances=tol)
        detect_s = time.perf_counter() - started
        before = _size(store, db_path)
        started = time.perf_counter()
        result = record_run(store, findings, tolerances=tol)
        record_s = time.perf_counter() - started
        grown = _size(store, db_path) - before
        totals["detect"] += detect_s
        totals["record"] += record_s
        totals["growth"].append(grown)
        counts = result.findings["status"].value_counts()
        events = int(store.uploads()["events"].sum())
        print(
            f"{result.run:>3} {label:<16} {events:>9,} {len(findings):>5} "
            f"{counts.get('new', 0):>4} {counts.get('open', 0):>4} {len(result.resolved):>6} "
            f"{detect_s:>8.2f} {record_s:>8.3f} {100 * record_s / detect_s:>7.1f}% "
            f"{before / 1e6:>8.1f} {grown / 1e3:>7.1f}",
            flush=True,
        )
    # what the CLI and the workbench read after the last run
    from flowgraph.investigations import case_sheet, detect_run, finding_history, list_findings

    reads = {}
    for name, call in (
        ("detect_run, nothing changed", lambda: detect_run(store, tolerances=tol)),
        ("list_findings", lambda: list_findings(store)),
        ("finding_history", lambda: finding_history(store, result.findings["finding_id"].iloc[0])),
        ("case_sheet", lambda: case_sheet(store, result.findings["finding_id"].iloc[0])),
    ):
        started = time.perf_counter()
        call()
        reads[name] = time.perf_counter() - started
    print("after the last run: " + ", ".join(f"{k} {v:.2f} s" for k, v in reads.items()))
    store.close()
    growth = totals["growth"]
    print(
        f"\ntotal: detect {totals['detect']:.1f} s, record {totals['record']:.2f} s = "
        f"{100 * totals['record'] / totals['detect']:.1f}% of detect (target < 10%); store growth "
        f"per recorded run: max {max(growth) / 1e3:.1f} KB, mean {sum(growth) / len(growth) / 1e3:.1f}"
        f" KB (target < 1 MB); peak memory {peak_rss_mb():,.0f} MB; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
