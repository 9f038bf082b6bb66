"""What the Neo4j graph shows, read off the event table: the inputs of the query twins.

The named Cypher queries read node properties that the Neo4j store writes while loading, so
their twins must derive the same values from the current events:

- a ``Lot`` node's ``product`` / ``family`` / ``reo_pct`` are those of the last creating row
  written (extract, import, produce: each one SETs them), else ``product`` of the first row
  that named the lot. The store writes files in upload order and, within a file, event types
  in the order of ``EVENT_TYPES`` (one sub-query per type), rows in file order;
- an enterprise is ``registered`` when the current registry lists it;
- ``Shipment`` nodes are keyed by ``shipment_id`` alone, so every ship and receive row naming
  that id hangs off the same node (exports make no Shipment node).

>>> from flowgraph.model import events_frame
>>> ev = events_frame([
...     {"event_id": "1", "event_type": "ship", "date": "2024-03-01", "enterprise_id": "E1",
...      "lot_id": "L1", "mass_kg": 5, "product": "BAST_CONC"},
...     {"event_id": "2", "event_type": "extract", "date": "2024-03-01", "enterprise_id": "E1",
...      "lot_id": "L1", "mass_kg": 9, "product": "MIXED_CONC", "reo_pct": 51}])
>>> lots = lot_nodes(ev)
>>> lots.loc["L1", "product"], lots.loc["L1", "family"], float(lots.loc["L1", "reo_pct"])
('MIXED_CONC', 'mineral', 51.0)
"""

from __future__ import annotations

from collections import deque

import numpy as np
import pandas as pd

from flowgraph.model import CREATING_TYPES, EVENT_TYPES, PRODUCTS


def write_order(events: pd.DataFrame) -> pd.DataFrame:
    """The events in the order the Neo4j store writes them (upload, event type, row)."""
    rank = events["event_type"].map({t: i for i, t in enumerate(EVENT_TYPES)})
    order = np.lexsort((events["source_row"].to_numpy(), rank.to_numpy(), events["upload_id"]))
    return events.iloc[order]


def lot_nodes(events: pd.DataFrame) -> pd.DataFrame:
    """One row per lot id named by a current event: product, family, reo_pct as on the Lot node."""
    ordered = write_order(events)
    first = ordered.drop_duplicates("lot_id", keep="first").set_index("lot_id")
    lots = pd.DataFrame(
        {"product": first["product"], "reo_pct": np.nan, "created": False}, index=first.index
    )
    creating = ordered[ordered["event_type"].isin(CREATING_TYPES)]
    last = creating.drop_duplicates("lot_id", keep="last").set_index("lot_id")
    lots.loc[last.index, "product"] = last["product"]
    lots.loc[last.index, "reo_pct"] = last["reo_pct"]
    lots.loc[last.index, "created"] = True
    families = {name: p.family for name, p in PRODUCTS.items()}
    lots["family"] = lots["product"].map(families)
    lots["product"] = lots["product"].astype(object).where(lots["product"].notna(), None)
    return lots


def lot_reo_kg(events: pd.DataFrame, lots: pd.DataFrame) -> pd.Series:
    """``r.mass_kg * coalesce(l.reo_pct, r.reo_pct, 0.0) / 100.0`` for every row."""
    pct = events["lot_id"].map(lots["reo_pct"]).fillna(events["reo_pct"]).fillna(0.0)
    return events["mass_kg"] * pct / 100.0


def lineage_edges(events: pd.DataFrame) -> pd.DataFrame:
    """Lot -> lot links through batches (INPUT_TO then YIELDED): columns source, target."""
    consumed = events.loc[
        events["event_type"] == "consume", ["enterprise_id", "batch_id", "lot_id"]
    ]
    produced = events.loc[
        events["event_type"] == "produce", ["enterprise_id", "batch_id", "lot_id"]
    ]
    edges = consumed.drop_duplicates().merge(
        produced.drop_duplicates(), on=["enterprise_id", "batch_id"], suffixes=("_in", "_out")
    )
    return (
        edges.rename(columns={"lot_id_in": "source", "lot_id_out": "target"})[["source", "target"]]
        .drop_duplicates()
        .reset_index(drop=True)
    )


def reach(start: str, adjacency: dict[str, list[str]], max_steps: int) -> dict[str, int]:
    """Breadth-first distances from ``start`` (0 for itself) up to ``max_steps`` steps.

    >>> reach("a", {"a": ["b"], "b": ["c", "a"]}, 1)
    {'a': 0, 'b': 1}
    """
    seen = {start: 0}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if seen[node] >= max_steps:
            continue
        for nxt in adjacency.get(node, ()):
            if nxt not in seen:
                seen[nxt] = seen[node] + 1
                queue.append(nxt)
    return seen


def adjacency(edges: pd.DataFrame, source: str, target: str) -> dict[str, list[str]]:
    """``{source: [targets...]}`` from two columns of a frame (targets sorted)."""
    out: dict[str, list[str]] = {}
    for a, b in sorted(zip(edges[source], edges[target], strict=True)):
        out.setdefault(a, []).append(b)
    return out


def designated_rows(
    events: pd.DataFrame, designations: pd.DataFrame, enterprise: pd.Series, activity: str | None
) -> np.ndarray:
    """Per row: does ``enterprise`` (a column aligned with ``events``) hold a designation (of
    ``activity``, or any when None) valid on the row's date?"""
    des = designations if activity is None else designations[designations["activity"] == activity]
    hit = np.zeros(len(events), dtype=bool)
    if des.empty or events.empty:
        return hit
    rows = pd.DataFrame({"who": enterprise.to_numpy(), "date": events["date"].to_numpy()})
    rows["row"] = np.arange(len(rows))
    pairs = rows.merge(des[["enterprise_id", "valid_from", "valid_to"]], left_on="who",
                       right_on="enterprise_id")  # fmt: skip
    ok = (pairs["valid_from"] <= pairs["date"]) & (
        pairs["valid_to"].isna() | (pairs["date"] <= pairs["valid_to"])
    )
    hit[pairs.loc[ok, "row"].to_numpy()] = True
    return hit


def plain_dates(values: pd.Series) -> list:
    """Timestamps as ``datetime.date`` (what the driver gives for a Cypher date), None for NaT."""
    return [None if pd.isna(v) else v.date() for v in values]
