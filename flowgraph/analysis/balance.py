"""Mass-balance detectors (SPEC §5, family unaccounted_mass): batches, lots, closing stock."""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowgraph.analysis.derived import MONTH, PCT, REO, exceeds, period_text, prepare
from flowgraph.analysis.findings import make_findings
from flowgraph.config import Tolerances
from flowgraph.model import CREATING_TYPES, OUTFLOW_TYPES, Registry, empty_findings

_INFLOW = CREATING_TYPES | {"receive"}


def batch_balance(events: pd.DataFrame) -> pd.DataFrame:
    """REO consumed and produced per batch (enterprise_id, batch_id), with the batch's period.

    >>> from flowgraph.model import events_frame
    >>> ev = events_frame([
    ...   {"event_type": "consume", "date": "2024-02-03", "enterprise_id": "S1", "lot_id": "A",
    ...    "batch_id": "B1", "mass_kg": 100, "reo_pct": 50},
    ...   {"event_type": "produce", "date": "2024-02-04", "enterprise_id": "S1", "lot_id": "C",
    ...    "batch_id": "B1", "mass_kg": 50, "reo_pct": 95, "product": "LA_OXIDE"}])
    >>> batch_balance(ev)[["consumed", "produced"]].iloc[0].tolist()
    [50.0, 47.5]
    """
    ev = prepare(events)
    rows = ev[ev["event_type"].isin(("consume", "produce")) & ev["batch_id"].notna()]
    consumed = rows[REO].where(rows["event_type"] == "consume", 0.0)
    produced = rows[REO].where(rows["event_type"] == "produce", 0.0)
    frame = pd.DataFrame(
        {
            "enterprise_id": rows["enterprise_id"],
            "batch_id": rows["batch_id"],
            "consumed": consumed,
            "produced": produced,
            MONTH: rows[MONTH],
        }
    )
    out = frame.groupby(["enterprise_id", "batch_id"], sort=False, dropna=False).agg(
        consumed=("consumed", "sum"), produced=("produced", "sum"), month=(MONTH, "max")
    )
    out = out.reset_index()
    out["period"] = period_text(out["month"]) if len(out) else pd.Series(dtype="object")
    return out.drop(columns="month")


def detect_transform_gain(
    events: pd.DataFrame, registry: Registry, tol: Tolerances = Tolerances()
) -> pd.DataFrame:
    """TRANSFORM_GAIN: a batch's REO produced > REO consumed x gain_ratio; reo_kg = the gain."""
    b = batch_balance(events)
    hit = b[exceeds(b["produced"], b["consumed"] * tol.gain_ratio)].copy()
    if hit.empty:
        return empty_findings()
    ratio = np.where(
        hit["consumed"] > 0, hit["produced"] / hit["consumed"].where(hit["consumed"] > 0), np.nan
    )
    hit["reo_kg"] = hit["produced"] - hit["consumed"]
    hit["detail"] = [
        f"batch yields {r * 100:.1f}% of its REO input"
        if np.isfinite(r)
        else f"batch yields {p:,.1f} kg REO from no recorded input"
        for r, p in zip(ratio, hit["produced"], strict=True)
    ]
    return make_findings("TRANSFORM_GAIN", hit)


def detect_transform_loss(
    events: pd.DataFrame, registry: Registry, tol: Tolerances = Tolerances()
) -> pd.DataFrame:
    """TRANSFORM_LOSS: a batch's REO produced < REO consumed x loss_ratio; reo_kg = REO missing."""
    b = batch_balance(events)
    hit = b[exceeds(b["consumed"] * tol.loss_ratio, b["produced"])].copy()
    if hit.empty:
        return empty_findings()
    hit["reo_kg"] = hit["consumed"] - hit["produced"]
    hit["detail"] = [
        f"batch yields {p / c * 100:.1f}% of its REO input"
        for p, c in zip(hit["produced"], hit["consumed"], strict=True)
    ]
    return make_findings("TRANSFORM_LOSS", hit)


def _monthly_flows(ev: pd.DataFrame) -> pd.DataFrame:
    """Per (enterprise, lot, month): mass in (created + received) and out (ship/export/consume/loss)."""
    etype = ev["event_type"]
    flows = ev[etype.isin(_INFLOW | OUTFLOW_TYPES)]
    is_in = flows["event_type"].isin(_INFLOW)
    frame = pd.DataFrame(
        {
            "enterprise_id": flows["enterprise_id"],
            "lot_id": flows["lot_id"],
            MONTH: flows[MONTH],
            "mass_in": flows["mass_kg"].where(is_in, 0.0),
            "mass_out": flows["mass_kg"].where(~is_in, 0.0),
            "reo_in": flows[REO].where(is_in, 0.0),
            "reo_out": flows[REO].where(~is_in, 0.0),
        }
    )
    return frame.groupby(["enterprise_id", "lot_id", MONTH], sort=False).sum().reset_index()


def detect_lot_overdrawn(
    events: pd.DataFrame, registry: Registry, tol: Tolerances = Tolerances()
) -> pd.DataFrame:
    """LOT_OVERDRAWN: an enterprise's outflows of a lot exceed its creations plus receipts by
    more than overdraw_pct %. Period: the first month whose running totals are over."""
    ev = prepare(events)
    m = _monthly_flows(ev).sort_values(["enterprise_id", "lot_id", MONTH], kind="stable")
    if m.empty:
        return empty_findings()
    g = m.groupby(["enterprise_id", "lot_id"], sort=False)
    cum = g[["mass_in", "mass_out", "reo_in", "reo_out"]].cumsum()
    factor = 1.0 + tol.overdraw_pct / 100.0
    m["over"] = exceeds(cum["mass_out"], cum["mass_in"] * factor)
    totals = g[["mass_in", "mass_out", "reo_in", "reo_out"]].sum()
    bad = totals[exceeds(totals["mass_out"], totals["mass_in"] * factor)]
    if bad.empty:
        return empty_findings()
    first = m[m["over"]].groupby(["enterprise_id", "lot_id"], sort=False)[MONTH].min()
    bad = bad.join(first).reset_index()
    bad["period"] = period_text(bad[MONTH])
    bad["reo_kg"] = bad["reo_out"] - bad["reo_in"]
    bad["detail"] = [
        f"outflows {o:,.1f} kg exceed created + received {i:,.1f} kg"
        for o, i in zip(bad["mass_out"], bad["mass_in"], strict=True)
    ]
    return make_findings("LOT_OVERDRAWN", bad)


def detect_stock_mismatch(
    events: pd.DataFrame, registry: Registry, tol: Tolerances = Tolerances()
) -> pd.DataFrame:
    """STOCK_MISMATCH: declared closing stock differs from book stock (created + received -
    outflows up to the end of the stock row's month) by > max(stock_pct % of book, stock_min_kg).

    Several stock rows of one lot, enterprise and month are summed; a stock row for a lot the
    enterprise never held compares with a book stock of 0.
    """
    ev = prepare(events)
    stock = ev[ev["event_type"] == "stock"]
    if stock.empty:
        return empty_findings()
    keys = ["enterprise_id", "lot_id", MONTH]
    declared = stock.groupby(keys, sort=False).agg(declared=("mass_kg", "sum"), pct=(PCT, "first"))
    declared = declared.reset_index()
    flows = _monthly_flows(ev)
    flows["net"] = flows["mass_in"] - flows["mass_out"]
    # Put the stock months into the monthly net table so the running sum has a row for each.
    grid = pd.concat([flows[[*keys, "net"]], declared[keys].assign(net=0.0)], ignore_index=True)
    grid = grid.groupby(keys, sort=False)["net"].sum().reset_index()
    grid = grid.sort_values(keys, kind="stable")
    grid["book"] = grid.groupby(["enterprise_id", "lot_id"], sort=False)["net"].cumsum()
    merged = declared.merge(grid[[*keys, "book"]], on=keys, how="left")
    merged["book"] = merged["book"].fillna(0.0)
    diff = (merged["declared"] - merged["book"]).abs()
    limit = np.maximum(merged["book"].abs() * tol.stock_pct / 100.0, tol.stock_min_kg)
    hit = merged[exceeds(diff, limit)].copy()
    if hit.empty:
        return empty_findings()
    hit["period"] = period_text(hit[MONTH])
    hit["reo_kg"] = (hit["declared"] - hit["book"]).abs() * hit["pct"].fillna(0.0) / 100.0
    hit["detail"] = [
        f"declared closing stock {d:,.1f} kg, book stock {b:,.1f} kg"
        for d, b in zip(hit["declared"], hit["book"], strict=True)
    ]
    return make_findings("STOCK_MISMATCH", hit)
