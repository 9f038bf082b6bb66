"""QUOTA_EXCEEDED (SPEC §5): annual mining / smelting output against the registry's quotas."""

from __future__ import annotations

import pandas as pd

from flowgraph.analysis.derived import MONTH, exceeds, period_text
from flowgraph.analysis.findings import make_findings
from flowgraph.analysis.prepared import PreparedEvents, prepared
from flowgraph.config import Tolerances
from flowgraph.model import Registry, empty_findings


def output_by_month(events: pd.DataFrame | PreparedEvents) -> pd.DataFrame:
    """REO counted against quotas per (enterprise_id, activity, month): extracts (mining) and
    the produce rows of smelting-and-separation batches (smelting), by the row's own date.

    >>> from flowgraph.model import events_frame
    >>> ev = events_frame([{"event_type": "extract", "date": "2024-03-02", "enterprise_id": "M1",
    ...     "lot_id": "L", "mass_kg": 1000, "reo_pct": 50, "product": "BAST_CONC"}])
    >>> row = output_by_month(ev).iloc[0]
    >>> row["activity"], float(row["reo"])
    ('mining', 500.0)
    """
    rows = prepared(events).quota_rows.rename(columns={"month": MONTH})
    out = rows.groupby(["enterprise_id", "activity", MONTH], sort=False)["reo_kg"].sum()
    return out.rename("reo").reset_index()


def detect_quota_exceeded(
    events: pd.DataFrame | PreparedEvents, registry: Registry | None, tol: Tolerances = Tolerances()
) -> pd.DataFrame:
    """QUOTA_EXCEEDED: an enterprise holding a quota for the year and activity produced more REO
    than the quota (several quota rows of one year and activity, e.g. issuing batches, add up).

    period: the month the running total first went over; reo_kg: the year's excess.
    """
    view = prepared(events, registry)
    quotas = view.registry.quotas
    if quotas.empty:
        return empty_findings()
    q = quotas.groupby(["enterprise_id", "year", "activity"], sort=False)["quota_t_reo"].sum()
    q = (q * 1000.0).rename("quota_kg").reset_index()
    q["year"] = q["year"].astype("int64")
    m = output_by_month(view)
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
