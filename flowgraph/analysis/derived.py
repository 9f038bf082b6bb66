"""Columns every detector derives from the event table, computed once per detection run.

``prepare(events)`` adds them; detectors call it too, so each stays usable on a bare event
table, and it returns its input unchanged when the columns are already there.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowgraph.analysis.common import row_reo_pct
from flowgraph.model import CREATING_TYPES, MINERAL_PRODUCTS

# Derived columns (prefixed so they never collide with SPEC columns).
REO = "_reo"  # REO kg of the row (SPEC §1: the lot's reo_pct, a creating row its own)
PCT = "_pct"  # the REO % used for the row
LOT_PRODUCT = "_lot_product"  # product of the lot (its creation's, else the row's own)
MINERAL = "_mineral"  # lot product is a mineral product (SPEC §3)
MONTH = "_month"  # period as a month number (year * 12 + month - 1), for window tests
DERIVED = (REO, PCT, LOT_PRODUCT, MINERAL, MONTH)


def month_number(periods: pd.Series) -> pd.Series:
    """``"YYYY-MM"`` -> year * 12 + month - 1, so "the next month" is ``+ 1``.

    >>> month_number(pd.Series(["2024-12", "2025-01"])).tolist()
    [24299, 24300]
    """
    text = periods.astype("object").astype(str)
    year = pd.to_numeric(text.str.slice(0, 4), errors="coerce")
    month = pd.to_numeric(text.str.slice(5, 7), errors="coerce")
    return (year * 12 + month - 1).astype("int64")


def period_text(months: pd.Series) -> pd.Series:
    """Month numbers back to ``"YYYY-MM"`` (inverse of ``month_number``).

    >>> period_text(pd.Series([24299, 24300])).tolist()
    ['2024-12', '2025-01']
    """
    months = months.astype("int64")
    return (months // 12).astype(str) + "-" + (months % 12 + 1).astype(str).str.zfill(2)


def prepare(events: pd.DataFrame) -> pd.DataFrame:
    """The event table plus the derived columns in ``DERIVED`` (a copy; input untouched).

    >>> from flowgraph.model import events_frame
    >>> ev = events_frame([{"event_type": "extract", "date": "2024-01-02", "lot_id": "L1",
    ...     "mass_kg": 10, "reo_pct": 50, "product": "BAST_CONC", "enterprise_id": "M1"}])
    >>> row = prepare(ev).iloc[0]
    >>> float(row[REO]), bool(row[MINERAL])
    (5.0, True)
    """
    if all(c in events.columns for c in DERIVED):
        return events
    ev = events.copy()
    creating = ev["event_type"].isin(CREATING_TYPES).to_numpy()
    # One sort of the creating rows gives each lot's grade and product (the earliest creation's).
    created = ev[creating & ev["reo_pct"].notna().to_numpy()]
    created = created.sort_values(["date", "upload_id", "source_row"], kind="stable")
    first = created.drop_duplicates("lot_id").set_index("lot_id")
    lot_product = first["product"]
    first_pct = first["reo_pct"]
    pct = row_reo_pct(ev, first_pct).to_numpy(copy=True)
    # A creating row states the REO % of what it created; a second creation of the same lot
    # (DUPLICATE_LOT) must be measured by its own figure, not the first one's.
    own = ev["reo_pct"].to_numpy()
    use_own = creating & ~np.isnan(own)
    pct[use_own] = own[use_own]
    ev[PCT] = pct
    ev[REO] = np.nan_to_num(ev["mass_kg"].to_numpy() * pct / 100.0)
    product = ev["lot_id"].map(lot_product).astype("object")
    product = product.where(product.notna(), ev["product"])
    ev[LOT_PRODUCT] = product
    ev[MINERAL] = product.isin(MINERAL_PRODUCTS).to_numpy()
    # The upload's period is the month of its rows' dates (SPEC §1); dates are cheaper to read.
    dates = ev["date"].dt
    ev[MONTH] = (dates.year * 12 + dates.month - 1).astype("int64")
    return ev


def upload_months(events: pd.DataFrame) -> pd.DataFrame:
    """The (enterprise_id, month) pairs that have a current upload.

    Every upload holds at least one event, so the distinct pairs of the event table are
    exactly the current uploads' identities.
    """
    ev = prepare(events)
    return ev[["enterprise_id", MONTH]].drop_duplicates().reset_index(drop=True)


def has_upload(
    events: pd.DataFrame, enterprise_ids: pd.Series, months: pd.Series | np.ndarray
) -> np.ndarray:
    """Whether each (enterprise, month number) pair has a current upload."""
    ups = upload_months(events)
    probe = pd.DataFrame(
        {"enterprise_id": np.asarray(enterprise_ids, dtype=object), MONTH: np.asarray(months)}
    )
    ups = ups.assign(_hit=True)
    merged = probe.merge(ups, on=["enterprise_id", MONTH], how="left")
    return merged["_hit"].fillna(False).to_numpy(dtype=bool)


def exceeds(a: pd.Series | np.ndarray, b: pd.Series | np.ndarray) -> np.ndarray:
    """``a > b`` with float noise forgiven: a value exactly at a SPEC threshold ("> x") computed
    through a few multiplications must not become a finding by one ulp.

    >>> exceeds(np.array([0.1 + 0.2, 0.31]), np.array([0.3, 0.3])).tolist()
    [False, True]
    """
    a = np.asarray(a, dtype="float64")
    b = np.asarray(b, dtype="float64")
    return (a - b) > 1e-9 * np.maximum(1.0, np.abs(b))
