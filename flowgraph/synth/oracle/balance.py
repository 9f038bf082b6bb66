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
    inflow = ev["event_type"].isin(CREATING_TYPES | {"receive"})
    outflow = ev["event_type"].isin(OUTFLOW_TYPES)
    # Only the columns the rule reads: a filter of the whole table copies every column.
    cols = ["enterprise_id", "lot_id", "period"]
    work = ev.loc[inflow | outflow, cols].assign(
        m_in=np.where(inflow, ev["mass_kg"], 0.0)[inflow | outflow],
        m_out=np.where(outflow, ev["mass_kg"], 0.0)[inflow | outflow],
        r_in=np.where(inflow, ev["reo"], 0.0)[inflow | outflow],
        r_out=np.where(outflow, ev["reo"], 0.0)[inflow | outflow],
    )
    keys, ents, lots = pair_codes(ev)
    work["pair"] = keys[(inflow | outflow).to_numpy()]
    work = work[work["pair"] >= 0]  # a groupby on the labels leaves these out
    g = work.groupby("pair").agg(
        m_in=("m_in", "sum"),
        m_out=("m_out", "sum"),
        r_in=("r_in", "sum"),
        r_out=("r_out", "sum"),
    )
    factor = 1 + tol.overdraw_pct / 100
    bad = g[g["m_out"] > g["m_in"] * factor]
    # period: the first month whose running month-end totals are over (few lots: a loop).
    out = []
    for pair, r in bad.iterrows():
        rows = work[work["pair"] == pair]
        monthly = rows.groupby("period")[["m_in", "m_out"]].sum().sort_index().cumsum()
        over = monthly.index[monthly["m_out"] > monthly["m_in"] * factor]
        ent, lot = pair_labels(pair, ents, lots)
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
    stock_rows = (ev["event_type"] == "stock").to_numpy()
    if not stock_rows.any():
        return []
    # (enterprise, lot) by their category codes and months by number: millions of rows are
    # grouped on integers (rows without an enterprise, lot or period are left out, as a groupby on
    # the labels leaves them out); the labels are read back for the findings only.
    ents, lots = as_categorical(ev["enterprise_id"]), as_categorical(ev["lot_id"])
    periods = pd.Series(pd.unique(ev["period"].dropna()))
    period_of = dict(zip(_period_number(periods).tolist(), periods.tolist(), strict=True))
    keys = pd.DataFrame(
        {
            "e": ents.cat.codes.to_numpy(),
            "l": lots.cat.codes.to_numpy(),
            "pn": _period_number(ev["period"]).to_numpy().astype(np.int32),  # ~24,300: int32
        },
        index=ev.index,
    )
    labelled = ((keys["e"] >= 0) & (keys["l"] >= 0) & ev["period"].notna()).to_numpy()
    stock = keys[stock_rows & labelled].assign(
        mass_kg=ev["mass_kg"][stock_rows & labelled], pct=ev["pct"][stock_rows & labelled]
    )
    decl = (
        stock.groupby(["e", "l", "pn"])
        .agg(declared=("mass_kg", "sum"), pct=("pct", "first"))
        .reset_index()
    )
    sign = ev["event_type"].map(
        lambda t: (
            1.0 if t in CREATING_TYPES or t == "receive" else -1.0 if t in OUTFLOW_TYPES else 0.0
        )
    )
    moved = (sign != 0).to_numpy() & labelled
    flows = keys[moved].assign(signed=(ev["mass_kg"] * sign)[moved])
    per = flows.groupby(["e", "l", "pn"])["signed"].sum().reset_index()
    per = per.sort_values("pn")
    per["book"] = per.groupby(["e", "l"])["signed"].cumsum()
    decl = decl.sort_values("pn")
    merged = pd.merge_asof(decl, per[["e", "l", "pn", "book"]], on="pn", by=["e", "l"])
    merged["book"] = merged["book"].fillna(0.0)
    diff = (merged["declared"] - merged["book"]).abs()
    bad = merged[diff > np.maximum(tol.stock_pct / 100 * merged["book"].abs(), tol.stock_min_kg)]
    out = []
    for _, r in bad.iterrows():
        pct = 0.0 if pd.isna(r["pct"]) else r["pct"] / 100.0  # the lot's REO % (README)
        d = abs(r["declared"] - r["book"])
        out.append(
            _f(
                "STOCK_MISMATCH",
                period=period_of[int(r["pn"])],
                enterprise_id=ents.cat.categories[int(r["e"])],
                lot_id=lots.cat.categories[int(r["l"])],
                reo_kg=d * pct if pct else 0.0,
                detail=f"declared {r['declared']:.1f} kg, book {r['book']:.1f} kg",
            )
        )
    return out
