"""Benchmark: a first load of history into an empty Neo4j, `flowgraph load` vs the bulk importer.

(load)   ``flowgraph load`` into the running server NEO4J_URI (default bolt://127.0.0.1:7687;
         its database is WIPED first, not timed): parsing, validation, one transaction per file
         over Bolt, two writer lanes;
(bulk)   ``flowgraph neo4j-import`` into a fresh Neo4j home (a temporary folder; no server):
         the same parsing and validation into a scratch embedded store, node/relationship CSV,
         then ``neo4j-admin database import full`` (scripts/neo4j-local/neo4j-admin, 1 GB heap).

Both take the same synth files; the bulk side prints its steps. That the two graphs are the
same is tests/neo4j/test_neo4j_bulk_import.py's job.

    python benchmarks/neo4j_import.py --scale 100
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from _data import peak_rss_mb, synth_dir

URI = os.environ.get("NEO4J_URI", "bolt://127.0.0.1:7687")


def run_load(uploads: Path) -> tuple[float, int]:
    from flowgraph.ingest import load_files
    from flowgraph.store.neo4j import Neo4jStore
    from flowgraph.store.neo4j_schema import DELETE_ALL

    store = Neo4jStore.connect(URI)
    try:
        with store.driver.session(database=store.database) as session:
            for statement in DELETE_ALL:
                session.run(statement).consume()
        start = time.perf_counter()
        summary = load_files(store, [uploads])
        return time.perf_counter() - start, summary.events
    finally:
        store.close()


def run_bulk(uploads: Path) -> tuple[float, int, dict]:
    from flowgraph.neo4jimport import bulk_import

    home = Path(tempfile.mkdtemp(prefix="flowgraph-bench-home-"))
    try:
        start = time.perf_counter()
        result = bulk_import([uploads], neo4j_home=home)
        seconds = time.perf_counter() - start
        size = sum(f.stat().st_size for f in (home / "data").rglob("*") if f.is_file())
        steps = {**result.seconds, "nodes": result.nodes, "rels": result.relationships}
        return seconds, result.summary.events, {**steps, "store_mb": size / 1e6}
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=100)
    parser.add_argument("--skip-load", action="store_true", help="only the bulk import")
    args = parser.parse_args()
    uploads = synth_dir(args.scale) / "uploads"
    print(f"scale {args.scale:g}; load average {os.getloadavg()[0]:.2f}")
    bulk_s, events, steps = run_bulk(uploads)
    print(
        f"(bulk) neo4j-import: {bulk_s:.1f} s = {events / bulk_s:,.0f} events/s "
        f"(stage {steps['stage']:.1f} s, csv {steps['csv']:.1f} s, neo4j-admin "
        f"{steps['import']:.1f} s; {steps['nodes']:,} nodes, {steps['rels']:,} relationships, "
        f"store {steps['store_mb']:,.0f} MB); peak of this process {peak_rss_mb():,.0f} MB; "
        f"load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    if args.skip_load:
        return
    load_s, loaded = run_load(uploads)
    print(
        f"(load) flowgraph load: {load_s:.1f} s = {loaded / load_s:,.0f} events/s; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print(f"bulk / load: {load_s / bulk_s:.1f}x faster")


if __name__ == "__main__":
    main()
