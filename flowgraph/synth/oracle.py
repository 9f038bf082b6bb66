"""A plain, independent reading of SPEC §5 used to write and check the synthetic answer key.

This is deliberately not the production detector library (flowgraph.analysis): it is a second
implementation, written from the SPEC text, so that the key and the detectors can be held
against each other. Readable over clever; vectorised enough for a million events.

Measurements (``reo_kg``), where SPEC leaves the measure open:
TRANSFORM_GAIN produced - consumed; TRANSFORM_LOSS consumed - produced; LOT_OVERDRAWN outflows -
inflows; TRANSIT_MISMATCH |shipped - received|; UNCONFIRMED_SHIPMENT shipped; STOCK_MISMATCH
|declared - book|; UNKNOWN_LOT the most any one enterprise handled (max of its inflow and outflow);
DUPLICATE_LOT the creations after the first; RECEIPT_WITHOUT_SHIPMENT received; TIME_INVERSION
outflows dated before the first inflow; LINEAGE_CYCLE REO produced by the batches inside the
cycle; UNTRACEABLE_EXPORT export REO x untraceable share; UNDESIGNATED_EXTRACTION extracted;
UNDESIGNATED_SMELTING the batch's produced REO; UNDESIGNATED_SUPPLY received; QUOTA_EXCEEDED the
excess over the quota.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

from flowgraph.analysis.common import designated_on, lot_reo_pct, reo_kg
from flowgraph.config import Tolerances
from flowgraph.model import (
    CREATING_TYPES,
    FAMILIES,
    FINDING_COLUMNS,
    FINDING_TYPES,
    MINERAL_PRODUCTS,
    OUTFLOW_TYPES,
    Registry,
)

# Order of the key: family and type in SPEC §5 table order, then key columns, then period
# (the order `flowgraph detect` prints, so the two files diff line by line).
_SORT = ["shipment_id", "batch_id", "enterprise_id", "lot_id", "year", "activity", "period"]


def _f(kind: str, **values) -> dict:
    row = {c: None for c in FINDING_COLUMNS}
    row.update(type=kind, family=FINDING_TYPES[kind], **values)
    row["reo_kg"] = round(float(row["reo_kg"] or 0.0), 3)
    return row


def _prev(period: str) -> str:
    y, m = int(period[:4]), int(period[5:7])
    return f"{y - 1}-12" if m == 1 else f"{y}-{m - 1:02d}"


def _next(period: str) -> str:
    y, m = int(period[:4]), int(period[5:7])
    return f"{y + 1}-01" if m == 12 else f"{y}-{m + 1:02d}"


def reference_findings(
    events: pd.DataFrame, registry: Registry, tol: Tolerances | None = None
) -> pd.DataFrame:
    """Every SPEC §5 finding on ``events`` (EVENT_COLUMNS) as a FINDING_COLUMNS frame, sorted.

    >>> from flowgraph.model import events_frame, registry_from_records
    >>> ev = events_frame([{"event_id": "1", "event_type": "ship", "date": "2024-02-03",
    ...     "enterprise_id": "A", "lot_id": "L9", "product": "LA_OXIDE", "mass_kg": 5,
    ...     "counterparty_id": "B", "shipment_id": "S1"}])
    >>> reference_findings(ev, registry_from_records())["type"].tolist()
    ['LOT_OVERDRAWN', 'UNKNOWN_LOT']
    """
    tol = tol or Tolerances()
    ev = events.copy()
    ev["reo"] = reo_kg(ev, lot_reo_pct(ev))
    creators = ev[ev["event_type"].isin(CREATING_TYPES)]
    lot_product = creators.drop_duplicates("lot_id").set_index("lot_id")["product"]
    ev["prod"] = ev["product"].fillna(ev["lot_id"].map(lot_product))
    uploads = set(zip(ev["enterprise_id"], ev["period"], strict=True))
    out: list[dict] = []
    out += _batches(ev, registry, tol)
    out += _overdrawn(ev, tol)
    out += _shipments(ev, registry, uploads, tol)
    out += _stock(ev, tol)
    out += _lots(ev)
    out += _cycles(ev)
    out += _untraceable_exports(ev, registry, tol)
    out += _quotas(ev, registry)
    frame = pd.DataFrame(out, columns=list(FINDING_COLUMNS))
    if frame.empty:
        return frame.astype({"reo_kg": "float64"})
    keys = frame[_SORT].astype("object").map(lambda v: "" if v is None or v != v else str(v))
    keys["_f"] = frame["family"].map(FAMILIES.index)
    keys["_t"] = frame["type"].map(list(FINDING_TYPES).index)
    order = keys.sort_values(["_f", "_t", *_SORT], kind="stable").index
    return frame.loc[order].reset_index(drop=True)


def _smelting_batches(ev: pd.DataFrame) -> pd.Index:
    consumed = ev[(ev["event_type"] == "consume") & ev["prod"].isin(MINERAL_PRODUCTS)]
    return pd.Index(consumed["batch_id"].dropna().unique())


def _batches(ev: pd.DataFrame, registry: Registry, tol: Tolerances) -> list[dict]:
    rows = ev[ev["event_type"].isin(["consume", "produce"]) & ev["batch_id"].notna()]
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
                    reo_kg=r["produce"],
                    detail="mineral product smelted by an enterprise not designated for smelting",
                )
            )
    return out


def _overdrawn(ev: pd.DataFrame, tol: Tolerances) -> list[dict]:
    inflow = ev["event_type"].isin(CREATING_TYPES | {"receive"})
    outflow = ev["event_type"].isin(OUTFLOW_TYPES)
    work = ev[inflow | outflow].assign(
        m_in=np.where(inflow, ev["mass_kg"], 0.0)[inflow | outflow],
        m_out=np.where(outflow, ev["mass_kg"], 0.0)[inflow | outflow],
        r_in=np.where(inflow, ev["reo"], 0.0)[inflow | outflow],
        r_out=np.where(outflow, ev["reo"], 0.0)[inflow | outflow],
    )
    g = work.groupby(["enterprise_id", "lot_id"]).agg(
        m_in=("m_in", "sum"),
        m_out=("m_out", "sum"),
        r_in=("r_in", "sum"),
        r_out=("r_out", "sum"),
        period=("period", "max"),
    )
    factor = 1 + tol.overdraw_pct / 100
    bad = g[g["m_out"] > g["m_in"] * factor]
    # period: the first month whose running month-end totals are over (few lots: a loop).
    for ent, lot in bad.index:
        rows = work[(work["enterprise_id"] == ent) & (work["lot_id"] == lot)]
        monthly = rows.groupby("period")[["m_in", "m_out"]].sum().sort_index().cumsum()
        over = monthly.index[monthly["m_out"] > monthly["m_in"] * factor]
        bad.loc[(ent, lot), "period"] = over[0]
    return [
        _f(
            "LOT_OVERDRAWN",
            period=r["period"],
            enterprise_id=ent,
            lot_id=lot,
            reo_kg=r["r_out"] - r["r_in"],
            detail=f"outflows {r['m_out']:.1f} kg exceed inflows {r['m_in']:.1f} kg",
        )
        for (ent, lot), r in bad.iterrows()
    ]


def _shipments(ev: pd.DataFrame, registry: Registry, uploads: set, tol: Tolerances) -> list:
    ships = _per_shipment(ev[ev["event_type"] == "ship"])
    recvs = _per_shipment(ev[ev["event_type"] == "receive"])
    out = []
    both = ships.merge(recvs, left_index=True, right_index=True, suffixes=("_s", "_r"))
    diff = (both["mass_s"] - both["mass_r"]).abs()
    limit = np.maximum(tol.transit_pct / 100 * both["mass_s"], tol.transit_min_kg)
    for sid, r in both[diff > limit].iterrows():
        out.append(
            _f(
                "TRANSIT_MISMATCH",
                period=r["period_r"],
                enterprise_id=r["ent_s"],
                shipment_id=sid,
                reo_kg=abs(r["reo_s"] - r["reo_r"]),
                detail=f"shipped {r['mass_s']:.1f} kg, received {r['mass_r']:.1f} kg",
            )
        )
    lonely = ships[~ships.index.isin(recvs.index)]
    lonely = lonely[_has_uploads(lonely["cp"], lonely["period"], uploads, _next)]
    for sid, r in lonely.iterrows():
        p = r["period"]
        out.append(
            _f(
                "UNCONFIRMED_SHIPMENT",
                period=p,
                enterprise_id=r["ent"],
                shipment_id=sid,
                reo_kg=r["reo"],
                detail=f"{r['mass']:.1f} kg shipped to {r['cp']}, never received",
            )
        )
    orphans = recvs[~recvs.index.isin(ships.index)]
    orphans = orphans[_has_uploads(orphans["cp"], orphans["period"], uploads, _prev)]
    for sid, r in orphans.iterrows():
        p = r["period"]
        out.append(
            _f(
                "RECEIPT_WITHOUT_SHIPMENT",
                period=p,
                enterprise_id=r["ent"],
                shipment_id=sid,
                reo_kg=r["reo"],
                detail=f"{r['mass']:.1f} kg received from {r['cp']}, never shipped",
            )
        )
    out += _supply(ev, registry, recvs)
    return out


def _per_shipment(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per shipment_id: masses summed, the rest from its first row."""
    first = rows.drop_duplicates("shipment_id").set_index("shipment_id")
    frame = pd.DataFrame(
        {
            "ent": first["enterprise_id"],
            "cp": first["counterparty_id"],
            "period": first["period"],
            "prod": first["prod"],
            "lot": first["lot_id"],
        }
    )
    if len(first) == len(rows):
        frame["mass"] = first["mass_kg"]
        frame["reo"] = first["reo"]
    else:
        sums = rows.groupby("shipment_id")[["mass_kg", "reo"]].sum()
        frame["mass"] = sums["mass_kg"]
        frame["reo"] = sums["reo"]
    return frame


def _has_uploads(ent: pd.Series, period: pd.Series, uploads: set, other) -> np.ndarray:
    """Whether ``ent`` has uploads for ``period`` and for ``other(period)``."""
    return np.array(
        [(e, p) in uploads and (e, other(p)) in uploads for e, p in zip(ent, period, strict=True)],
        dtype=bool,
    )


def _supply(ev: pd.DataFrame, registry: Registry, recvs: pd.DataFrame) -> list[dict]:
    known = set(registry.enterprises["enterprise_id"])
    mineral = recvs[recvs["prod"].isin(MINERAL_PRODUCTS)]
    if mineral.empty:
        return []
    created = ev[ev["event_type"].isin(CREATING_TYPES)]
    valid = _valid_origin(created, registry) | (created["event_type"] == "produce").to_numpy()
    custody = set(zip(created["enterprise_id"][valid], created["lot_id"][valid], strict=True))
    got = ev[ev["event_type"] == "receive"]
    custody |= set(zip(got["enterprise_id"], got["lot_id"], strict=True))
    out = []
    lawful = pd.Series(
        [(c, lot) in custody for c, lot in zip(mineral["cp"], mineral["lot"], strict=True)],
        index=mineral.index,
        dtype=bool,
    )
    for sid, r in mineral[~(lawful & mineral["cp"].isin(known))].iterrows():
        if r["cp"] not in known:
            why = f"sender {r['cp']} is not in the registry"
        elif (r["cp"], r["lot"]) not in custody:
            why = f"sender {r['cp']} has no lawful custody of lot {r['lot']}"
        else:
            continue
        out.append(
            _f(
                "UNDESIGNATED_SUPPLY",
                period=r["period"],
                enterprise_id=r["cp"],
                shipment_id=sid,
                reo_kg=r["reo"],
                detail=why,
            )
        )
    return out


def _valid_origin(created: pd.DataFrame, registry: Registry) -> np.ndarray:
    """Per creating row: a designated extraction, or an import with country and document."""
    extract = (created["event_type"] == "extract").to_numpy()
    designated = designated_on(registry, created["enterprise_id"], created["date"], "mining")
    imported = (
        (created["event_type"] == "import")
        & created["country"].notna()
        & created["document_ref"].notna()
    ).to_numpy()
    return (extract & designated) | imported


def _stock(ev: pd.DataFrame, tol: Tolerances) -> list[dict]:
    stock = ev[ev["event_type"] == "stock"]
    if stock.empty:
        return []
    decl = (
        stock.groupby(["enterprise_id", "lot_id", "period"])
        .agg(declared=("mass_kg", "sum"), reo=("reo", "sum"))
        .reset_index()
    )
    sign = ev["event_type"].map(
        lambda t: (
            1.0 if t in CREATING_TYPES or t == "receive" else -1.0 if t in OUTFLOW_TYPES else 0.0
        )
    )
    flows = ev.assign(signed=ev["mass_kg"] * sign)[sign != 0]
    per = flows.groupby(["enterprise_id", "lot_id", "period"])["signed"].sum().reset_index()
    per["pn"] = _period_number(per["period"])
    per = per.sort_values("pn")
    per["book"] = per.groupby(["enterprise_id", "lot_id"])["signed"].cumsum()
    decl["pn"] = _period_number(decl["period"])
    decl = decl.sort_values("pn")
    merged = pd.merge_asof(
        decl,
        per[["enterprise_id", "lot_id", "pn", "book"]],
        on="pn",
        by=["enterprise_id", "lot_id"],
    )
    merged["book"] = merged["book"].fillna(0.0)
    diff = (merged["declared"] - merged["book"]).abs()
    bad = merged[diff > np.maximum(tol.stock_pct / 100 * merged["book"].abs(), tol.stock_min_kg)]
    out = []
    for _, r in bad.iterrows():
        pct = r["reo"] / r["declared"] if r["declared"] > 0 else 0.0
        d = abs(r["declared"] - r["book"])
        out.append(
            _f(
                "STOCK_MISMATCH",
                period=r["period"],
                enterprise_id=r["enterprise_id"],
                lot_id=r["lot_id"],
                reo_kg=d * pct if pct else 0.0,
                detail=f"declared {r['declared']:.1f} kg, book {r['book']:.1f} kg",
            )
        )
    return out


def _period_number(period: pd.Series) -> pd.Series:
    text = period.astype(str)
    return (text.str[:4].astype("int64") * 12 + text.str[5:7].astype("int64")).astype("int64")


def _lots(ev: pd.DataFrame) -> list[dict]:
    out = []
    created = ev[ev["event_type"].isin(CREATING_TYPES)].sort_values(
        ["date", "upload_id", "source_row"], kind="stable"
    )
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
    used = ev[ev["event_type"].isin(["receive", "consume", "ship", "export"])]
    unknown = used[~used["lot_id"].isin(set(created["lot_id"]))]
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
    inflow = ev[ev["event_type"].isin(CREATING_TYPES | {"receive"})]
    first_in = inflow.groupby(["enterprise_id", "lot_id"])["date"].min().rename("first_in")
    outs = ev[ev["event_type"].isin(OUTFLOW_TYPES)].join(first_in, on=["enterprise_id", "lot_id"])
    early = outs[outs["date"] < outs["first_in"]]
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


def _cycles(ev: pd.DataFrame) -> list[dict]:
    rows = ev[ev["event_type"].isin(["consume", "produce"]) & ev["batch_id"].notna()]
    cons = rows[rows["event_type"] == "consume"][["batch_id", "lot_id"]]
    prod = rows[rows["event_type"] == "produce"][
        ["batch_id", "lot_id", "reo", "period", "enterprise_id"]
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
    out = []
    for comp in nx.strongly_connected_components(graph):
        if len(comp) == 1:
            (node,) = comp
            if not graph.has_edge(node, node):
                continue
        inside = edges[edges["lot_id_in"].isin(comp) & edges["lot_id_out"].isin(comp)]
        batches = set(inside["batch_id"])
        made = prod[prod["batch_id"].isin(batches) & prod["lot_id"].isin(comp)]
        out.append(
            _f(
                "LINEAGE_CYCLE",
                period=made["period"].max(),
                enterprise_id=made["enterprise_id"].iloc[0] if len(made) else None,
                lot_id=min(comp),
                reo_kg=made["reo"].sum(),
                detail=f"lots {', '.join(sorted(comp))} derive from each other",
            )
        )
    return out


def lot_shares(ev: pd.DataFrame, registry: Registry) -> pd.Series:
    """Traceable REO share of every created lot (SPEC §5 Origins, haircut rule).

    Lots created by a valid origin have share 1, other extracts/imports 0; a batch's outputs
    get sum(consumed REO x input share) / max(consumed, produced). Iterated to a fixed point
    (exact after as many rounds as the longest chain; converges on cycles too).
    """
    created = ev[ev["event_type"].isin(CREATING_TYPES)]
    cons = ev[(ev["event_type"] == "consume") & ev["batch_id"].notna()]
    lots, lot_codes = np.unique(created["lot_id"].astype(str).to_numpy(), return_inverse=True)
    batch_ids = pd.concat([created["batch_id"], cons["batch_id"]]).dropna().astype(str)
    batches = np.unique(batch_ids.to_numpy())
    c_reo = created["reo"].to_numpy(dtype=float)
    is_prod = (created["event_type"] == "produce").to_numpy() & created["batch_id"].notna()
    p_batch = np.searchsorted(batches, created["batch_id"].fillna("").astype(str).to_numpy())
    p_batch = np.where(is_prod, p_batch, 0)
    base = _valid_origin(created, registry).astype(float)
    k_batch = np.searchsorted(batches, cons["batch_id"].astype(str).to_numpy())
    k_lot = np.searchsorted(lots, cons["lot_id"].astype(str).to_numpy())
    k_known = (k_lot < len(lots)) & (
        lots[np.minimum(k_lot, len(lots) - 1)] == cons["lot_id"].astype(str).to_numpy()
    )
    k_reo = cons["reo"].to_numpy(dtype=float)
    nb = max(len(batches), 1)  # a dummy slot keeps indexing valid when there is no batch
    made = np.bincount(p_batch[is_prod], weights=c_reo[is_prod], minlength=nb)
    used = np.bincount(k_batch, weights=k_reo, minlength=nb)
    denom = np.maximum(made, used)
    weight = np.clip(c_reo, 1e-12, None)
    wsum = np.bincount(lot_codes, weights=weight, minlength=len(lots))
    share = np.zeros(len(lots))
    for _ in range(500):
        inp = np.where(k_known, share[np.minimum(k_lot, len(lots) - 1)], 0.0) * k_reo
        bshare = np.divide(
            np.bincount(k_batch, weights=inp, minlength=nb),
            denom,
            out=np.zeros(nb),
            where=denom > 0,
        )
        row = np.where(is_prod, bshare[p_batch], base)
        new = np.bincount(lot_codes, weights=row * weight, minlength=len(lots)) / wsum
        if np.allclose(new, share, atol=1e-12, rtol=0):
            share = new
            break
        share = new
    return pd.Series(share, index=lots)


def _untraceable_exports(ev: pd.DataFrame, registry: Registry, tol: Tolerances) -> list[dict]:
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
    exports = ev[ev["event_type"] == "export"]
    if exports.empty:
        return out
    share = lot_shares(ev, registry)
    untr = 1.0 - exports["lot_id"].map(share).fillna(0.0)
    per = (
        exports.assign(u=untr * exports["reo"])
        .groupby("shipment_id")
        .agg(
            reo=("reo", "sum"),
            u=("u", "sum"),
            ent=("enterprise_id", "first"),
            period=("period", "min"),
            lot=("lot_id", "first"),
        )
    )
    frac = (per["u"] / per["reo"].where(per["reo"] > 0)).fillna(1.0)
    for sid, r in per[frac > tol.untraceable_export_share].iterrows():
        out.append(
            _f(
                "UNTRACEABLE_EXPORT",
                period=r["period"],
                enterprise_id=r["ent"],
                lot_id=r["lot"],
                shipment_id=sid,
                reo_kg=r["u"],
                detail=f"{100 * frac[sid]:.1f}% of the exported REO is untraceable",
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
    for _, q in registry.quotas.iterrows():
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
