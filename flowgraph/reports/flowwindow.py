"""The window of a report: which periods a ``period`` / ``year`` choice covers, how it reads, and
how many uploads lie behind it (an upload is an enterprise's month: enterprise_id, period).

Shared by both reports (the flow table and Sankey, the findings page); flows.py re-exports it.
"""

from __future__ import annotations

import re

import pandas as pd

from flowgraph.errors import UsageError
from flowgraph.model import Registry

_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def window_bounds(period: str | None = None, year: int | None = None) -> tuple[str, str] | None:
    """First and last period ("YYYY-MM") of the window, or None for all data.

    >>> window_bounds(year=2024), window_bounds(period="2024-03"), window_bounds()
    (('2024-01', '2024-12'), ('2024-03', '2024-03'), None)
    """
    if period is not None:
        if not _PERIOD.match(str(period)):
            raise UsageError(f"period must be YYYY-MM, got {period!r}")
        if year is not None and not str(period).startswith(f"{int(year):04d}-"):
            raise UsageError(f"period {period} is not in year {year}")
        return (str(period), str(period))
    if year is not None:
        return (f"{int(year):04d}-01", f"{int(year):04d}-12")
    return None


def window_label(period: str | None = None, year: int | None = None) -> str:
    """Human text for the window: "2024-03", "2024", or "all periods"."""
    if period is not None:
        return str(period)
    if year is not None:
        return str(int(year))
    return "all periods"


def upload_count(
    events: pd.DataFrame,
    period: str | None = None,
    year: int | None = None,
    registry: Registry | None = None,
    province: str | None = None,
) -> int:
    """Number of uploads behind the window (and the province's enterprises, given the registry):
    an upload is (enterprise_id, period).

    >>> from flowgraph.model import events_frame
    >>> ev = events_frame([{"enterprise_id": e, "date": d, "event_type": "stock", "lot_id": "L",
    ...     "mass_kg": 1} for e, d in [("A", "2024-01-31"), ("A", "2024-02-29"), ("B", "2024-02-29")]])
    >>> upload_count(ev), upload_count(ev, period="2024-02")
    (3, 2)
    """
    bounds = window_bounds(period, year)
    ev = events
    if bounds is not None:
        periods = ev["period"]
        if isinstance(periods.dtype, pd.CategoricalDtype):  # events read encoded
            inside = [p for p in periods.cat.categories if bounds[0] <= p <= bounds[1]]
            ev = ev[periods.isin(inside)]
        else:
            ev = ev[(periods >= bounds[0]) & (periods <= bounds[1])]
    if province is not None and registry is not None:
        ents = registry.enterprises
        ev = ev[ev["enterprise_id"].isin(ents.loc[ents["province"] == province, "enterprise_id"])]
    return int(ev[["enterprise_id", "period"]].drop_duplicates().shape[0])
