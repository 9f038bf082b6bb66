"""Lot and lineage rules: unknown/duplicate lots, time inversion, cycles, shares, quotas."""

from __future__ import annotations

import networkx as nx
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
    _smelting_batches,
    _valid_origin,
    as_categorical,
    designated_on,
    pair_codes,
)


def _lots(ev: pd.DataFrame) -> list[dict]:
    out = []
    created = ev.loc[
        ev["event_type"].isin(CREATING_TYPES),
        ["enterprise_id", "lot_id", "period", "reo", "date", "upload_id", "source_row"],
    ].sort_values(["date", "upload_id", "source_row"], kind="stable")
    counts = created.groupby("lot_id").size()
    for lot in counts[counts > 1].index:
        rows = created[created["lot_id"] == lot]
        second = rows.iloc[1]
        out.append(
            _f(
                "DUPLICATE_LOT",
                period=second["period"],
                enterprise_id=second["enterprise_id"],
                lot_id=lot,
                reo_kg=rows["reo"].iloc[1:].sum(),
                detail=f"lot created {len(rows)} times",
            )
        )
    # Only the rows and columns the rules read: a filter of the whole table copies every
    # column (the rows first found by their masks, on numpy arrays).
    cols = ["event_type", "enterprise_id", "lot_id", "date", "period", "reo"]
    used = ev["event_type"].isin(["receive", "consume", "ship", "export"]).to_numpy(copy=True)
    used[used] = ~_among(ev["lot_id"][used], created["lot_id"])
    unknown = ev.loc[used, cols]
    del used
    if not unknown.empty:
        kinds = unknown["event_type"]
        per = (
            unknown.assign(
                r_in=np.where(kinds == "receive", unknown["reo"], 0.0),
                r_out=np.where(kinds != "receive", unknown["reo"], 0.0),
            )
            .groupby(["lot_id", "enterprise_id"])
            .agg(r_in=("r_in", "sum"), r_out=("r_out", "sum"))
        )
        size = per.max(axis=1).groupby(level="lot_id").max()
        first = unknown.sort_values("date", kind="stable").drop_duplicates("lot_id")
        for _, r in first.iterrows():
            out.append(
                _f(
                    "UNKNOWN_LOT",
                    period=r["period"],
                    enterprise_id=r["enterprise_id"],
                    lot_id=r["lot_id"],
                    reo_kg=size[r["lot_id"]],
                    detail="lot used but never created by an extract, import or produce",
                )
            )
    # Time inversion: first outflow before the first creation or receipt, per enterprise.
    # (enterprise, lot) as one integer (pair_codes); rows without either never match
    keys, _, _ = pair_codes(ev)
    dates = ev["date"].to_numpy()
    inflow = (ev["event_type"].isin(CREATING_TYPES | {"receive"})).to_numpy() & (keys >= 0)
    first_in = pd.Series(dates[inflow]).groupby(keys[inflow]).min()
    del inflow
    outflow = ev["event_type"].isin(OUTFLOW_TYPES).to_numpy(copy=True)
    at = first_in.index.get_indexer(keys[outflow])
    del keys
    known = first_in.to_numpy() if len(first_in) else np.array(["NaT"], dtype="datetime64[ns]")
    earliest = np.where(at >= 0, known[np.maximum(at, 0)], np.datetime64("NaT"))
    del at
    before = dates[outflow] < earliest  # NaT on either side: False, as in the frame
    outflow[outflow] = before
    early = ev.loc[outflow, cols].assign(first_in=earliest[before])
    for (ent, lot), grp in early.groupby(["enterprise_id", "lot_id"]):
        out.append(
            _f(
                "TIME_INVERSION",
                period=grp["period"].min(),
                enterprise_id=ent,
                lot_id=lot,
                reo_kg=grp["reo"].sum(),
                detail=f"outflow on {grp['date'].min():%Y-%m-%d} before first inflow on "
                f"{grp['first_in'].iloc[0]:%Y-%m-%d}",
            )
        )
    return out


def _among(lots: pd.Series, known: pd.Series) -> np.ndarray:
    """Whether each of ``lots`` is one of ``known`` (by category code when both are the
    same categorical: a filter of one table)."""
    if isinstance(lots.dtype, pd.CategoricalDtype) and lots.dtype == known.dtype:
        seen = np.zeros(len(lots.cat.categories) + 1, dtype=bool)
        seen[known.cat.codes.to_numpy()] = True
        seen[-1] = False  # a missing lot (code -1) is never known
        return seen[lots.cat.codes.to_numpy()]
    return lots.isin(set(known)).to_numpy()


def _cycle_groups(ev: pd.DataFrame) -> tuple[list[set], pd.DataFrame]:
    """The groups of lots that derive from each other (consume -> produce), and the produce
    rows (batch_id, lot_id, reo, period, enterprise_id, date)."""
    rows = ev.loc[
        ev["event_type"].isin(["consume", "produce"]) & ev["batch_id"].notna(),
        ["event_type", "batch_id", "lot_id", "reo", "period", "enterprise_id", "date"],
    ]
    cons = rows[rows["event_type"] == "consume"][["batch_id", "lot_id"]]
    prod = rows[rows["event_type"] == "produce"][
        ["batch_id", "lot_id", "reo", "period", "enterprise_id", "date"]
    ]
    edges = cons.merge(prod, on="batch_id", suffixes=("_in", "_out"))
    # Only lots with both a parent and a child can sit on a cycle: peel the rest off first.
    while not edges.empty:
        keep = edges["lot_id_in"].isin(edges["lot_id_out"]) & edges["lot_id_out"].isin(
            edges["lot_id_in"]
        )
        if keep.all():
            break
        edges = edges[keep]
    graph = nx.DiGraph()
    graph.add_edges_from(zip(edges["lot_id_in"], edges["lot_id_out"], strict=True))
    groups = []
    for comp in nx.strongly_connected_components(graph):
        if len(comp) == 1:
            (node,) = comp
            if not graph.has_edge(node, node):
                continue
        groups.append(set(comp))
    return groups, prod


def _cycles(ev: pd.DataFrame, cycle_groups: tuple | None = None) -> list[dict]:
    groups, prod = cycle_groups or _cycle_groups(ev)
    out = []
    for comp in groups:
        # README: REO produced into the cycle's lots (by any batch); period = the month of the
        # last such produce row, whose enterprise closed the cycle
        made = prod[prod["lot_id"].isin(comp)].sort_values("date", kind="stable")
        out.append(
            _f(
                "LINEAGE_CYCLE",
                period=made["period"].max(),
                enterprise_id=made["enterprise_id"].iloc[-1] if len(made) else None,
                lot_id=min(comp),
                reo_kg=made["reo"].sum(),
                detail=f"lots {', '.join(sorted(comp))} derive from each other",
            )
        )
    return out


def lot_shares(ev: pd.DataFrame, registry: Registry, groups: list[set] | None = None) -> pd.Series:
    """Traceable REO share of every created lot (SPEC §5 Origins, haircut rule).

    Lots created by a valid origin have share 1, other extracts/imports 0; a batch's outputs
    get sum(consumed REO x input share) / max(consumed, produced). Iterated to a fixed point
    (exact after as many rounds as the longest chain; converges on cycles too). ``groups``:
    the lineage cycles (:func:`_cycle_groups`) when already known.
    """
    share, codes = _shares(ev, registry, groups)
    categories = as_categorical(ev["lot_id"]).cat.categories
    return pd.Series(share, index=np.asarray(categories[codes], dtype=object))


def _shares(
    ev: pd.DataFrame, registry: Registry, groups: list[set] | None
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`lot_shares` as numbers: the shares and the created lots' category codes (in
    the lot_id column as a categorical), ascending."""
    origin = ["event_type", "enterprise_id", "date", "country", "document_ref"]
    created = ev.loc[ev["event_type"].isin(CREATING_TYPES), [*origin, "batch_id", "reo"]]
    cons = ev.loc[(ev["event_type"] == "consume") & ev["batch_id"].notna(), ["reo"]]
    # Lots and batches by number: the codes of categoricals (the lots renumbered to the
    # created ones); no lookup of millions of ids by hash.
    lot_ids = as_categorical(ev["lot_id"])
    created_codes = lot_ids.cat.codes.to_numpy()[ev["event_type"].isin(CREATING_TYPES).to_numpy()]
    lot_codes, uniques = pd.factorize(created_codes, sort=True)
    number = np.full(len(lot_ids.cat.categories) + 1, -1, dtype=np.int64)
    number[uniques] = np.arange(len(uniques))
    cons_mask = ((ev["event_type"] == "consume") & ev["batch_id"].notna()).to_numpy()
    k_lot = number[lot_ids.cat.codes.to_numpy()[cons_mask]]
    batch_ids = as_categorical(ev["batch_id"])
    batch_codes = batch_ids.cat.codes.to_numpy()
    c_reo = created["reo"].to_numpy(dtype=float)
    is_prod = (created["event_type"] == "produce").to_numpy() & created[
        "batch_id"
    ].notna().to_numpy()
    p_batch = np.where(is_prod, batch_codes[ev["event_type"].isin(CREATING_TYPES).to_numpy()], 0)
    base = _valid_origin(created, registry).astype(float)
    k_batch = batch_codes[cons_mask]
    k_known = k_lot >= 0
    k_lot = np.maximum(k_lot, 0)
    k_reo = cons["reo"].to_numpy(dtype=float)
    nb = max(len(batch_ids.cat.categories), 1)  # a dummy slot keeps indexing valid
    made = np.bincount(p_batch[is_prod], weights=c_reo[is_prod], minlength=nb)
    used = np.bincount(k_batch, weights=k_reo, minlength=nb)
    denom = np.maximum(made, used)
    weight = np.clip(c_reo, 1e-12, None)
    wsum = np.bincount(lot_codes, weights=weight, minlength=len(uniques))
    # README: lots on a lineage cycle get share 0 (inputs at 0 for what derives from them)
    if groups is None:
        groups, _ = _cycle_groups(ev)
    on_cycle = np.zeros(len(uniques), bool)
    if groups:  # by label over the categories (hashing the few cycle lots, not the millions)
        on_cycle = lot_ids.cat.categories.isin(set().union(*groups))[uniques]
    share = np.zeros(len(uniques))
    for _ in range(500):
        inp = np.where(k_known, share[k_lot], 0.0) * k_reo
        bshare = np.divide(
            np.bincount(k_batch, weights=inp, minlength=nb),
            denom,
            out=np.zeros(nb),
            where=denom > 0,
        )
        row = np.where(is_prod, bshare[p_batch], base)
        new = np.bincount(lot_codes, weights=row * weight, minlength=len(uniques)) / wsum
        new[on_cycle] = 0.0
        if np.allclose(new, share, atol=1e-12, rtol=0):
            share = new
            break
        share = new
    return share, uniques


def _untraceable_exports(
    ev: pd.DataFrame, registry: Registry, tol: Tolerances, groups: list[set] | None = None
) -> list[dict]:
    out = []
    ext = ev[ev["event_type"] == "extract"]
    if not ext.empty:
        ok = designated_on(registry, ext["enterprise_id"], ext["date"], "mining")
        bad = ext[~ok]
        for (ent, lot), grp in bad.groupby(["enterprise_id", "lot_id"]):
            out.append(
                _f(
                    "UNDESIGNATED_EXTRACTION",
                    period=grp["period"].min(),
                    enterprise_id=ent,
                    lot_id=lot,
                    reo_kg=grp["reo"].sum(),
                    detail="extraction by an enterprise not designated for mining",
                )
            )
    exporting = (ev["event_type"] == "export").to_numpy()
    exports = ev.loc[exporting, ["enterprise_id", "lot_id", "shipment_id", "period", "reo"]]
    if exports.empty:
        return out
    # each export's lot share looked up by the lot's code (no hash of millions of lot ids)
    share, coded = _shares(ev, registry, groups)
    lot_ids = as_categorical(ev["lot_id"])
    of_code = np.full(len(lot_ids.cat.categories) + 1, np.nan)  # last slot: no lot
    of_code[coded] = share
    mine = of_code[lot_ids.cat.codes.to_numpy()[exporting]]
    untr = 1.0 - pd.Series(mine, index=exports.index).fillna(0.0)
    exports = exports.assign(u=untr * exports["reo"])
    per = exports.groupby("shipment_id").agg(
        reo=("reo", "sum"),
        u=("u", "sum"),
        ent=("enterprise_id", "first"),
        period=("period", "min"),
    )
    frac = (per["u"] / per["reo"].where(per["reo"] > 0)).fillna(1.0)
    for sid, r in per[frac > tol.untraceable_export_share].iterrows():
        # The lot an investigator traces: of this export's lots over the tolerance, the one
        # carrying the most untraceable REO (ties: the smallest id).
        mine = exports[(exports["shipment_id"] == sid) & (untr > tol.untraceable_export_share)]
        by_lot = mine.groupby("lot_id")["u"].sum().round(3)
        lots = sorted(by_lot.items(), key=lambda item: (-item[1], item[0]))
        detail = f"{100 * frac[sid]:.1f}% of the exported REO is untraceable"
        if len(lots) > 1:
            detail += f" ({len(lots)} lots; lot_id: the one with the most)"
        out.append(
            _f(
                "UNTRACEABLE_EXPORT",
                period=r["period"],
                enterprise_id=r["ent"],
                lot_id=lots[0][0],
                shipment_id=sid,
                reo_kg=r["u"],
                detail=detail,
            )
        )
    return out


def _quotas(ev: pd.DataFrame, registry: Registry) -> list[dict]:
    out = []
    if registry.quotas.empty:
        return out
    smelting = _smelting_batches(ev)
    year = ev["date"].dt.year
    sources = {
        "mining": ev["event_type"] == "extract",
        "smelting": (ev["event_type"] == "produce") & ev["batch_id"].isin(smelting),
    }
    # Several quota rows of one enterprise, year and activity (issuing batches) add up.
    quotas = registry.quotas.groupby(["enterprise_id", "year", "activity"], as_index=False)
    for _, q in quotas["quota_t_reo"].sum().iterrows():
        mask = sources.get(q["activity"])
        if mask is None:
            continue
        rows = ev[mask & (ev["enterprise_id"] == q["enterprise_id"]) & (year == q["year"])]
        rows = rows.sort_values("date", kind="stable")
        limit = q["quota_t_reo"] * 1000.0
        cum = rows["reo"].cumsum()
        if cum.empty or cum.iloc[-1] <= limit:
            continue
        crossed = rows["period"][cum > limit].iloc[0]
        out.append(
            _f(
                "QUOTA_EXCEEDED",
                period=crossed,
                enterprise_id=q["enterprise_id"],
                year=int(q["year"]),
                activity=q["activity"],
                reo_kg=cum.iloc[-1] - limit,
                detail=f"{q['activity']} {cum.iloc[-1] / 1000:.1f} t REO against a quota "
                f"of {q['quota_t_reo']:.1f} t",
            )
        )
    return out
