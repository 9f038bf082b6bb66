"""Shipment detectors: both sides of a domestic shipment must agree (SPEC §5).

A shipment is identified by (sender, shipment_id, receiver): the sender's ``ship`` rows and
the receiver's ``receive`` rows naming each other with the same shipment_id. Several rows on
one side (several lots, or a delivery in parts) are summed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowgraph.analysis.derived import (
    MONTH,
    REO,
    exceeds,
    has_upload,
    label_of,
    period_text,
    prepare,
)
from flowgraph.analysis.findings import make_findings
from flowgraph.analysis.prepared import prepared
from flowgraph.config import Tolerances
from flowgraph.model import Registry, empty_findings

_KEYS = ["sender", "shipment", "receiver"]  # integer codes (enterprise / shipment categories)


def _key_sizes(ev: pd.DataFrame) -> tuple[int, int]:
    """(enterprise codes + 1, shipment codes + 1): the radices of a shipment's one-int key."""
    return len(ev["enterprise_id"].cat.categories) + 1, len(ev["shipment_id"].cat.categories) + 1


def _keys(ev: pd.DataFrame, event_type: str) -> tuple[np.ndarray, np.ndarray]:
    """(mask of the ``event_type`` rows naming a shipment, their shipment keys): (sender,
    shipment, receiver) codes as one int64, ordered as the triples are."""
    mask = ((ev["event_type"] == event_type) & ev["shipment_id"].notna()).to_numpy()
    own, other = ("sender", "receiver") if event_type == "ship" else ("receiver", "sender")
    codes = {
        own: ev["enterprise_id"].cat.codes.to_numpy()[mask].astype(np.int64),
        other: ev["counterparty_id"].cat.codes.to_numpy()[mask].astype(np.int64),
        "shipment": ev["shipment_id"].cat.codes.to_numpy()[mask].astype(np.int64),
    }
    parties, shipments = _key_sizes(ev)
    # one integer per shipment instead of three columns: one hash per row in the groupby
    # and the joins below, the same groups in the same order
    key = (codes["sender"] + 1) * shipments + codes["shipment"] + 1
    key *= parties
    key += codes["receiver"] + 1
    return mask, key


def _side(ev: pd.DataFrame, event_type: str) -> pd.DataFrame:
    """Per (sender, shipment, receiver) of ``event_type`` rows, in order of first appearance:
    ``key`` (``_keys``), the codes, mass, REO, first and last month."""
    mask, key = _keys(ev, event_type)
    parties, shipments = _key_sizes(ev)
    frame = pd.DataFrame(
        {
            "key": key,
            "mass": ev["mass_kg"].to_numpy()[mask],
            "reo": ev[REO].to_numpy()[mask],
            MONTH: ev[MONTH].to_numpy()[mask],
        }
    )
    out = (
        frame.groupby("key", sort=False)
        .agg(
            mass=("mass", "sum"),
            reo=("reo", "sum"),
            first=(MONTH, "min"),
            last=(MONTH, "max"),
        )
        .reset_index()
    )
    key = out["key"].to_numpy()
    rest = key // parties
    out.insert(1, "receiver", key % parties - 1)
    out.insert(1, "shipment", rest % shipments - 1)
    out.insert(1, "sender", rest // shipments - 1)
    return out


def _labels(ev: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """Codes back to identifiers: sender, receiver, shipment_id."""
    return frame.assign(
        sender=label_of(ev, "enterprise_id", frame["sender"]),
        receiver=label_of(ev, "enterprise_id", frame["receiver"]),
        shipment_id=label_of(ev, "shipment_id", frame["shipment"]),
    )


def shipment_sides(events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(shipped, received): per (sender, shipment_id, receiver) the mass, REO and first/last month.

    >>> from flowgraph.model import events_frame
    >>> ev = events_frame([{"event_type": "ship", "date": "2024-01-30", "enterprise_id": "A",
    ...     "counterparty_id": "B", "shipment_id": "S1", "lot_id": "L", "mass_kg": 10,
    ...     "reo_pct": 50}])
    >>> shipped, received = shipment_sides(ev)
    >>> shipped[["sender", "shipment_id", "receiver", "mass"]].values.tolist()
    [['A', 'S1', 'B', 10.0]]
    """
    ev = prepare(events)
    return _labels(ev, _side(ev, "ship")), _labels(ev, _side(ev, "receive"))


def detect_transit_mismatch(
    events: pd.DataFrame, registry: Registry, tol: Tolerances = Tolerances()
) -> pd.DataFrame:
    """TRANSIT_MISMATCH: both sides reported and the masses differ by more than
    max(transit_pct % of shipped, transit_min_kg). Period: the (last) receipt's month."""
    ev = prepare(events)
    receive = _side(ev, "receive").drop(columns=_KEYS)
    both = _side(ev, "ship").merge(receive, on="key", suffixes=("_s", "_r"))
    diff = (both["mass_s"] - both["mass_r"]).abs()
    limit = np.maximum(both["mass_s"] * tol.transit_pct / 100.0, tol.transit_min_kg)
    hit = both[exceeds(diff, limit)]
    if hit.empty:
        return empty_findings()
    hit = _labels(ev, hit)
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


def _unmatched(left: pd.DataFrame, ev: pd.DataFrame, event_type: str) -> pd.DataFrame:
    """The shipments of ``left`` (a ``_side`` table) that no ``event_type`` row names (only
    the other side's keys are needed, not its sums)."""
    return left[~left["key"].isin(pd.unique(_keys(ev, event_type)[1]))]


def detect_unconfirmed_shipment(
    events: pd.DataFrame, registry: Registry, tol: Tolerances = Tolerances()
) -> pd.DataFrame:
    """UNCONFIRMED_SHIPMENT: shipped, the receiver has uploads for the shipping month and the next,
    and no receipt at all. Period: the shipping month."""
    view = prepared(events)
    ev, pairs = view.table, view.upload_months
    open_ = _unmatched(_side(ev, "ship"), ev, "receive")
    month = open_["first"].to_numpy()
    covered = has_upload(ev, open_["receiver"], month, pairs) & has_upload(
        ev, open_["receiver"], month + 1, pairs
    )
    hit = open_[covered]
    if hit.empty:
        return empty_findings()
    hit = _labels(ev, hit)
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
    view = prepared(events)
    ev, pairs = view.table, view.upload_months
    orphan = _unmatched(_side(ev, "receive"), ev, "ship")
    month = orphan["first"].to_numpy()
    covered = has_upload(ev, orphan["sender"], month, pairs) & has_upload(
        ev, orphan["sender"], month - 1, pairs
    )
    hit = orphan[covered]
    if hit.empty:
        return empty_findings()
    hit = _labels(ev, hit)
    hit["enterprise_id"] = hit["receiver"]
    hit["period"] = period_text(hit["first"])
    hit["reo_kg"] = hit["reo"]
    hit["detail"] = [
        f"{r} received {m:,.1f} kg from {s}; no such shipment in {s}'s uploads"
        for s, r, m in zip(hit["sender"], hit["receiver"], hit["mass"], strict=True)
    ]
    return make_findings("RECEIPT_WITHOUT_SHIPMENT", hit)
