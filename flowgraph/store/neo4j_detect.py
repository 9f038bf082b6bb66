"""Detection inside Neo4j: the Cypher detectors (``queries/detect_*.cypher``) run on the server
and only their findings travel to the client, so client memory follows the number of findings,
not the size of the graph.

Each query returns the SPEC §5 key columns, ``reo_kg`` and ``facts`` (a map of the figures the
finding's ``detail`` names); this module turns those rows into the same findings table
``flowgraph.analysis.run_detectors`` builds from the events: same rows, same order, same
``detail`` text (tests/neo4j/test_neo4j_detect.py holds the two paths equal on real Neo4j).

Example (needs a server, so not run as a doctest)::

    store = Neo4jStore.connect("bolt://127.0.0.1:7687")
    findings = detect_in_database(store, year=2024)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import neo4j
import pandas as pd

from flowgraph.config import Tolerances
from flowgraph.model import FINDING_COLUMNS, empty_findings

_KEYS = (
    "period", "enterprise_id", "lot_id", "shipment_id", "batch_id", "year", "activity",
    "document_ref", "licence_no", "product", "country",
)  # fmt: skip
# Detector queries run at once by default. parallel=2 was no faster on the project's shared
# 2-core VM (scale 20, load average 7-9: medians 13.4 s against 12.4 s one after the other, runs
# spread 7.8-19.1 s); a server with idle cores may gain from detect_in_database(parallel=N).
DETECT_SESSIONS = 1
_PAST = {"receive": "received", "consume": "consumed", "ship": "shipped", "export": "exported"}


def _day(value) -> str:
    native = value.to_native() if hasattr(value, "to_native") else value
    return native.isoformat() if isinstance(native, date) else str(native)


def _ratio_text(produced: float, consumed: float) -> str:
    if consumed > 0:
        return f"batch yields {produced / consumed * 100:.1f}% of its REO input"
    return f"batch yields {produced:,.1f} kg REO from no recorded input"


def _cycle_text(row: dict, f: dict) -> str:
    lots = sorted(dict.fromkeys(str(x) for x in f["lots"]))
    return f"{len(lots)} lots derive from each other in a cycle ({' -> '.join(lots[:6])})"


def _untraceable_text(row: dict, f: dict) -> str:
    total = f["total"] or 0.0
    pct = row["reo_kg"] / total * 100 if total > 0 else 100.0
    text = f"{pct:.1f}% of the exported REO is untraceable"
    lots = int(f.get("lots") or 1)  # worded as analysis.traceability.untraceable_export_detail
    return text if lots <= 1 else f"{text} ({lots} lots; lot_id: the one with the most)"


def _supply_text(row: dict, f: dict) -> str:
    sender = row["enterprise_id"]
    if f["unregistered"]:
        return f"received from {sender}, which is not in the registry"
    return f"received mineral product from {sender}, which never lawfully held the lot"


def _quota_text(row: dict, f: dict) -> str:
    a, y = row["activity"], row["year"]
    return (
        f"{a} output {f['total'] / 1000:,.3f} t REO in {y} exceeds the {a} quota of "
        f"{f['quota_kg'] / 1000:,.3f} t"
    )


def _undeclared_text(row: dict, f: dict, registry) -> str:
    directions = "/".join(sorted(f["directions"]))
    doc, ent = row["document_ref"], row["enterprise_id"]
    text = (
        f"{f['n']} {directions} row(s), {f['mass']:,.1f} kg, name "
        f"{doc}: no {directions} declaration of {ent} in the customs register"
    )
    customs = getattr(registry, "customs", None)
    owner = customs[customs["declaration_no"] == doc] if customs is not None else None
    if owner is not None and len(owner):
        other = owner.iloc[0]
        text += f" (it is {other['enterprise_id']}'s {other['direction']} declaration)"
    return text


def _unlicensed_text(row: dict, f: dict, registry) -> str:
    from types import SimpleNamespace

    from flowgraph.analysis.licences import why_unlicensed

    first = f["first"]
    export = SimpleNamespace(
        enterprise_id=row["enterprise_id"],
        licence_no=first.get("licence_no"),
        product=first.get("product"),
        country=first.get("country"),
        date=first["date"].to_native() if hasattr(first["date"], "to_native") else first["date"],
    )
    more = f" (+{f['n'] - 1} more rows)" if f["n"] > 1 else ""
    return why_unlicensed(export, registry.licences) + more


# Details that also read the registry (registers of other authorities, SPEC §7).
REGISTRY_DETAIL: dict[str, Callable[[dict, dict, object], str]] = {
    "CUSTOMS_UNDECLARED": _undeclared_text,
    "UNLICENSED_EXPORT": _unlicensed_text,
}


# The detail of each type, worded exactly as the Python detector words it (flowgraph/analysis).
DETAIL: dict[str, Callable[[dict, dict], str]] = {
    "TRANSFORM_GAIN": lambda r, f: _ratio_text(f["produced"], f["consumed"]),
    "TRANSFORM_LOSS": lambda r, f: _ratio_text(f["produced"], f["consumed"]),
    "LOT_OVERDRAWN": lambda r, f: (
        f"outflows {f['mass_out']:,.1f} kg exceed created + received {f['mass_in']:,.1f} kg"
    ),
    "TRANSIT_MISMATCH": lambda r, f: (
        f"{r['enterprise_id']} shipped {f['shipped']:,.1f} kg to {f['receiver']}, "
        f"which received {f['received']:,.1f} kg"
    ),
    "UNCONFIRMED_SHIPMENT": lambda r, f: (
        f"{r['enterprise_id']} shipped {f['mass']:,.1f} kg to {f['receiver']}; "
        f"no receipt in {f['receiver']}'s uploads"
    ),
    "STOCK_MISMATCH": lambda r, f: (
        f"declared closing stock {f['declared']:,.1f} kg, book stock {f['book']:,.1f} kg"
    ),
    "UNKNOWN_LOT": lambda r, f: (
        f"lot first {_PAST.get(f['event_type'], f['event_type'])} by {r['enterprise_id']} "
        "with no loaded event creating it"
    ),
    "DUPLICATE_LOT": lambda r, f: (
        f"lot created {f['n']} times (by {', '.join(dict.fromkeys(map(str, f['makers'])))})"
    ),
    "RECEIPT_WITHOUT_SHIPMENT": lambda r, f: (
        f"{r['enterprise_id']} received {f['mass']:,.1f} kg from {f['sender']}; "
        f"no such shipment in {f['sender']}'s uploads"
    ),
    "TIME_INVERSION": lambda r, f: (
        f"first outflow {_day(f['first_out'])} before first creation or receipt "
        f"{_day(f['first_in'])}"
    ),
    "LINEAGE_CYCLE": _cycle_text,
    "UNTRACEABLE_EXPORT": _untraceable_text,
    "UNDESIGNATED_EXTRACTION": lambda r, f: (
        f"{r['enterprise_id']} extracted on {_day(f['date'])} without a mining designation"
    ),
    "UNDESIGNATED_SMELTING": lambda r, f: (
        f"{r['enterprise_id']} smelted mineral product on {_day(f['date'])} "
        "without a smelting designation"
    ),
    "UNDESIGNATED_SUPPLY": _supply_text,
    "QUOTA_EXCEEDED": _quota_text,
    "CUSTOMS_MASS_MISMATCH": lambda r, f: (
        f"{f['direction']} {r['document_ref']}: {r['product']} uploaded {f['uploaded']:,.1f} kg, "
        f"declared {f['declared']:,.1f} kg"
    ),
    "UNREPORTED_CUSTOMS": lambda r, f: (
        f"{f['direction']} declaration {r['document_ref']} of {_day(f['date'])} "
        f"({f['mass']:,.1f} kg) is in no {f['direction']} row of {r['enterprise_id']}'s uploads"
    ),
    "LICENCE_EXCEEDED": lambda r, f: (
        f"exports of {r['product']} to {r['country']} under licence {r['licence_no']}: "
        f"{f['mass']:,.1f} kg of {f['quantity']:,.1f} kg licensed "
        f"({f['mass'] / f['quantity'] * 100:.1f}%)"
    ),
}


def finding_rows(finding_type: str, records: Iterable[dict], registry=None) -> pd.DataFrame:
    """One type's query rows (key columns, reo_kg, facts) as a findings table (pure;
    ``registry``: the store's, for the details that name a register's entries).

    >>> rows = [{"type": "TRANSFORM_GAIN", "period": "2024-03", "enterprise_id": "S1",
    ...          "lot_id": None, "shipment_id": None, "batch_id": "B2", "year": None,
    ...          "activity": None, "reo_kg": 55.0, "facts": {"produced": 495.0, "consumed": 440.0}}]
    >>> finding_rows("TRANSFORM_GAIN", rows).loc[0, ["family", "detail"]].tolist()
    ['unaccounted_mass', 'batch yields 112.5% of its REO input']
    """
    from flowgraph.analysis.findings import make_findings

    data = []
    for record in records:
        row = {key: record.get(key) for key in _KEYS}
        row["reo_kg"] = record["reo_kg"]
        facts = record.get("facts") or {}
        if finding_type in REGISTRY_DETAIL:
            row["detail"] = REGISTRY_DETAIL[finding_type](row, facts, registry)
        else:
            row["detail"] = DETAIL[finding_type](row, facts)
        data.append(row)
    if not data:
        return empty_findings()
    return make_findings(finding_type, pd.DataFrame(data, columns=[*_KEYS, "reo_kg", "detail"]))


def query_params(query, tolerances: Tolerances) -> dict:
    """The query's parameters: its declared defaults, with the tolerances of the same name."""
    from flowgraph.querylib import bind

    given = {
        p.name: getattr(tolerances, p.name) for p in query.params if hasattr(tolerances, p.name)
    }
    return bind(query, given)


def detect_in_database(
    store,
    *,
    period: str | None = None,
    year: int | None = None,
    types: Iterable[str] | None = None,
    families: Iterable[str] | None = None,
    tolerances: Tolerances | None = None,
    timings: dict | None = None,
    parallel: int | None = None,
) -> pd.DataFrame:
    """Findings (SPEC §5) computed by the Cypher detectors on the Neo4j server.

    Same selection, tolerances, order and ``period`` / ``year`` filter as
    ``flowgraph.analysis.detect``; each detector runs in its own read-only transaction and its
    rows are consumed as they stream in. ``timings``, if given, receives seconds per type.
    ``parallel``: detector queries run at once (default DETECT_SESSIONS; 1: one after the other).
    """
    from flowgraph.analysis.detectors import select_detectors
    from flowgraph.analysis.findings import filter_findings, normalise, sort_findings
    from flowgraph.querylib import get_query

    tolerances = tolerances or Tolerances()
    selected = select_detectors(types, families)
    registry = store.registry() if any(d.type in REGISTRY_DETAIL for d in selected) else None

    def run_one(finding_type: str) -> pd.DataFrame:
        query = get_query("detect_" + finding_type.lower())
        params = query_params(query, tolerances)
        start = time.perf_counter()

        def work(tx: neo4j.ManagedTransaction) -> pd.DataFrame:
            rows = (record.data() for record in tx.run(query.text, params))
            return finding_rows(finding_type, rows, registry)

        found = store._call(lambda: store._run_read(work))
        if timings is not None:
            timings[finding_type] = time.perf_counter() - start
        return found

    # Each query runs on one server thread: `parallel` sessions at once use more of the
    # server's cores (the driver is thread-safe; each thread has its own session). Results are
    # put back in detector order, so the table does not depend on which finished first.
    workers = max(1, min(parallel if parallel is not None else DETECT_SESSIONS, len(selected)))
    if workers == 1:
        results = [run_one(d.type) for d in selected]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(run_one, [d.type for d in selected]))
    parts = [found for found in results if not found.empty]
    if not parts:
        return empty_findings()
    findings = sort_findings(normalise(pd.concat(parts, ignore_index=True)))
    return filter_findings(findings, period=period, year=year)[list(FINDING_COLUMNS)]
