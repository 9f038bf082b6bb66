"""The events kept for the answer key while the months stream out, in compact form.

Text columns are kept as int32 codes into one dictionary per column that grows month by
month (an Arrow string array: no Python object per value until the end). Each month's new
values are found with one hash lookup of its distinct values against the dictionary so far,
in the worker's idle time while the next month is simulated, so that at the end each column
is one ``Categorical.from_codes`` — rather than unifying twelve months' dictionaries (and
re-coding every row) after the last month, on the critical path. Categories come in order of
first appearance, as ``union_categoricals`` gives them.

>>> import pandas as pd
>>> keeper = EventKeeper()
>>> def month(period, lots):
...     return pd.DataFrame({"enterprise_id": ["E", "E"], "period": [period] * 2,
...                          "lot_id": pd.Series(lots, dtype=object), "mass_kg": [1.0, 2.0]})
>>> keeper.add(month("2024-01", ["L1", None]))
>>> keeper.add(month("2024-02", ["L2", "L1"]))
>>> table = keeper.table()
>>> table["lot_id"].tolist(), list(table["lot_id"].cat.categories), table["upload_id"].tolist()
(['L1', nan, 'L2', 'L1'], ['L1', 'L2'], [1, 1, 2, 2])
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Not read by any rule of the oracle: never kept.
DROPPED = ("event_id", "note")
# Read by the oracle only to order rows (earliest first): int32 is ample (a few hundred
# uploads, rows per file far below 2**31) and halves ~87 MB per column at scale 1000.
SORT_ONLY = ("source_row",)
# Text with a few values that the oracle compares and takes minima of ('YYYY-MM'): an
# ordered categorical (one byte a row, where Arrow text is ~15 and its filters copy it).
ORDERED = ("period",)


class _Dictionary:
    """One text column's distinct values so far (an Arrow string array) and its rows' codes."""

    def __init__(self) -> None:
        self.values = pa.array([], type=pa.string())
        self.codes: list[np.ndarray] = []

    def add(self, column: np.ndarray) -> None:
        """Code one month's values (an object array, None/NaN missing: code -1)."""
        encoded = pa.array(column, type=pa.string(), from_pandas=True).dictionary_encode()
        month = encoded.dictionary
        known = pc.index_in(month, value_set=self.values)
        new = pc.is_null(known).to_numpy(zero_copy_only=False)
        mapping = pc.fill_null(known, 0).to_numpy().astype(np.int32)
        mapping[new] = len(self.values) + np.arange(int(new.sum()), dtype=np.int32)
        if new.any():
            self.values = pa.concat_arrays([self.values, month.filter(pa.array(new))])
        indices = pc.fill_null(encoded.indices, -1).to_numpy().astype(np.int32)
        # -1 (missing) stays -1: the mapping gets a last slot for it
        self.codes.append(np.append(mapping, np.int32(-1))[indices])

    def series(self) -> pd.Series:
        """All months' rows as one categorical (codes released as they are joined)."""
        categories = pd.Index(self.values.to_pylist(), dtype=object)
        codes = np.concatenate(self.codes) if self.codes else np.empty(0, dtype=np.int32)
        self.codes = []
        return pd.Series(pd.Categorical.from_codes(codes, categories=categories))


class EventKeeper:
    """Collects the months' event tables (EVENT_COLUMNS) for the oracle, column by column."""

    def __init__(self) -> None:
        self.parts: dict[str, list | _Dictionary] = {}
        self.rows = 0

    def add(self, events: pd.DataFrame) -> None:
        """Keep one month's events (the frame may be dropped afterwards)."""
        for c in events.columns:
            if c in DROPPED:
                continue
            col = events[c]
            if col.dtype == object:  # codes into the column's dictionary so far
                self.parts.setdefault(c, _Dictionary()).add(col.to_numpy(dtype=object))
                continue
            if isinstance(col.dtype, pd.StringDtype):  # period: an ordered categorical
                self.parts.setdefault(c, _Dictionary()).add(col.to_numpy(dtype=object))
                continue
            if c in SORT_ONLY:
                values = col.to_numpy().astype(np.int32)
            else:
                values = col.to_numpy()
            self.parts.setdefault(c, []).append(values)
        self.rows += len(events)

    def table(self) -> pd.DataFrame:
        """One event table of every month kept (the parts are released column by column);
        ``upload_id`` = the rank of (enterprise, period) in sorted order (the order
        ``flowgraph load`` reads the files in)."""
        columns = {}
        for c in list(self.parts):
            parts = self.parts.pop(c)
            if isinstance(parts, _Dictionary):
                columns[c] = parts.series()
                if c in ORDERED:  # a few months: their order is the text's
                    labels = sorted(columns[c].cat.categories)
                    columns[c] = columns[c].cat.reorder_categories(labels, ordered=True)
            else:
                columns[c] = pd.Series(np.concatenate(parts))
            del parts
        frame = pd.DataFrame(columns)
        frame["upload_id"] = _upload_ranks(frame["enterprise_id"], frame["period"])
        return frame


def _upload_ranks(enterprises: pd.Series, periods: pd.Series) -> np.ndarray:
    """Per row the rank (from 1) of its (enterprise, period) among the distinct pairs in
    sorted order: the distinct pairs (a few hundred) are found by integer codes and only
    they are sorted, as a factorize of every row's pair with ``sort=True`` would order them."""
    ent_codes, _ = pd.factorize(enterprises)
    period_codes, period_values = pd.factorize(periods)
    pair = ent_codes.astype(np.int64) * max(len(period_values), 1) + period_codes
    pair_codes, uniques = pd.factorize(pair)
    first = np.zeros(len(uniques), dtype=np.int64)
    first[pair_codes[::-1]] = np.arange(len(pair_codes) - 1, -1, -1)  # first row of each pair
    distinct = pd.MultiIndex.from_arrays(
        [enterprises.take(first).reset_index(drop=True), periods.take(first).reset_index(drop=True)]
    )
    ranks, _ = pd.factorize(distinct, sort=True)
    return ranks.astype(np.int32)[pair_codes] + 1  # an order only (SORT_ONLY)
