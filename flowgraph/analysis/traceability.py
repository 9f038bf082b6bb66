"""Traceability detectors (SPEC §5, family untraceable_input): where did a lot come from?"""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowgraph.analysis.derived import MONTH, REO, exceeds, label_of, period_text, prepare
from flowgraph.analysis.findings import make_findings
from flowgraph.analysis.prepared import prepared
from flowgraph.analysis.rowcodes import type_mask
from flowgraph.config import Tolerances
from flowgraph.model import CREATING_TYPES, OUTFLOW_TYPES, Registry, empty_findings

_USE_TYPES = ("receive", "consume", "ship", "export")
_ORDER = ["date", "upload_id", "source_row"]


def detect_unknown_lot(
    events: pd.DataFrame, registry: Registry, tol: Tolerances = Tolerances()
) -> pd.DataFrame:
    """UNKNOWN_LOT: a lot is received, consumed, shipped or exported and no loaded event created it.

    Period and enterprise: its first such event. reo_kg: the most of it any one enterprise
    handled (the larger of what it received and what it sent on or used), so a lot passed
    along a chain is counted once.
    """
    ev = prepare(events)
    lot = ev["lot_id"].cat.codes.to_numpy()
    # per lot code + 1 (0: no lot): whether a creating row names it, on the codes
    created = np.zeros(len(ev["lot_id"].cat.categories) + 1, dtype=bool)
    created[lot[type_mask(ev["event_type"], CREATING_TYPES)].astype(np.int64) + 1] = True
    unknown = type_mask(ev["event_type"], _USE_TYPES) & ~created[lot.astype(np.int64) + 1]
    # only the columns read below: a row subset of the whole table copies every column
    wanted = ["lot_id", "enterprise_id", "event_type", "period", REO, *_ORDER]
    used = _plain_lots(ev.loc[unknown, wanted])
    if used.empty:
        return empty_findings()
    is_in = used["event_type"] == "receive"
    per_ent = pd.DataFrame(
        {
            "lot_id": used["lot_id"],
            "enterprise_id": used["enterprise_id"],
            "r_in": used[REO].where(is_in, 0.0),
            "r_out": used[REO].where(~is_in, 0.0),
        }
    )
    per_ent = per_ent.groupby(["lot_id", "enterprise_id"], sort=False).sum()
    size = per_ent.max(axis=1).groupby(level="lot_id").max().rename("reo_kg")
    first = used.sort_values(_ORDER, kind="stable").drop_duplicates("lot_id")
    first = first.set_index("lot_id")
    out = pd.DataFrame(
        {
            "lot_id": first.index,
            "enterprise_id": first["enterprise_id"].to_numpy(),
            "period": first["period"].to_numpy(),
            "reo_kg": size.reindex(first.index).to_numpy(),
        }
    )
    out["detail"] = [
        f"lot first {t} by {e} with no loaded event creating it"
        for t, e in zip(first["event_type"].map(_PAST), out["enterprise_id"], strict=True)
    ]
    return make_findings("UNKNOWN_LOT", out)


def _plain_lots(rows: pd.DataFrame) -> pd.DataFrame:
    """A few rows with their lot ids as plain text: grouping and aligning them by a
    categorical lot_id would compare (hash) the table's millions of lot categories."""
    return rows.assign(lot_id=rows["lot_id"].astype(object))


_PAST = {"receive": "received", "consume": "consumed", "ship": "shipped", "export": "exported"}


def detect_duplicate_lot(
    events: pd.DataFrame, registry: Registry, tol: Tolerances = Tolerances()
) -> pd.DataFrame:
    """DUPLICATE_LOT: more than one extract/import/produce event created the same lot.

    Period and enterprise: the second creation's; reo_kg: REO of every creation after the first.
    """
    ev = prepare(events)
    wanted = ["lot_id", "enterprise_id", "event_type", "period", REO, *_ORDER]
    creating = type_mask(ev["event_type"], CREATING_TYPES)
    lot = ev["lot_id"].cat.codes.to_numpy()[creating].astype(np.int64)
    # lots created more than once, counted on the codes (a row naming no lot is in none)
    counts = np.bincount(lot[lot >= 0], minlength=len(ev["lot_id"].cat.categories))
    again = np.zeros(len(ev), dtype=bool)
    again[np.flatnonzero(creating)[(lot >= 0) & (counts[np.maximum(lot, 0)] > 1)]] = True
    dup = _plain_lots(ev.loc[again, wanted])
    if dup.empty:
        return empty_findings()
    dup = dup.sort_values(["lot_id", *_ORDER], kind="stable").copy()
    dup["_rank"] = dup.groupby("lot_id", sort=False).cumcount()
    later = dup[dup["_rank"] >= 1]
    second = later[later["_rank"] == 1].set_index("lot_id")
    extra = later.groupby("lot_id", sort=False)[REO].sum()
    makers = dup.groupby("lot_id", sort=False).agg(
        n=("event_type", "size"),
        who=("enterprise_id", lambda s: ", ".join(dict.fromkeys(str(x) for x in s))),
    )
    out = pd.DataFrame(
        {
            "lot_id": second.index,
            "enterprise_id": second["enterprise_id"].to_numpy(),
            "period": second["period"].to_numpy(),
            "reo_kg": extra.reindex(second.index).to_numpy(),
        }
    )
    m = makers.reindex(second.index)
    out["detail"] = [
        f"lot created {n} times (by {w})" for n, w in zip(m["n"], m["who"], strict=True)
    ]
    return make_findings("DUPLICATE_LOT", out)


def detect_time_inversion(
    events: pd.DataFrame, registry: Registry, tol: Tolerances = Tolerances()
) -> pd.DataFrame:
    """TIME_INVERSION: an enterprise's first outflow of a lot is dated before it created or first
    received it (same day is fine). Period: the first outflow's month; reo_kg: REO sent or used
    before that first creation/receipt. An enterprise that never created nor received the lot
    has nothing to invert (LOT_OVERDRAWN / UNKNOWN_LOT speak for it)."""
    ev = prepare(events)
    # one int64 key per (enterprise, lot) on the categoricals' codes: no two-column groupby
    # or join over the table, only the rows that matter are framed
    lots = len(ev["lot_id"].cat.categories) + 1
    ent, lot = ev["enterprise_id"].cat.codes.to_numpy(), ev["lot_id"].cat.codes.to_numpy()
    named = (ent >= 0) & (lot >= 0)  # a row naming no enterprise or lot is in no group
    key = ent.astype(np.int64) + 1
    key *= lots
    key += lot
    key += 1
    dates = ev["date"].to_numpy()
    inflow = ev["event_type"].isin(CREATING_TYPES | {"receive"}).to_numpy() & named
    first_in = pd.Series(dates[inflow]).groupby(key[inflow], sort=False).min()
    del inflow
    out = np.flatnonzero(ev["event_type"].isin(OUTFLOW_TYPES).to_numpy() & named)
    del named
    at = first_in.index.get_indexer(key[out])
    out, at = out[at >= 0], at[at >= 0]  # an enterprise never creating nor receiving: none
    first = first_in.to_numpy()[at]
    early = dates[out] < first
    out, first = out[early], first[early]
    if out.size == 0:
        return empty_findings()
    rows = pd.DataFrame(
        {
            "_key": key[out],
            REO: ev[REO].to_numpy()[out],
            "date": dates[out],
            MONTH: ev[MONTH].to_numpy()[out],
            "first_in": first,
        }
    )
    del key
    agg = rows.groupby("_key", sort=False).agg(
        reo_kg=(REO, "sum"),
        first_out=("date", "min"),
        month=(MONTH, "min"),
        first_in=("first_in", "first"),
    )
    pair = agg.index.to_numpy()
    agg.insert(0, "lot_id", label_of(ev, "lot_id", pair % lots - 1))
    agg.insert(0, "enterprise_id", label_of(ev, "enterprise_id", pair // lots - 1))
    agg = agg.reset_index(drop=True)
    agg["period"] = period_text(agg["month"])
    agg["detail"] = [
        f"first outflow {o:%Y-%m-%d} before first creation or receipt {i:%Y-%m-%d}"
        for o, i in zip(agg["first_out"], agg["first_in"], strict=True)
    ]
    return make_findings("TIME_INVERSION", agg)


def detect_lineage_cycle(
    events: pd.DataFrame, registry: Registry | None, tol: Tolerances = Tolerances()
) -> pd.DataFrame:
    """LINEAGE_CYCLE: lots derive from each other in a cycle (consume -> produce).

    One finding per cycle, keyed by its smallest lot id; period: the month of the cycle's last
    produce row (when it closed); reo_kg: REO produced into the cycle's lots.
    """
    from flowgraph.analysis.lineage import lineage_cycles

    view = prepared(events, registry)
    cycles = lineage_cycles(view)
    if not cycles:
        return empty_findings()
    ev = view.table
    members = pd.DataFrame(
        [(min(map(str, c)), str(lot), len(c)) for c in cycles for lot in c],
        columns=["key", "lot_id", "size"],
    ).drop_duplicates(["key", "lot_id"])
    made = ev[ev["event_type"] == "produce"][["lot_id", "enterprise_id", REO, MONTH, "date"]]
    made = made.merge(members, on="lot_id", how="inner")
    made = made.sort_values(["key", "date"], kind="stable")
    agg = members.groupby("key", sort=False).agg(
        n=("lot_id", "size"), lots=("lot_id", lambda s: " -> ".join(sorted(s)[:6]))
    )
    prod = made.groupby("key", sort=False).agg(
        reo_kg=(REO, "sum"), month=(MONTH, "max"), enterprise_id=("enterprise_id", "last")
    )
    out = agg.join(prod).reset_index().rename(columns={"key": "lot_id"})
    out["period"] = [
        None if pd.isna(m) else period_text(pd.Series([int(m)])).iloc[0] for m in out["month"]
    ]
    out["detail"] = [
        f"{n} lots derive from each other in a cycle ({lots})"
        for n, lots in zip(out["n"], out["lots"], strict=True)
    ]
    return make_findings("LINEAGE_CYCLE", out)


def detect_untraceable_export(
    events: pd.DataFrame, registry: Registry | None, tol: Tolerances = Tolerances()
) -> pd.DataFrame:
    """UNTRACEABLE_EXPORT: an export of a lot whose untraceable REO share is > the tolerance.

    One finding per export shipment (enterprise, shipment_id); reo_kg: the untraceable REO of the
    offending rows (row REO x untraceable share); period: the export's month. ``lot_id`` is the
    exported lot an investigator traces: the offending lot with the most untraceable REO (ties:
    the smallest id); when a shipment carries several offending lots the detail names how many.
    """
    view = prepared(events, registry)
    ev = view.table
    is_exp = (ev["event_type"] == "export").to_numpy() & ev["shipment_id"].notna().to_numpy()
    at = np.flatnonzero(is_exp)
    if at.size == 0:
        return empty_findings()
    untraceable = 1.0 - view.share_of(at)
    flagged = exceeds(untraceable, tol.untraceable_export_share)
    at, untraceable = at[flagged], untraceable[flagged]
    if at.size == 0:
        return empty_findings()
    # Integer codes of the flagged rows only (the table's categoricals): one int64 key per
    # export (enterprise, shipment), in the order of the rows, no copy of the table's rows.
    ent = ev["enterprise_id"].cat.codes.to_numpy()[at].astype(np.int64)
    shipment = ev["shipment_id"].cat.codes.to_numpy()[at].astype(np.int64)
    lot = ev["lot_id"].cat.codes.to_numpy()[at].astype(np.int64)
    shipments = len(ev["shipment_id"].cat.categories) + 1
    reo = ev[REO].to_numpy()[at]
    bad = pd.DataFrame(
        {
            "key": (ent + 1) * shipments + shipment + 1,
            "lot": lot,
            "_ureo": reo * untraceable,
            REO: reo,
            MONTH: ev[MONTH].to_numpy()[at],
            "_lot": np.where(lot >= 0, lot, np.nan),  # a row naming no lot counts none
        }
    )
    agg = bad.groupby("key", sort=False).agg(
        reo_kg=("_ureo", "sum"),
        total=(REO, "sum"),
        month=(MONTH, "min"),
        lots=("_lot", "nunique"),
    )
    key = agg.index.to_numpy()
    largest = _largest_lot(bad[bad["lot"] >= 0]).reindex(agg.index).to_numpy()
    agg = agg.reset_index(drop=True)
    agg["enterprise_id"] = label_of(ev, "enterprise_id", key // shipments - 1)
    agg["shipment_id"] = label_of(ev, "shipment_id", key % shipments - 1)
    agg["lot_id"] = label_of(ev, "lot_id", np.where(np.isnan(largest), -1, largest))
    agg["period"] = period_text(agg["month"])
    pct = (agg["reo_kg"] / agg["total"].where(agg["total"] > 0)).fillna(1.0) * 100
    agg["detail"] = [untraceable_export_detail(p, n) for p, n in zip(pct, agg["lots"], strict=True)]
    return make_findings("UNTRACEABLE_EXPORT", agg)


def _largest_lot(bad: pd.DataFrame) -> pd.Series:
    """Per export key, the code of the offending lot with the most untraceable REO (rounded to
    the gram, so float noise never decides; ties: the lot first seen in the table, i.e. the
    smallest code: the categorical lot_id's order)."""
    per_lot = bad.groupby(["key", "lot"], sort=False)["_ureo"].sum().round(3).reset_index()
    per_lot = per_lot.sort_values(
        ["key", "_ureo", "lot"], ascending=[True, False, True], kind="stable"
    )
    return per_lot.drop_duplicates("key").set_index("key")["lot"]


def untraceable_export_detail(pct: float, lots: int) -> str:
    """The UNTRACEABLE_EXPORT detail (both engines word it alike).

    >>> untraceable_export_detail(12.0, 1)
    '12.0% of the exported REO is untraceable'
    >>> untraceable_export_detail(12.0, 3)
    '12.0% of the exported REO is untraceable (3 lots; lot_id: the one with the most)'
    """
    text = f"{pct:.1f}% of the exported REO is untraceable"
    return text if lots <= 1 else f"{text} ({lots} lots; lot_id: the one with the most)"
