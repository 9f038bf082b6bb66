"""Quota burn-down: how much of each annual REO quota is used, and when it is (or will be) crossed.

The rules where SPEC is silent are written once, in the README (Findings: Quota burn-down);
the rows counted are the prepared view's ``quota_rows``, the ones QUOTA_EXCEEDED counts.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from flowgraph.analysis.prepared import PreparedEvents, prepared
from flowgraph.errors import UsageError
from flowgraph.model import Registry

_AS_OF = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")
BURNDOWN_COLUMNS = (
    "enterprise_id",
    "name",
    "year",
    "activity",
    "quota_t_reo",
    "used_t_reo",
    "share_used",
    "months",
    "monthly_rate",
    "projected_crossing",
    "crossed",
    "over",
)


def smelting_batch_ids(events: pd.DataFrame | PreparedEvents) -> pd.MultiIndex:
    """Batches (enterprise_id, batch_id) that consume any mineral product: smelting and
    separation (SPEC §3; the rule is the prepared view's ``smelting``).

    >>> from flowgraph.model import events_frame
    >>> ev = events_frame([
    ...     {"event_type": "consume", "date": "2024-01-05", "enterprise_id": "S1", "lot_id": "A",
    ...      "mass_kg": 1, "product": "BAST_CONC", "batch_id": "B1"},
    ...     {"event_type": "consume", "date": "2024-01-05", "enterprise_id": "S1", "lot_id": "X",
    ...      "mass_kg": 1, "product": "ND_OXIDE", "batch_id": "B2"}])
    >>> list(smelting_batch_ids(ev))
    [('S1', 'B1')]
    """
    view = prepared(events)
    st = view.structure
    codes = np.flatnonzero(view.smelting)
    return pd.MultiIndex.from_arrays(
        [st.batch_enterprise[codes], st.batches[codes]], names=["enterprise_id", "batch_id"]
    )


def _as_of(value: str | None) -> pd.Timestamp | None:
    """End of the given day or month (``YYYY-MM`` = the month's last day)."""
    if value is None:
        return None
    if not _AS_OF.match(value):
        raise UsageError(f"as_of {value!r} is not a date like 2024-06 or 2024-06-30")
    try:
        if len(value) == 7:
            return pd.Period(value, freq="M").end_time.normalize()
        return pd.Timestamp(value).normalize()
    except ValueError as e:
        raise UsageError(f"as_of {value!r} is not a date like 2024-06 or 2024-06-30") from e


def burndown_year(
    events: pd.DataFrame, registry: Registry, year: int | None = None, as_of: str | None = None
) -> int | None:
    """The year ``quota_burndown`` reports: ``year``, else ``as_of``'s, else the latest year with
    events, else the latest quota year; None with neither events nor quotas.

    >>> from flowgraph.model import events_frame, registry_from_records
    >>> burndown_year(events_frame([]), registry_from_records()) is None
    True
    """
    if year is not None:
        return int(year)
    cutoff = _as_of(as_of)
    if cutoff is not None:
        return int(cutoff.year)
    if len(events) and events["date"].notna().any():
        return int(events["date"].max().year)
    if not registry.quotas.empty:
        return int(registry.quotas["year"].max())
    return None


def quota_burndown(
    events: pd.DataFrame | PreparedEvents,
    registry: Registry | None = None,
    year: int | None = None,
    as_of: str | None = None,
) -> pd.DataFrame:
    """Quota use per enterprise and activity in ``year`` (default: the latest year with events).

    Columns: enterprise_id, name, year, activity, quota_t_reo, used_t_reo, share_used, months,
    monthly_rate (t REO / month), projected_crossing ("YYYY-MM" or None), crossed ("YYYY-MM" or
    None), over; sorted by share_used, highest first. Use is the prepared view's
    ``quota_rows`` (the rows QUOTA_EXCEEDED counts), so the two never disagree.

    >>> from flowgraph.model import events_frame, registry_from_records
    >>> ev = events_frame([
    ...     {"event_type": "extract", "date": f"2024-0{m}-10", "enterprise_id": "M1",
    ...      "lot_id": f"L{m}", "product": "BAST_CONC", "mass_kg": 5000, "reo_pct": 60}
    ...     for m in (1, 2, 3)])
    >>> reg = registry_from_records(quotas=[{"enterprise_id": "M1", "year": 2024,
    ...     "activity": "mining", "quota_t_reo": 20}])
    >>> row = quota_burndown(ev, reg).iloc[0]
    >>> float(row["used_t_reo"]), row["projected_crossing"], row["crossed"]
    (9.0, '2024-07', None)
    """
    view = prepared(events, registry)
    events, registry = view.events, view.registry
    cutoff = _as_of(as_of)
    year = burndown_year(events, registry, year, as_of)
    if year is None:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in BURNDOWN_COLUMNS})
    keep = events["date"].dt.year == year
    if cutoff is not None:
        keep &= events["date"] <= cutoff
    in_year = events.loc[keep, ["enterprise_id", "date"]]
    use = view.quota_rows[["enterprise_id", "activity", "date", "reo_kg"]]
    use_keep = pd.DatetimeIndex(use["date"]).year == year
    if cutoff is not None:
        use_keep &= use["date"] <= cutoff
    use = use[use_keep].copy()
    use["month"] = pd.DatetimeIndex(use["date"]).month

    quotas = registry.quotas[registry.quotas["year"] == year]
    quotas = quotas.groupby(["enterprise_id", "activity"], as_index=False)["quota_t_reo"].sum()
    used = use.groupby(["enterprise_id", "activity"], as_index=False)["reo_kg"].sum()
    if quotas.empty and used.empty:  # a year with no quota and no use: an empty answer
        return pd.DataFrame({c: pd.Series(dtype=object) for c in BURNDOWN_COLUMNS})
    # Plain object keys: pandas' merge of Arrow-backed text columns fails when one side is
    # empty ("cannot construct ChunkedArray from empty vector").
    keys = {"enterprise_id": object, "activity": object}
    table = quotas.astype(keys).merge(
        used.astype(keys), on=["enterprise_id", "activity"], how="outer"
    )
    table["used_t_reo"] = table["reo_kg"].fillna(0.0) / 1000.0
    table["year"] = int(year)

    # months with data: January .. the enterprise's last reporting month this year
    last_month = pd.DatetimeIndex(in_year["date"]).month.to_series(index=in_year.index)
    last_month = last_month.groupby(in_year["enterprise_id"].to_numpy()).max()
    table["months"] = table["enterprise_id"].map(last_month).fillna(0).astype("int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        table["monthly_rate"] = np.where(
            table["months"] > 0, table["used_t_reo"] / table["months"], 0.0
        )
        table["share_used"] = table["used_t_reo"] / table["quota_t_reo"]
    table["over"] = (table["used_t_reo"] > table["quota_t_reo"]).fillna(False).astype(bool)

    monthly = use.groupby(["enterprise_id", "activity", "month"])["reo_kg"].sum() / 1000.0
    cumulative = monthly.groupby(level=["enterprise_id", "activity"]).cumsum()
    crossed, projected = [], []
    for ent, act, quota, rate, over in zip(
        table["enterprise_id"],
        table["activity"],
        table["quota_t_reo"],
        table["monthly_rate"],
        table["over"],
        strict=True,
    ):
        month = None
        if over:
            run = cumulative.loc[(ent, act)]
            beyond = run.index[run > quota]
            # sums in another order may differ in the last bit: then it is the last month
            month = f"{year}-{int(beyond[0] if len(beyond) else run.index[-1]):02d}"
        crossed.append(month)
        if month is not None or pd.isna(quota):
            projected.append(month)
        elif rate > 0 and math.floor(quota / rate) + 1 <= 12:
            projected.append(f"{year}-{math.floor(quota / rate) + 1:02d}")
        else:
            projected.append(None)
    table["crossed"] = pd.Series(crossed, index=table.index, dtype=object)
    table["projected_crossing"] = pd.Series(projected, index=table.index, dtype=object)
    names = (
        registry.enterprises.set_index("enterprise_id")["name"]
        if len(registry.enterprises)
        else pd.Series(dtype=object)
    )
    table["name"] = table["enterprise_id"].map(names).astype(object)
    table["name"] = table["name"].where(table["name"].notna(), None)
    table["_noquota"] = table["quota_t_reo"].isna()
    table = table.sort_values(
        ["_noquota", "share_used", "used_t_reo", "enterprise_id", "activity"],
        ascending=[True, False, False, True, True],
        na_position="last",
        kind="stable",
    )
    return table[list(BURNDOWN_COLUMNS)].reset_index(drop=True)
