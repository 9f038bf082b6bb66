"""What the cross_register detectors (SPEC §5, §7) share: the import/export rows as plain
columns, one value-or-None per group, and the (enterprise, month) pairs with an upload."""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowgraph.analysis.prepared import prepared
from flowgraph.model import PRODUCTS

TYPICAL_PCT = {code: p.typical_reo_pct for code, p in PRODUCTS.items()}


def trade_rows(events, types: tuple[str, ...] = ("import", "export")) -> pd.DataFrame:
    """The rows of ``types`` (import and/or export) of the prepared view's ``trade`` table:
    plain columns with their lot's product (``product``, SPEC §5: the lot's, else the row's
    own), REO kg (``reo``) and ``month``.

    >>> from flowgraph.model import events_frame
    >>> ev = events_frame([{"event_type": "import", "date": "2025-03-02", "enterprise_id": "I1",
    ...     "lot_id": "L1", "mass_kg": 100, "reo_pct": 90, "product": "DY_OXIDE",
    ...     "country": "MM", "document_ref": "D-1"}])
    >>> row = trade_rows(ev).iloc[0]
    >>> row["product"], float(row["reo"]), row["enterprise_id"]
    ('DY_OXIDE', 90.0, 'I1')
    """
    trade = prepared(events).trade
    if set(types) >= {"import", "export"}:
        return trade
    return trade[trade["event_type"].isin(types).to_numpy()].reset_index(drop=True)


def upload_months(events) -> pd.DataFrame:
    """The (enterprise_id, month number) pairs with a current upload (the view's)."""
    return prepared(events).upload_months


def month_of(dates: pd.Series) -> np.ndarray:
    """Month numbers (year * 12 + month - 1) of a datetime column."""
    d = pd.to_datetime(dates)
    return (d.dt.year * 12 + d.dt.month - 1).to_numpy(dtype="int64")


def only_value(values: pd.Series) -> object | None:
    """The group's one distinct value, else None (a finding's product or country: SPEC §5
    keys them where one applies).

    >>> only_value(pd.Series(["JP", "JP"])), only_value(pd.Series(["JP", "US"]))
    ('JP', None)
    """
    distinct = values.dropna().unique()
    return distinct[0] if len(distinct) == 1 and values.notna().all() else None


def only_values(frame: pd.DataFrame, keys: list[str], column: str) -> pd.Series:
    """``only_value`` of ``column`` per group of ``keys``, vectorised (indexed by the keys).

    >>> f = pd.DataFrame({"k": [1, 1, 2], "c": ["JP", "US", "KR"]})
    >>> only_values(f, ["k"], "c").tolist()
    [None, 'KR']
    """
    grouped = frame.groupby(keys, sort=False)[column]
    one = (grouped.nunique() == 1) & (grouped.count() == grouped.size())
    first = grouped.first().astype(object)
    return first.where(one, None)
