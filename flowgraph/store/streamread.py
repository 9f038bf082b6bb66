"""Uploads' Arrow streams into one dictionary-encoded event table, written in place (issue #15).

Each upload's columns go straight into arrays of the final table: numbers and dates into
preallocated numpy arrays, each text column's per-upload codes into one array of codes in the
narrowest integer dtype that can hold them (widened when a column's dictionary outgrows it).
The uploads' dictionaries are united with the dictionary so far in rounds (when the pending
ones outgrow it), and the codes written since are translated in place, so the read holds the
table plus about one column's dictionary at a time instead of every upload's pieces. The
categories come out in order of first appearance over the uploads, exactly as one
``dictionary_encode`` of all the uploads' dictionaries gives them.

>>> import pyarrow as pa
>>> column = TextColumn(4)
>>> column.add(0, pa.array(["b", "a", None]))
>>> column.add(3, pa.array(["c"]))
>>> cat = column.categorical(4)
>>> cat.codes.tolist(), list(cat.categories)
([0, 1, -1, 2], ['b', 'a', 'c'])
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_ROUND = 1 << 18  # dictionary entries pending before a round of uniting, at least
# A round re-hashes the dictionary so far with the pending entries: waiting until the pending
# ones are 4x the dictionary hashes each value ~1.3 times in all instead of ~5 times (a
# quarter: read of scale 1000 29.7 -> 16.0 s CPU), for ~150 MB more at the read's peak there.
_GROWTH = 4
_DTYPES = (np.int8, np.int16, np.int32, np.int64)


def _dtype_for(size: int) -> type:
    """The narrowest signed dtype holding codes 0 .. size - 1 and -1."""
    return next(d for d in _DTYPES if size <= np.iinfo(d).max)


def resized(array: np.ndarray, capacity: int) -> np.ndarray:
    """``array`` in a new buffer of ``capacity`` rows, its leading rows kept.

    >>> resized(np.arange(3), 5)[:3].tolist(), len(resized(np.arange(3), 2))
    ([0, 1, 2], 2)
    """
    out = np.empty(capacity, dtype=array.dtype)
    keep = min(capacity, len(array))
    out[:keep] = array[:keep]
    return out


class TextColumn:
    """One text column being read: codes per row, the dictionary so far, uploads pending."""

    def __init__(self, capacity: int) -> None:
        self.codes = np.empty(capacity, dtype=np.int8)
        self.dictionary: pa.Array | None = None
        self.pending: list[tuple[int, int, pa.Array]] = []  # (first row, end row, dictionary)
        self.pending_size = 0

    def _known(self) -> int:
        return 0 if self.dictionary is None else len(self.dictionary)

    def resize(self, capacity: int) -> None:
        """More (or fewer) rows of room, codes kept."""
        self.codes = resized(self.codes, capacity)

    def add(self, at: int, values: pa.Array | pa.ChunkedArray) -> None:
        """One upload's column (rows ``at`` onwards)."""
        encoded = pc.dictionary_encode(values)
        if isinstance(encoded, pa.ChunkedArray):
            encoded = encoded.combine_chunks()
        dictionary = encoded.dictionary
        # any code this upload's rows may get once united, and its own local codes
        bound = self._known() + self.pending_size + len(dictionary)
        if _dtype_for(bound) != self.codes.dtype and self.pending:
            self.unite()  # the bound may be loose (pending entries repeat): tighten it first
            bound = self._known() + len(dictionary)
        dtype = _dtype_for(bound)
        if np.dtype(dtype).itemsize > self.codes.dtype.itemsize:
            self.codes = self.codes.astype(dtype)
        end = at + len(encoded)
        self.codes[at:end] = encoded.indices.fill_null(-1).to_numpy()
        self.pending.append((at, end, dictionary))
        self.pending_size += len(dictionary)
        if self.pending_size > max(_ROUND, _GROWTH * self._known()):
            self.unite()

    def unite(self) -> None:
        """The pending uploads' dictionaries into the dictionary so far; their codes
        translated in place (the codes given before keep their meaning)."""
        if not self.pending:
            return
        parts = [d for _, _, d in self.pending]
        if self.dictionary is not None:
            parts.insert(0, self.dictionary)
        merged = pc.dictionary_encode(pa.concat_arrays(parts))
        translate = merged.indices.to_numpy()
        start = self._known()
        for first, end, dictionary in self.pending:
            size = len(dictionary)
            part = self.codes[first:end]
            if size:
                missing = part < 0
                part[:] = translate[start : start + size].take(np.maximum(part, 0))
                part[missing] = -1
            else:
                part[:] = -1
            start += size
        self.dictionary = merged.dictionary
        self.pending, self.pending_size = [], 0
        del merged, translate
        pa.default_memory_pool().release_unused()  # the round's hash table and copies

    def categorical(self, rows: int) -> pd.Categorical:
        """The column's ``rows`` rows as a categorical (categories: Python text, in order of
        first appearance)."""
        self.unite()
        values = [] if self.dictionary is None else self.dictionary.to_numpy(zero_copy_only=False)
        categories = pd.Index(values, dtype=object)
        codes = self.codes if rows == len(self.codes) else self.codes[:rows].copy()
        self.codes = np.empty(0, dtype=np.int8)
        self.dictionary = None
        codes = codes.astype(_dtype_for(len(categories)), copy=False)
        return pd.Categorical.from_codes(codes, dtype=_dtype(categories), validate=False)


def _dtype(categories: pd.Index) -> pd.CategoricalDtype:
    """The categorical dtype of ``categories``, distinct by construction (Arrow's dictionary):
    pandas' check of that hashes every value again (3.5 s of the read at scale 1000: ~6 M
    lot and shipment ids), so it is skipped where pandas offers the way to."""
    fast = getattr(pd.CategoricalDtype, "_from_fastpath", None)
    return fast(categories, False) if fast is not None else pd.CategoricalDtype(categories)


class PlainColumn:
    """One number or date column being read, into a preallocated numpy array."""

    def __init__(self, capacity: int, dtype: str) -> None:
        self.values = np.empty(capacity, dtype=dtype)

    def resize(self, capacity: int) -> None:
        """More (or fewer) rows of room, values kept."""
        self.values = resized(self.values, capacity)

    def add(self, at: int, values: pa.Array | pa.ChunkedArray) -> None:
        self.values[at : at + len(values)] = values.to_numpy(zero_copy_only=False)

    def array(self, rows: int) -> np.ndarray:
        out = self.values if rows == len(self.values) else self.values[:rows].copy()
        self.values = np.empty(0, dtype=self.values.dtype)
        return out
