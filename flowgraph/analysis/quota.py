"""QUOTA_EXCEEDED (SPEC §5): annual mining / smelting output against the registry's quotas."""

from __future__ import annotations

import pandas as pd

from flowgraph.analysis.derived import MONTH, REO, exceeds, period_text, prepare
from flowgraph.analysis.designation import smelting_batches
from flowgraph.analysis.findings import make_findings
from flowgraph.config import Tolerances
from flowgraph.model import Registry, empty_findings


def output_by_month(events: pd.DataFrame) -> pd.DataFrame:
    """REO counted against quotas per (enterprise_id, activity, month): extracts (mining) and
    the produce rows of smelting-and-separation batches (smelting), by the row's own date.

    >>> from flowgraph.model import events_frame
    >>> ev = events_frame([{"event_type": "extract", "date": "2024-03-02", "enterprise_id": "M1",
    ...     "lot_id": "L", "mass_kg": 1000, "reo_pct": 50, "product": "BAST_CONC"}])
    >>> row = output_by_month(ev).iloc[0]
    >>> row["activity"], float(row["reo"])
    ('mining', 500.0)
    """
    ev = prepare(events)
    keys = ["enterprise_id", "batch_id"]
    mining = ev.loc[ev["event_type"] == "extract", ["enterprise_id", MONTH, REO]]
    produce = ev[(ev["event_type"] == "produce") & ev["batch_id"].notna()]
    smelt = produce.merge(smelting_batches(ev)[keys], on=keys, how="inner")
    parts = [
        mining.assign(activity="mining"),
        smelt[["enterprise_id", MONTH, REO]].assign(activity="smelting"),
    ]
    frame = pd.concat(parts, ignore_index=True)
    out = frame.groupby(["enterprise_id", "activity", MONTH], sort=False)[REO].sum()
    return out.rename("reo").reset_index()


def detect_quota_exceeded(
    events: pd.DataFrame, registry: Registry, tol: Tolerances = Tolerances()
) -> pd.DataFrame:
    """QUOTA_EXCEEDED: an enterprise holding a quota for the year and activity produced more REO
    than the quota (several quota rows of one year and activity, e.g. issuing batches, add up).

    period: the month the running total first went over; reo_kg: the year's excess.
    """
    quotas = registry.quotas
    if quotas is None or quotas.empty:
        return empty_findings()
    q = quotas.groupby(["enterprise_id", "year", "activity"], sort=False)["quota_t_reo"].sum()
    q = (q * 1000.0).rename("quota_kg").reset_index()
    q["year"] = q["year"].astype("int64")
    m = output_by_month(events)
    if m.empty:
        return empty_findings()
    m["year"] = (m[MONTH] // 12).astype("int64")
    m = m.merge(q, on=["enterprise_id", "year", "activity"], how="inner")
    m = m.sort_values(["enterprise_id", "activity", MONTH], kind="stable")
    m["cum"] = m.groupby(["enterprise_id", "activity", "year"], sort=False)["reo"].cumsum()
    over = m[exceeds(m["cum"], m["quota_kg"])]
    if over.empty:
        return empty_findings()
    keys = ["enterprise_id", "year", "activity"]
    first = over.groupby(keys, sort=False)[MONTH].min().rename("month")
    total = m.groupby(keys, sort=False).agg(total=("reo", "sum"), quota_kg=("quota_kg", "first"))
    hit = total.join(first, how="inner").reset_index()
    hit["period"] = period_text(hit["month"])
    hit["reo_kg"] = hit["total"] - hit["quota_kg"]
    hit["detail"] = [
        f"{a} output {t / 1000:,.3f} t REO in {y} exceeds the {a} quota of {qk / 1000:,.3f} t"
        for a, t, y, qk in zip(
            hit["activity"], hit["total"], hit["year"], hit["quota_kg"], strict=True
        )
    ]
    return make_findings("QUOTA_EXCEEDED", hit)
