"""Shipment detectors: both sides of a domestic shipment must agree (SPEC §5).

A shipment is identified by (sender, shipment_id, receiver): the sender's ``ship`` rows and
the receiver's ``receive`` rows naming each other with the same shipment_id. Several rows on
one side (several lots, or a delivery in parts) are summed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowgraph.analysis.derived import MONTH, REO, exceeds, has_upload, period_text, prepare
from flowgraph.analysis.findings import make_findings
from flowgraph.config import Tolerances
from flowgraph.model import Registry, empty_findings

_KEYS = ["sender", "shipment_id", "receiver"]


def _side(ev: pd.DataFrame, event_type: str) -> pd.DataFrame:
    rows = ev[(ev["event_type"] == event_type) & ev["shipment_id"].notna()]
    own, other = ("sender", "receiver") if event_type == "ship" else ("receiver", "sender")
    frame = pd.DataFrame(
        {
            own: rows["enterprise_id"],
            other: rows["counterparty_id"],
            "shipment_id": rows["shipment_id"],
            "mass": rows["mass_kg"],
            "reo": rows[REO],
            MONTH: rows[MONTH],
        }
    )
    return (
        frame.groupby(_KEYS, sort=False)
        .agg(
            mass=("mass", "sum"),
            reo=("reo", "sum"),
            first=(MONTH, "min"),
            last=(MONTH, "max"),
        )
        .reset_index()
    )


def shipment_sides(events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(shipped, received): per (sender, shipment_id, receiver) the mass, REO and first/last month.

    >>> from flowgraph.model import events_frame
    >>> ev = events_frame([{"event_type": "ship", "date": "2024-01-30", "enterprise_id": "A",
    ...     "counterparty_id": "B", "shipment_id": "S1", "lot_id": "L", "mass_kg": 10,
    ...     "reo_pct": 50}])
    >>> shipped, received = shipment_sides(ev)
    >>> len(shipped), len(received)
    (1, 0)
    """
    ev = prepare(events)
    return _side(ev, "ship"), _side(ev, "receive")


def detect_transit_mismatch(
    events: pd.DataFrame, registry: Registry, tol: Tolerances = Tolerances()
) -> pd.DataFrame:
    """TRANSIT_MISMATCH: both sides reported and the masses differ by more than
    max(transit_pct % of shipped, transit_min_kg). Period: the (last) receipt's month."""
    shipped, received = shipment_sides(events)
    both = shipped.merge(received, on=_KEYS, suffixes=("_s", "_r"))
    diff = (both["mass_s"] - both["mass_r"]).abs()
    limit = np.maximum(both["mass_s"] * tol.transit_pct / 100.0, tol.transit_min_kg)
    hit = both[exceeds(diff, limit)].copy()
    if hit.empty:
        return empty_findings()
    per_kg = (hit["reo_s"] / hit["mass_s"].where(hit["mass_s"] > 0)).fillna(0.0)
    hit["reo_kg"] = (hit["mass_s"] - hit["mass_r"]).abs() * per_kg
    hit["enterprise_id"] = hit["sender"]
    hit["period"] = period_text(hit["last_r"])
    hit["detail"] = [
        f"{s} shipped {ms:,.1f} kg to {r}, which received {mr:,.1f} kg"
        for s, r, ms, mr in zip(
            hit["sender"], hit["receiver"], hit["mass_s"], hit["mass_r"], strict=True
        )
    ]
    return make_findings("TRANSIT_MISMATCH", hit)


def _unmatched(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    marker = right[_KEYS].drop_duplicates().assign(_matched=True)
    merged = left.merge(marker, on=_KEYS, how="left")
    return merged[merged["_matched"].isna()].drop(columns="_matched")


def detect_unconfirmed_shipment(
    events: pd.DataFrame, registry: Registry, tol: Tolerances = Tolerances()
) -> pd.DataFrame:
    """UNCONFIRMED_SHIPMENT: shipped, the receiver has uploads for the shipping month and the next,
    and no receipt at all. Period: the shipping month."""
    shipped, received = shipment_sides(events)
    open_ = _unmatched(shipped, received)
    if open_.empty:
        return empty_findings()
    month = open_["first"]
    covered = has_upload(events, open_["receiver"], month) & has_upload(
        events, open_["receiver"], month + 1
    )
    hit = open_[covered].copy()
    if hit.empty:
        return empty_findings()
    hit["enterprise_id"] = hit["sender"]
    hit["period"] = period_text(hit["first"])
    hit["reo_kg"] = hit["reo"]
    hit["detail"] = [
        f"{s} shipped {m:,.1f} kg to {r}; no receipt in {r}'s uploads"
        for s, r, m in zip(hit["sender"], hit["receiver"], hit["mass"], strict=True)
    ]
    return make_findings("UNCONFIRMED_SHIPMENT", hit)


def detect_receipt_without_shipment(
    events: pd.DataFrame, registry: Registry, tol: Tolerances = Tolerances()
) -> pd.DataFrame:
    """RECEIPT_WITHOUT_SHIPMENT: a receipt whose sender has uploads for the receiving month and the
    one before, and no such shipment. Period: the (first) receiving month."""
    shipped, received = shipment_sides(events)
    orphan = _unmatched(received, shipped)
    if orphan.empty:
        return empty_findings()
    month = orphan["first"]
    covered = has_upload(events, orphan["sender"], month) & has_upload(
        events, orphan["sender"], month - 1
    )
    hit = orphan[covered].copy()
    if hit.empty:
        return empty_findings()
    hit["enterprise_id"] = hit["receiver"]
    hit["period"] = period_text(hit["first"])
    hit["reo_kg"] = hit["reo"]
    hit["detail"] = [
        f"{r} received {m:,.1f} kg from {s}; no such shipment in {s}'s uploads"
        for s, r, m in zip(hit["sender"], hit["receiver"], hit["mass"], strict=True)
    ]
    return make_findings("RECEIPT_WITHOUT_SHIPMENT", hit)
