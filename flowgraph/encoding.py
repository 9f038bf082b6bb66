"""Dictionary-encoded text columns: the event table's identifiers as pandas categoricals.

A categorical holds small integer codes per row and each distinct value once, so a national
year of events takes a fraction of the memory of one Python string per cell (issue #15). The
stores hand the analyses their events this way (``Store.events(encoded=True)``) and the
prepared view works on the codes; these functions give codes that do not depend on how a
column arrived: in order of first appearance, exactly what ``pd.factorize`` of the object
column gives, so every result (and its order) is the same for either kind of column.

>>> ev = encode_text(pd.DataFrame({"lot_id": ["L2", None, "L1", "L2"]}))
>>> ev["lot_id"].cat.codes.tolist(), list(ev["lot_id"].cat.categories)
([0, -1, 1, 0], ['L2', 'L1'])
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowgraph.model import TEXT_COLUMNS

ENCODED_COLUMNS = TEXT_COLUMNS + ("period",)


def is_encoded(values: pd.Series) -> bool:
    """Whether a column is a categorical."""
    return isinstance(values.dtype, pd.CategoricalDtype)


def factorize(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(codes int64 with -1 for missing, distinct values as an object array) in order of first
    appearance: ``pd.factorize(values.to_numpy(dtype=object))``, computed on the codes of a
    categorical (unused categories dropped) without one object per row.

    >>> codes, values = factorize(pd.Series(pd.Categorical(["b", "a", None, "b"])))
    >>> codes.tolist(), values.tolist()
    ([0, 1, -1, 0], ['b', 'a'])
    """
    if not is_encoded(values):
        codes, uniques = pd.factorize(values.to_numpy(dtype=object))
        return codes.astype(np.int64), np.asarray(uniques, dtype=object)
    codes = values.cat.codes.to_numpy()
    categories = values.cat.categories
    seen = pd.unique(codes)
    seen = seen[seen >= 0].astype(np.int64)
    uniques = np.asarray(categories.take(seen), dtype=object)
    if len(seen) == len(categories) and bool((seen == np.arange(len(seen))).all()):
        return codes.astype(np.int64), uniques  # already in order of appearance
    remap = np.full(len(categories) + 1, -1, dtype=np.int64)  # [-1] (missing) stays -1
    remap[seen] = np.arange(len(seen))
    return remap[codes], uniques


def encoded(values: pd.Series) -> pd.Categorical:
    """A column as a categorical in order of first appearance (``factorize``).

    >>> list(encoded(pd.Series(["y", "x", "y"])).categories)
    ['y', 'x']
    """
    if is_encoded(values) and _in_order(values):
        return values.array  # nothing to re-code (and no categories to validate again)
    codes, uniques = factorize(values)
    return pd.Categorical.from_codes(
        codes, categories=pd.Index(uniques, dtype=object), validate=False
    )


def _in_order(values: pd.Series) -> bool:
    """A categorical whose categories are all used, in order of first appearance."""
    seen = pd.unique(values.cat.codes.to_numpy())
    seen = seen[seen >= 0]
    n = len(values.cat.categories)
    return len(seen) == n and bool((seen == np.arange(n)).all())


def encode_text(frame: pd.DataFrame) -> pd.DataFrame:
    """The event table with its text columns as pandas categoricals (dictionary-encoded: small
    integer codes, each distinct value once; -1 / NaN for a missing value), categories in order
    of first appearance (a categorical column is re-coded into that order). The same values as
    the object columns, so every analysis gives the same results on either.

    >>> ev = encode_text(pd.DataFrame({"event_type": ["ship", None, "ship"], "mass_kg": [1.0] * 3}))
    >>> ev["event_type"].cat.codes.tolist(), list(ev["event_type"].cat.categories)
    ([0, -1, 0], ['ship'])
    """
    out = frame.copy(deep=False)
    for column in ENCODED_COLUMNS:
        if column in out.columns:
            out[column] = encoded(out[column])
    return out


def concat_events(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Event tables one after the other (index renumbered), categorical columns kept
    categorical: their categories are united (first frame's first) instead of ``pd.concat``
    widening categoricals of different categories back to objects.

    >>> a = encode_text(pd.DataFrame({"lot_id": ["L1", "L2"]}))
    >>> b = encode_text(pd.DataFrame({"lot_id": ["L3", "L1"]}))
    >>> both = concat_events([a, b])["lot_id"]
    >>> both.cat.codes.tolist(), list(both.cat.categories)
    ([0, 1, 2, 0], ['L1', 'L2', 'L3'])
    """
    from pandas.api.types import union_categoricals

    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    columns = {}
    for column in frames[0].columns:
        parts = [f[column] for f in frames]
        if all(isinstance(p.dtype, pd.CategoricalDtype) for p in parts):
            # categories as Python text throughout: a store may hand them as pandas' string
            # dtype, another frame as objects, and union_categoricals refuses the mix
            parts = [_object_categories(p) for p in parts]
            columns[column] = union_categoricals(parts, ignore_order=True)
        else:
            columns[column] = pd.concat(parts, ignore_index=True)
    return pd.DataFrame(columns, copy=False)


def _object_categories(values: pd.Series) -> pd.Series:
    """A categorical with its categories as an object Index (codes untouched)."""
    categories = values.cat.categories
    if categories.dtype == object:
        return values
    codes = values.cat.codes.to_numpy()
    fixed = pd.Categorical.from_codes(
        codes, categories=pd.Index(categories.to_numpy(dtype=object), dtype=object), validate=False
    )
    return pd.Series(fixed, index=values.index, name=values.name)
