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


def _column(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A text column as an object array, None for null (categoricals share their strings)."""
    values = frame[column].to_numpy(dtype=object)
    return np.where(pd.isna(values), None, values)


def _joined(frame: pd.DataFrame, rows: np.ndarray, columns: tuple[str, ...]) -> np.ndarray:
    """``columns`` of ``rows`` joined into one key each (only those rows: a million-row year
    builds keys for its shipments, not for every row)."""
    parts = [pd.Series(_column(frame, c)[rows], dtype=object).fillna("") for c in columns]
    return parts[0].str.cat(parts[1:], sep=_SEP).to_numpy(dtype=object)


def _keys(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per row, the key of each entity it belongs to (None where it belongs to none)."""
    etype = _column(frame, "event_type")
    has_sid = pd.notna(_column(frame, "shipment_id"))
    n = len(frame)

    def keyed(rows: np.ndarray, columns: tuple[str, ...]) -> np.ndarray:
        out = np.full(n, None, dtype=object)
        if rows.size:
            out[rows] = _joined(frame, rows, columns)
        return out

    ship = keyed(
        np.flatnonzero((etype == "ship") & has_sid),
        ("enterprise_id", "shipment_id", "counterparty_id"),
    )
    receive = np.flatnonzero((etype == "receive") & has_sid)
    if receive.size:
        ship[receive] = _joined(frame, receive, ("counterparty_id", "shipment_id", "enterprise_id"))
    trade = np.isin(etype, ["import", "export"])
    batched = np.isin(etype, ["consume", "produce"]) & pd.notna(_column(frame, "batch_id"))
    return {
        "lot": _column(frame, "lot_id"),
        "ship": ship,
        "export": keyed(
            np.flatnonzero((etype == "export") & has_sid), ("enterprise_id", "shipment_id")
        ),
        "doc": np.where(trade, _column(frame, "document_ref"), None),
        "licence": _column(frame, "licence_no"),
        "batch": keyed(np.flatnonzero(batched), ("enterprise_id", "batch_id")),
        "etype": etype,
    }


def _isin(keys: np.ndarray, wanted: set[str]) -> np.ndarray:
    if not wanted:
        return np.zeros(len(keys), dtype=bool)
    return pd.Series(keys, dtype=object).isin(wanted).to_numpy().copy()


def _present(keys: np.ndarray) -> set[str]:
    return {k for k in pd.unique(keys) if k is not None}


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
            closure.sets[name] = _present(keys[name])
        closure.sets["doc"].update(str(d) for d in declarations)
        closure.sets["full"] = _present(keys["lot"])
        closure.sets["lineage"] = set(closure.sets["full"])
        closure.sets["batch"] = _present(keys["batch"][keys["etype"] == "produce"])
        return closure

    def _mask(self, keys: dict[str, np.ndarray]) -> np.ndarray:
        s = self.sets
        creating = np.isin(keys["etype"], list(CREATING_TYPES))
        mask = _isin(keys["lot"], s["full"])
        mask |= creating & _isin(keys["lot"], s["lineage"])
        for name in ("batch", "ship", "export", "doc", "licence"):
            mask |= _isin(keys[name], s[name])
        return mask

    def _grow(self, keys: dict[str, np.ndarray], rows: np.ndarray) -> bool:
        """Take in the lots and batches the taken ``rows`` name; True when anything was new."""
        s, before = self.sets, sum(len(v) for v in self.sets.values())
        lots, etype = keys["lot"][rows], keys["etype"][rows]
        s["lineage"].update(_present(lots))
        s["batch"].update(_present(keys["batch"][rows][etype == "produce"]))
        # receipts of a shipment named in Y: the sender's custody of their lots is judged
        received = (etype == "receive") & _isin(keys["ship"][rows], s["ship"])
        s["full"].update(_present(lots[received]))
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
