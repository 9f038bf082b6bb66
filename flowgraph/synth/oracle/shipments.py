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
from flowgraph.synth.oracle.common import (
    _f,
    _next,
    _prev,
    _valid_origin,
    as_categorical,
)


def _shipments(ev: pd.DataFrame, registry: Registry, uploads: set, tol: Tolerances) -> list:
    # Shipments by number (the shipment_id column's category codes; ship and receive rows
    # always carry one, SPEC §1): millions of ids are never hashed, the labels are read back
    # for the findings only.
    ids = as_categorical(ev["shipment_id"])
    codes, names = ids.cat.codes.to_numpy(), ids.cat.categories
    ships = _per_shipment(ev, "ship", codes)
    recvs = _per_shipment(ev, "receive", codes)
    out = []
    both = np.intersect1d(ships.index, recvs.index, assume_unique=True)
    at_s, at_r = np.searchsorted(ships.index, both), np.searchsorted(recvs.index, both)
    mass_s, mass_r = ships["mass"].to_numpy()[at_s], recvs["mass"].to_numpy()[at_r]
    diff = np.abs(mass_s - mass_r)
    limit = np.maximum(tol.transit_pct / 100 * mass_s, tol.transit_min_kg)
    for k in np.flatnonzero(diff > limit):
        # values by column (a row of these frames would gather every column's value)
        reo_s = ships["reo"].iloc[at_s[k]]
        out.append(
            _f(
                "TRANSIT_MISMATCH",
                period=recvs["period"].iloc[at_r[k]],
                enterprise_id=ships["ent"].iloc[at_s[k]],
                shipment_id=names[both[k]],
                # README: |shipped - received| kg x the shipment's (shipped) REO per kg
                reo_kg=diff[k] * (reo_s / mass_s[k] if mass_s[k] > 0 else 0.0),
                detail=f"shipped {mass_s[k]:.1f} kg, received {mass_r[k]:.1f} kg",
            )
        )
    del both, at_s, at_r, mass_s, mass_r, diff, limit
    lonely = ships[~np.isin(ships.index, recvs.index, assume_unique=True)]
    lonely = lonely[_has_uploads(lonely["cp"], lonely["period"], uploads, _next)]
    for sid, ent, cp, period, mass, reo in _columns(lonely):
        out.append(
            _f(
                "UNCONFIRMED_SHIPMENT",
                period=period,
                enterprise_id=ent,
                shipment_id=names[sid],
                reo_kg=reo,
                detail=f"{mass:.1f} kg shipped to {cp}, never received",
            )
        )
    orphans = recvs[~np.isin(recvs.index, ships.index, assume_unique=True)]
    orphans = orphans[_has_uploads(orphans["cp"], orphans["period"], uploads, _prev)]
    for sid, ent, cp, period, mass, reo in _columns(orphans):
        out.append(
            _f(
                "RECEIPT_WITHOUT_SHIPMENT",
                period=period,
                enterprise_id=ent,
                shipment_id=names[sid],
                reo_kg=reo,
                detail=f"{mass:.1f} kg received from {cp}, never shipped",
            )
        )
    out += _supply(ev, registry)
    return out


def _columns(frame: pd.DataFrame):
    """(shipment, ent, cp, period, mass, reo) of each of a few rows of a :func:`_per_shipment`
    frame, column by column (a row of the frame would gather every column's values)."""
    names = ["ent", "cp", "period", "mass", "reo"]
    return zip(frame.index, *(frame[c].tolist() for c in names), strict=True)


def _per_shipment(ev: pd.DataFrame, kind: str, codes: np.ndarray) -> pd.DataFrame:
    """One row per shipment (by its code, ascending) of the ``kind`` rows: masses summed,
    the rest from its first row."""
    rows = (ev["event_type"] == kind).to_numpy() & (codes >= 0)
    where = np.flatnonzero(rows)
    mine = codes[where]
    shipments, first = np.unique(mine, return_index=True)
    # The columns as stored (categoricals, Arrow text): an object array of labels would be
    # turned into Arrow text again, a copy of every label.
    columns = {"ent": "enterprise_id", "cp": "counterparty_id", "period": "period"}
    columns |= {"prod": "prod", "lot": "lot_id"}
    picked = ev[[*columns.values(), "mass_kg", "reo"]].iloc[where[first]]  # not every column
    frame = pd.DataFrame({new: picked[old].array for new, old in columns.items()}, index=shipments)
    if len(shipments) == len(where):
        frame["mass"] = picked["mass_kg"].to_numpy()
        frame["reo"] = picked["reo"].to_numpy()
    else:
        values = {"mass": ev["mass_kg"].to_numpy()[where], "reo": ev["reo"].to_numpy()[where]}
        sums = pd.DataFrame(values).groupby(mine).sum()  # by code, ascending: as shipments
        frame["mass"] = sums["mass"].to_numpy()
        frame["reo"] = sums["reo"].to_numpy()
    return frame


def _has_uploads(ent: pd.Series, period: pd.Series, uploads: set, other) -> np.ndarray:
    """Whether ``ent`` has uploads for ``period`` and for ``other(period)`` (worked out once
    per distinct pair: a few hundred among millions of rows).

    >>> ups = {("E", "2024-01"), ("E", "2024-02")}
    >>> from flowgraph.synth.oracle.common import _next
    >>> _has_uploads(pd.Series(["E", "E", "F"]), pd.Series(["2024-01", "2024-02", "2024-01"]),
    ...              ups, _next).tolist()
    [True, False, False]
    """
    ent_codes, ents = pd.factorize(ent)
    period_codes, periods = pd.factorize(period)
    pair = ent_codes.astype(np.int64) * (len(periods) + 1) + period_codes
    numbers, pairs = pd.factorize(pair)
    has = np.array(
        [
            (e, p) in uploads and (e, other(p)) in uploads
            for e, p in zip(
                ents[pairs // (len(periods) + 1)], periods[pairs % (len(periods) + 1)], strict=True
            )
        ],
        dtype=bool,
    )
    return has[numbers] if len(numbers) else np.zeros(0, dtype=bool)


def _supply(ev: pd.DataFrame, registry: Registry) -> list[dict]:
    """SPEC: a receipt of a mineral product whose sender has no lawful custody of the lot, or a
    receipt of any product from a sender absent from the registry; one finding per receipt
    shipment, REO of the offending rows (README)."""
    known = set(registry.enterprises["enterprise_id"])
    origin = ["event_type", "enterprise_id", "lot_id", "date", "country", "document_ref"]
    creating = ev["event_type"].isin(CREATING_TYPES).to_numpy(copy=True)
    created = ev.loc[creating, origin]
    valid = _valid_origin(created, registry) | (created["event_type"] == "produce").to_numpy()
    del created
    # Custody as (enterprise, lot) pairs by number: the creators by a valid origin or a
    # batch, and every receiver. A sender is looked up by its enterprise's number (a sender
    # that never reports has none: no custody). A missing lot (code -1) is a pair of its own.
    ents, lots = as_categorical(ev["enterprise_id"]), as_categorical(ev["lot_id"])
    width = len(lots.cat.categories) + 1
    receiving = (ev["event_type"] == "receive").to_numpy()
    creating[creating] = valid
    holders = creating | receiving
    custody = np.unique(
        ents.cat.codes.to_numpy()[holders].astype(np.int64) * width
        + lots.cat.codes.to_numpy()[holders]
    )
    del creating, holders
    senders = as_categorical(ev["counterparty_id"])
    as_enterprise = np.append(ents.cat.categories.get_indexer(senders.cat.categories), -1)
    sender = as_enterprise[senders.cat.codes.to_numpy()[receiving]]
    claim = sender.astype(np.int64) * width + lots.cat.codes.to_numpy()[receiving]
    lawful = (sender >= 0) & np.isin(claim, custody)
    del custody, claim, sender
    cols = ["enterprise_id", "lot_id", "shipment_id", "counterparty_id", "prod", "period", "reo"]
    got = ev.loc[receiving, cols].assign(lawful=lawful)
    got = got[got["shipment_id"].notna()]
    unknown = ~got["counterparty_id"].isin(known)
    lawful = got.pop("lawful")
    bad = got[unknown | (got["prod"].isin(MINERAL_PRODUCTS) & ~lawful)]
    # a few rows: grouped on their labels (a groupby on the categoricals would hash every id)
    ids = ["enterprise_id", "shipment_id", "counterparty_id"]
    bad = bad.astype(dict.fromkeys(ids, object))
    out = []
    for (_, sid, sender), grp in bad.groupby(ids, sort=False):
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
