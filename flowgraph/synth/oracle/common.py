"""Helpers shared by the reference rules: REO of a row, designation at a date, one finding
record, months, origins. Written from SPEC §1-§3 and the README's rules, not taken from
flowgraph.analysis (tests/synth/test_oracle_independent.py holds the oracle to that)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowgraph.model import (
    CREATING_TYPES,
    FINDING_COLUMNS,
    FINDING_TYPES,
    MINERAL_PRODUCTS,
    PRODUCTS,
    Registry,
)

_EARLIEST = ["date", "upload_id", "source_row"]


def _creations(ev: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The creating rows (extract, import, produce), earliest first: ``columns`` only (a
    filter of the whole table copies every column)."""
    created = ev.loc[ev["event_type"].isin(CREATING_TYPES), [*columns, *_EARLIEST]]
    return created.sort_values(_EARLIEST, kind="stable")


def of_lot(lots: pd.Series, keys: pd.Series, values: pd.Series) -> pd.Series:
    """Per row of ``lots`` the value of its lot (``keys`` unique), NaN for a lot not in
    ``keys``: ``lots.map(values.set_axis(keys))``. When the lots are categories of the
    same dtype as the keys (the kept events: a filter of the same table), looked up by
    code instead of hashing millions of ids.

    >>> lots = pd.Series(["a", "b", "a", None], dtype="category")
    >>> of_lot(lots, lots[1:2], pd.Series([5.0], index=[1])).tolist()
    [nan, 5.0, nan, nan]
    """
    if not isinstance(lots.dtype, pd.CategoricalDtype) or keys.dtype != lots.dtype:
        return lots.map(pd.Series(values.to_numpy(), index=keys.to_numpy()))
    numeric = pd.api.types.is_numeric_dtype(values.dtype)
    table = np.full(len(lots.cat.categories) + 1, np.nan, dtype=float if numeric else object)
    table[keys.cat.codes.to_numpy()] = values.to_numpy(dtype=float if numeric else object)
    # dtype given: pandas would otherwise infer Arrow strings (and copy every value)
    return pd.Series(table[lots.cat.codes.to_numpy()], index=lots.index, dtype=table.dtype)


def as_categorical(column: pd.Series) -> pd.Series:
    """The column as a categorical (the kept events' id columns already are)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column
    return column.astype(object).astype("category")


def pair_codes(ev: pd.DataFrame) -> tuple[np.ndarray, pd.Index, pd.Index]:
    """Per row one integer for its (enterprise, lot), from the two columns' category codes
    (-1 where either is missing), and the enterprise and lot labels to read them back
    (:func:`pair_labels`): millions of rows grouped on one integer, not on two labels.

    >>> ev = pd.DataFrame({"enterprise_id": ["E", "F", "E"], "lot_id": ["L", "L", None]})
    >>> keys, ents, lots = pair_codes(ev)
    >>> [pair_labels(k, ents, lots) if k >= 0 else None for k in keys]
    [('E', 'L'), ('F', 'L'), None]
    """
    ents, lots = as_categorical(ev["enterprise_id"]), as_categorical(ev["lot_id"])
    e, lot = ents.cat.codes.to_numpy(), lots.cat.codes.to_numpy()
    # in place: one int64 column at a time (millions of rows)
    keys = e.astype(np.int64)
    keys *= len(lots.cat.categories) + 1
    keys += lot
    keys[(e < 0) | (lot < 0)] = -1
    return keys, ents.cat.categories, lots.cat.categories


def pair_labels(key: int, ents: pd.Index, lots: pd.Index) -> tuple[str, str]:
    """The (enterprise, lot) of a :func:`pair_codes` key."""
    e, lot = divmod(int(key), len(lots) + 1)
    return ents[e], lots[lot]


def row_reo(ev: pd.DataFrame) -> pd.Series:
    """REO kg of every row (SPEC §1): mass x row_pct / 100, 0 when no % applies."""
    return (ev["mass_kg"] * row_pct(ev) / 100.0).fillna(0.0)


def row_pct(ev: pd.DataFrame) -> pd.Series:
    """The REO % of every row (SPEC §1): the lot's reo_pct from the event that created it (the
    earliest one); a creating row its own reo_pct (README: a second creation keeps its own
    grade); a row of a lot no event created its own reo_pct, else its product's typical one."""
    created = _creations(ev, ["lot_id", "reo_pct"])
    graded = created[created["reo_pct"].notna()].drop_duplicates("lot_id")
    pct = of_lot(ev["lot_id"], graded["lot_id"], graded["reo_pct"])
    own = ev["event_type"].isin(CREATING_TYPES) & ev["reo_pct"].notna()
    pct = pct.where(~own, ev["reo_pct"])
    typical = ev["product"].map({c: p.typical_reo_pct for c, p in PRODUCTS.items()})
    return pct.fillna(ev["reo_pct"]).fillna(typical).astype(float)


def row_product(ev: pd.DataFrame) -> pd.Series:
    """The product of every row's lot (SPEC §7: the product of the event that created the lot,
    else the row's own)."""
    created = _creations(ev, ["lot_id", "product"])
    named = created[created["product"].notna()].drop_duplicates("lot_id")
    # By the products' codes (a few products over millions of rows: a categorical, one code a
    # row, not a Python object): the lot's product, else the row's own.
    own = as_categorical(ev["product"])
    products = own.cat.categories
    named_codes = pd.Series(products.get_indexer(named["product"]), index=named.index, dtype=float)
    of_lots = of_lot(ev["lot_id"], named["lot_id"], named_codes).to_numpy()
    codes = np.where(np.isnan(of_lots), own.cat.codes.to_numpy(), of_lots).astype(np.int32)
    return pd.Series(pd.Categorical.from_codes(codes, categories=products), index=ev.index)


def designated_on(
    registry: Registry, enterprise_ids: pd.Series, dates: pd.Series, activity: str
) -> np.ndarray:
    """Whether each (enterprise, date) is covered by a designation for ``activity`` (SPEC §2:
    valid_from <= date <= valid_to, an empty valid_to open-ended), one designation at a time."""
    ids = np.asarray(enterprise_ids, dtype=object)
    when = pd.to_datetime(pd.Series(np.asarray(dates))).to_numpy()
    covered = np.zeros(len(ids), dtype=bool)
    des = registry.designations
    for _, d in des[des["activity"] == activity].iterrows():
        after = when >= np.datetime64(d["valid_from"])
        before = True if pd.isna(d["valid_to"]) else when <= np.datetime64(d["valid_to"])
        covered |= (ids == d["enterprise_id"]) & after & before
    return covered


def _f(kind: str, **values) -> dict:
    row = {c: None for c in FINDING_COLUMNS}
    row.update(type=kind, family=FINDING_TYPES[kind], **values)
    row["reo_kg"] = round(float(row["reo_kg"] or 0.0), 3)
    return row


def _prev(period: str) -> str:
    y, m = int(period[:4]), int(period[5:7])
    return f"{y - 1}-12" if m == 1 else f"{y}-{m - 1:02d}"


def _next(period: str) -> str:
    y, m = int(period[:4]), int(period[5:7])
    return f"{y + 1}-01" if m == 12 else f"{y}-{m + 1:02d}"


def _smelting_batches(ev: pd.DataFrame) -> pd.Index:
    consumed = ev[(ev["event_type"] == "consume") & ev["prod"].isin(MINERAL_PRODUCTS)]
    return pd.Index(consumed["batch_id"].dropna().unique())


def _period_number(period: pd.Series) -> pd.Series:
    """year * 12 + month of each 'YYYY-MM' (worked out once per distinct period)."""
    codes, uniques = pd.factorize(period)
    text = pd.Series(np.asarray(uniques, dtype=object)).astype(str)
    numbers = (text.str[:4].astype("int64") * 12 + text.str[5:7].astype("int64")).to_numpy()
    return pd.Series(numbers[codes].astype("int64"), index=period.index)


def _valid_origin(created: pd.DataFrame, registry: Registry) -> np.ndarray:
    """Per creating row: a designated extraction, or an import with country and document."""
    extract = (created["event_type"] == "extract").to_numpy()
    designated = designated_on(registry, created["enterprise_id"], created["date"], "mining")
    imported = (
        (created["event_type"] == "import")
        & created["country"].notna()
        & created["document_ref"].notna()
    ).to_numpy()
    return (extract & designated) | imported
