"""Per-row integer codes of an event table's categorical columns, without copies where possible.

The prepared view (analysis/prepared.py) keeps one array per row for each derived quantity; at
national scale (10 M events a year) every byte per row is 10 MB, so identifiers, event types,
products and origins are held as the narrowest integer codes (issue #15) instead of int64 or
object arrays. A categorical read from the store already has its categories in order of first
appearance (encoding.encode_text), so its own codes are used as they are.

>>> import pandas as pd
>>> codes, values = narrow_codes(pd.Series(pd.Categorical(["b", "a", None, "b"])))
>>> codes.tolist(), values.tolist(), codes.dtype.name
([0, 1, -1, 0], ['b', 'a'], 'int8')
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from flowgraph.encoding import _in_order, factorize, is_encoded


def narrowest(codes: np.ndarray, size: int) -> np.ndarray:
    """``codes`` (-1 for missing, else < ``size``) in the narrowest signed integer dtype that
    holds them (no copy when already that dtype).

    >>> narrowest(np.array([0, 300, -1]), 301).dtype.name
    'int16'
    """
    for dtype in (np.int8, np.int16, np.int32):
        if size <= np.iinfo(dtype).max:
            return codes.astype(dtype, copy=False)
    return codes.astype(np.int64, copy=False)


def narrow_codes(values: pd.Series, minimum: type = np.int8) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct values as an object array) in order of first appearance, as
    ``encoding.factorize`` gives them, but in the narrowest dtype (at least ``minimum``): a
    categorical already in that order hands its own codes (no copy when their dtype suffices).

    >>> narrow_codes(pd.Series(["x", "y", "x"]), np.int32)[0].dtype.name
    'int32'
    """
    if is_encoded(values) and _in_order(values):
        codes = values.cat.codes.to_numpy()
        uniques = np.asarray(values.cat.categories, dtype=object)
    else:
        codes, uniques = factorize(values)
    narrow = narrowest(codes, len(uniques))
    if narrow.dtype.itemsize < np.dtype(minimum).itemsize:
        narrow = narrow.astype(minimum)
    return narrow, uniques


def in_values(codes: np.ndarray, values: np.ndarray, wanted: Iterable[object]) -> np.ndarray:
    """Per row: whether the code's value is one of ``wanted`` (code -1, missing: never).

    >>> in_values(np.array([0, 1, -1, 0], dtype=np.int8), np.array(["a", "b"], dtype=object),
    ...           ["b"]).tolist()
    [False, True, False, False]
    """
    wanted = set(wanted)
    hit = np.array([v in wanted for v in values] + [False], dtype=bool)
    return hit[codes]  # code -1 picks the trailing False


def decode(codes: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The values behind codes as an object array (None for -1).

    >>> decode(np.array([1, -1], dtype=np.int8), np.array(["a", "b"], dtype=object)).tolist()
    ['b', None]
    """
    table = np.append(np.asarray(values, dtype=object), None)
    return table[codes]


def type_mask(values: pd.Series, wanted: Iterable[object]) -> np.ndarray:
    """Per row: whether a text column's value is one of ``wanted``, on a categorical's codes
    (no object per row) or on the plain values.

    >>> type_mask(pd.Series(pd.Categorical(["ship", "stock", None])), ["stock"]).tolist()
    [False, True, False]
    """
    if is_encoded(values):
        codes = values.cat.codes.to_numpy()
        return in_values(codes, np.asarray(values.cat.categories, dtype=object), wanted)
    return np.isin(values.to_numpy(dtype=object), list(wanted))
