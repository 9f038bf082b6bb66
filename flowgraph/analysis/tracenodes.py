"""The pieces of a lot's upstream trace (provenance.trace_upstream): row lookups by lot and
batch, lot and batch nodes, origin and break leaves, and the nested tree shown to the user.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

from flowgraph.analysis.prepared import FAMILY, PreparedEvents
from flowgraph.model import Registry

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

    def __init__(self, view: PreparedEvents):
        events = self.events = view.events
        self.lin = view.lineage
        st = self.lin.st
        self.products = view.lot_product
        self.row_batch = view.row_batch
        self.first_creation = view.first_creation
        self.origin = np.full(len(events), None, dtype=object)
        self.origin[self.lin.creators] = self.lin.origin
        order = np.argsort(st.lot_code[self.lin.creators], kind="stable")
        self._cre = self.lin.creators[order]
        self._cre_key = st.lot_code[self._cre]
        order = np.argsort(st.cb, kind="stable")
        self._cons = st.cons[order]
        self._cons_key = st.cb[order]
        self._first_row = pd.Series(np.arange(len(events))).groupby(st.lot_code).first()
        self.registry = view.registry

    def lot_position(self, lot_id: str) -> int | None:
        """The lot's code (its position in ``lots``), None when no row names it. The lots'
        index hashes its ids once and keeps the table (a dict of every lot id, built for each
        trace, cost ~0.1-0.3 s at scale 100)."""
        at = int(self.lin.st.lots.get_indexer([lot_id])[0])
        return None if at < 0 else at

    def creations(self, lot: int) -> np.ndarray:
        lo, hi = np.searchsorted(self._cre_key, [lot, lot + 1])
        return self._cre[lo:hi]

    def consumed(self, batch: int) -> np.ndarray:
        lo, hi = np.searchsorted(self._cons_key, [batch, batch + 1])
        return self._cons[lo:hi]

    def value(self, row: int, column: str):
        return self.events[column].iloc[row]

    def node_key(self, node) -> tuple:
        """A DAG node's order among its siblings, from what it is (a lot's id, a batch's
        enterprise and id, a row's upload and source row), never from the table's internal
        codes: a trace reads the same from any table holding its rows (tracescope)."""
        kind, code = node
        st = self.lin.st
        if kind in ("lot", "unknown", "cycle"):
            return (kind, str(st.lots[code]))
        if kind in ("batch", "gain"):
            return (kind, str(st.batch_enterprise[code]), str(st.batches[code]))
        return (
            kind,
            int(self.events["upload_id"].iat[code]),
            int(self.events["source_row"].iat[code]),
        )


def _lot_node(ix: _Index, lot: int) -> dict:
    lin = ix.lin
    creations = ix.creations(lot)
    first = int(ix.first_creation[lot])
    if first >= 0:
        enterprise, origin = ix.value(first, "enterprise_id"), ix.origin[first]
    else:
        enterprise, origin = ix.value(int(ix._first_row[lot]), "enterprise_id"), "unknown"
    product = ix.products[lot]
    return {
        "kind": "lot",
        "lot_id": str(lin.st.lots[lot]),
        "product": _text(product),
        "family": FAMILY.get(product),
        "enterprise_id": _text(enterprise),
        "origin": "cycle" if lin.st.cycle_lot[lot] else origin,
        "traceable_share": float(lin.share[lot]),
        "reo_pct": None if np.isnan(lin.lot_pct[lot]) else float(lin.lot_pct[lot]),
        "created_reo_kg": float(lin.reo[creations].sum()),
        "contribution": 0.0,
        "sources": [],
    }


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
    return _text(ix.lin.st.batch_enterprise[batch])


def _leaves(ix: _Index, registry: Registry, dag: nx.DiGraph, weight: dict):
    origins, breaks = [], []
    leaves = [n for n in dag.nodes if n[0] in ("row", "gain", "unknown", "cycle")]
    for node in sorted(leaves, key=lambda n: (-weight[n], ix.node_key(n))):
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
        for child in sorted(dag.successors(node), key=ix.node_key):
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
