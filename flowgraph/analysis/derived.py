"""The derived quantities of a prepared view laid out as columns of the event table, for the
detectors (groupbys and merges on integer codes), and small helpers over that table.

The rules behind the columns live in prepared.py; ``prepare(events)`` is
``prepared(events).table``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowgraph.analysis.rowcodes import narrow_codes, narrowest
from flowgraph.encoding import _in_order, is_encoded

# Derived columns (prefixed so they never collide with SPEC columns).
REO = "_reo"  # REO kg of the row (SPEC §1: the lot's reo_pct, a creating row its own)
LOT_PRODUCT = "_lot_product"  # product of the lot (its creation's, else the row's own)
MINERAL = "_mineral"  # lot product is a mineral product (SPEC §3)
MONTH = "_month"  # period as a month number (year * 12 + month - 1, int32), for window tests
DERIVED = (REO, LOT_PRODUCT, MINERAL, MONTH)
# (The REO % of a row is no column: ``PreparedEvents.pct_of(rows)`` gives it for the rows
# that need it, 8 bytes a row less at national scale.)


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


def _codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (-1 for null) and the distinct values, in order of first appearance
    (a categorical's own codes when already in that order; the narrowest dtype)."""
    return narrow_codes(values)


def _shared_codes(a: pd.Series, b: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Codes of ``a`` and of ``b`` against one list of values: ``_codes`` of ``a`` then ``b``
    one after the other (``a``'s values first, then those only ``b`` has, each in order of
    first appearance), computed on the two columns' own codes."""
    a_codes, a_values = _codes(a)
    b_codes, b_values = _codes(b)
    at = pd.Index(a_values, dtype=object).get_indexer(b_values)
    new = at < 0
    at[new] = len(a_values) + np.arange(int(new.sum()))
    remap = np.append(at, -1)  # b's code -1 (null) stays -1
    values = np.concatenate([a_values, b_values[new]])
    return narrowest(a_codes, len(values)), narrowest(remap[b_codes], len(values)), values


def prepare(events) -> pd.DataFrame:
    """The event table plus the derived columns in ``DERIVED`` (a copy; input untouched):
    ``prepared(events).table``. Given a table that already has them, returns it unchanged.

    >>> from flowgraph.model import events_frame
    >>> ev = events_frame([{"event_type": "extract", "date": "2024-01-02", "lot_id": "L1",
    ...     "mass_kg": 10, "reo_pct": 50, "product": "BAST_CONC", "enterprise_id": "M1"}])
    >>> row = prepare(ev).iloc[0]
    >>> float(row[REO]), bool(row[MINERAL])
    (5.0, True)
    """
    from flowgraph.analysis.prepared import prepared

    return prepared(events).table


def with_derived_columns(view) -> pd.DataFrame:
    """The view's events plus the ``DERIVED`` columns (prepared.PreparedEvents.table), with the
    identifier columns as categoricals. The quantities come from the view, where their rules
    are stated; this only lays them out as columns for the detectors' groupbys and merges."""
    events = view.events
    if all(c in events.columns for c in DERIVED):
        return events
    # Shallow copy (copy-on-write): new columns are added without touching the caller's frame
    # and without consolidating a million-row block of text columns.
    ev = events.copy(deep=False)
    n = len(ev)

    # The view's arrays become the columns as they are (pandas would copy a bare array; the
    # view never writes to them once computed, and copy-on-write guards the table's side).
    def column(values: np.ndarray) -> pd.Series:
        return pd.Series(values, index=ev.index, copy=False)

    ev[REO] = column(view.row_reo)
    products = pd.Index(view.products, dtype=object)
    ev[LOT_PRODUCT] = pd.Categorical.from_codes(view.row_lot_product_code, categories=products)
    ev[MINERAL] = column(view.row_mineral if n else np.zeros(0, dtype=bool))
    ev[MONTH] = column(view.month)
    # Identifier columns become categoricals: every groupby, merge and comparison of the
    # detectors then works on integer codes (several times faster on a million events).
    # Enterprise and counterparty share one category list so shipments join code to code.
    # A column read from the store is a categorical in order of first appearance already:
    # it is kept as it is (no second copy of its codes).
    if not _ordered_categorical(ev["lot_id"]):
        ev["lot_id"] = pd.Categorical.from_codes(view.lot_code, categories=view.lots)
    ent, party, parties = _shared_codes(ev["enterprise_id"], ev["counterparty_id"])
    party_index = pd.Index(parties, dtype=object)
    ev["enterprise_id"] = pd.Categorical.from_codes(ent, categories=party_index)
    ev["counterparty_id"] = pd.Categorical.from_codes(party, categories=party_index)
    for column in ("event_type", "shipment_id", "batch_id"):
        if _ordered_categorical(ev[column]):
            continue
        codes, uniques = _codes(ev[column])
        ev[column] = pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype=object))
    return ev


def _ordered_categorical(values: pd.Series) -> bool:
    """A categorical whose object categories are all used, in order of first appearance: what
    ``pd.Categorical.from_codes(*_codes(values))`` would give again."""
    return is_encoded(values) and values.cat.categories.dtype == object and _in_order(values)


def code_of(ev: pd.DataFrame, column: str) -> np.ndarray:
    """Integer codes (-1 = null) of a categorical identifier column of a prepared table."""
    return ev[column].cat.codes.to_numpy().astype(np.int64)


def label_of(ev: pd.DataFrame, column: str, codes: np.ndarray | pd.Series) -> np.ndarray:
    """The identifiers behind ``code_of`` codes (None for -1)."""
    categories = ev[column].cat.categories.to_numpy(dtype=object)
    codes = np.asarray(codes, dtype=np.int64)
    out = np.full(len(codes), None, dtype=object)
    ok = codes >= 0
    out[ok] = categories[codes[ok]]
    return out


def upload_keys(ev: pd.DataFrame, pairs: pd.DataFrame | None = None) -> np.ndarray:
    """Sorted keys party_code * 10**6 + month of the (enterprise, month) pairs with an upload.

    Every upload holds at least one event, so the distinct pairs of the event table are
    exactly the current uploads' identities; ``pairs`` (enterprise_id, month: a view's
    ``upload_months``) gives them instead when ``ev`` holds only part of the history.
    """
    ev = prepare(ev)
    if pairs is None:
        return np.unique(code_of(ev, "enterprise_id") * 1_000_000 + ev[MONTH].to_numpy())
    categories = ev["enterprise_id"].cat.categories
    codes = categories.get_indexer(pairs["enterprise_id"].astype(object))
    known = codes >= 0  # an enterprise no row names is never asked about
    months = pairs["month"].to_numpy(dtype=np.int64)[known]
    return np.unique(codes[known].astype(np.int64) * 1_000_000 + months)


def has_upload(
    ev: pd.DataFrame,
    party_codes: np.ndarray | pd.Series,
    months: np.ndarray | pd.Series,
    pairs: pd.DataFrame | None = None,
) -> np.ndarray:
    """Whether each (party code, month number) pair has a current upload (prepared ``ev``;
    ``pairs``: as for ``upload_keys``)."""
    keys = np.asarray(party_codes, dtype=np.int64) * 1_000_000 + np.asarray(months, np.int64)
    return np.isin(keys, upload_keys(ev, pairs)) & (np.asarray(party_codes) >= 0)


def exceeds(a: pd.Series | np.ndarray, b: pd.Series | np.ndarray) -> np.ndarray:
    """``a > b`` with float noise forgiven: a value exactly at a SPEC threshold ("> x") computed
    through a few multiplications must not become a finding by one ulp.

    >>> exceeds(np.array([0.1 + 0.2, 0.31]), np.array([0.3, 0.3])).tolist()
    [False, True]
    """
    a = np.asarray(a, dtype="float64")
    b = np.asarray(b, dtype="float64")
    return (a - b) > 1e-9 * np.maximum(1.0, np.abs(b))
