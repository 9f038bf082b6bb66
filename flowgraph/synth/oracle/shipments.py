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
    cols = ["shipment_id", "enterprise_id", "counterparty_id", "period", "prod", "lot_id"]
    cols += ["mass_kg", "reo"]
    ships = _per_shipment(ev.loc[ev["event_type"] == "ship", cols])
    recvs = _per_shipment(ev.loc[ev["event_type"] == "receive", cols])
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
                # README: |shipped - received| kg x the shipment's (shipped) REO per kg
                reo_kg=diff[sid] * (r["reo_s"] / r["mass_s"] if r["mass_s"] > 0 else 0.0),
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
    periods = period.tolist()  # Python values: iterating an Arrow column is ~1 us a value
    neighbour = {p: other(p) for p in set(periods)}
    return np.array(
        [
            (e, p) in uploads and (e, neighbour[p]) in uploads
            for e, p in zip(ent.tolist(), periods, strict=True)
        ],
        dtype=bool,
    )


def _supply(ev: pd.DataFrame, registry: Registry, recvs: pd.DataFrame) -> list[dict]:
    """SPEC: a receipt of a mineral product whose sender has no lawful custody of the lot, or a
    receipt of any product from a sender absent from the registry; one finding per receipt
    shipment, REO of the offending rows (README)."""
    known = set(registry.enterprises["enterprise_id"])
    origin = ["event_type", "enterprise_id", "lot_id", "date", "country", "document_ref"]
    created = ev.loc[ev["event_type"].isin(CREATING_TYPES), origin]
    valid = _valid_origin(created, registry) | (created["event_type"] == "produce").to_numpy()
    custody = set(zip(created["enterprise_id"][valid], created["lot_id"][valid], strict=True))
    got = ev.loc[
        ev["event_type"] == "receive",
        ["enterprise_id", "lot_id", "shipment_id", "counterparty_id", "prod", "period", "reo"],
    ]
    custody |= set(zip(got["enterprise_id"], got["lot_id"], strict=True))
    got = got[got["shipment_id"].notna()]
    unknown = ~got["counterparty_id"].isin(known)
    lawful = pd.Series(
        [(c, lot) in custody for c, lot in zip(got["counterparty_id"], got["lot_id"], strict=True)],
        index=got.index,
        dtype=bool,
    )
    bad = got[unknown | (got["prod"].isin(MINERAL_PRODUCTS) & ~lawful)]
    out = []
    for (_, sid, sender), grp in bad.groupby(
        ["enterprise_id", "shipment_id", "counterparty_id"], sort=False
    ):
        if sender not in known:
            why = f"sender {sender} is not in the registry"
        else:
            why = f"sender {sender} has no lawful custody of lot {grp['lot_id'].iloc[0]}"
        out.append(
            _f(
                "UNDESIGNATED_SUPPLY",
                period=grp["period"].min(),
                enterprise_id=sender,
                shipment_id=sid,
                reo_kg=grp["reo"].sum(),
                detail=why,
            )
        )
    return out
