"""Per-lot facts read off the event rows: a lot's earliest row, its REO % and product (SPEC §1).

All on the integer lot codes of the batch graph: a string-keyed map over a million rows costs
seconds, a numpy gather milliseconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowgraph.analysis.batchgraph import BatchStructure, batch_structure
from flowgraph.model import CREATING_TYPES, PRODUCTS

_FAMILY = {code: p.family for code, p in PRODUCTS.items()}
_TYPICAL = {code: p.typical_reo_pct for code, p in PRODUCTS.items()}


def _first_per_lot(events: pd.DataFrame, rows: np.ndarray, lot_code: np.ndarray, n_lots: int):
    """For each lot, the position (into events) of its earliest row among ``rows`` by
    (date, upload_id, source_row, row order) — the order common.lot_reo_pct uses; -1 if none."""
    first = np.full(n_lots, -1, dtype=np.int64)
    if rows.size == 0:
        return first
    keys = (
        rows,
        events["source_row"].to_numpy()[rows],
        events["upload_id"].to_numpy()[rows],
        events["date"].to_numpy()[rows],
        lot_code[rows],
    )
    ordered = rows[np.lexsort(keys)]
    lots, at = np.unique(lot_code[ordered], return_index=True)
    first[lots] = ordered[at]
    return first


def _row_reo(events: pd.DataFrame, st: BatchStructure) -> tuple[np.ndarray, np.ndarray]:
    """(REO kg of each row, REO % of each lot): SPEC §1, same rules as common.reo_kg but on
    integer lot codes (a string-keyed map over a million rows costs seconds)."""
    etype = events["event_type"].isin(CREATING_TYPES).to_numpy()
    own = events["reo_pct"].to_numpy(dtype="float64")
    rows = np.flatnonzero(etype & ~np.isnan(own) & (st.lot_code >= 0))
    first = _first_per_lot(events, rows, st.lot_code, len(st.lots))
    lot_pct = np.where(first >= 0, own[np.maximum(first, 0)], np.nan)
    pct = np.where(st.lot_code >= 0, lot_pct[st.lot_code], np.nan)
    pct = np.where(np.isnan(pct), own, pct)
    missing = np.isnan(pct)
    if missing.any():
        typical = events["product"].iloc[np.flatnonzero(missing)].map(_TYPICAL)
        pct[missing] = typical.to_numpy(dtype="float64")
    reo = events["mass_kg"].to_numpy(dtype="float64") * pct / 100.0
    return np.nan_to_num(reo, nan=0.0), lot_pct


def _lot_product(events: pd.DataFrame, st: BatchStructure) -> np.ndarray:
    """Product of each lot: its earliest creating row's, else the first row that names one."""
    product = events["product"].to_numpy(dtype=object)
    named = events["product"].notna().to_numpy() & (st.lot_code >= 0)
    creating = events["event_type"].isin(CREATING_TYPES).to_numpy()
    n = len(st.lots)
    first = _first_per_lot(events, np.flatnonzero(named & creating), st.lot_code, n)
    any_row = np.full(n, -1, dtype=np.int64)
    rows = np.flatnonzero(named)[::-1]  # reversed so the first row wins the assignment
    any_row[st.lot_code[rows]] = rows
    pick = np.where(first >= 0, first, any_row)
    return np.where(pick >= 0, product[np.maximum(pick, 0)], None)


def lot_products(events: pd.DataFrame, *, structure: BatchStructure | None = None) -> pd.Series:
    """Product of each row's lot: the creating event's, else the row's own (SPEC §1 lets rows of
    a lot created in the same file omit product). ``structure``: batchgraph.batch_structure(events)
    when the caller has it.

    >>> from flowgraph.model import events_frame
    >>> ev = events_frame([
    ...     {"event_type": "extract", "date": "2024-01-02", "lot_id": "L", "mass_kg": 1,
    ...      "reo_pct": 50, "product": "BAST_CONC"},
    ...     {"event_type": "consume", "date": "2024-01-03", "lot_id": "L", "mass_kg": 1}])
    >>> lot_products(ev).tolist()
    ['BAST_CONC', 'BAST_CONC']
    """
    st = batch_structure(events, structure)
    return pd.Series(_products_of_rows(events, st), index=events.index, dtype=object)


def _products_of_rows(events: pd.DataFrame, st: BatchStructure) -> np.ndarray:
    own = events["product"].to_numpy(dtype=object)
    creating = events["event_type"].isin(CREATING_TYPES).to_numpy() & events["product"].notna()
    first = _first_per_lot(
        events, np.flatnonzero(creating.to_numpy() & (st.lot_code >= 0)), st.lot_code, len(st.lots)
    )
    of_lot = np.where(first >= 0, own[np.maximum(first, 0)], None)
    result = np.where(st.lot_code >= 0, of_lot[np.maximum(st.lot_code, 0)], None)
    return np.where(pd.isna(result), own, result)
