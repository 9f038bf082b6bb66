"""Twins of the trade queries: unmatched_shipments, undesignated_sender_flows, paths_to_exports,
single_counterparty_traders (same columns and order as ``queries/NAME.cypher``)."""

from __future__ import annotations

from collections import deque

import pandas as pd

from flowgraph.querytwins.graphview import designated_rows, plain_dates

MAX_HOPS = 12  # [:SENT|TO*0..24]: 24 relationships = 12 shipments


def unmatched_shipments(data, period: str | None = None) -> pd.DataFrame:
    """Ship rows no receipt matches (same shipment id, naming each other), and receipts no
    ship row matches; grouped per shipment and side. ``lots`` is sorted."""
    ev = data.events
    ships = ev[ev["event_type"] == "ship"]
    receipts = ev[ev["event_type"] == "receive"]
    keys = ["shipment_id", "sender_id", "receiver_id"]
    sent = ships.assign(sender_id=ships["enterprise_id"], receiver_id=ships["counterparty_id"])
    got = receipts.assign(
        sender_id=receipts["counterparty_id"], receiver_id=receipts["enterprise_id"]
    )
    sent_keys = set(zip(*(sent[k] for k in keys), strict=True))
    got_keys = set(zip(*(got[k] for k in keys), strict=True))
    parts = []
    for rows, other, side in ((sent, got_keys, "shipped, no receipt"),
                              (got, sent_keys, "received, no shipment")):  # fmt: skip
        lonely = [k not in other for k in zip(*(rows[c] for c in keys), strict=True)]
        parts.append(rows[lonely].assign(side=side))
    rows = pd.concat(parts, ignore_index=True)
    if period is not None:
        rows = rows[rows["period"] == period]
    columns = ["side", "shipment_id", "sender_id", "receiver_id", "period", "lots", "mass_kg"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    frame = rows.groupby(["side", *keys], as_index=False, dropna=False).agg(
        period=("period", "min"),
        lots=("lot_id", lambda s: sorted(set(s.dropna()))),
        mass_kg=("mass_kg", "sum"),
    )
    return data.order(frame[columns], ["period", "shipment_id", "side"])


def undesignated_sender_flows(data, min_mass_kg: float = 0.0) -> pd.DataFrame:
    """Both sides of shipments whose sender is unregistered or holds no designation valid on
    the row's date."""
    ev, registered = data.events, data.registered
    ships = ev[ev["event_type"] == "ship"]
    receipts = ev[ev["event_type"] == "receive"]
    rows = pd.concat(
        [
            ships.assign(side="ship", sender_id=ships["enterprise_id"],
                         receiver_id=ships["counterparty_id"]),
            receipts.assign(side="receive", sender_id=receipts["counterparty_id"],
                            receiver_id=receipts["enterprise_id"]),
        ],
        ignore_index=True,
    )  # fmt: skip
    known = rows["sender_id"].isin(registered)
    designated = designated_rows(rows, data.registry.designations, rows["sender_id"], None)
    rows = rows[(rows["mass_kg"] >= min_mass_kg) & (~known | ~designated)]
    frame = pd.DataFrame(
        {
            "side": rows["side"],
            "sender_id": rows["sender_id"],
            "registered": rows["sender_id"].isin(registered),
            "receiver_id": rows["receiver_id"],
            "shipment_id": rows["shipment_id"],
            "lot_id": rows["lot_id"],
            "product": rows["product"].fillna(rows["lot_id"].map(data.lots["product"])),
            "date": plain_dates(rows["date"]),
            "mass_kg": rows["mass_kg"],
        }
    )
    return data.order(frame, ["sender_id", "date", "shipment_id", "side"])


def paths_to_exports(data, enterprise_id: str) -> pd.DataFrame:
    """Every exporter reachable from ``enterprise_id`` by shipments, its shortest route (the
    first in id order when several are as short) and what it exported. ``countries`` sorted."""
    columns = ["exporter_id", "hops", "route", "countries", "exported_kg", "export_rows"]
    ev = data.events
    if enterprise_id not in data.enterprise_ids:
        return pd.DataFrame(columns=columns)
    ships = ev[ev["event_type"] == "ship"]
    # Shipment nodes are shared by id: E -SENT-> s -TO-> every counterparty any sender named.
    out_of = ships.groupby("enterprise_id")["shipment_id"].agg(lambda s: sorted(set(s)))
    to_of = ships.groupby("shipment_id")["counterparty_id"].agg(lambda s: sorted(set(s)))
    route_to = {enterprise_id: [enterprise_id]}
    queue = deque([enterprise_id])
    while queue:
        here = queue.popleft()
        if len(route_to[here]) - 1 >= MAX_HOPS:
            continue
        for shipment in out_of.get(here, ()):
            for there in to_of.get(shipment, ()):
                if there not in route_to:
                    route_to[there] = [*route_to[here], there]
                    queue.append(there)
    exports = ev[ev["event_type"] == "export"]
    rows = []
    for exporter, group in exports.groupby("enterprise_id"):
        if exporter in route_to:
            route = route_to[exporter]
            rows.append([exporter, len(route) - 1, route, sorted(set(group["country"].dropna())),
                         float(group["mass_kg"].sum()), len(group)])  # fmt: skip
    return data.order(pd.DataFrame(rows, columns=columns), ["hops", "exporter_id"])


def single_counterparty_traders(data, min_shipments: int = 2) -> pd.DataFrame:
    """Enterprises whose ship and receive rows all name one counterparty."""
    ev = data.events
    rows = ev[ev["event_type"].isin(("ship", "receive"))]
    grouped = rows.groupby("enterprise_id").agg(
        partners=("counterparty_id", lambda s: sorted(set(s.dropna()))),
        shipments=("event_id", "size"),
        mass_kg=("mass_kg", "sum"),
    )
    grouped = grouped[(grouped["partners"].map(len) == 1) & (grouped["shipments"] >= min_shipments)]
    frame = pd.DataFrame(
        {
            "enterprise_id": grouped.index,
            "registered": grouped.index.isin(data.registered),
            "counterparty_id": grouped["partners"].map(lambda p: p[0]).to_numpy(),
            "shipments": grouped["shipments"].to_numpy(),
            "mass_kg": grouped["mass_kg"].to_numpy(),
        }
    )
    frame = frame.sort_values(["shipments", "enterprise_id"], ascending=[False, True])
    return frame.reset_index(drop=True)
