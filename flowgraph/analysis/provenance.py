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

from flowgraph.analysis.lineage import _FAMILY, _lot_product, _propagate, _row_reo, _structure
from flowgraph.errors import UsageError
from flowgraph.model import Registry

VALID_ORIGINS = ("mine", "import")
BREAK_KINDS = (
    "unknown_lot",
    "undesignated_extraction",
    "undocumented_import",
    "batch_gain",
    "cycle",
)
_BREAK_TEXT = {
    "unknown_lot": "lot {lot_id} was never created by a loaded event",
    "undesignated_extraction": "lot {lot_id} extracted by {enterprise_id} on {date}, "
    "not designated for mining that day",
    "undocumented_import": "lot {lot_id} imported by {enterprise_id} without country "
    "and customs document",
    "batch_gain": "batch {batch_id} at {enterprise_id} yields more REO than it consumed",
    "cycle": "lot {lot_id} derives from itself through a loop of batches",
}


def _text(value) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp | np.datetime64):
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    return str(value)


def _licence(registry: Registry, enterprise_id: str, date: pd.Timestamp) -> str | None:
    des = registry.designations
    if des.empty:
        return None
    hit = des[
        (des["enterprise_id"] == enterprise_id)
        & (des["activity"] == "mining")
        & (des["valid_from"] <= date)
        & (des["valid_to"].isna() | (des["valid_to"] >= date))
    ]
    return None if hit.empty else _text(hit["licence_no"].iloc[0])


class _Index:
    """Row lookups by lot and by batch over one event table (sorted arrays, built once)."""

    def __init__(self, events: pd.DataFrame, registry: Registry):
        self.events = events
        self.lin = _propagate(events, registry)
        st = self.lin.st
        self.lot_pos = {lot: i for i, lot in enumerate(st.lots)}
        self.products = _lot_product(events, st)
        self.row_batch = np.full(len(events), -1, dtype=np.int64)
        self.row_batch[st.prod] = st.pb
        self.row_batch[st.cons] = st.cb
        self.origin = np.full(len(events), None, dtype=object)
        self.origin[self.lin.creators] = self.lin.origin
        order = np.argsort(st.lot_code[self.lin.creators], kind="stable")
        self._cre = self.lin.creators[order]
        self._cre_key = st.lot_code[self._cre]
        order = np.argsort(st.cb, kind="stable")
        self._cons = st.cons[order]
        self._cons_key = st.cb[order]
        self._first_row = pd.Series(np.arange(len(events))).groupby(st.lot_code).first()
        # first row of each batch (consume rows before produce rows), for its enterprise
        rows = np.concatenate([st.cons, st.prod])
        codes, at = np.unique(np.concatenate([st.cb, st.pb]), return_index=True)
        self.batch_row = np.zeros(len(st.batches), dtype=np.int64)
        self.batch_row[codes] = rows[at]
        self.registry = registry

    def creations(self, lot: int) -> np.ndarray:
        lo, hi = np.searchsorted(self._cre_key, [lot, lot + 1])
        return self._cre[lo:hi]

    def consumed(self, batch: int) -> np.ndarray:
        lo, hi = np.searchsorted(self._cons_key, [batch, batch + 1])
        return self._cons[lo:hi]

    def value(self, row: int, column: str):
        return self.events[column].iloc[row]


def _lot_node(ix: _Index, lot: int) -> dict:
    lin = ix.lin
    creations = ix.creations(lot)
    if creations.size:
        first = min(
            creations.tolist(),
            key=lambda r: (
                ix.value(r, "date"),
                ix.value(r, "upload_id"),
                ix.value(r, "source_row"),
                r,
            ),
        )
        enterprise, origin = ix.value(first, "enterprise_id"), ix.origin[first]
    else:
        enterprise, origin = ix.value(int(ix._first_row[lot]), "enterprise_id"), "unknown"
    product = ix.products[lot]
    return {
        "kind": "lot",
        "lot_id": str(lin.st.lots[lot]),
        "product": _text(product),
        "family": _FAMILY.get(product),
        "enterprise_id": _text(enterprise),
        "origin": "cycle" if lin.st.cycle_lot[lot] else origin,
        "traceable_share": float(lin.share[lot]),
        "reo_pct": None if np.isnan(lin.lot_pct[lot]) else float(lin.lot_pct[lot]),
        "created_reo_kg": float(lin.reo[creations].sum()),
        "contribution": 0.0,
        "sources": [],
    }


def trace_upstream(events: pd.DataFrame, registry: Registry, lot_id: str) -> dict:
    """The lot's provenance tree up to its origins, each with the REO share it contributes.

    Returns ``{"lot_id", "product", "traceable_share", "untraceable_share", "tree", "origins",
    "breaks"}``. ``tree`` is nested nodes (kind lot | batch, or a leaf whose kind is an origin:
    mine | import, or a break), each with its ``contribution`` to the lot's REO and ``sources``
    (a lot or batch met again appears as ``{"ref": True}``); ``origins`` lists every leaf with
    its ``share`` (they sum to 1; mine + import sum to ``traceable_share``); ``breaks`` the points where traceability breaks (unknown_lot,
    undesignated_extraction, undocumented_import, batch_gain, cycle) with lot/batch ids.

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
    ix = _Index(events, registry)
    if lot_id not in ix.lot_pos:
        raise UsageError(f"no events for lot {lot_id}")
    st, lin = ix.lin.st, ix.lin
    root = ix.lot_pos[lot_id]

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


def _leaf(ix: _Index, registry: Registry, node, share: float) -> dict:
    kind, code = node
    lin, ev = ix.lin, ix.events
    if kind == "row":
        origin = ix.origin[code]
        lot = str(ev["lot_id"].iloc[code])
        leaf = {
            "kind": origin,
            "lot_id": lot,
            "enterprise_id": _text(ev["enterprise_id"].iloc[code]),
            "date": _text(ev["date"].iloc[code]),
            "reo_kg": float(lin.reo[code]),
        }
        if origin in ("mine", "undesignated_extraction"):
            leaf["licence_no"] = _licence(
                registry, ev["enterprise_id"].iloc[code], ev["date"].iloc[code]
            )
            leaf["document_ref"] = _text(ev["document_ref"].iloc[code])
        else:
            leaf["country"] = _text(ev["country"].iloc[code])
            leaf["document_ref"] = _text(ev["document_ref"].iloc[code])
    elif kind == "gain":
        leaf = {
            "kind": "batch_gain",
            "batch_id": str(lin.st.batches[code]),
            "enterprise_id": _batch_enterprise(ix, code),
            "reo_kg": float(lin.prod_reo[code] - lin.cons_reo[code]),
        }
    else:  # unknown / cycle lot
        leaf = {
            "kind": "unknown_lot" if kind == "unknown" else "cycle",
            "lot_id": str(lin.st.lots[code]),
            "enterprise_id": _text(ev["enterprise_id"].iloc[int(ix._first_row[code])]),
        }
    leaf["share"] = share
    return leaf


def _batch_enterprise(ix: _Index, batch: int) -> str | None:
    return _text(ix.events["enterprise_id"].iloc[int(ix.batch_row[batch])])


def _leaves(ix: _Index, registry: Registry, dag: nx.DiGraph, weight: dict):
    origins, breaks = [], []
    leaves = [n for n in dag.nodes if n[0] in ("row", "gain", "unknown", "cycle")]
    for node in sorted(leaves, key=lambda n: (-weight[n], str(n))):
        leaf = _leaf(ix, registry, node, float(weight[node]))
        origins.append(leaf)
        if leaf["kind"] in BREAK_KINDS:
            fields = {k: leaf.get(k) for k in ("lot_id", "batch_id", "enterprise_id", "date")}
            breaks.append(
                {
                    "kind": leaf["kind"],
                    "lot_id": leaf.get("lot_id"),
                    "batch_id": leaf.get("batch_id"),
                    "share": leaf["share"],
                    "detail": _BREAK_TEXT[leaf["kind"]].format(**fields),
                }
            )
    return origins, breaks


def _tree(ix: _Index, dag: nx.DiGraph, weight: dict, root: int) -> dict:
    """Nested dict for display; a lot or batch met again is shown as a reference."""
    lin = ix.lin
    shown: set = set()

    def make(node) -> dict:
        kind, code = node
        if kind == "lot":
            out = _lot_node(ix, code)
        elif kind == "batch":
            out = {
                "kind": "batch",
                "batch_id": str(lin.st.batches[code]),
                "enterprise_id": _batch_enterprise(ix, code),
                "reo_consumed_kg": float(lin.cons_reo[code]),
                "reo_produced_kg": float(lin.prod_reo[code]),
                "output_share": float(
                    lin.in_num[code] / max(lin.cons_reo[code], lin.prod_reo[code])
                )
                if max(lin.cons_reo[code], lin.prod_reo[code]) > 0
                else 0.0,
                "sources": [],
            }
        else:
            out = _leaf(ix, ix.registry, node, 0.0)
            out.pop("share")
        out["contribution"] = float(weight[node])
        return out

    top = make(("lot", root))
    shown.add(("lot", root))
    stack = [(("lot", root), top)]
    while stack:
        node, out = stack.pop()
        for child in sorted(dag.successors(node), key=str):
            if child in shown and child[0] in ("lot", "batch"):
                ref = make(child)
                out["sources"].append(
                    {k: ref[k] for k in ("kind", "lot_id", "batch_id") if k in ref}
                    | {"contribution": ref["contribution"], "ref": True}
                )
                continue
            shown.add(child)
            made = make(child)
            out["sources"].append(made)
            if "sources" in made:
                stack.append((child, made))
    return top


def trace_downstream(events: pd.DataFrame, lot_id: str) -> dict:
    """Where the lot's material went: ships, receipts, batches it fed (with their output lots,
    recursively), exports, losses and the latest declared stock per enterprise, in kg and kg REO.

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
    st = _structure(events)
    lots = {lot: i for i, lot in enumerate(st.lots)}
    if lot_id not in lots:
        raise UsageError(f"no events for lot {lot_id}")
    reo, lot_pct = _row_reo(events, st)
    products = _lot_product(events, st)
    frame = events.assign(_reo=reo, _lot=st.lot_code, _pos=np.arange(len(events)))
    by_lot = np.argsort(st.lot_code, kind="stable")
    lot_keys = st.lot_code[by_lot]
    by_batch = np.argsort(st.pb, kind="stable")
    prod_rows, prod_keys = st.prod[by_batch], st.pb[by_batch]
    batch_code = {b: i for i, b in enumerate(st.batches)}

    def of_lot(code: int) -> pd.DataFrame:
        lo, hi = np.searchsorted(lot_keys, [code, code + 1])
        return frame.iloc[by_lot[lo:hi]]

    def outputs_of(batch: str) -> pd.DataFrame:
        code = batch_code.get(batch, -1)
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

    top = node(lots[lot_id])
    seen = {lots[lot_id]}
    queue = deque([(lots[lot_id], top)])
    while queue:
        code, out = queue.popleft()
        group = of_lot(code)
        fed = group[(group["event_type"] == "consume") & group["batch_id"].notna()]
        for batch, part in fed.sort_values(["date", "_pos"]).groupby("batch_id", sort=False):
            entry = {
                "batch_id": str(batch),
                "enterprise_id": _text(part["enterprise_id"].iloc[0]),
                "date": _text(part["date"].min()),
                "mass_kg": float(part["mass_kg"].sum()),
                "reo_kg": float(part["_reo"].sum()),
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
