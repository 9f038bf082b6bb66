"""The SPEC §5 haircut: each lot's traceable REO share, propagated once over the batch graph.

Creating rows weigh in by their REO with share 1 for a valid origin (designated mine,
documented import) and 0 otherwise; a batch hands its outputs
sum(consumed REO x input share) / max(REO consumed, REO produced). The share propagates in
generation order of the batch graph (batchgraph.py), one vectorised numpy step per generation,
so the cost is O(events) — never a per-lot ancestor search. The rules where SPEC is silent are
in lineage.py; the REO of each row and the batch graph come from the prepared view.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from flowgraph.analysis.batchgraph import BatchStructure

if TYPE_CHECKING:
    from flowgraph.analysis.prepared import PreparedEvents


@dataclass
class Lineage:
    st: BatchStructure
    reo: np.ndarray  # per event row
    lot_pct: np.ndarray  # per lot (NaN when no creating row states one)
    creators: np.ndarray  # event positions of creating rows
    origin: np.ndarray  # per creating row
    share: np.ndarray  # per lot
    cons_reo: np.ndarray  # per batch
    prod_reo: np.ndarray
    in_num: np.ndarray  # per batch: sum(consumed REO x input share)


def propagate(view: PreparedEvents) -> Lineage:
    """Each lot's traceable share over the view's batch graph (read it as ``view.lineage``)."""
    st = view.structure
    reo, lot_pct = view.row_reo, view.lot_pct
    n_lots, n_b = len(st.lots), len(st.batches)
    creators = view.creators
    origin = view.origin_of(creators)
    c_lot = st.lot_code[creators]
    den = np.bincount(c_lot, weights=reo[creators], minlength=n_lots)
    valid = view.valid_origin[creators]
    num = np.bincount(c_lot, weights=reo[creators] * valid, minlength=n_lots)

    cons_reo = np.bincount(st.cb, weights=reo[st.cons], minlength=n_b)
    prod_reo = np.bincount(st.pb, weights=reo[st.prod], minlength=n_b)
    out_den = np.maximum(cons_reo, prod_reo)
    in_num = np.zeros(n_b)

    c_order = np.argsort(st.level[st.cb], kind="stable")
    p_order = np.argsort(st.level[st.pb], kind="stable")
    c_lvl, p_lvl = st.level[st.cb][c_order], st.level[st.pb][p_order]
    c_lot_s, c_b_s, c_reo_s = st.lot_code[st.cons][c_order], st.cb[c_order], reo[st.cons][c_order]
    p_lot_s, p_b_s, p_reo_s = st.lot_code[st.prod][p_order], st.pb[p_order], reo[st.prod][p_order]
    top = int(st.level.max()) + 1 if n_b else 0
    c_cut = np.searchsorted(c_lvl, np.arange(top + 1))
    p_cut = np.searchsorted(p_lvl, np.arange(top + 1))

    def lot_share(idx: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            s = np.where(den[idx] > 0, num[idx] / den[idx], 0.0)
        return np.where(st.cycle_lot[idx], 0.0, s)

    # Generation k only reads lots whose producers all sit in generations < k (or on its own
    # cycle, forced to 0), so each lot's share is final when first read.
    for k in range(top):
        cs = slice(c_cut[k], c_cut[k + 1])
        np.add.at(in_num, c_b_s[cs], c_reo_s[cs] * lot_share(c_lot_s[cs]))
        ps = slice(p_cut[k], p_cut[k + 1])
        b = p_b_s[ps]
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(out_den[b] > 0, in_num[b] / out_den[b], 0.0)
        np.add.at(num, p_lot_s[ps], p_reo_s[ps] * out)

    share = np.clip(lot_share(np.arange(n_lots)), 0.0, 1.0)
    return Lineage(st, reo, lot_pct, creators, origin, share, cons_reo, prod_reo, in_num)
