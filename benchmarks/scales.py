"""Benchmark: load, detect and the Sankey at several scales, with growth exponents (issue #15).

For each ``--scale`` (synth seed 1, one year, generated once and cached by ``_data``) three
steps run, each in a fresh child process so its peak memory is its own:

- **load**: ``flowgraph load`` of the year's uploads (and the registry) into a new embedded
  store, kept beside the data for the next two steps;
- **detect**: what ``flowgraph detect`` does on it: the events read dictionary-encoded,
  every detector, findings compared with the synth answer key;
- **sankey**: ``report sankey --by role`` for the year: events read, lineage shares, flow
  table, HTML page.

Each step reports wall seconds, CPU seconds (its own plus its worker processes': load parses
in one worker per core) and peak resident memory (the largest of the process and its workers).
Then the growth exponent of each figure against the number of events, a least-squares fit of
log(figure) on log(events) over the scales run and between the two largest (1 = linear; the
interpreter's start and the imports, ~1-2 s and ~120 MB, weigh at the small scales). Prints a Markdown table for the
README's Performance section.

    python benchmarks/scales.py --scale 1 --scale 10 --scale 100 [--scale 1000]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _data import synth_dir

STEPS = ("load", "detect", "sankey")


def _usage() -> tuple[float, float]:
    """(CPU seconds, peak MB) of this process and its finished children."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
    return cpu, max(me.ru_maxrss, kids.ru_maxrss) / 1024


def step_load(data: Path, db: Path) -> dict:
    from flowgraph.ingest import load_files, load_registry
    from flowgraph.store.local import LocalStore

    partial = db.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    started = time.perf_counter()
    store = LocalStore.open(partial)
    load_registry(store, data / "registry")
    load_files(store, [data / "uploads"])
    store.close()
    wall = time.perf_counter() - started
    partial.rename(db)
    return {"wall": wall}


def step_detect(data: Path, db: Path) -> dict:
    from flowgraph.analysis import detect
    from flowgraph.store.local import LocalStore

    started = time.perf_counter()
    store = LocalStore.open(db)
    findings = detect(store)
    store.close()
    wall = time.perf_counter() - started
    return {"wall": wall, "findings": len(findings), "key": _agreement(findings, data)}


def step_sankey(data: Path, db: Path) -> dict:
    from flowgraph.analysis.prepared import PreparedEvents
    from flowgraph.reports.flows import flow_table, upload_count
    from flowgraph.reports.sankey import write_sankey_html
    from flowgraph.store.local import LocalStore

    started = time.perf_counter()
    store = LocalStore.open(db)
    events, registry = store.events(encoded=True), store.registry()  # as report sankey reads
    store.close()
    year = int(str(events["date"].min())[:4])
    table = flow_table(PreparedEvents(events, registry), by="role", year=year)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sankey.html"
        write_sankey_html(table, out, title=f"Rare-earth flows, {year}", period=str(year),
                          uploads=upload_count(events, year=year))  # fmt: skip
        size = out.stat().st_size / 1e6
    return {"wall": time.perf_counter() - started, "events": len(events), "html_mb": size}


def _agreement(findings, data: Path) -> str:
    """ "= key" when the findings are the synth answer key (type + SPEC key columns)."""
    from flowgraph.model import FINDING_KEYS

    path = data / "answers.jsonl"
    if not path.exists():
        return "no key"

    def keys(records):
        return {(r["type"], *(str(r.get(k)) for k in FINDING_KEYS[r["type"]])) for r in records}

    lines = path.read_text(encoding="utf-8").splitlines()
    expected = keys(json.loads(line) for line in lines if line.strip())
    got = keys(findings.to_dict("records"))
    if got == expected:
        return "= key"
    return f"{len(expected - got)} missed, {len(got - expected)} extra"


def child(step: str, scale: float) -> None:
    data = synth_dir(scale)
    db = data / "store-scales.db"
    result = {"load": step_load, "detect": step_detect, "sankey": step_sankey}[step](data, db)
    cpu, peak = _usage()
    print(json.dumps({**result, "cpu": cpu, "peak_mb": peak}))


def run_step(step: str, scale: float) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", step, "--scale", f"{scale:g}"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def exponent(xs: list[float], ys: list[float]) -> float | None:
    """Least-squares slope of log(y) on log(x) (None with fewer than two points).

    >>> round(exponent([1, 10, 100], [2, 20, 200]), 3), exponent([1], [1])
    (1.0, None)
    """
    if len(xs) < 2:
        return None
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sum(
        (a - mx) ** 2 for a in lx
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, action="append")
    parser.add_argument("--child", choices=STEPS, help=argparse.SUPPRESS)
    parser.add_argument(
        "--steps",
        default=",".join(STEPS),
        help="comma-separated subset (default: all); "
        "detect and sankey reuse the store a load step left (kept when load is not run)",
    )
    args = parser.parse_args()
    scales = args.scale or [1, 10, 100]
    if args.child:
        child(args.child, scales[0])
        return
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; load average {os.getloadavg()[0]:.1f} at start")  # fmt: skip
    steps = [s for s in STEPS if s in args.steps.split(",")]
    rows = []
    for scale in scales:
        synth_dir(scale)  # generated (once) before anything is timed
        db = synth_dir(scale) / "store-scales.db"
        if "load" in steps:
            db.unlink(missing_ok=True)
        row = {"scale": scale}
        for step in steps:
            row[step] = run_step(step, scale)
            print(f"scale {scale:g} {step}: {json.dumps(row[step])}", file=sys.stderr)
        row["events"] = row.get("sankey", {}).get("events")
        rows.append(row)
        if steps == list(STEPS):
            db.unlink(missing_ok=True)
    if steps != list(STEPS):
        return  # the figures above; the table and the fits need every step
    print(f"load average {os.getloadavg()[0]:.1f} at the end\n")
    print("| scale | events | load: wall / CPU / peak | detect: wall / CPU / peak | findings "
          "| Sankey by role: wall / CPU / peak |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for r in rows:
        cells = [f"{r[s]['wall']:.1f} s / {r[s]['cpu']:.1f} s / {r[s]['peak_mb']:,.0f} MB"
                 for s in STEPS]  # fmt: skip
        print(f"| {r['scale']:g} | {r['events']:,} | {cells[0]} | {cells[1]} | "
              f"{r['detect']['findings']} ({r['detect']['key']}) | {cells[2]} |")  # fmt: skip
    events = [r["events"] for r in rows]
    for label, part in (("all scales run", slice(None)), ("the two largest", slice(-2, None))):
        fits = []
        for step in STEPS:
            for figure in ("cpu", "peak_mb"):
                slope = exponent(events[part], [r[step][figure] for r in rows][part])
                if slope is not None:
                    fits.append(f"{step} {'CPU' if figure == 'cpu' else 'peak'} {slope:.2f}")
        if fits and (label == "all scales run" or len(rows) > 2):
            print(f"\nGrowth exponents, {label} (log-log least squares against events; fixed "
                  f"costs pull them below 1 at small scales): {'; '.join(fits)}")  # fmt: skip


if __name__ == "__main__":
    main()
