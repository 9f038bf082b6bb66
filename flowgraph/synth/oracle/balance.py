"""Mass balance rules: batches (gain, loss, undesignated smelting), overdrawn lots, stock."""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowgraph.config import Tolerances
from flowgraph.model import (
    CREATING_TYPES,
    OUTFLOW_TYPES,
    Registry,
)
from flowgraph.synth.oracle.common import (
    _f,
    _period_number,
    _smelting_batches,
    as_categorical,
    designated_on,
    pair_codes,
    pair_labels,
)


def _batches(ev: pd.DataFrame, registry: Registry, tol: Tolerances) -> list[dict]:
    rows = ev.loc[
        ev["event_type"].isin(["consume", "produce"]) & ev["batch_id"].notna(),
        ["batch_id", "event_type", "reo", "enterprise_id", "period", "date"],
    ]
    if rows.empty:
        return []
    sums = rows.pivot_table(
        index="batch_id", columns="event_type", values="reo", aggfunc="sum", fill_value=0.0
    )
    for col in ("consume", "produce"):
        if col not in sums:
            sums[col] = 0.0
    info = rows.groupby("batch_id").agg(
        ent=("enterprise_id", "first"), period=("period", "max"), date=("date", "min")
    )
    sums = sums.join(info)
    out = []
    flagged = (sums["produce"] > sums["consume"] * tol.gain_ratio) | (
        sums["produce"] < sums["consume"] * tol.loss_ratio
    )
    for batch, r in sums[flagged].iterrows():
        c, p = r["consume"], r["produce"]
        ratio = f"{100 * p / c:.1f}%" if c > 0 else "REO from nothing"
        if p > c * tol.gain_ratio:
            out.append(
                _f(
                    "TRANSFORM_GAIN",
                    period=r["period"],
                    enterprise_id=r["ent"],
                    batch_id=batch,
                    reo_kg=p - c,
                    detail=f"batch yields {ratio} of its REO input",
                )
            )
        elif p < c * tol.loss_ratio:
            out.append(
                _f(
                    "TRANSFORM_LOSS",
                    period=r["period"],
                    enterprise_id=r["ent"],
                    batch_id=batch,
                    reo_kg=c - p,
                    detail=f"batch yields only {ratio} of its REO input",
                )
            )
    smelting = sums.loc[sums.index.intersection(_smelting_batches(ev))]
    if not smelting.empty:
        ok = designated_on(registry, smelting["ent"], smelting["date"], "smelting")
        for batch, r in smelting[~ok].iterrows():
            out.append(
                _f(
                    "UNDESIGNATED_SMELTING",
                    period=r["period"],
                    enterprise_id=r["ent"],
                    batch_id=batch,
                    # README: the REO it produced, the REO consumed if it produced nothing
                    reo_kg=r["produce"] if r["produce"] > 0 else r["consume"],
                    detail="mineral product smelted by an enterprise not designated for smelting",
                )
            )
    return out


def _overdrawn(ev: pd.DataFrame, tol: Tolerances) -> list[dict]:
    kinds = ev["event_type"]
    keys, ents, lots = pair_codes(ev)
    # Only the rows the rule reads (an inflow or outflow of an enterprise's lot), as numpy
    # columns: a filter of the whole table copies every column.
    moving = kinds.isin(CREATING_TYPES | {"receive"} | OUTFLOW_TYPES).to_numpy() & (keys >= 0)
    inflow = kinds[moving].isin(CREATING_TYPES | {"receive"}).to_numpy()
    mass = ev["mass_kg"].to_numpy()[moving]
    pair = keys[moving]
    del keys
    # The pairs numbered once; each sum then groups on those numbers (a categorical: no
    # hashing again) and one column is made at a time (millions of rows each). REO is
    # summed for the overdrawn pairs only (their rows, in the same order: the same sums).
    numbers, pairs = pd.factorize(pair, sort=True)
    groups = pd.Categorical.from_codes(numbers, categories=pairs)
    del numbers, pair
    columns = {
        "m_in": lambda: np.where(inflow, mass, 0.0),
        "m_out": lambda: np.where(inflow, 0.0, mass),
    }
    g = pd.DataFrame(
        {
            name: pd.Series(column()).groupby(groups, observed=True).sum().to_numpy()
            for name, column in columns.items()
        },
        index=pairs,
    )
    factor = 1 + tol.overdraw_pct / 100
    over = (g["m_out"] > g["m_in"] * factor).to_numpy()
    bad = g[over]
    # period: the first month whose running month-end totals are over (few lots: a loop).
    out = []
    if bad.empty:
        return out
    mine = over[groups.codes]
    moving[moving] = mine  # the rows of the overdrawn pairs (a mask of the whole table)
    rows = pd.DataFrame(
        {
            "pair": pairs[groups.codes[mine]],
            "m_in": np.where(inflow[mine], mass[mine], 0.0),
            "m_out": np.where(inflow[mine], 0.0, mass[mine]),
            # a filter of the column, not of its values (which would be Python objects)
            "period": ev["period"][moving].to_numpy(),
        }
    )
    reo = ev["reo"].to_numpy()[moving]
    rows["r_in"] = np.where(inflow[mine], reo, 0.0)
    rows["r_out"] = np.where(inflow[mine], 0.0, reo)
    bad = bad.join(rows.groupby("pair")[["r_in", "r_out"]].sum())
    for key, r in bad.iterrows():
        lot_rows = rows[rows["pair"] == key]
        monthly = lot_rows.groupby("period")[["m_in", "m_out"]].sum().sort_index().cumsum()
        over = monthly.index[monthly["m_out"] > monthly["m_in"] * factor]
        ent, lot = pair_labels(key, ents, lots)
        out.append(
            _f(
                "LOT_OVERDRAWN",
                period=over[0],
                enterprise_id=ent,
                lot_id=lot,
                reo_kg=max(r["r_out"] - r["r_in"], 0.0),  # SPEC: reo_kg >= 0
                detail=f"outflows {r['m_out']:.1f} kg exceed inflows {r['m_in']:.1f} kg",
            )
        )
    return out


def _stock(ev: pd.DataFrame, tol: Tolerances) -> list[dict]:
    kinds = as_categorical(ev["event_type"])
    stock_rows = (kinds == "stock").to_numpy()
    if not stock_rows.any():
        return []
    # One integer per (enterprise, lot, month): the pair's code (pair_codes) times the months'
    # span plus the month's offset. Millions of rows are grouped on it (rows without an
    # enterprise, lot or period are left out, as a groupby on the labels leaves them out);
    # the labels are read back for the findings only.
    key, ents, lots = pair_codes(ev)
    labelled = (key >= 0) & ev["period"].notna().to_numpy()
    month = _period_number(ev["period"]).to_numpy()
    first = int(month[labelled].min()) if labelled.any() else 0
    span = int(month[labelled].max()) - first + 1 if labelled.any() else 1
    key *= span
    key += month - first
    del month
    periods = pd.Series(pd.unique(ev["period"].dropna()))
    period_of = dict(zip(_period_number(periods).tolist(), periods.tolist(), strict=True))
    mass = ev["mass_kg"].to_numpy()
    declared = stock_rows & labelled
    decl = (
        pd.DataFrame({"mass_kg": mass[declared], "pct": ev["pct"].to_numpy()[declared]})
        .groupby(key[declared])
        .agg(declared=("mass_kg", "sum"), pct=("pct", "first"))
    )
    signs = [
        1.0 if t in CREATING_TYPES or t == "receive" else -1.0 if t in OUTFLOW_TYPES else 0.0
        for t in kinds.cat.categories
    ]
    sign = np.array([*signs, 0.0])[kinds.cat.codes.to_numpy()]  # code -1 (no type): 0
    moved = (sign != 0) & labelled
    moved_keys = key[moved]
    signed = mass[moved]
    signed *= sign[moved]
    del key, sign, moved  # millions of rows each: gone before the groupby's own tables
    per = pd.Series(signed).groupby(moved_keys).sum()  # sorted by key
    del signed, moved_keys
    # the running book per (enterprise, lot), month by month; at each declared month the
    # book of the last month up to it with a movement (as merge_asof by pair on the month)
    book = per.groupby(per.index.to_numpy() // span).cumsum().to_numpy()
    flow_keys, decl_keys = per.index.to_numpy(), decl.index.to_numpy()
    at = np.searchsorted(flow_keys, decl_keys, side="right") - 1
    same = (at >= 0) & (flow_keys[np.maximum(at, 0)] // span == decl_keys // span)
    decl["book"] = np.where(same, book[np.maximum(at, 0)], 0.0)
    diff = (decl["declared"] - decl["book"]).abs()
    bad = decl[diff > np.maximum(tol.stock_pct / 100 * decl["book"].abs(), tol.stock_min_kg)]
    out = []
    for k, r in bad.iterrows():
        pct = 0.0 if pd.isna(r["pct"]) else r["pct"] / 100.0  # the lot's REO % (README)
        d = abs(r["declared"] - r["book"])
        ent, lot = pair_labels(k // span, ents, lots)
        out.append(
            _f(
                "STOCK_MISMATCH",
                period=period_of[first + k % span],
                enterprise_id=ent,
                lot_id=lot,
                reo_kg=d * pct if pct else 0.0,
                detail=f"declared {r['declared']:.1f} kg, book {r['book']:.1f} kg",
            )
        )
    return out
