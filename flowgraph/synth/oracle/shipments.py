"""Shipment rules: transit mismatch, unconfirmed, receipt without shipment, supply."""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowgraph.config import Tolerances
from flowgraph.model import (
    CREATING_TYPES,
    MINERAL_PRODUCTS,
    Registry,
)
from flowgraph.synth.oracle.common import _f, _next, _prev, _valid_origin


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
