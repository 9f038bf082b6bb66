"""Benchmark: a first load of history into an empty Neo4j, `flowgraph load` vs the bulk importer.

(load)   ``flowgraph load`` into the running server NEO4J_URI (default bolt://127.0.0.1:7687;
         its database is WIPED first, not timed): parsing, validation, one transaction per file
         over Bolt, two writer lanes;
(bulk)   ``flowgraph --store URI load --bulk --neo4j-home HOME`` into an installed, empty
         scripts/neo4j-local server of its own (a temporary home on a free port, started
         before the clock starts, as a regulator's fresh server would be): stop the server,
         parse and validate into a scratch embedded store, node/relationship CSV,
         ``neo4j-admin database import full``, start the server, constraints and indexes
         online. Every step is timed; the total is what a user waits for.

Both take the same synth files. That the two graphs are the same is
tests/neo4j/test_neo4j_bulk_import.py's job.

    python benchmarks/neo4j_import.py --scale 100 [--repeat 3] [--skip-load]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from _data import peak_rss_mb, synth_dir

URI = os.environ.get("NEO4J_URI", "bolt://127.0.0.1:7687")
SCRIPTS = Path(__file__).resolve().parents[1] / "scripts" / "neo4j-local"


def server_cpu(data_dir: Path | None) -> float | None:
    """CPU seconds a scripts/neo4j-local server (its pid file in ``data_dir``) has used so far."""
    try:
        pid = int((data_dir / "neo4j-local.pid").read_text().strip())
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, ValueError, TypeError, AttributeError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_load(uploads: Path) -> tuple[float, float, float | None, int]:
    from flowgraph.ingest import load_files
    from flowgraph.store.neo4j import Neo4jStore
    from flowgraph.store.neo4j_schema import DELETE_ALL

    store = Neo4jStore.connect(URI)
    try:
        with store.driver.session(database=store.database) as session:
            for statement in DELETE_ALL:
                session.run(statement).consume()
        data = Path(os.environ["NEO4J_DATA_DIR"]) if os.environ.get("NEO4J_DATA_DIR") else None
        server, cpu, start = server_cpu(data), _cpu(), time.perf_counter()
        summary = load_files(store, [uploads])
        seconds, cpu = time.perf_counter() - start, _cpu() - cpu
        server = server_cpu(data) - server if server is not None else None
        return seconds, cpu, server, summary.events
    finally:
        store.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the importer, the scripts)."""
    own, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def run_bulk(uploads: Path) -> tuple[float, float, int, dict]:
    """(wall s, CPU s of this process and its children, events, steps)."""
    from flowgraph.neo4jimport.online import bulk_load

    home = Path(tempfile.mkdtemp(prefix="flowgraph-bench-home-"))
    env = {**os.environ, "NEO4J_DATA_DIR": str(home), "NEO4J_PORT": str(_free_port())}
    uri = f"bolt://127.0.0.1:{env['NEO4J_PORT']}"
    subprocess.run([str(SCRIPTS / "start.sh")], env=env, check=True, capture_output=True)
    try:
        cpu, start = _cpu(), time.perf_counter()
        result = bulk_load([uploads], uri=uri, neo4j_home=home)
        seconds, cpu = time.perf_counter() - start, _cpu() - cpu
        server = server_cpu(home)  # the server started after the import: start + schema
        size = sum(f.stat().st_size for f in (home / "data").rglob("*") if f.is_file())
        steps = {"seconds": result.seconds, "nodes": result.nodes, "rels": result.relationships}
        return (
            seconds,
            cpu,
            result.summary.events,
            {**steps, "store_mb": size / 1e6, "server": server},
        )
    finally:
        subprocess.run([str(SCRIPTS / "stop.sh")], env=env, capture_output=True)
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=100)
    parser.add_argument("--repeat", type=int, default=1, help="bulk runs (one load run)")
    parser.add_argument("--skip-load", action="store_true", help="only the bulk import")
    args = parser.parse_args()
    uploads = synth_dir(args.scale) / "uploads"
    print(f"scale {args.scale:g}; load average {os.getloadavg()[0]:.2f}")
    times = []
    for _ in range(args.repeat):
        before = os.getloadavg()[0]
        bulk_s, cpu, events, steps = run_bulk(uploads)
        times.append(bulk_s)
        parts = ", ".join(f"{k} {v:.1f} s" for k, v in steps["seconds"].items())
        print(
            f"(bulk) load --bulk: {bulk_s:.1f} s = {events / bulk_s:,.0f} events/s ({parts}); CPU "
            f"{cpu:.1f} s here and in neo4j-admin + {steps['server'] or 0:.1f} s in the started "
            f"server; {steps['nodes']:,} nodes, {steps['rels']:,} "
            f"relationships, store {steps['store_mb']:,.0f} MB; peak of this process "
            f"{peak_rss_mb():,.0f} MB; load average {before:.2f} -> {os.getloadavg()[0]:.2f}",
            flush=True,
        )
    if args.skip_load:
        return
    before = os.getloadavg()[0]
    load_s, cpu, server, loaded = run_load(uploads)
    on_server = f" + {server:.1f} s in the server" if server is not None else ""
    print(
        f"(load) flowgraph load: {load_s:.1f} s = {loaded / load_s:,.0f} events/s; CPU {cpu:.1f} s "
        f"here{on_server} (NEO4J_DATA_DIR: the server's folder, to count its CPU); "
        f"load average {before:.2f} -> {os.getloadavg()[0]:.2f}"
    )
    print(f"bulk / load: {load_s / min(times):.1f}x faster (best bulk run)")


if __name__ == "__main__":
    main()
