"""The events kept for the answer key while the months stream out, in compact form.

Text columns are kept as Arrow dictionary arrays per month (int32 codes and the month's
distinct values in Arrow buffers, no Python object per value); at the end the months'
dictionaries are unified in Arrow and each column becomes one ``Categorical.from_codes`` —
instead of pandas categoricals per month re-coded against each other by
``union_categoricals`` (a sixth of the run at scale 100). Categories come in order of first
appearance, as ``union_categoricals`` gives them.

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


def _categorical(parts: list[pa.DictionaryArray]) -> pd.Series:
    """One categorical column from the months' dictionary arrays (dictionaries unified in
    Arrow: categories in order of first appearance)."""
    unified = pa.chunked_array(parts, type=parts[0].type).unify_dictionaries()
    categories = pd.Index(unified.chunk(0).dictionary.to_pylist(), dtype=object)
    codes = np.concatenate(
        [pc.fill_null(chunk.indices, -1).to_numpy().astype(np.int32) for chunk in unified.chunks]
    )
    del unified
    return pd.Series(pd.Categorical.from_codes(codes, categories=categories))


class EventKeeper:
    """Collects the months' event tables (EVENT_COLUMNS) for the oracle, column by column."""

    def __init__(self) -> None:
        self.parts: dict[str, list] = {}
        self.text: set[str] = set()
        self.rows = 0

    def add(self, events: pd.DataFrame) -> None:
        """Keep one month's events (the frame may be dropped afterwards)."""
        for c in events.columns:
            if c in DROPPED:
                continue
            col = events[c]
            if col.dtype == object:  # Arrow dictionary: int32 codes + the month's values
                values = pa.array(col.to_numpy(dtype=object), type=pa.string()).dictionary_encode()
                self.text.add(c)
            elif isinstance(col.dtype, pd.StringDtype):  # period: one string object per month
                codes, uniques = pd.factorize(col)
                values = np.asarray(uniques, dtype=object)[codes]
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
            if c in self.text:
                columns[c] = _categorical(parts)
            else:
                columns[c] = pd.Series(np.concatenate(parts))
            del parts
        frame = pd.DataFrame(columns)
        keys = pd.MultiIndex.from_arrays([frame["enterprise_id"], frame["period"]])
        codes, _ = pd.factorize(keys, sort=True)
        frame["upload_id"] = codes.astype(np.int64) + 1
        return frame
