"""One enterprise seen from its own rows: monthly REO by kind of flow, and its counterparties.

Pure functions of the current events (REO of a row by SPEC §1's rule, ``common.reo_kg``);
the workbench's Enterprise page draws them.

>>> from flowgraph.model import events_frame
>>> ev = events_frame([
...     {"event_type": "extract", "date": "2024-03-02", "enterprise_id": "M1", "lot_id": "L1",
...      "product": "BAST_CONC", "mass_kg": 1000, "reo_pct": 60},
...     {"event_type": "ship", "date": "2024-03-05", "enterprise_id": "M1", "lot_id": "L1",
...      "mass_kg": 400, "counterparty_id": "S1", "shipment_id": "SH1"}])
>>> monthly_balance(ev, "M1")[["period", "created", "shipped", "stock"]].values.tolist()
[['2024-03', 600.0, 240.0, 360.0]]
>>> counterparties(ev, "M1")[["counterparty_id", "direction", "reo_t"]].values.tolist()
[['S1', 'out', 0.24]]
"""

from __future__ import annotations

import pandas as pd

from flowgraph.analysis.common import reo_kg

# Columns of monthly_balance, kg REO; ``stock`` is the book stock at the month's end
# (everything in minus everything out so far), ``declared_stock`` the stock rows' REO.
FLOW_KINDS = {
    "created": ("extract", "import"),
    "received": ("receive",),
    "produced": ("produce",),
    "shipped": ("ship",),
    "exported": ("export",),
    "consumed": ("consume",),
    "lost": ("loss",),
}
INFLOWS = ("created", "received", "produced")
OUTFLOWS = ("shipped", "exported", "consumed", "lost")
BALANCE_COLUMNS = ("period", *FLOW_KINDS, "stock", "declared_stock")


def monthly_balance(
    events: pd.DataFrame, enterprise_id: str, *, reo: pd.Series | None = None
) -> pd.DataFrame:
    """Per month of the enterprise's uploads: kg REO created, received, produced, shipped,
    exported, consumed, lost; ``stock`` = running book stock; ``declared_stock`` = its stock
    rows. Months in order; empty frame when the enterprise has no rows. ``reo``: each row's kg
    REO when the caller has it (a prepared view's ``row_reo``), else computed here."""
    reo = (reo_kg(events) if reo is None else reo).fillna(0.0)
    own = events["enterprise_id"] == enterprise_id
    rows = events.loc[own, ["period", "event_type"]].assign(reo=reo[own])
    if rows.empty:
        return pd.DataFrame(columns=list(BALANCE_COLUMNS))
    table = rows.pivot_table(
        index="period", columns="event_type", values="reo", aggfunc="sum", fill_value=0.0
    )
    out = pd.DataFrame(index=table.index)
    for name, kinds in FLOW_KINDS.items():
        out[name] = sum((table[k] for k in kinds if k in table), start=pd.Series(0.0, table.index))
    net = out[list(INFLOWS)].sum(axis=1) - out[list(OUTFLOWS)].sum(axis=1)
    out["stock"] = net.cumsum()
    out["declared_stock"] = table["stock"] if "stock" in table else 0.0
    return out.reset_index()[list(BALANCE_COLUMNS)]


def counterparties(
    events: pd.DataFrame, enterprise_id: str, *, reo: pd.Series | None = None
) -> pd.DataFrame:
    """The enterprise's trading partners as it reports them: per counterparty and direction
    (``out`` = it shipped, ``in`` = it received), tonnes REO, kg and the number of shipments.

    Largest first; ``reo`` as for monthly_balance."""
    reo = (reo_kg(events) if reo is None else reo).fillna(0.0)
    mask = (events["enterprise_id"] == enterprise_id) & events["event_type"].isin(
        ("ship", "receive")
    )
    rows = events.loc[mask, ["counterparty_id", "event_type", "shipment_id", "mass_kg"]]
    rows = rows.assign(reo=reo[mask], direction=rows["event_type"].map({"ship": "out",
                                                                       "receive": "in"}))  # fmt: skip
    columns = ["counterparty_id", "direction", "reo_t", "mass_kg", "shipments"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    out = rows.groupby(["counterparty_id", "direction"], as_index=False).agg(
        reo_t=("reo", "sum"), mass_kg=("mass_kg", "sum"), shipments=("shipment_id", "nunique")
    )
    out["reo_t"] = out["reo_t"] / 1000.0
    out = out.sort_values(["reo_t", "counterparty_id"], ascending=[False, True])
    return out[columns].reset_index(drop=True)
