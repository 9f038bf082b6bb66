"""Provenance of one lot: upstream to its origins (with REO shares), downstream to where it went.

``trace_upstream`` walks only the lot's ancestors. Each node's *contribution* is the share of the
traced lot's REO that flows through it: a lot splits its weight over its creating events by REO,
a batch over its consumed lots by REO / max(REO consumed, REO produced), the rest being the
batch's gain. Leaves are origins; the valid ones (designated mine, documented import) sum to the
lot's traceable share (lineage.lot_shares), and all leaves sum to 1. Weights are pushed in
topological order of the ancestor DAG, so a lot reached along many paths is counted once per path
without the tree exploding (the tree shows a lot fully once, then as a reference).
"""

from __future__ import annotations

from collections import deque

import networkx as nx
import numpy as np
import pandas as pd

from flowgraph.analysis.prepared import PreparedEvents, prepared
from flowgraph.analysis.tracenodes import _Index, _leaves, _text, _tree
from flowgraph.errors import UsageError
from flowgraph.model import Registry


def trace_upstream(
    events: pd.DataFrame | PreparedEvents, registry: Registry | None, lot_id: str
) -> dict:
    """The lot's provenance tree up to its origins, each with the REO share it contributes.

    Returns ``{"lot_id", "product", "traceable_share", "untraceable_share", "tree", "origins",
    "breaks"}``. ``tree`` is nested nodes (kind lot | batch, or a leaf whose kind is an origin:
    mine | import, or a break), each with its ``contribution`` to the lot's REO and ``sources``
    (a lot or batch met again appears as ``{"ref": True}``); ``origins`` lists every leaf with
    its ``share`` (they sum to 1; mine + import sum to ``traceable_share``); ``breaks`` the points where traceability breaks (unknown_lot,
    undesignated_extraction, undocumented_import, batch_gain, cycle) with lot/batch ids.
    ``events``: the event table or a prepared view of it (to trace many lots of one table).

    >>> from flowgraph.model import events_frame, registry_from_records
    >>> ev = events_frame([
    ...     {"event_type": "import", "date": "2024-01-02", "enterprise_id": "S1", "lot_id": "A",
    ...      "product": "BAST_CONC", "mass_kg": 100, "reo_pct": 60, "country": "MM",
    ...      "document_ref": "C-1"},
    ...     {"event_type": "consume", "date": "2024-01-05", "enterprise_id": "S1", "lot_id": "A",
    ...      "mass_kg": 100, "batch_id": "B1"},
    ...     {"event_type": "produce", "date": "2024-01-06", "enterprise_id": "S1", "lot_id": "X",
    ...      "product": "ND_OXIDE", "mass_kg": 66, "reo_pct": 100, "batch_id": "B1"}])
    >>> t = trace_upstream(ev, registry_from_records(), "X")
    >>> [(o["kind"], round(o["share"], 4)) for o in t["origins"]]
    [('import', 0.9091), ('batch_gain', 0.0909)]
    """
    view = prepared(events, registry)
    registry = view.registry
    ix = _Index(view)
    root = ix.lot_position(lot_id)
    if root is None:
        raise UsageError(f"no events for lot {lot_id}")
    st, lin = ix.lin.st, ix.lin

    # 1. The ancestor DAG: ("lot", code) -> ("batch", code) -> ("lot", code), plus leaves
    #    ("row", position) for extract/import rows, ("gain", batch), ("unknown"/"cycle", lot).
    dag = nx.DiGraph()
    dag.add_node(("lot", root))
    queue, seen = deque([root]), {root}
    while queue:
        lot = queue.popleft()
        here = ("lot", lot)
        creations = ix.creations(lot)
        total = float(lin.reo[creations].sum())
        if st.cycle_lot[lot]:
            dag.add_edge(here, ("cycle", lot), w=1.0)
            continue
        if total <= 0:
            dag.add_edge(here, ("unknown", lot), w=1.0)
            continue
        for row in creations.tolist():
            frac = float(lin.reo[row]) / total
            batch = int(ix.row_batch[row])
            if ix.origin[row] != "batch":
                dag.add_edge(here, ("row", row), w=frac)
            elif batch < 0:  # a produce row without batch: nothing to follow
                dag.add_edge(here, ("unknown", lot), w=frac)
            else:
                _add_weight(dag, here, ("batch", batch), frac)
                if dag.nodes[("batch", batch)].get("expanded"):
                    continue
                dag.nodes[("batch", batch)]["expanded"] = True
                den = max(lin.cons_reo[batch], lin.prod_reo[batch])
                for c_row in ix.consumed(batch).tolist():
                    c_lot = int(st.lot_code[c_row])
                    _add_weight(dag, ("batch", batch), ("lot", c_lot), float(lin.reo[c_row]) / den)
                    if c_lot not in seen:
                        seen.add(c_lot)
                        queue.append(c_lot)
                if lin.prod_reo[batch] > lin.cons_reo[batch]:
                    gain = (lin.prod_reo[batch] - lin.cons_reo[batch]) / den
                    dag.add_edge(("batch", batch), ("gain", batch), w=float(gain))

    # 2. Push contributions root-first in topological order (each DAG edge once).
    weight = dict.fromkeys(dag.nodes, 0.0)
    weight[("lot", root)] = 1.0
    for node in nx.topological_sort(dag):
        for _, child, data in dag.out_edges(node, data=True):
            weight[child] += weight[node] * data["w"]

    origins, breaks = _leaves(ix, registry, dag, weight)
    tree = _tree(ix, dag, weight, root)
    return {
        "lot_id": lot_id,
        "product": tree["product"],
        "traceable_share": float(lin.share[root]),
        "untraceable_share": 1.0 - float(lin.share[root]),
        "tree": tree,
        "origins": origins,
        "breaks": breaks,
    }


def _add_weight(dag: nx.DiGraph, a, b, w: float) -> None:
    if dag.has_edge(a, b):
        dag[a][b]["w"] += w
    else:
        dag.add_edge(a, b, w=w)


def trace_downstream(events: pd.DataFrame | PreparedEvents, lot_id: str) -> dict:
    """Where the lot's material went: ships, receipts, batches it fed (with their output lots,
    recursively), exports, losses and the latest declared stock per enterprise, in kg and kg REO.
    ``events``: the event table or a prepared view of it (to trace many lots of one table).

    >>> from flowgraph.model import events_frame
    >>> ev = events_frame([
    ...     {"event_type": "extract", "date": "2024-01-02", "enterprise_id": "M1", "lot_id": "A",
    ...      "product": "BAST_CONC", "mass_kg": 100, "reo_pct": 60},
    ...     {"event_type": "ship", "date": "2024-01-05", "enterprise_id": "M1", "lot_id": "A",
    ...      "mass_kg": 40, "counterparty_id": "S1", "shipment_id": "SH1"}])
    >>> d = trace_downstream(ev, "A")
    >>> d["ships"][0]["to"], d["ships"][0]["reo_kg"]
    ('S1', 24.0)
    """
    view = prepared(events)
    events, st = view.events, view.structure
    lots = {lot: i for i, lot in enumerate(st.lots)}
    if lot_id not in lots:
        raise UsageError(f"no events for lot {lot_id}")
    reo, lot_pct = view.row_reo, view.lot_pct
    products = view.lot_product
    by_lot = np.argsort(st.lot_code, kind="stable")
    lot_keys = st.lot_code[by_lot]
    by_batch = np.argsort(st.pb, kind="stable")
    prod_rows, prod_keys = st.prod[by_batch], st.pb[by_batch]
    row_batch = np.full(len(events), -1, dtype=np.int64)  # batch code of consume rows
    row_batch[st.cons] = st.cb
    frame = events.assign(_reo=reo, _lot=st.lot_code, _pos=np.arange(len(events)), _batch=row_batch)

    def of_lot(code: int) -> pd.DataFrame:
        lo, hi = np.searchsorted(lot_keys, [code, code + 1])
        return frame.iloc[by_lot[lo:hi]]

    def outputs_of(code: int) -> pd.DataFrame:
        lo, hi = np.searchsorted(prod_keys, [code, code + 1])
        return frame.iloc[np.sort(prod_rows[lo:hi])]

    def rows(group: pd.DataFrame, etype: str, **columns: str) -> list[dict]:
        sub = group[group["event_type"] == etype].sort_values(["date", "_pos"])
        return [
            {
                "date": _text(r["date"]),
                "enterprise_id": _text(r["enterprise_id"]),
                **{name: _text(r[col]) for name, col in columns.items()},
                "mass_kg": float(r["mass_kg"]),
                "reo_kg": float(r["_reo"]),
            }
            for _, r in sub.iterrows()
        ]

    def node(code: int) -> dict:
        group = of_lot(code)
        stock = group[group["event_type"] == "stock"].sort_values(["date", "_pos"])
        stock = stock.drop_duplicates("enterprise_id", keep="last")
        return {
            "lot_id": str(st.lots[code]),
            "product": _text(products[code]),
            "reo_pct": None if np.isnan(lot_pct[code]) else float(lot_pct[code]),
            "created": [
                {**r, "event_type": t}
                for t in ("extract", "import", "produce")
                for r in rows(group, t, batch_id="batch_id")
            ],
            "ships": rows(group, "ship", to="counterparty_id", shipment_id="shipment_id"),
            "receipts": rows(group, "receive", sender="counterparty_id", shipment_id="shipment_id"),
            "batches": [],
            "exports": rows(
                group,
                "export",
                country="country",
                document_ref="document_ref",
                shipment_id="shipment_id",
            ),
            "losses": rows(group, "loss", note="note"),
            "stock": [
                {
                    "enterprise_id": _text(r["enterprise_id"]),
                    "period": r["period"],
                    "mass_kg": float(r["mass_kg"]),
                    "reo_kg": float(r["_reo"]),
                }
                for _, r in stock.iterrows()
            ],
        }

    # REO each batch consumed from all its inputs: the share of an output that came from the
    # traced lot is what the lot fed / this (``consumed_reo_kg`` below).
    batch_input = np.bincount(st.cb, weights=reo[st.cons], minlength=len(st.batches))
    top = node(lots[lot_id])
    seen = {lots[lot_id]}
    queue = deque([(lots[lot_id], top)])
    while queue:
        code, out = queue.popleft()
        group = of_lot(code)
        fed = group[group["_batch"] >= 0]
        for batch, part in fed.sort_values(["date", "_pos"]).groupby("_batch", sort=False):
            entry = {
                "batch_id": str(st.batches[batch]),
                "enterprise_id": _text(part["enterprise_id"].iloc[0]),
                "date": _text(part["date"].min()),
                "mass_kg": float(part["mass_kg"].sum()),
                "reo_kg": float(part["_reo"].sum()),
                "consumed_reo_kg": float(batch_input[batch]),
                "outputs": [],
            }
            out["batches"].append(entry)
            for _, r in outputs_of(batch).iterrows():
                child = int(r["_lot"])
                if child in seen:
                    entry["outputs"].append(
                        {
                            "lot_id": str(st.lots[child]),
                            "mass_kg": float(r["mass_kg"]),
                            "reo_kg": float(r["_reo"]),
                            "ref": True,
                        }
                    )
                    continue
                seen.add(child)
                sub = node(child) | {"mass_kg": float(r["mass_kg"]), "reo_kg": float(r["_reo"])}
                entry["outputs"].append(sub)
                queue.append((child, sub))
    return top
