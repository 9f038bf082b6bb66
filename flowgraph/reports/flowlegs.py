"""The legs of the flow table (see flows.py for the rules), computed over integer codes.

Every text key (lot, enterprise, shipment, batch, period) is factorised once, so grouping and
matching work on int64 arrays: a million events take seconds, not minutes. A *leg* is one
(lot, source, target) amount of REO in kg; a source or target is either an enterprise code
(``src_ent`` / ``dst_ent`` >= 0) or a fixed node code (``src`` / ``dst`` >= 0, see Nodes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from flowgraph.analysis.prepared import PreparedEvents

EPS_KG = 1e-6  # below this a balance is float noise, not a flow
FLOW_TYPES = ("extract", "import", "produce", "receive", "ship", "export", "consume", "loss")
_SIGN = {t: (1.0 if t in ("extract", "import", "produce", "receive") else -1.0) for t in FLOW_TYPES}


def codes(values: pd.Series | np.ndarray) -> tuple[np.ndarray, pd.Index]:
    """int64 codes (-1 for null) and the distinct values."""
    if isinstance(values, pd.Series):
        values = values.array
    c, uniques = pd.factorize(values, use_na_sentinel=True)
    return np.asarray(c, dtype=np.int64), pd.Index(
        np.asarray(uniques, dtype=object), dtype="object"
    )


class Nodes:
    """Names of the fixed (non-enterprise) nodes, coded in order of first use."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self._index: dict[str, int] = {}

    def code(self, name: str) -> int:
        if name not in self._index:
            self._index[name] = len(self.names)
            self.names.append(name)
        return self._index[name]

    def codes(self, names: np.ndarray) -> np.ndarray:
        if len(names) == 0:
            return np.zeros(0, dtype=np.int64)
        uniq, inverse = np.unique(np.asarray(names, dtype=str), return_inverse=True)
        return np.array([self.code(u) for u in uniq], dtype=np.int64)[inverse]


@dataclass
class Coded:
    """The flow rows of an event table as arrays (one entry per flow row)."""

    kind: np.ndarray  # event_type code, see KIND
    ent: np.ndarray  # enterprise code
    cp: np.ndarray  # counterparty code (same code space as ent), -1 when null
    lot: np.ndarray
    shipment: np.ndarray
    batch: np.ndarray
    month: np.ndarray  # year * 12 + month - 1
    reo: np.ndarray  # kg REO (SPEC §1)
    family: np.ndarray  # product family of the row's lot (object)
    ent_ids: pd.Index
    lot_ids: pd.Index
    rows: np.ndarray  # position of each flow row in the event table
    reporters: np.ndarray  # per enterprise code (+1 spare for -1): has rows of its own

    def mask(self, *kinds: str) -> np.ndarray:
        return np.isin(self.kind, [KIND[k] for k in kinds])


KIND = {t: i for i, t in enumerate(FLOW_TYPES)}


def encode(view: PreparedEvents) -> Coded:
    """Code the flow rows of the view's events (every type but stock).

    Text columns are factorised (over the rows that use them) and the codes then taken,
    which is much cheaper than copying a million rows of Python strings.
    """
    events = view.events
    type_codes, type_names = codes(events["event_type"])
    kind_all = np.array([KIND.get(t, -1) for t in type_names] + [-1], dtype=np.int64)[type_codes]
    keep = np.flatnonzero(kind_all >= 0)
    n = len(keep)

    kind = kind_all[keep]

    def sub_codes(name: str, *kinds: str) -> tuple[np.ndarray, pd.Index]:
        """Codes of a column that only ``kinds`` rows use: factorise just those rows."""
        where = np.flatnonzero(np.isin(kind, [KIND[k] for k in kinds]))
        out = np.full(n, -1, dtype=np.int64)
        out[where], uniques = codes(events[name].array.take(keep[where]))
        return out, uniques

    ent_all, ent_known = codes(events["enterprise_id"])
    ent = ent_all[keep]
    # Counterparties share the enterprise code space: new names are numbered after the
    # enterprises, names already known keep the enterprise's code.
    cp_raw, cp_names = sub_codes("counterparty_id", "ship", "receive")
    cp_new = cp_names[~cp_names.isin(ent_known)]
    ent_ids = pd.Index(np.concatenate([ent_known.to_numpy(), cp_new.to_numpy()]), dtype="object")
    cp_map = np.append(ent_ids.get_indexer(cp_names), -1)
    cp = cp_map[cp_raw]
    lot, lot_ids = view.lot_code[keep], view.lots
    pcode, periods = codes(events["period"])
    pmonth = np.array(
        [int(p[:4]) * 12 + int(p[5:7]) - 1 if isinstance(p, str) else -1 for p in periods] + [-1],
        dtype=np.int64,
    )
    month = pmonth[pcode[keep]]
    # REO and product family of each row: the prepared view's (SPEC §1 and §3 rules).
    reo = view.row_reo[keep]
    return Coded(
        kind=kind,
        ent=ent,
        cp=cp,
        lot=lot,
        shipment=sub_codes("shipment_id", "ship", "receive", "export")[0],
        batch=sub_codes("batch_id", "consume", "produce")[0],
        month=month if n else np.zeros(0, dtype=np.int64),
        reo=reo,
        family=view.row_family[keep],
        ent_ids=ent_ids,
        lot_ids=lot_ids,
        rows=keep,
        reporters=np.arange(len(ent_ids) + 1) < len(ent_known),
    )


class Legs:
    """Accumulates legs as arrays; ``frame()`` concatenates them."""

    def __init__(self) -> None:
        self.parts: list[dict[str, np.ndarray]] = []

    def add(self, *, lot, reo, src=-1, dst=-1, src_ent=-1, dst_ent=-1, forced=False) -> None:
        lot = np.asarray(lot, dtype=np.int64)
        n = len(lot)
        if n == 0:
            return

        def full(value, dtype):
            arr = np.asarray(value, dtype=dtype)
            return np.full(n, arr, dtype=dtype) if arr.ndim == 0 else arr

        self.parts.append(
            {
                "src": full(src, np.int64),
                "dst": full(dst, np.int64),
                "src_ent": full(src_ent, np.int64),
                "dst_ent": full(dst_ent, np.int64),
                "lot": lot,
                "reo": full(reo, np.float64),
                "forced": full(forced, bool),
            }
        )

    def frame(self) -> dict[str, np.ndarray]:
        keys = ("src", "dst", "src_ent", "dst_ent", "lot", "reo", "forced")
        if not self.parts:
            return {
                k: np.zeros(
                    0, dtype=bool if k == "forced" else np.float64 if k == "reo" else np.int64
                )
                for k in keys
            }
        return {k: np.concatenate([p[k] for p in self.parts]) for k in keys}


def group_ids(*columns: np.ndarray) -> tuple[np.ndarray, int]:
    """Dense group id per row for the combination of int64 columns (any range, no overflow)."""
    if len(columns[0]) == 0:
        return np.zeros(0, dtype=np.int64), 0
    frame = pd.DataFrame({i: np.asarray(c, dtype=np.int64) for i, c in enumerate(columns)})
    ids = frame.groupby(list(frame.columns), sort=False).ngroup().to_numpy(dtype=np.int64)
    return ids, int(ids.max()) + 1
