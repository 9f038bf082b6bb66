"""Benchmark: load synthetic uploads into Neo4j three ways and print events/s for each.

(a) naive: one auto-commit ``MERGE`` query per event, the way a user would first write it
    (on a 20,000-row sample - the full set would take too long);
(b) ``LOAD CSV ... CALL { ... } IN TRANSACTIONS OF 10000 ROWS`` from the server's import folder;
(c) flowgraph's loader, as ``flowgraph load`` runs it: ``load_files`` on the CSV files (parsing
    and validation included; one transaction per file, UNWIND $rows, supersession bookkeeping,
    concurrent writer lanes, ``Neo4jStore.writers``), and once more with one writer.

Needs a running Neo4j (``make neo4j``) whose import folder this process can write:
NEO4J_URI (default bolt://127.0.0.1:7687), NEO4J_IMPORT_DIR (default
<NEO4J_DATA_DIR or .neo4j/data>/import - where scripts/neo4j-local points
server.directories.import). The database is WIPED before each method.

    python benchmarks/neo4j_load.py --scale 10
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

from flowgraph.model import EVENT_COLUMNS, Upload
from flowgraph.store.neo4j import WRITERS, Neo4jStore
from flowgraph.store.neo4j_rows import event_rows
from flowgraph.store.neo4j_schema import DELETE_ALL

REPO = Path(__file__).resolve().parent.parent
NAIVE_SAMPLE = 20_000

# (a) what a first attempt looks like: one statement per event, MERGE everything.
NAIVE = {
    "extract": "MERGE (e:Enterprise {id: $ent}) MERGE (l:Lot {id: $lot}) "
    "CREATE (e)-[r:EXTRACTED]->(l) SET r = $props",
    "import": "MERGE (e:Enterprise {id: $ent}) MERGE (l:Lot {id: $lot}) "
    "CREATE (e)-[r:IMPORTED]->(l) SET r = $props",
    "ship": "MERGE (e:Enterprise {id: $ent}) MERGE (l:Lot {id: $lot}) "
    "MERGE (s:Shipment {id: $shipment}) MERGE (c:Enterprise {id: $counterparty}) "
    "CREATE (e)-[r:SENT]->(s) SET r = $props MERGE (s)-[:TO]->(c) MERGE (s)-[:CARRIES]->(l)",
    "receive": "MERGE (e:Enterprise {id: $ent}) MERGE (l:Lot {id: $lot}) "
    "MERGE (s:Shipment {id: $shipment}) MERGE (c:Enterprise {id: $counterparty}) "
    "CREATE (e)-[r:RECEIVED]->(s) SET r = $props MERGE (s)-[:FROM]->(c) "
    "MERGE (s)-[:CARRIES]->(l)",
    "export": "MERGE (e:Enterprise {id: $ent}) MERGE (l:Lot {id: $lot}) "
    "CREATE (e)-[r:EXPORTED]->(l) SET r = $props",
    "consume": "MERGE (e:Enterprise {id: $ent}) MERGE (l:Lot {id: $lot}) "
    "MERGE (b:Batch {key: $batch_key}) MERGE (e)-[:RAN]->(b) "
    "CREATE (l)-[r:INPUT_TO]->(b) SET r = $props",
    "produce": "MERGE (e:Enterprise {id: $ent}) MERGE (l:Lot {id: $lot}) "
    "MERGE (b:Batch {key: $batch_key}) MERGE (e)-[:RAN]->(b) "
    "CREATE (b)-[r:YIELDED]->(l) SET r = $props",
    "loss": "MERGE (e:Enterprise {id: $ent}) MERGE (l:Lot {id: $lot}) "
    "CREATE (e)-[r:LOST]->(l) SET r = $props",
    "stock": "MERGE (e:Enterprise {id: $ent}) MERGE (l:Lot {id: $lot}) "
    "CREATE (e)-[r:HELD]->(l) SET r = $props",
}

# (b) the same writes from one CSV per event type (props rebuilt from the CSV columns).
_PROPS = (
    "{event_id: row.event_id, event_type: row.event_type, date: date(row.date), "
    "enterprise_id: row.enterprise_id, lot_id: row.lot_id, product: nullif(row.product, ''), "
    "mass_kg: toFloat(row.mass_kg), reo_pct: toFloat(nullif(row.reo_pct, '')), "
    "counterparty_id: nullif(row.counterparty_id, ''), shipment_id: nullif(row.shipment_id, ''), "
    "batch_id: nullif(row.batch_id, ''), country: nullif(row.country, ''), "
    "document_ref: nullif(row.document_ref, ''), note: nullif(row.note, ''), "
    "period: row.period, upload_id: toInteger(row.upload_id), "
    "source_row: toInteger(row.source_row)}"
)
_LOAD_HEAD = (
    "LOAD CSV WITH HEADERS FROM $url AS row CALL { WITH row "
    "MERGE (e:Enterprise {id: row.enterprise_id}) MERGE (l:Lot {id: row.lot_id}) "
)
_LOAD_TAIL = " } IN TRANSACTIONS OF 10000 ROWS"
LOAD_CSV = {
    "extract": _LOAD_HEAD + f"CREATE (e)-[r:EXTRACTED]->(l) SET r = {_PROPS}" + _LOAD_TAIL,
    "import": _LOAD_HEAD + f"CREATE (e)-[r:IMPORTED]->(l) SET r = {_PROPS}" + _LOAD_TAIL,
    "ship": _LOAD_HEAD + "MERGE (s:Shipment {id: row.shipment_id}) "
    "MERGE (c:Enterprise {id: row.counterparty_id}) "
    f"CREATE (e)-[r:SENT]->(s) SET r = {_PROPS} MERGE (s)-[:TO]->(c) MERGE (s)-[:CARRIES]->(l)"
    + _LOAD_TAIL,
    "receive": _LOAD_HEAD + "MERGE (s:Shipment {id: row.shipment_id}) "
    "MERGE (c:Enterprise {id: row.counterparty_id}) "
    f"CREATE (e)-[r:RECEIVED]->(s) SET r = {_PROPS} MERGE (s)-[:FROM]->(c) "
    "MERGE (s)-[:CARRIES]->(l)" + _LOAD_TAIL,
    "export": _LOAD_HEAD + f"CREATE (e)-[r:EXPORTED]->(l) SET r = {_PROPS}" + _LOAD_TAIL,
    "consume": _LOAD_HEAD + "MERGE (b:Batch {key: row.enterprise_id + '/' + row.batch_id}) "
    f"MERGE (e)-[:RAN]->(b) CREATE (l)-[r:INPUT_TO]->(b) SET r = {_PROPS}" + _LOAD_TAIL,
    "produce": _LOAD_HEAD + "MERGE (b:Batch {key: row.enterprise_id + '/' + row.batch_id}) "
    f"MERGE (e)-[:RAN]->(b) CREATE (b)-[r:YIELDED]->(l) SET r = {_PROPS}" + _LOAD_TAIL,
    "loss": _LOAD_HEAD + f"CREATE (e)-[r:LOST]->(l) SET r = {_PROPS}" + _LOAD_TAIL,
    "stock": _LOAD_HEAD + f"CREATE (e)-[r:HELD]->(l) SET r = {_PROPS}" + _LOAD_TAIL,
}


def synth_files(scale: float, seed: int) -> list[Path]:
    """The upload files of ``flowgraph synth --scale N`` (cached under benchmarks/.cache)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _data import synth_dir

    from loaders import find_upload_files

    return find_upload_files([synth_dir(scale, seed) / "uploads"])


def synth_uploads(scale: float, seed: int) -> list[Upload]:
    """The same files, parsed."""
    from loaders import read_upload

    return [read_upload(p) for p in synth_files(scale, seed)]


def wipe(store: Neo4jStore) -> None:
    # Batched delete: one huge transaction would need memory for the whole graph.
    # Batched (a database left with benchmark data would overflow one DETACH DELETE).
    with store.driver.session(database=store.database) as session:
        for statement in DELETE_ALL:
            session.run(statement).consume()


def run_naive(store: Neo4jStore, uploads: list[Upload], limit: int) -> tuple[int, float]:
    store.ensure_schema()
    done = 0
    started = time.perf_counter()
    with store.driver.session(database=store.database) as session:
        for number, upload in enumerate(uploads, start=1):
            for row in event_rows(upload.events, number):
                session.run(
                    NAIVE[row["kind"]],
                    ent=upload.enterprise_id,
                    lot=row["lot"],
                    shipment=row["shipment"],
                    counterparty=row["counterparty"],
                    batch_key=row["batch_key"],
                    props=row["props"],
                ).consume()
                done += 1
                if done >= limit:
                    return done, time.perf_counter() - started
    return done, time.perf_counter() - started


def run_load_csv(store: Neo4jStore, uploads: list[Upload], import_dir: Path) -> tuple[int, float]:
    store.ensure_schema()
    frames = []
    for number, upload in enumerate(uploads, start=1):
        frames.append(upload.events.assign(upload_id=number))
    events = pd.concat(frames, ignore_index=True)
    events["date"] = events["date"].dt.strftime("%Y-%m-%d")
    import_dir.mkdir(parents=True, exist_ok=True)
    names = {}
    for kind, group in events.groupby("event_type"):
        name = f"fg_bench_{kind}.csv"
        group[list(EVENT_COLUMNS)].to_csv(import_dir / name, index=False, quoting=csv.QUOTE_MINIMAL)
        names[kind] = name
    started = time.perf_counter()  # CSV writing is the user's export step, not timed
    with store.driver.session(database=store.database) as session:
        for kind, name in names.items():
            session.run(LOAD_CSV[kind], url=f"file:///{name}").consume()
    elapsed = time.perf_counter() - started
    for name in names.values():
        (import_dir / name).unlink()
    return len(events), elapsed


def run_store(store: Neo4jStore, files: list[Path], writers: int) -> tuple[int, float]:
    from flowgraph.ingest import load_files

    store.ensure_schema()
    store.writers = writers
    started = time.perf_counter()
    summary = load_files(store, files)
    elapsed = time.perf_counter() - started
    assert not summary.rejected, summary.rejected
    return summary.events, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--naive-rows", type=int, default=NAIVE_SAMPLE)
    parser.add_argument(
        "--repeat", type=int, default=1, help="rounds of all four methods; medians reported"
    )
    args = parser.parse_args()
    uri = os.environ.get("NEO4J_URI", "bolt://127.0.0.1:7687")
    data_dir = Path(os.environ.get("NEO4J_DATA_DIR", REPO / ".neo4j" / "data"))
    import_dir = Path(os.environ.get("NEO4J_IMPORT_DIR", data_dir / "import"))

    files = synth_files(args.scale, args.seed)
    uploads = synth_uploads(args.scale, args.seed)
    total = sum(len(u.events) for u in uploads)
    store = Neo4jStore.connect(uri)
    print(f"server         {uri} ({store.driver.get_server_info().agent})")
    print(f"input          {len(uploads)} uploads, {total:,} events, scale {args.scale:g}")

    methods = {
        "(a) naive": (
            lambda: run_naive(store, uploads, args.naive_rows),
            "one auto-commit MERGE statement per row",
        ),
        "(b) LOAD CSV": (
            lambda: run_load_csv(store, uploads, import_dir),
            "CALL { ... } IN TRANSACTIONS OF 10000 ROWS",
        ),
        "(c1) one lane": (lambda: run_store(store, files, writers=1), "load, 1 writer"),
        "(c) flowgraph": (
            lambda: run_store(store, files, writers=WRITERS),
            f"load: {WRITERS} writer lanes, tx per file",
        ),
    }
    rates: dict[str, list[float]] = {name: [] for name in methods}
    # Rounds interleave the methods, so a shared machine's drift touches each alike.
    for round_ in range(1, args.repeat + 1):
        for name, (run, how) in methods.items():
            wipe(store)
            n, s = run()
            rates[name].append(n / s)
            tag = f" [round {round_}/{args.repeat}]" if args.repeat > 1 else ""
            print(f"{name:<14} {n:,} events in {s:.1f} s = {n / s:,.0f} events/s ({how}){tag}")
    wipe(store)
    store.close()
    median = {name: statistics.median(values) for name, values in rates.items()}
    if args.repeat > 1:
        for name, values in rates.items():
            print(
                f"{name:<14} median {median[name]:,.0f} events/s "
                f"(min {min(values):,.0f}, max {max(values):,.0f})"
            )
    naive, load_csv, ours = median["(a) naive"], median["(b) LOAD CSV"], median["(c) flowgraph"]
    print(f"ratios         (c)/(a) = {ours / naive:.0f}x, (b)/(c) = {load_csv / ours:.2f}")


if __name__ == "__main__":
    main()
