"""Mass-balance detectors (SPEC §5, family unaccounted_mass): batches, lots, closing stock."""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowgraph.analysis.derived import (
    MONTH,
    REO,
    exceeds,
    label_of,
    period_text,
    prepare,
)
from flowgraph.analysis.findings import make_findings
from flowgraph.analysis.prepared import prepared
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
    mask = ev["event_type"].isin(("consume", "produce")) & ev["batch_id"].notna()
    rows = ev.loc[mask, ["event_type", "enterprise_id", "batch_id", REO, MONTH]]
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


_CHUNK = 1 << 18  # rows of a round of _monthly_flows (whole enterprises at a time)


def _pair_keys(ev: pd.DataFrame, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
    """One int64 key per (enterprise, lot) of ``rows``: (enterprise code + 1) x (lots + 1) +
    lot code + 1, ordered as the pairs of codes are (null codes first)."""
    lots = len(ev["lot_id"].cat.categories) + 1
    key = ev["enterprise_id"].cat.codes.to_numpy()[rows].astype(np.int64) + 1
    key *= lots
    key += ev["lot_id"].cat.codes.to_numpy()[rows].astype(np.int64) + 1
    return key


def _unpair(ev: pd.DataFrame, pair: np.ndarray) -> dict[str, np.ndarray]:
    """(enterprise code, lot code) of ``_pair_keys`` keys."""
    lots = len(ev["lot_id"].cat.categories) + 1
    pair = np.asarray(pair, dtype=np.int64)
    return {"ent": pair // lots - 1, "lot": pair % lots - 1}


def _monthly_flows(ev: pd.DataFrame, only: np.ndarray | None = None) -> pd.DataFrame:
    """Per (enterprise, lot, month), sorted by them: ``pair`` (``_pair_keys``), ``MONTH`` and
    mass/REO in (created + received) and out (ship, export, consume, loss); ``only``: a mask
    of the rows to count (a group's sums are over the same rows in either case).

    Summed a few enterprises at a time (about ``_CHUNK`` rows): a group never spans two
    enterprises and the enterprise leads the key, so the rounds' results one after the other
    are the whole table's, each group summed over the same rows in the same order (the same
    sums to the bit), while the transient frame stays a round's size at national scale."""
    etype = ev["event_type"]
    mask = etype.isin(_INFLOW | OUTFLOW_TYPES).to_numpy()
    if only is not None:
        mask = mask & only
    ent_all = ev["enterprise_id"].cat.codes.to_numpy()
    month_all = ev[MONTH].to_numpy()
    low = int(month_all[mask].min()) if mask.any() else 0
    span = int(month_all[mask].max()) - low + 1 if mask.any() else 1
    # rounds of consecutive enterprise codes (null first), each about _CHUNK rows
    sizes = np.bincount(ent_all[mask].astype(np.int64) + 1)
    bounds, rows = [0], 0
    for code, size in enumerate(sizes):
        if rows and rows + size > _CHUNK:
            bounds.append(code)
            rows = 0
        rows += size
    bounds.append(len(sizes))
    parts = []
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        # codes + 1 in [lo, hi): codes in [lo - 1, hi - 1), compared on the narrow codes
        whole = len(bounds) == 2
        take = mask if whole else mask & (ent_all >= lo - 1) & (ent_all < hi - 1)
        parts.append(_flows_of(ev, np.flatnonzero(take), low, span))
    if len(parts) == 1:
        return parts[0]
    return pd.concat(parts, ignore_index=True)


def _flows_of(ev: pd.DataFrame, rows: np.ndarray, low: int, span: int) -> pd.DataFrame:
    """``_monthly_flows`` of the given rows (positions, ascending)."""
    is_in = ev["event_type"].isin(_INFLOW).to_numpy()[rows]
    mass = ev["mass_kg"].to_numpy()[rows]
    reo = ev[REO].to_numpy()[rows]
    # One int64 key per (enterprise, lot, month), ordered as they are: pandas then groups and
    # sorts one column instead of three (a fraction of the memory).
    key = _pair_keys(ev, rows)
    key *= span
    key += ev[MONTH].to_numpy()[rows].astype(np.int64) - low
    frame = pd.DataFrame(
        {
            "key": key,
            "mass_in": np.where(is_in, mass, 0.0),
            "mass_out": np.where(is_in, 0.0, mass),
            "reo_in": np.where(is_in, reo, 0.0),
            "reo_out": np.where(is_in, 0.0, reo),
        }
    )
    del key, mass, reo, is_in
    sums = frame.groupby("key", sort=True).sum()
    del frame
    key = sums.index.to_numpy()
    out = {"pair": key // span, MONTH: key % span + low}
    return pd.DataFrame({**out, **{c: sums[c].to_numpy() for c in sums.columns}})


def _label(ev: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    codes = _unpair(ev, frame["pair"])
    return frame.assign(
        enterprise_id=label_of(ev, "enterprise_id", codes["ent"]),
        lot_id=label_of(ev, "lot_id", codes["lot"]),
    )


def detect_lot_overdrawn(
    events: pd.DataFrame, registry: Registry, tol: Tolerances = Tolerances()
) -> pd.DataFrame:
    """LOT_OVERDRAWN: an enterprise's outflows of a lot exceed its creations plus receipts by
    more than overdraw_pct %. Period: the first month whose running totals are over."""
    ev = prepare(events)
    m = _monthly_flows(ev)  # sorted by (pair, month)
    if m.empty:
        return empty_findings()
    # one integer per (enterprise, lot): the same groups as the two codes, grouped faster
    g = m.groupby("pair", sort=False)
    cum = g[["mass_in", "mass_out"]].cumsum()
    factor = 1.0 + tol.overdraw_pct / 100.0
    over = exceeds(cum["mass_out"], cum["mass_in"] * factor)
    del cum
    totals = g[["mass_in", "mass_out", "reo_in", "reo_out"]].sum()
    bad = totals[exceeds(totals["mass_out"], totals["mass_in"] * factor)]
    if bad.empty:
        return empty_findings()
    first = m.loc[over, ["pair", MONTH]].groupby("pair", sort=False)[MONTH].min()
    bad = _label(ev, bad.join(first).reset_index())
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
    view = prepared(events)
    ev = view.table
    mask = (ev["event_type"] == "stock").to_numpy()
    if not mask.any():
        return empty_findings()
    at = np.flatnonzero(mask)
    months = ev[MONTH].to_numpy()
    low, span = int(months.min()), int(months.max()) - int(months.min()) + 1
    pair = _pair_keys(ev, at)
    # one int64 per (enterprise, lot, month), ordered as the triples are
    stock = pd.DataFrame(
        {
            "key": pair * span + (months[at].astype(np.int64) - low),
            "mass": ev["mass_kg"].to_numpy()[at],
            "pct": view.pct_of(at),
        }
    )
    declared = stock.groupby("key", sort=False).agg(declared=("mass", "sum"), pct=("pct", "first"))
    declared = declared.reset_index()
    # Book stock only for the (enterprise, lot) pairs that declare a stock: each pair's
    # monthly sums and running total are over the same rows whatever else is counted.
    flows = _monthly_flows(ev, only=_rows_of_pairs(ev, np.unique(pair)))
    net = pd.DataFrame(
        {
            "key": flows["pair"].to_numpy() * span + (flows[MONTH].to_numpy() - low),
            "net": flows["mass_in"].to_numpy() - flows["mass_out"].to_numpy(),
        }
    )
    del flows
    # Put the stock months into the monthly net table so the running sum has a row for each.
    grid = pd.concat([net, declared[["key"]].assign(net=0.0)], ignore_index=True)
    grid = grid.groupby("key", sort=True)["net"].sum().reset_index()
    grid["book"] = grid.groupby(grid["key"].to_numpy() // span, sort=False)["net"].cumsum()
    merged = declared.merge(grid[["key", "book"]], on="key", how="left")
    merged["book"] = merged["book"].fillna(0.0)
    diff = (merged["declared"] - merged["book"]).abs()
    limit = np.maximum(merged["book"].abs() * tol.stock_pct / 100.0, tol.stock_min_kg)
    hit = merged[exceeds(diff, limit)]
    if hit.empty:
        return empty_findings()
    key = hit["key"].to_numpy()
    hit = _label(ev, hit.assign(pair=key // span, **{MONTH: key % span + low}))
    hit["period"] = period_text(hit[MONTH])
    hit["reo_kg"] = (hit["declared"] - hit["book"]).abs() * hit["pct"].fillna(0.0) / 100.0
    hit["detail"] = [
        f"declared closing stock {d:,.1f} kg, book stock {b:,.1f} kg"
        for d, b in zip(hit["declared"], hit["book"], strict=True)
    ]
    return make_findings("STOCK_MISMATCH", hit)


def _rows_of_pairs(ev: pd.DataFrame, pairs: np.ndarray) -> np.ndarray:
    """Per row: its (enterprise, lot) is one of ``pairs`` (``_pair_keys``, sorted)."""
    lot = ev["lot_id"].cat.codes.to_numpy()
    lots = np.zeros(len(ev["lot_id"].cat.categories) + 1, dtype=bool)
    lots[pairs % (len(lots)) - 1] = True  # the lots named: a cheap first cut
    rows = np.flatnonzero(lots[lot])
    out = np.zeros(len(ev), dtype=bool)
    hit = pd.Index(pairs).get_indexer(_pair_keys(ev, rows)) >= 0
    out[rows[hit]] = True
    return out
