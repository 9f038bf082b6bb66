"""Evidence for findings: the event rows that caused each one, joined on its SPEC §5 key.

| finding key | evidence rows |
|---|---|
| batch_id | the batch's consume and produce rows (at the finding's enterprise when it names one) |
| shipment_id | the shipment's rows on both sides (touching the finding's enterprise when named) |
| enterprise_id, lot_id | that enterprise's rows of that lot (STOCK_MISMATCH: up to its period) |
| lot_id | every row of the lot |
| enterprise_id, year, activity | that year's extracts (mining) or produce rows (smelting) |
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowgraph.analysis.prepared import PreparedEvents, prepared

EVIDENCE_COLUMNS = (
    "finding",
    "event_id",
    "event_type",
    "date",
    "period",
    "enterprise_id",
    "lot_id",
    "product",
    "mass_kg",
    "reo_kg",
    "counterparty_id",
    "shipment_id",
    "batch_id",
    "country",
    "document_ref",
    "note",
    "upload_id",
    "source_row",
    "total",
)

_BY_BATCH = ("TRANSFORM_GAIN", "TRANSFORM_LOSS", "UNDESIGNATED_SMELTING")
_BY_SHIPMENT = (
    "TRANSIT_MISMATCH",
    "UNCONFIRMED_SHIPMENT",
    "RECEIPT_WITHOUT_SHIPMENT",
    "UNTRACEABLE_EXPORT",
    "UNDESIGNATED_SUPPLY",
)
_BY_ENT_LOT = ("LOT_OVERDRAWN", "TIME_INVERSION", "UNDESIGNATED_EXTRACTION", "STOCK_MISMATCH")
_BY_LOT = ("UNKNOWN_LOT", "DUPLICATE_LOT", "LINEAGE_CYCLE")


def evidence(
    findings: pd.DataFrame, events: pd.DataFrame | PreparedEvents, *, max_rows: int = 20
) -> pd.DataFrame:
    """Event rows behind each finding: EVIDENCE_COLUMNS, ``finding`` = the finding's position
    in ``findings``, at most ``max_rows`` rows per finding (earliest first) and ``total`` = how
    many rows it has in all. ``events``: the event table or its prepared view (prepared.py),
    whose row REO and quota output rows the evidence shows.

    >>> from flowgraph.model import events_frame
    >>> from flowgraph.analysis.findings import make_findings
    >>> ev = events_frame([{"event_id": "7", "event_type": "receive", "date": "2024-01-02",
    ...     "enterprise_id": "S", "lot_id": "Q", "product": "BAST_CONC", "mass_kg": 5}])
    >>> f = make_findings("UNKNOWN_LOT", pd.DataFrame({"lot_id": ["Q"], "period": ["2024-01"]}))
    >>> evidence(f, ev)[["finding", "event_id", "total"]].values.tolist()
    [[0, '7', 1]]
    """
    view = prepared(events)
    ev = view.events.assign(reo_kg=view.row_reo)
    f = findings.reset_index(drop=True).assign(finding=np.arange(len(findings)))
    parts = []

    def join(kinds: tuple[str, ...], keys: list[str]) -> pd.DataFrame:
        sub = f[f["type"].isin(kinds)].dropna(subset=keys)
        sub = sub.assign(f_enterprise=sub["enterprise_id"], f_period=sub["period"])
        sub = sub[["finding", "f_enterprise", "f_period", *keys]]
        return sub.merge(ev, on=keys, how="inner")

    hits = join(_BY_BATCH, ["batch_id"])
    if len(hits):
        named = hits["f_enterprise"].notna()
        parts.append(hits[~named | (hits["enterprise_id"] == hits["f_enterprise"])])
    hits = join(_BY_SHIPMENT, ["shipment_id"])
    if len(hits):
        named = hits["f_enterprise"].notna()
        touches = (hits["enterprise_id"] == hits["f_enterprise"]) | (
            hits["counterparty_id"] == hits["f_enterprise"]
        )
        parts.append(hits[~named | touches])
    hits = join(_BY_ENT_LOT, ["enterprise_id", "lot_id"])
    if len(hits):
        is_stock = hits["finding"].map(f["type"]) == "STOCK_MISMATCH"
        parts.append(hits[~is_stock | (hits["period"] <= hits["f_period"])])
    hits = join(_BY_LOT, ["lot_id"])
    if len(hits):
        parts.append(hits)
    parts.append(_quota_evidence(f, ev, view))
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in EVIDENCE_COLUMNS})
    rows = pd.concat(parts, ignore_index=True)
    rows = rows.sort_values(["finding", "date", "upload_id", "source_row"], kind="stable")
    rows["total"] = rows.groupby("finding")["finding"].transform("size")
    rows = rows[rows.groupby("finding").cumcount() < max_rows]
    return rows[list(EVIDENCE_COLUMNS)].reset_index(drop=True)


def _quota_evidence(f: pd.DataFrame, ev: pd.DataFrame, view: PreparedEvents) -> pd.DataFrame:
    """QUOTA_EXCEEDED: the year's output rows of the enterprise for the activity (the rows
    the detector counts: the view's ``quota_rows``)."""
    sub = f[(f["type"] == "QUOTA_EXCEEDED") & f["enterprise_id"].notna() & f["year"].notna()]
    if sub.empty:
        return sub
    counted = view.quota_rows
    output = ev.iloc[counted["row"].to_numpy()].assign(activity=counted["activity"].to_numpy())
    output["_year"] = output["period"].astype(str).str.slice(0, 4)
    keyed = sub[["finding", "enterprise_id", "year", "activity"]].assign(
        _year=sub["year"].astype(int).astype(str).str.zfill(4)
    )
    return keyed.drop(columns=["year"]).merge(
        output, on=["enterprise_id", "activity", "_year"], how="inner"
    )
