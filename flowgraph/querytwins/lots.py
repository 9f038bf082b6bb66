"""Twins of the lot queries: lot_provenance, lot_downstream, lots_with_unexplained_holders,
untraceable_entry_points (same columns and order as ``queries/NAME.cypher``)."""

from __future__ import annotations

import pandas as pd

from flowgraph.model import CREATING_TYPES
from flowgraph.querytwins.graphview import (
    adjacency,
    designated_rows,
    plain_dates,
    reach,
)

MAX_STEPS = 30  # the Cypher's {0,30} batch steps


def lot_provenance(data, lot_id: str) -> pd.DataFrame:
    """Origin lots of ``lot_id`` through batches and how each entered the chain."""
    columns = ["origin_lot", "steps", "product", "origin_kind", "created_by", "date", "country",
               "document_ref", "mass_kg", "reo_pct"]  # fmt: skip
    ev, lots = data.events, data.lots
    if lot_id not in lots.index:
        return pd.DataFrame(columns=columns)
    edges = data.lineage
    ancestors = reach(lot_id, adjacency(edges, "target", "source"), MAX_STEPS)
    produced = set(ev.loc[ev["event_type"] == "produce", "lot_id"])
    origins = {lot: steps for lot, steps in ancestors.items() if lot not in produced}
    created = ev[ev["event_type"].isin(("extract", "import")) & ev["lot_id"].isin(origins)]
    rows = []
    for lot, steps in origins.items():
        made = created[created["lot_id"] == lot]
        if made.empty:
            rows.append([lot, steps, lots.at[lot, "product"], "none"] + [None] * 6)
            continue
        for record, date in zip(made.itertuples(), plain_dates(made["date"]), strict=True):
            rows.append([lot, steps, record.product or lots.at[lot, "product"], record.event_type,
                         record.enterprise_id, date, record.country, record.document_ref,
                         record.mass_kg, _num(record.reo_pct)])  # fmt: skip
    frame = pd.DataFrame(rows, columns=columns)
    return data.order(frame, ["steps", "origin_lot", "date"])


def lot_downstream(data, lot_id: str) -> pd.DataFrame:
    """Lots made from ``lot_id`` (through batches) and the receipts and exports of each."""
    columns = ["lot_id", "steps", "flow", "enterprise_id", "counterparty_id", "shipment_id",
               "country", "date", "mass_kg"]  # fmt: skip
    ev, lots = data.events, data.lots
    if lot_id not in lots.index:
        return pd.DataFrame(columns=columns)
    below = reach(lot_id, adjacency(data.lineage, "source", "target"), MAX_STEPS)
    rows = ev[ev["lot_id"].isin(below) & ev["event_type"].isin(("export", "receive"))]
    frame = pd.DataFrame(
        {
            "lot_id": rows["lot_id"],
            "steps": rows["lot_id"].map(below),
            "flow": rows["event_type"],
            "enterprise_id": rows["enterprise_id"],
            "counterparty_id": rows["counterparty_id"].where(rows["event_type"] == "receive"),
            "shipment_id": rows["shipment_id"],
            "country": rows["country"],
            "date": plain_dates(rows["date"]),
            "mass_kg": rows["mass_kg"],
        }
    )
    return data.order(frame, ["steps", "lot_id", "date", "enterprise_id"])


def lots_with_unexplained_holders(data, min_holders: int = 1) -> pd.DataFrame:
    """Lots reported by enterprises that neither created, produced, were shipped nor received
    them. The lists are sorted (Cypher's ``collect`` order is not significant)."""
    ev = data.events
    kind = ev["event_type"]
    entitled = pd.concat(
        [
            ev.loc[kind.isin(CREATING_TYPES) | (kind == "receive"), ["lot_id", "enterprise_id"]],
            ev.loc[kind == "ship", ["lot_id", "counterparty_id"]].rename(
                columns={"counterparty_id": "enterprise_id"}
            ),
        ]
    )
    holders = ev.loc[kind.isin(("export", "loss", "stock", "ship", "consume")),
                     ["lot_id", "enterprise_id"]]  # fmt: skip
    ent = entitled.dropna().groupby("lot_id")["enterprise_id"].agg(lambda s: sorted(set(s)))
    hold = holders.dropna().groupby("lot_id")["enterprise_id"].agg(lambda s: sorted(set(s)))
    rows = []
    for lot in data.lots.index:
        who = ent.get(lot, [])
        held = hold.get(lot, [])
        unexplained = [h for h in held if h not in who]
        if len(unexplained) >= min_holders:
            rows.append([lot, who, held, unexplained])
    frame = pd.DataFrame(rows, columns=["lot_id", "entitled", "holders", "unexplained"])
    frame["_n"] = frame["unexplained"].map(len)
    frame = frame.sort_values(["_n", "lot_id"], ascending=[False, True], kind="stable")
    return frame.drop(columns="_n").reset_index(drop=True)


def untraceable_entry_points(data, limit: int = 20) -> pd.DataFrame:
    """Where REO enters with no valid origin, by enterprise and kind, largest first."""
    ev, lots = data.events, data.lots
    kind = ev["event_type"]
    uncreated = lots.index[~lots["created"]]
    use = ev[ev["lot_id"].isin(uncreated) & kind.isin(("export", "consume", "ship", "receive"))]
    first = use.sort_values(["date", "upload_id", "source_row"]).drop_duplicates("lot_id")
    unknown = pd.DataFrame(
        {
            "enterprise_id": first["enterprise_id"],
            "kind": "unknown lot",
            "lot": first["lot_id"],
            "reo": first["mass_kg"] * first["reo_pct"].fillna(0.0) / 100.0,
        }
    )
    extracts = ev[kind == "extract"]
    lawful = designated_rows(
        extracts, data.registry.designations, extracts["enterprise_id"], "mining"
    )
    undesignated = extracts[~lawful]
    imports = ev[kind == "import"]
    blank = imports["country"].fillna("").str.strip().eq("") | imports["document_ref"].fillna(
        ""
    ).str.strip().eq("")
    undocumented = imports[blank]
    parts = [unknown]
    for rows, label in ((undesignated, "undesignated extract"), (undocumented,
                                                                  "undocumented import")):  # fmt: skip
        parts.append(
            pd.DataFrame(
                {
                    "enterprise_id": rows["enterprise_id"],
                    "kind": label,
                    "lot": rows["lot_id"],
                    "reo": rows["mass_kg"] * rows["reo_pct"] / 100.0,
                }
            )
        )
    every = pd.concat(parts, ignore_index=True)
    frame = (
        every.groupby(["enterprise_id", "kind"], as_index=False)
        .agg(lots=("lot", "nunique"), reo_kg=("reo", "sum"))
        .sort_values(["reo_kg", "enterprise_id", "kind"], ascending=[False, True, True])
    )
    return frame.head(max(int(limit), 0)).reset_index(drop=True)


def _num(value):
    return None if pd.isna(value) else float(value)
