"""Benchmark: detection on a Neo4j store, client side vs inside the database, side by side.

(client) ``flowgraph detect``: every current event is read back (``Store.events()``, streamed
         in chunks) and the Python detectors run in this process;
(server) ``flowgraph detect --in-database``: the Cypher detectors (queries/detect_*.cypher) run
         on the server and only the findings come back.

Each path runs in a fresh child process, so "client peak" is that process's own peak resident
memory (Python, pandas and the driver included: ~100 MB before any data). The two findings
tables are compared (same rows, reo_kg to 1e-6). The Neo4j server's own memory is its fixed
JVM heap (NEO4J_HEAP) and is not counted.

Needs a running Neo4j: NEO4J_URI (default bolt://127.0.0.1:7687). The database is WIPED and
the synth data of each scale loaded with ``flowgraph load`` (``--keep`` reuses what is there
when it holds exactly that scale's uploads).

    python benchmarks/neo4j_detect.py --scale 20 --scale 100
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from _data import peak_rss_mb, synth_dir

URI = os.environ.get("NEO4J_URI", "bolt://127.0.0.1:7687")


def child(path: str) -> None:
    """Run one path and print {seconds, peak_mb, findings, table} as JSON (in a child process)."""
    from flowgraph.analysis import detect
    from flowgraph.analysis.findings import to_records
    from flowgraph.store.neo4j import Neo4jStore

    before = peak_rss_mb()  # the modules detection needs, imported, nothing read yet
    store = Neo4jStore.connect(URI)
    start = time.perf_counter()
    findings = detect(store, in_database=path == "server")
    seconds = time.perf_counter() - start
    store.close()
    records = to_records(findings)
    for record in records:
        record["reo_kg"] = round(record["reo_kg"], 6)
    result = {"seconds": seconds, "peak_mb": peak_rss_mb(), "imports_mb": before}
    print(json.dumps({**result, "findings": records}))


def run_child(path: str, repeat: int) -> dict:
    """The fastest of ``repeat`` runs (each in a fresh process), with the largest peak."""
    runs = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, __file__, "--child", path], check=True, capture_output=True, text=True
        )
        runs.append(json.loads(out.stdout))
    best = min(runs, key=lambda r: r["seconds"])
    return {
        **best,
        "peak_mb": max(r["peak_mb"] for r in runs),
        "times": [r["seconds"] for r in runs],
    }


def load(scale: float, keep: bool) -> int:
    """Put synth ``scale`` into the database (wiped first unless ``keep`` finds it there)."""
    from flowgraph.ingest import load_files, load_registry
    from flowgraph.store.neo4j import Neo4jStore
    from flowgraph.store.neo4j_schema import DELETE_ALL
    from loaders.upload import find_upload_files

    data = synth_dir(scale)
    files = find_upload_files([data / "uploads"])
    store = Neo4jStore.connect(URI)
    try:
        if keep and len(store.uploads()) == len(files):
            return int(store.uploads()["events"].sum())
        with store.driver.session(database=store.database) as session:
            for statement in DELETE_ALL:
                session.run(statement).consume()
        load_registry(store, data / "registry")
        start = time.perf_counter()
        summary = load_files(store, [data / "uploads"])
        events = sum(r.events for r in summary.results)
        print(
            f"scale {scale:g}: loaded {events:,} events in {time.perf_counter() - start:.1f} s",
            file=sys.stderr,
        )
        return events
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, action="append", help="repeatable (default 20)")
    parser.add_argument("--keep", action="store_true", help="reuse a database already loaded")
    parser.add_argument("--repeat", type=int, default=1, help="runs per path (fastest shown)")
    parser.add_argument("--child", choices=["client", "server"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    print(f"Neo4j at {URI}; load average {os.getloadavg()[0]:.2f}")
    print("| scale | events | path | time | client peak (of it: imports) | findings |")
    print("|---|---|---|---|---|---|")
    for scale in args.scale or [20.0]:
        events = load(scale, args.keep)
        results = {path: run_child(path, args.repeat) for path in ("client", "server")}
        for path, r in results.items():
            label = "read events + Python" if path == "client" else "--in-database"
            print(
                f"| {scale:g} | {events:,} | {label} | {r['seconds']:.1f} s | "
                f"{r['peak_mb']:,.0f} MB ({r['imports_mb']:,.0f} MB) | {len(r['findings']):,} |",
                flush=True,
            )
        same = results["client"]["findings"] == results["server"]["findings"]
        times = {path: [round(s, 1) for s in r["times"]] for path, r in results.items()}
        print(
            f"scale {scale:g}: findings equal: {same}; all times {times}; "
            f"load average {os.getloadavg()[0]:.2f}"
        )


if __name__ == "__main__":
    main()
