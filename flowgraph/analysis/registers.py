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


class JointKeys:
    """One integer key per row of two frames for a tuple of their columns, on one list of values
    per column: equal tuples get equal keys in both frames, so joins and groupbys run on
    integers instead of hashing text again in each merge (issue #15: the customs register
    holds ~0.7 M lines a national year). Keys are dense (0 .. ``size`` - 1, in order of first
    appearance over ``left`` then ``right``), so membership is a table lookup. A missing value
    has a code of its own (a merge matches missing with missing too); ``left_missing`` /
    ``right_missing`` mark the rows where a column is missing, which a groupby leaves out.

    >>> a = pd.DataFrame({"d": ["X", "Y", None], "e": ["E1", "E2", "E1"]})
    >>> b = pd.DataFrame({"n": ["Y", "Z"], "m": ["E2", "E1"]})
    >>> k = JointKeys(a, ["d", "e"], b, ["n", "m"])
    >>> bool(k.left[1] == k.right[0]), k.left_missing.tolist(), k.member(k.left, k.right).tolist()
    (True, [False, False, True], [False, True, False])
    >>> [v.tolist() for v in k.decode(k.right)]
    [['Y', 'Z'], ['E2', 'E1']]
    """

    def __init__(
        self, left: pd.DataFrame, left_columns: list[str], right, right_columns: list[str]
    ) -> None:
        n = len(left)
        sparse = np.zeros(n + len(right), dtype=np.int64)
        missing = np.zeros(n + len(right), dtype=bool)
        self.values: list[np.ndarray] = []
        for a, b in zip(left_columns, right_columns, strict=True):
            both = np.concatenate([left[a].to_numpy(dtype=object), right[b].to_numpy(dtype=object)])
            codes, distinct = pd.factorize(both)
            gap = codes < 0
            missing |= gap
            codes[gap] = len(distinct)  # missing: the code after the values
            sparse *= len(distinct) + 1
            sparse += codes
            self.values.append(np.append(np.asarray(distinct, dtype=object), None))
        self._dense(sparse, n)
        self.left_missing, self.right_missing = missing[:n], missing[n:]

    def _dense(self, sparse: np.ndarray, n: int) -> None:
        codes, self.sparse = pd.factorize(sparse)
        self.left, self.right = codes[:n], codes[n:]

    @property
    def size(self) -> int:
        return len(self.sparse)

    def member(self, keys: np.ndarray, of: np.ndarray) -> np.ndarray:
        """Per key of ``keys``: whether it is among ``of`` (both keys of this object)."""
        present = np.zeros(self.size, dtype=bool)
        present[np.asarray(of)] = True
        return present[np.asarray(keys)]

    def prefix(self, columns: int) -> np.ndarray:
        """Per key: the key of its tuple's first ``columns`` columns alone (dense, in order of
        first appearance, like the keys)."""
        size = int(np.prod([len(v) for v in self.values[columns:]], dtype=np.int64))
        return pd.factorize(self.sparse // size)[0]

    def decode(self, keys: np.ndarray) -> list[np.ndarray]:
        """The values behind ``keys``, one object array per column (None for missing)."""
        sparse = self.sparse[np.asarray(keys, dtype=np.int64)]
        out = []
        for values in reversed(self.values):
            out.append(values[sparse % len(values)])
            sparse = sparse // len(values)
        return out[::-1]
