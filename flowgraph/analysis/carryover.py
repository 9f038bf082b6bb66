"""Years as partitions: which rows of other years a year's detection needs (its carry-over).

Detecting one year on that year's events alone would get every finding wrong that spans a
new year (a lot created in December and consumed in January would be UNKNOWN_LOT, a shipment
in transit over new year UNCONFIRMED_SHIPMENT, a lot's traceable share would lose its
ancestry). The carry-over of year Y is the smallest set of rows of other years with which
every finding whose period lies in Y comes out exactly as on the whole history:

- every row of the *entities* year Y's rows name, in any year: its lots (a lot's balance,
  book stock, creations, first sight, receipts: LOT_OVERDRAWN, STOCK_MISMATCH, DUPLICATE_LOT,
  TIME_INVERSION, UNKNOWN_LOT, UNDESIGNATED_EXTRACTION, lawful custody), its domestic shipments
  (sender, shipment_id, receiver), its export shipments (enterprise, shipment_id), the customs
  declarations its rows name or the customs register dates in Y, the licences its rows name;
- every row of the lots a receipt of such a shipment carries (whether the sender lawfully
  held the lot, UNDESIGNATED_SUPPLY);
- the lineage of every lot any of these rows names: its creating rows in any year (its REO
  grade, product and origin), and for each produce row the whole batch, then the lineage of
  the lots that batch consumed, back to the origins (traceable shares, lineage cycles).

An entity none of whose rows lies in Y gives findings dated outside Y only (every finding's
period is the month of one of its rows, or of its declaration), so rows kept only for their
lineage never add a finding to Y; findings are then kept by ``findings.filter_findings``.
Which (enterprise, month) pairs have an upload comes from the store, not from the rows.
The closure is computed here on DataFrames (pure); ``years.py`` reads the years from a store.

>>> from flowgraph.model import events_frame
>>> old = events_frame([
...     {"event_type": "extract", "date": "2024-12-02", "enterprise_id": "M", "lot_id": "A",
...      "product": "BAST_CONC", "mass_kg": 100, "reo_pct": 50, "upload_id": 1},
...     {"event_type": "extract", "date": "2024-12-03", "enterprise_id": "M", "lot_id": "Z",
...      "product": "BAST_CONC", "mass_kg": 100, "reo_pct": 50, "upload_id": 1}])
>>> new = events_frame([{"event_type": "ship", "date": "2025-01-05", "enterprise_id": "M",
...     "lot_id": "A", "mass_kg": 100, "counterparty_id": "S", "shipment_id": "S1",
...     "upload_id": 2}])
>>> closure = Closure.seed(new)
>>> closure.take(old)["lot_id"].tolist()     # the lot shipped in January, not the other one
['A']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from flowgraph.encoding import concat_events, encode_text, is_encoded
from flowgraph.model import CREATING_TYPES

_SEP = "\x1f"  # joins key parts; never inside an identifier (control characters are refused)


class _Key:
    """One key per row as integer codes (-1: the row has none) into distinct values, so every
    membership test runs on the distinct values (a year of a million rows names far fewer
    lots) and a categorical column is used as it is."""

    __slots__ = ("codes", "values")

    def __init__(self, codes: np.ndarray, values: np.ndarray) -> None:
        self.codes, self.values = codes, values

    @classmethod
    def of(cls, column: pd.Series | np.ndarray) -> _Key:
        if isinstance(column, pd.Series) and isinstance(column.dtype, pd.CategoricalDtype):
            codes = column.cat.codes.to_numpy().astype(np.int64)
            return cls(codes, column.cat.categories.to_numpy(dtype=object))
        codes, values = pd.factorize(np.asarray(column, dtype=object), use_na_sentinel=True)
        return cls(codes.astype(np.int64), np.asarray(values, dtype=object))

    def only(self, rows: np.ndarray) -> _Key:
        """The same key on ``rows`` only (-1 elsewhere)."""
        codes = np.full(len(self.codes), -1, dtype=np.int64)
        codes[rows] = self.codes[rows]
        return _Key(codes, self.values)

    def isin(self, wanted: Iterable[str]) -> np.ndarray:
        """Per row: its key is one of ``wanted``."""
        wanted = wanted if isinstance(wanted, set) else set(wanted)
        # set lookups over the distinct values: pandas' isin would hash the whole (often
        # larger) wanted set again on every call
        hit = np.fromiter((v in wanted for v in self.values), dtype=bool, count=len(self.values))
        if not hit.any():
            return np.zeros(len(self.codes), dtype=bool)
        return np.append(hit, False)[self.codes]  # code -1 picks the trailing False

    def present(self, rows: np.ndarray | None = None) -> set[str]:
        """The keys of ``rows`` (every row when None)."""
        codes = self.codes if rows is None else self.codes[rows]
        used = np.unique(codes)
        return set(self.values[used[used >= 0]].tolist())


def _joined(frame: pd.DataFrame, rows: np.ndarray, columns: tuple[str, ...]) -> np.ndarray:
    """``columns`` of ``rows`` joined into one key each (only those rows: a million-row year
    builds keys for its shipments, not for every row)."""
    parts = [
        pd.Series(frame[c].to_numpy(dtype=object)[rows], dtype=object).fillna("") for c in columns
    ]
    return parts[0].str.cat(parts[1:], sep=_SEP).to_numpy(dtype=object)


def _keys(frame: pd.DataFrame) -> dict[str, _Key]:
    """Per row, the key of each entity it belongs to."""
    etype = _Key.of(frame["event_type"])
    has_sid = _Key.of(frame["shipment_id"]).codes >= 0
    n = len(frame)

    def kind(*names: str) -> np.ndarray:
        return etype.isin(names)

    def keyed(parts: list[tuple[np.ndarray, tuple[str, ...]]]) -> _Key:
        out = np.full(n, None, dtype=object)
        for rows, columns in parts:
            if rows.size:
                out[rows] = _joined(frame, rows, columns)
        return _Key.of(out)

    sent = np.flatnonzero(kind("ship") & has_sid)
    received = np.flatnonzero(kind("receive") & has_sid)
    batched = np.flatnonzero(kind("consume", "produce") & (_Key.of(frame["batch_id"]).codes >= 0))
    return {
        "lot": _Key.of(frame["lot_id"]),
        "ship": keyed(
            [
                (sent, ("enterprise_id", "shipment_id", "counterparty_id")),
                (received, ("counterparty_id", "shipment_id", "enterprise_id")),
            ]
        ),
        "export": keyed(
            [(np.flatnonzero(kind("export") & has_sid), ("enterprise_id", "shipment_id"))]
        ),
        "doc": _Key.of(frame["document_ref"]).only(np.flatnonzero(kind("import", "export"))),
        "licence": _Key.of(frame["licence_no"]),
        "batch": keyed([(batched, ("enterprise_id", "batch_id"))]),
        "etype": etype,
    }


class Closure:
    """The entity keys year Y's detection needs from other years (module docstring), grown as
    rows of other years are taken in.

    ``full``: lots whose every row is needed; ``ship`` / ``export`` / ``doc`` / ``licence``:
    the shipments, export shipments, declarations and licences named in Y (fixed at seeding);
    ``lineage``: lots whose creating rows are needed; ``batch``: batches needed whole.
    ``version`` counts the growths, so a caller knows which years to read again.
    """

    def __init__(self) -> None:
        self.sets: dict[str, set[str]] = {
            k: set() for k in ("full", "ship", "export", "doc", "licence", "lineage", "batch")
        }
        self.version = 0

    @classmethod
    def seed(cls, year_events: pd.DataFrame, declarations: Iterable[str] = ()) -> Closure:
        """The closure of one year's events; ``declarations``: the customs register's
        declaration numbers dated in that year (a declaration no row of its year names)."""
        closure = cls()
        keys = _keys(year_events)
        for name in ("ship", "export", "doc", "licence"):
            closure.sets[name] = keys[name].present()
        closure.sets["doc"].update(str(d) for d in declarations)
        closure.sets["full"] = keys["lot"].present()
        closure.sets["lineage"] = set(closure.sets["full"])
        produce = np.flatnonzero(keys["etype"].isin(["produce"]))
        closure.sets["batch"] = keys["batch"].present(produce)
        return closure

    def _mask(self, keys: dict[str, _Key]) -> np.ndarray:
        s = self.sets
        creating = keys["etype"].isin(list(CREATING_TYPES))
        mask = keys["lot"].isin(s["full"])
        mask |= creating & keys["lot"].isin(s["lineage"])
        for name in ("batch", "ship", "export", "doc", "licence"):
            mask |= keys[name].isin(s[name])
        return mask

    def _grow(self, keys: dict[str, _Key], rows: np.ndarray) -> bool:
        """Take in the lots and batches the taken ``rows`` name; True when anything was new."""
        s, before = self.sets, sum(len(v) for v in self.sets.values())
        s["lineage"].update(keys["lot"].present(rows))
        produce = rows[keys["etype"].isin(["produce"])[rows]]
        s["batch"].update(keys["batch"].present(produce))
        # receipts of a shipment named in Y: the sender's custody of their lots is judged
        received = keys["etype"].isin(["receive"]) & keys["ship"].isin(s["ship"])
        s["full"].update(keys["lot"].present(rows[received[rows]]))
        grew = sum(len(v) for v in s.values()) != before
        self.version += grew
        return grew

    def take(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows of ``frame`` (another year's events) the closure needs, growing it with what
        they name until that year adds nothing more."""
        return frame.iloc[self.positions(frame)]

    def positions(self, frame: pd.DataFrame) -> np.ndarray:
        """Positions in ``frame`` of the rows ``take`` returns."""
        if frame.empty:
            return np.zeros(0, dtype=np.int64)
        keys = _keys(frame)
        while True:
            rows = np.flatnonzero(self._mask(keys))
            if not self._grow(keys, rows):
                return rows


def global_order(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Rows of several years in the stores' order (upload, then row), one table."""
    frames = [f for f in frames if len(f)]
    if not frames:
        from flowgraph.model import empty_events

        return empty_events()
    # categoricals stay categorical (their categories united), in the rows' order again
    events = concat_events(frames) if len(frames) > 1 else frames[0]
    order = np.lexsort((events["source_row"].to_numpy(), events["upload_id"].to_numpy()))
    events = events.take(order).reset_index(drop=True)
    return encode_text(events) if any(is_encoded(events[c]) for c in events.columns) else events


def carry_overs(
    read_year: Callable[[int], pd.DataFrame],
    years: list[int],
    targets: list[int],
    declarations: Callable[[int], Iterable[str]] = lambda year: (),
) -> dict[int, pd.DataFrame]:
    """Per target year, the rows of the other ``years`` it needs (the carry-over), reading one
    year at a time with ``read_year`` (so at most one other year is held besides the
    carry-overs). A year is read again only while some target's closure grew since it was
    last read (lineage running backwards over several years).

    >>> from flowgraph.model import events_frame
    >>> data = {2024: events_frame([{"event_type": "import", "date": "2024-12-30",
    ...     "enterprise_id": "I", "lot_id": "A", "mass_kg": 5, "reo_pct": 90,
    ...     "country": "MM", "document_ref": "D1", "upload_id": 1}]),
    ...     2025: events_frame([{"event_type": "export", "date": "2025-01-02",
    ...     "enterprise_id": "I", "lot_id": "A", "mass_kg": 5, "shipment_id": "X",
    ...     "country": "JP", "document_ref": "D2", "upload_id": 2}])}
    >>> out = carry_overs(data.__getitem__, [2024, 2025], [2024, 2025])
    >>> out[2025]["event_type"].tolist(), out[2024]["event_type"].tolist()
    (['import'], ['export'])
    """
    closures = {t: Closure.seed(read_year(t), declarations(t)) for t in targets}
    taken: dict[tuple[int, int], pd.DataFrame] = {}
    seen: dict[tuple[int, int], int] = {}  # (target, year) -> closure version when last read
    while True:
        stale = [
            y
            for y in years
            if any(t != y and seen.get((t, y)) != closures[t].version for t in targets)
        ]
        if not stale:
            break
        for year in stale:
            frame = read_year(year)
            for t in targets:
                if t == year or seen.get((t, year)) == closures[t].version:
                    continue
                taken[(t, year)] = frame.iloc[closures[t].positions(frame)].copy()
                seen[(t, year)] = closures[t].version
            del frame
    return {t: global_order([taken[k] for k in sorted(taken) if k[0] == t]) for t in targets}
