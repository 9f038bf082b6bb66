"""Benchmark: the national Sankey for a year of ``flowgraph synth --scale N``.

Loads the cached synthetic year into a fresh embedded store (not timed), then times what
``flowgraph report sankey --year 2024`` does after reading the store: lineage shares, the flow
table and the HTML page (wall clock, and CPU time, which a busy shared machine inflates less);
prints the file size. Targets (issue #5): < 5 s, < 10 MB.

    python benchmarks/sankey.py --scale 100
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

from _data import peak_rss_mb, synth_dir

from flowgraph.analysis.prepared import PreparedEvents
from flowgraph.ingest import load_files, load_registry
from flowgraph.reports.flows import flow_table, upload_count
from flowgraph.reports.sankey import link_parts, write_sankey_html
from flowgraph.store.local import LocalStore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--year", type=int, default=2024)
    args = parser.parse_args()
    data = synth_dir(args.scale, args.seed)

    with tempfile.TemporaryDirectory() as tmp:
        store = LocalStore.open(Path(tmp) / "bench.db")
        load_registry(store, data / "registry")
        load_files(store, [data / "uploads"])
        started = time.perf_counter()
        events, registry = store.events(encoded=True), store.registry()  # as report sankey reads
        read_s = time.perf_counter() - started
        store.close()

        print(
            f"machine        {platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}"
        )
        print(f"input          {len(events):,} events, scale {args.scale:g}, year {args.year}")
        print(f"read store     {read_s:.2f} s")
        for by in ("role", "enterprise", "province"):
            c0 = time.process_time()
            t0 = time.perf_counter()
            view = PreparedEvents(events, registry)  # a fresh view: shares computed here
            view.shares  # noqa: B018 - the lineage step, timed on its own
            t1 = time.perf_counter()
            table = flow_table(view, by=by, year=args.year)
            t2 = time.perf_counter()
            out = Path(tmp) / f"sankey-{by}.html"
            write_sankey_html(
                table,
                out,
                title=f"Rare-earth flows, {args.year}",
                period=str(args.year),
                uploads=upload_count(events, year=args.year),
            )
            t3 = time.perf_counter()
            cpu = time.process_time() - c0
            total = t3 - t0
            size_mb = out.stat().st_size / 1e6
            verdict = "OK" if total < 5 and size_mb < 10 else "OVER TARGET"
            print(
                f"--by {by:<10} shares {t1 - t0:.2f} s + flow table {t2 - t1:.2f} s + "
                f"HTML {t3 - t2:.2f} s = {total:.2f} s wall ({cpu:.2f} s CPU); "
                f"{len(link_parts(table))} links; {size_mb:.1f} MB  [{verdict}: < 5 s, < 10 MB]"
            )
    print(f"peak memory    {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
