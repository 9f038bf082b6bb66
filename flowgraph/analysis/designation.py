"""Designation detectors (SPEC §5, family undesignated_flow): who may mine, smelt and supply."""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowgraph.analysis.derived import MINERAL, MONTH, REO, period_text
from flowgraph.analysis.findings import make_findings
from flowgraph.analysis.prepared import PreparedEvents, prepared
from flowgraph.analysis.rowcodes import in_values, type_mask
from flowgraph.config import Tolerances
from flowgraph.model import Registry, empty_findings


def detect_undesignated_extraction(
    events: pd.DataFrame | PreparedEvents, registry: Registry | None, tol: Tolerances = Tolerances()
) -> pd.DataFrame:
    """UNDESIGNATED_EXTRACTION: an extract by an enterprise not designated for mining on its date.

    Several such extracts of one lot at one enterprise are one finding (first month, REO summed).
    """
    view = prepared(events, registry)
    ev = view.table
    ext = ev[ev["event_type"] == "extract"]
    ok = view.designated(ext["enterprise_id"], ext["date"], "mining")
    bad = ext[~ok]
    if bad.empty:
        return empty_findings()
    agg = bad.groupby(["enterprise_id", "lot_id"], sort=False).agg(
        reo_kg=(REO, "sum"), month=(MONTH, "min"), date=("date", "min")
    )
    agg = agg.reset_index()
    agg["period"] = period_text(agg["month"])
    agg["detail"] = [
        f"{e} extracted on {d:%Y-%m-%d} without a mining designation"
        for e, d in zip(agg["enterprise_id"], agg["date"], strict=True)
    ]
    return make_findings("UNDESIGNATED_EXTRACTION", agg)


def smelting_batches(events: pd.DataFrame | PreparedEvents) -> pd.DataFrame:
    """Smelting-and-separation batches (consume any mineral product, SPEC §3: the prepared
    view's ``smelting``).

    Columns: enterprise_id, batch_id, date (the batch's earliest row), month (its latest
    row's), consumed, produced (REO kg).
    """
    view = prepared(events)
    st = view.structure
    rows = np.concatenate([st.cons, st.prod])
    codes = np.concatenate([st.cb, st.pb])
    keep = view.smelting[codes]
    rows, codes = rows[keep], codes[keep]
    keys = ["enterprise_id", "batch_id"]
    if rows.size == 0:
        return pd.DataFrame(columns=[*keys, "date", "month", "consumed", "produced"])
    reo = view.row_reo[rows]
    is_cons = np.arange(rows.size) < int(keep[: st.cons.size].sum())
    frame = pd.DataFrame(
        {
            "_b": codes,
            "date": view.events["date"].to_numpy()[rows],
            "month": view.month[rows],
            "consumed": np.where(is_cons, reo, 0.0),
            "produced": np.where(is_cons, 0.0, reo),
        }
    )
    out = frame.groupby("_b", sort=True).agg(
        date=("date", "min"),
        month=("month", "max"),
        consumed=("consumed", "sum"),
        produced=("produced", "sum"),
    )
    b = out.index.to_numpy()
    out.insert(0, "batch_id", st.batches.to_numpy(dtype=object)[b])
    out.insert(0, "enterprise_id", st.batch_enterprise[b])
    return out.reset_index(drop=True)


def detect_undesignated_smelting(
    events: pd.DataFrame | PreparedEvents, registry: Registry | None, tol: Tolerances = Tolerances()
) -> pd.DataFrame:
    """UNDESIGNATED_SMELTING: a batch consuming a mineral product at an enterprise not designated
    for smelting on the batch's date (its earliest row). reo_kg: REO produced (consumed if none)."""
    view = prepared(events, registry)
    b = smelting_batches(view)
    if b.empty:
        return empty_findings()
    ok = view.designated(b["enterprise_id"], b["date"], "smelting")
    bad = b[~ok].copy()
    if bad.empty:
        return empty_findings()
    bad["reo_kg"] = bad["produced"].where(bad["produced"] > 0, bad["consumed"])
    bad["period"] = period_text(bad["month"])
    bad["detail"] = [
        f"{e} smelted mineral product on {d:%Y-%m-%d} without a smelting designation"
        for e, d in zip(bad["enterprise_id"], bad["date"], strict=True)
    ]
    return make_findings("UNDESIGNATED_SMELTING", bad)


def lawful_holders(
    events: pd.DataFrame | PreparedEvents, registry: Registry | None = None
) -> pd.DataFrame:
    """(enterprise_id, lot_id) pairs whose own records give lawful custody of the lot: a valid
    origin (designated extract, documented import), a produce by a batch, or a receipt."""
    view = prepared(events, registry)
    ev = view.table
    other = ev["event_type"].isin(("produce", "receive")).to_numpy()
    lawful = ev.loc[view.valid_origin | other, ["enterprise_id", "lot_id"]]
    return lawful.drop_duplicates().reset_index(drop=True)


def detect_undesignated_supply(
    events: pd.DataFrame | PreparedEvents, registry: Registry | None, tol: Tolerances = Tolerances()
) -> pd.DataFrame:
    """UNDESIGNATED_SUPPLY: a receipt of a mineral product whose sender's own records show no
    lawful custody of the lot, or a receipt of any product from a sender absent from the registry.

    One finding per shipment (receiver, shipment_id, sender); reo_kg: REO of the offending rows;
    period: the receipt's month.
    """
    view = prepared(events, registry)
    registry, ev = view.registry, view.table
    wanted = ["enterprise_id", "shipment_id", "counterparty_id", "lot_id", MINERAL, REO, MONTH]
    at = np.flatnonzero(
        type_mask(ev["event_type"], ["receive"]) & ev["shipment_id"].notna().to_numpy()
    )
    if at.size == 0:
        return empty_findings()
    rec = ev[wanted].iloc[at]
    known = (
        set(registry.enterprises["enterprise_id"].dropna()) if len(registry.enterprises) else set()
    )
    # On the codes (enterprise and counterparty share one category list): whether each
    # party is registered, and whether (sender, lot) is among the lawful holders' pairs.
    party = ev["counterparty_id"].cat.codes.to_numpy()
    registered = in_values(party[at], ev["counterparty_id"].cat.categories, known)
    unregistered = ~registered
    lawful = view.valid_origin | type_mask(ev["event_type"], ["produce", "receive"])
    lots = len(ev["lot_id"].cat.categories) + 1
    lot = ev["lot_id"].cat.codes.to_numpy()
    holders = pd.unique(_pairs(ev["enterprise_id"].cat.codes.to_numpy()[lawful], lot[lawful], lots))
    held = pd.Index(holders).get_indexer(_pairs(party[at], lot[at], lots)) >= 0
    no_custody = rec[MINERAL].to_numpy() & ~held
    bad = rec[unregistered | no_custody].assign(_unreg=unregistered[unregistered | no_custody])
    if bad.empty:
        return empty_findings()
    # the few offending rows grouped by plain ids: a categorical groupby re-checks the
    # table's million-value category lists
    ids = ["enterprise_id", "shipment_id", "counterparty_id"]
    bad = bad.assign(**{c: bad[c].astype(object) for c in ids})
    agg = bad.groupby(ids, sort=False).agg(
        reo_kg=(REO, "sum"), month=(MONTH, "min"), unreg=("_unreg", "any")
    )
    agg = agg.reset_index()
    agg["period"] = period_text(agg["month"])
    agg["detail"] = [
        f"received from {s}, which is not in the registry"
        if u
        else f"received mineral product from {s}, which never lawfully held the lot"
        for s, u in zip(agg["counterparty_id"], agg["unreg"], strict=True)
    ]
    agg = agg.rename(columns={"enterprise_id": "receiver"})
    agg["enterprise_id"] = agg["counterparty_id"]
    return make_findings("UNDESIGNATED_SUPPLY", agg)


def _pairs(ent: np.ndarray, lot: np.ndarray, lots: int) -> np.ndarray:
    """One int64 per (enterprise code, lot code) pair (-1 codes included)."""
    return (ent.astype(np.int64) + 1) * lots + lot.astype(np.int64) + 1
