"""The national flow table behind the Sankey: REO flows between origins, holders and sinks.

A pure function of the event table, the registry and the lots' traceable shares (SPEC §5
Origins). It is built from *legs*, one per (lot, pair of endpoints), so that every holder node
balances exactly: what enters it (origins, receipts, opening stock, batch gains, lots it gives
out without having them on its books) equals what leaves it (shipments, exports, declared and
process losses, closing stock). Rules where SPEC is silent:

- Holders are enterprises, placed by their registry roles: ``smelter`` -> smelter-separator,
  else ``mine`` -> mine, else ``processor`` -> processor, else trader (an enterprise absent
  from the registry is "unregistered"); mines, smelters and processors/traders are stages.
- Closing stock is *book* stock (created + received - outflows) per enterprise and lot;
  declared ``stock`` rows are checked by STOCK_MISMATCH, not drawn. An enterprise that gives
  out more of a lot than it had on its books draws the excess from "untraceable: unknown or
  overdrawn lots" (this is where lots that no loaded event created enter the picture).
- A batch that yields more REO than it consumed draws the gain from "untraceable: batch gains";
  one that yields less sends the difference to "process losses" (as declared ``loss`` rows do).
- Shipments pair ship and receive on (sender, receiver, shipment_id, lot_id). A matched pair
  carries the smaller side; the rest goes to "in transit or unconfirmed" (ship larger) or comes
  from "receipts without shipment" (receipt larger). A shipment to an enterprise that uploads
  nothing at all goes to "domestic downstream".
- A window (``period`` / ``year``) draws the holders' earlier balances from "opening stock" and
  receipts of shipments sent before it from "in transit from earlier period".
- ``province`` keeps the enterprises of that province; flows across its border go to / come
  from "other provinces". ``product_family`` keeps lots of that family; a batch that changes
  family sends its inputs to "processed into other products" and takes its outputs from
  "processed from other products".
- Each leg's untraceable REO = REO x (1 - traceable share of its lot); gains and overdrawn lots
  are untraceable whole. Flows between two enterprises of the same node are internal and not
  drawn (they cancel in the node's balance).

This module assembles the table (origins, exports, declared losses) and checks it
(node_balance); the pieces live next door: flowlegs.py (integer codes, legs), flowholders.py
(batch, shipment and stock-account legs), flownodes.py (node names, grouping, aggregation) and
flowwindow.py (the period / year window, re-exported here).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowgraph.analysis.licences import export_licence_status
from flowgraph.analysis.prepared import PreparedEvents, prepared
from flowgraph.errors import UsageError
from flowgraph.model import Registry
from flowgraph.reports.flowholders import account_legs, batch_legs, shipment_legs
from flowgraph.reports.flowlegs import Legs, Nodes, encode
from flowgraph.reports.flownodes import (  # noqa: F401  (re-exported: the node vocabulary)
    BY_CHOICES,
    CLOSING,
    DESIGNATED_MINE,
    DOMESTIC,
    EXPORT_LICENCE_SUFFIX,
    EXPORT_PREFIX,
    FLOW_COLUMNS,
    FROM_FAMILIES,
    FROM_PROVINCES,
    IMPORT,
    LOSSES,
    OPENING,
    ORIGINS,
    PRODUCT_FAMILIES,
    SINKS,
    STAGES,
    TO_FAMILIES,
    TO_PROVINCES,
    TRANSIT_IN,
    TRANSIT_OUT,
    U_EXTRACTION,
    U_GAIN,
    U_IMPORT,
    U_UNKNOWN,
    UNLICENSED_SUFFIX,
    UNMATCHED,
    UNTRACEABLE_ORIGINS,
    aggregate,
)
from flowgraph.reports.flowwindow import (  # noqa: F401  (re-exported: the report window)
    upload_count,
    window_bounds,
    window_label,
)


def flow_table(
    events: pd.DataFrame | PreparedEvents,
    registry: Registry | None = None,
    *,
    by: str = "role",
    top: int | None = None,
    period: str | None = None,
    year: int | None = None,
    product_family: str | None = None,
    province: str | None = None,
) -> pd.DataFrame:
    """REO flows (tonnes) between origins, holder nodes and sinks; see the module docstring.

    Returns FLOW_COLUMNS: source, target, stage ("origin -> mine"), source_stage, target_stage,
    reo_t, traceable_t, untraceable_t (= reo_t - traceable_t), lots (distinct lots in the flow).
    ``events``: the event table or its prepared view (prepared.py), whose ``shares`` (each
    lot's traceable share) split every flow; a lot missing from them counts as untraceable.
    Every holder node balances: inflow = outflow (node_balance).

    >>> from flowgraph.model import events_frame, registry_from_records
    >>> reg = registry_from_records(
    ...     enterprises=[{"enterprise_id": "M", "name": "Mine", "roles": "mine"},
    ...                  {"enterprise_id": "S", "name": "Smelter", "roles": "smelter"}],
    ...     designations=[{"enterprise_id": "M", "activity": "mining", "licence_no": "x",
    ...                    "valid_from": "2024-01-01", "valid_to": None}])
    >>> ev = events_frame([
    ...     {"event_type": "extract", "date": "2024-01-02", "enterprise_id": "M", "lot_id": "L",
    ...      "product": "BAST_CONC", "mass_kg": 1000, "reo_pct": 60, "document_ref": "x"},
    ...     {"event_type": "ship", "date": "2024-01-03", "enterprise_id": "M", "lot_id": "L",
    ...      "mass_kg": 1000, "counterparty_id": "S", "shipment_id": "S1"},
    ...     {"event_type": "receive", "date": "2024-01-04", "enterprise_id": "S", "lot_id": "L",
    ...      "mass_kg": 1000, "counterparty_id": "M", "shipment_id": "S1"}])
    >>> t = flow_table(ev, reg)
    >>> t[["source", "target", "reo_t", "untraceable_t"]].values.tolist()
    [['designated mine', 'mine', 0.6, 0.0], ['mine', 'smelter-separator', 0.6, 0.0], \
['smelter-separator', 'closing stock', 0.6, 0.0]]
    """
    if by not in BY_CHOICES:
        raise UsageError(f"--by must be one of {', '.join(BY_CHOICES)}, got {by!r}")
    if product_family is not None and product_family not in PRODUCT_FAMILIES:
        raise UsageError(
            f"product family must be one of {', '.join(PRODUCT_FAMILIES)}, got {product_family!r}"
        )
    if top is not None and int(top) < 1:
        raise UsageError(f"--top must be >= 1, got {top}")
    bounds = window_bounds(period, year)
    view = prepared(events, registry)
    events, registry = view.events, view.registry
    c = encode(view)
    n = len(c.kind)
    if bounds is None:
        in_win, before = np.ones(n, dtype=bool), np.zeros(n, dtype=bool)
    else:
        first, last = (int(b[:4]) * 12 + int(b[5:7]) - 1 for b in bounds)
        in_win, before = (c.month >= first) & (c.month <= last), c.month < first
    fam_ok = np.ones(n, dtype=bool) if product_family is None else c.family == product_family
    if province is not None:
        ents = registry.enterprises
        scope_ent = c.ent_ids.isin(ents.loc[ents["province"] == province, "enterprise_id"])
    else:
        scope_ent = np.ones(len(c.ent_ids), dtype=bool)
    scope_ent = np.append(scope_ent, False)  # code -1 (no enterprise) is never inside
    reporters = c.reporters
    in_scope = scope_ent[c.ent]
    now = fam_ok & in_scope & in_win
    nodes, legs = Nodes(), Legs()

    # Origins: extractions and imports in the window.
    rows = np.flatnonzero(now & c.mask("extract"))
    ok = view.valid_origin[c.rows[rows]]
    src = np.where(ok, nodes.code(DESIGNATED_MINE), nodes.code(U_EXTRACTION))
    legs.add(src=src, dst_ent=c.ent[rows], lot=c.lot[rows], reo=c.reo[rows])
    rows = np.flatnonzero(now & c.mask("import"))
    documented = view.valid_origin[c.rows[rows]]
    src = np.where(documented, nodes.code(IMPORT), nodes.code(U_IMPORT))
    legs.add(src=src, dst_ent=c.ent[rows], lot=c.lot[rows], reo=c.reo[rows])

    batch_legs(c, legs, nodes, now, in_win & in_scope, product_family)
    shipment_legs(c, legs, nodes, fam_ok, in_win, scope_ent, reporters, province is not None)

    # Exports (by country; controlled products split licensed / unlicensed when the registry
    # holds a licence register, SPEC §7) and declared losses.
    rows = np.flatnonzero(now & c.mask("export"))
    country = events["country"].iloc[c.rows[rows]].astype("object").fillna("unknown").astype(str)
    status = pd.Series(export_licence_status(view)[c.rows[rows]], index=country.index)
    band = status.map(EXPORT_LICENCE_SUFFIX).fillna("")
    dst = nodes.codes((EXPORT_PREFIX + country + band).to_numpy())
    legs.add(dst=dst, src_ent=c.ent[rows], lot=c.lot[rows], reo=c.reo[rows])
    rows = np.flatnonzero(now & c.mask("loss"))
    legs.add(dst=nodes.code(LOSSES), src_ent=c.ent[rows], lot=c.lot[rows], reo=c.reo[rows])
    account_legs(c, legs, nodes, fam_ok & in_scope, in_win, before)

    share = view.shares.astype("float64").clip(0.0, 1.0).reindex(c.lot_ids).fillna(0.0).to_numpy()
    return aggregate(legs.frame(), nodes, c, registry, share, by=by, top=top)


def node_balance(table: pd.DataFrame) -> pd.DataFrame:
    """Per node: stage, REO in and out (t). Holder nodes balance (in_t == out_t); origins only
    give, sinks only take.

    >>> t = pd.DataFrame({"source": ["a", "b"], "target": ["b", "c"], "source_stage": ["origin",
    ...     "mine"], "target_stage": ["mine", "sink"], "reo_t": [2.0, 2.0]})
    >>> node_balance(t).loc["b", ["in_t", "out_t"]].tolist()
    [2.0, 2.0]
    """
    inflow = table.groupby("target")["reo_t"].sum()
    outflow = table.groupby("source")["reo_t"].sum()
    stage = pd.concat(
        [
            table.set_index("source")["source_stage"],
            table.set_index("target")["target_stage"],
        ]
    )
    stage = stage[~stage.index.duplicated()]
    out = pd.DataFrame({"stage": stage})
    out["in_t"] = inflow.reindex(out.index).fillna(0.0)
    out["out_t"] = outflow.reindex(out.index).fillna(0.0)
    out.index.name = "node"
    return out
