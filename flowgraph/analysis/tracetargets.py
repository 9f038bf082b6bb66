"""What ``trace`` traces when given an id: a lot, or the lots of a shipment or of a batch.

>>> from flowgraph.model import events_frame
>>> ev = events_frame([
...     {"event_type": "ship", "date": "2024-01-02", "enterprise_id": "M1", "lot_id": "A",
...      "mass_kg": 5, "shipment_id": "S-1", "counterparty_id": "P1"},
...     {"event_type": "ship", "date": "2024-01-02", "enterprise_id": "M1", "lot_id": "B",
...      "mass_kg": 5, "shipment_id": "S-1", "counterparty_id": "P1"}])
>>> t = trace_target(ev, "S-1")
>>> t.kind, t.lots, t.enterprises
('shipment', ('A', 'B'), ('M1',))
>>> trace_target(ev, "A").kind
'lot'
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from flowgraph.errors import UsageError


@dataclass(frozen=True)
class TraceTarget:
    """``kind``: lot, shipment or batch; ``lots``: the lots to trace, in first-row order;
    ``enterprises``: whose rows name the shipment or batch (batch and shipment ids are each
    enterprise's own, so one id may name several); ``note``: how the lots were chosen."""

    kind: str
    ident: str
    lots: tuple[str, ...]
    enterprises: tuple[str, ...]
    note: str = ""


def _ordered(values: pd.Series) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if isinstance(v, str)))


def trace_target(events: pd.DataFrame, ident: str, *, enterprise: str | None = None) -> TraceTarget:
    """The lots ``ident`` stands for: itself when it is a lot id; the lots a shipment's rows
    carry (ship, receive, export, both sides); a batch's output lots (its input lots when it
    produced nothing). A lot id wins over a shipment id, which wins over a batch id.
    ``enterprise`` keeps only the shipment or batch of that enterprise (as sender, receiver or
    the batch's). Raises UsageError when ``ident`` names none of them.
    """
    if (events["lot_id"] == ident).any():
        owners = _ordered(events.loc[events["lot_id"] == ident, "enterprise_id"])
        return TraceTarget("lot", ident, (ident,), owners)
    rows = events[events["shipment_id"] == ident]
    if enterprise is not None:
        rows = rows[(rows["enterprise_id"] == enterprise) | (rows["counterparty_id"] == enterprise)]
    if len(rows):
        return TraceTarget(
            "shipment", ident, _ordered(rows["lot_id"]), _ordered(rows["enterprise_id"])
        )
    rows = events[events["batch_id"] == ident]
    if enterprise is not None:
        rows = rows[rows["enterprise_id"] == enterprise]
    if len(rows):
        outputs = rows[rows["event_type"] == "produce"]
        if len(outputs):
            lots, note = outputs["lot_id"], "its output lots"
        else:
            lots, note = rows["lot_id"], "its input lots (it produced nothing)"
        return TraceTarget("batch", ident, _ordered(lots), _ordered(rows["enterprise_id"]), note)
    where = f" at {enterprise}" if enterprise else ""
    raise UsageError(f"no lot, shipment or batch {ident}{where} in the current uploads")
