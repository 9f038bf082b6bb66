"""Twins of the enterprise queries: enterprise_monthly_balance, quota_burndown,
findings_around_enterprise, batches_outside_recovery_band (same columns and order as
``queries/NAME.cypher``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowgraph.querytwins.graphview import lot_reo_kg

IN_TYPES = ("extract", "import", "produce", "receive")
OUT_TYPES = ("ship", "export", "consume", "loss")


def enterprise_monthly_balance(data, enterprise_id: str, year: int) -> pd.DataFrame:
    """One enterprise's REO in, out, net and declared stock per month of ``year``."""
    columns = ["period", "reo_in_kg", "reo_out_kg", "net_kg", "declared_stock_reo_kg", "events"]
    own = data.rows_of(enterprise_id)
    rows = own[own["period"].str.startswith(f"{year}-")]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    reo = lot_reo_kg(rows, data.lots)
    kind = rows["event_type"]
    parts = pd.DataFrame(
        {
            "period": rows["period"],
            "reo_in_kg": reo.where(kind.isin(IN_TYPES), 0.0),
            "reo_out_kg": reo.where(kind.isin(OUT_TYPES), 0.0),
            "declared_stock_reo_kg": reo.where(kind == "stock", 0.0),
            "events": 1,
        }
    )
    frame = parts.groupby("period", as_index=False).sum()
    frame["net_kg"] = frame["reo_in_kg"] - frame["reo_out_kg"]
    return frame[columns].sort_values("period").reset_index(drop=True)


def quota_burndown(data, enterprise_id: str, year: int) -> pd.DataFrame:
    """Month-by-month use of the enterprise's current quotas of ``year`` (tonnes REO)."""
    columns = ["activity", "period", "used_t", "cumulative_t", "quota_t", "remaining_t"]
    quotas = data.registry.quotas
    mine = quotas[(quotas["enterprise_id"] == enterprise_id) & (quotas["year"] == int(year))]
    mine_rows = data.rows_of(enterprise_id)
    own = mine_rows[mine_rows["date"].dt.year == int(year)]
    mineral = data.lots.index[data.lots["family"] == "mineral"]
    consumes = mine_rows[mine_rows["event_type"] == "consume"]
    smelting = set(consumes.loc[consumes["lot_id"].isin(mineral), "batch_id"])
    use = {
        "mining": own[own["event_type"] == "extract"],
        "smelting": own[(own["event_type"] == "produce") & own["batch_id"].isin(smelting)],
    }
    parts = []
    for activity, quota_t in mine.groupby("activity")["quota_t_reo"].sum().items():
        rows = use.get(activity)
        if rows is None or rows.empty:
            continue
        used = (
            (rows["mass_kg"] * rows["reo_pct"] / 100.0).groupby(rows["period"]).sum() / 1000.0
        ).sort_index()
        cumulative = used.cumsum()
        parts.append(
            pd.DataFrame(
                {
                    "activity": activity,
                    "period": used.index,
                    "used_t": used.to_numpy(),
                    "cumulative_t": cumulative.to_numpy(),
                    "quota_t": float(quota_t),
                    "remaining_t": float(quota_t) - cumulative.to_numpy(),
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=columns)
    frame = pd.concat(parts, ignore_index=True)
    return frame.sort_values(["activity", "period"]).reset_index(drop=True)


def findings_around_enterprise(data, enterprise_id: str) -> pd.DataFrame:
    """The latest run's findings about the enterprise, its batches, shipments, the lots it
    handled, and its direct trading partners (as the Finding ABOUT links reach them)."""
    columns = ["relation", "about_label", "about_id", "type", "family", "period", "reo_kg",
               "detail"]  # fmt: skip
    findings = data.findings
    if enterprise_id not in data.enterprise_ids or findings.empty:
        return pd.DataFrame(columns=columns)
    own = data.rows_of(enterprise_id)
    kind = own["event_type"]
    batches = set(own.loc[kind.isin(("consume", "produce")), "batch_id"].dropna())
    shipments = set(own.loc[kind.isin(("ship", "receive")), "shipment_id"].dropna())
    lots = set(own.loc[kind.isin(("extract", "import", "export", "loss", "stock")), "lot_id"])
    # Shipment nodes are shared by id: every counterparty any ship/receive row of them names.
    links = data.shipment_links
    partners = set(links.loc[links["shipment_id"].isin(shipments), "counterparty_id"].dropna())
    partners -= {enterprise_id}
    # Finding ABOUT nodes: only those the graph holds (an export's shipment_id is no node).
    shipment_nodes = data.shipment_nodes
    f = findings
    ent = f["enterprise_id"]
    parts = [
        _about(f[ent == enterprise_id], "self", "Enterprise", ent),
        _about(
            f[f["batch_id"].isin(batches) & (ent.isna() | (ent == enterprise_id))],
            "own batch",
            "Batch",
            f["batch_id"],
        ),  # fmt: skip
        _about(
            f[f["shipment_id"].isin(shipments & shipment_nodes)],
            "own shipment",
            "Shipment",
            f["shipment_id"],
        ),  # fmt: skip
        _about(f[f["lot_id"].isin(lots)], "lot handled", "Lot", f["lot_id"]),
        _about(f[ent.isin(partners)], "partner", "Enterprise", ent),
    ]
    frame = pd.concat(parts, ignore_index=True)[columns].drop_duplicates()
    return data.order(frame, ["relation", "period", "type", "about_id"])


def _about(rows: pd.DataFrame, relation: str, label: str, about: pd.Series) -> pd.DataFrame:
    out = rows.copy()
    out["relation"] = relation
    out["about_label"] = label
    out["about_id"] = about.loc[rows.index]
    return out


def batches_outside_recovery_band(data, low: float = 0.85, high: float = 1.005) -> pd.DataFrame:
    """Batches whose REO produced / consumed is below ``low`` or above ``high`` (or that
    produced with nothing consumed)."""
    columns = ["enterprise_id", "batch_id", "period", "reo_consumed_kg", "reo_produced_kg",
               "recovery"]  # fmt: skip
    ev = data.events
    keys = ["enterprise_id", "batch_id"]
    consumes = ev[ev["event_type"] == "consume"]
    produces = ev[ev["event_type"] == "produce"]
    consumed = (
        consumes.assign(reo=lot_reo_kg(consumes, data.lots))
        .groupby(keys)
        .agg(consumed=("reo", "sum"), last_in=("period", "max"))
    )
    produced = (
        produces.assign(reo=produces["mass_kg"] * produces["reo_pct"].fillna(0.0) / 100.0)
        .groupby(keys)
        .agg(produced=("reo", "sum"), last_out=("period", "max"))
    )
    frame = consumed.join(produced, how="outer").reset_index()
    if frame.empty:
        return pd.DataFrame(columns=columns)
    frame[["consumed", "produced"]] = frame[["consumed", "produced"]].fillna(0.0)
    frame["period"] = frame[["last_in", "last_out"]].max(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        recovery = np.where(frame["consumed"] > 0, frame["produced"] / frame["consumed"], np.nan)
    frame["recovery"] = recovery
    keep = frame["recovery"].isna() | (frame["recovery"] < low) | (frame["recovery"] > high)
    frame = frame[keep].rename(
        columns={"consumed": "reo_consumed_kg", "produced": "reo_produced_kg"}
    )
    return data.order(frame[columns], ["period", "enterprise_id", "batch_id"])
