"""Legs of the flow table at the holder nodes (see flows.py for the rules): what batches gain
or lose (and hand across product families), what shipments carry between holders (matched or
not, across the window and the province border), and each holder's stock account per lot
(opening stock, closing book stock, overdrawn lots).

Each function adds legs to ``legs`` in place, over the integer codes of flowlegs.encode.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowgraph.reports.flowlegs import EPS_KG, KIND, Coded, Legs, Nodes, group_ids
from flowgraph.reports.flownodes import (
    CLOSING,
    DOMESTIC,
    FROM_FAMILIES,
    FROM_PROVINCES,
    LOSSES,
    OPENING,
    TO_FAMILIES,
    TO_PROVINCES,
    TRANSIT_IN,
    TRANSIT_OUT,
    U_GAIN,
    U_UNKNOWN,
    UNMATCHED,
)


def batch_legs(
    c: Coded, legs: Legs, nodes: Nodes, now: np.ndarray, scoped: np.ndarray, family: str | None
) -> None:
    """Gains and losses of batches (and family changes when filtering by family)."""
    rows = np.flatnonzero(scoped & c.mask("consume", "produce") & (c.batch >= 0))
    if len(rows) == 0:
        return
    group, n_groups = group_ids(c.ent[rows], c.batch[rows])
    in_family = now[rows]
    mixed = (np.bincount(group, weights=~in_family, minlength=n_groups) > 0)[group]
    consume = c.kind[rows] == KIND["consume"]
    reo = c.reo[rows]
    if family is not None:
        cross = in_family & mixed
        cons, prod = rows[cross & consume], rows[cross & ~consume]
        legs.add(dst=nodes.code(TO_FAMILIES), src_ent=c.ent[cons], lot=c.lot[cons], reo=c.reo[cons])
        legs.add(
            src=nodes.code(FROM_FAMILIES), dst_ent=c.ent[prod], lot=c.lot[prod], reo=c.reo[prod]
        )
    pure = in_family & ~mixed
    cons_w = np.where(pure & consume, reo, 0.0)
    prod_w = np.where(pure & ~consume, reo, 0.0)
    consumed = np.bincount(group, weights=cons_w, minlength=n_groups)[group]
    produced = np.bincount(group, weights=prod_w, minlength=n_groups)[group]
    diff = produced - consumed
    # Gains are spread over the batch's outputs, losses over its inputs, by REO, so each leg
    # keeps its lot (for the lot counts and the shares of the losses).
    gain = pure & ~consume & (diff > EPS_KG) & (produced > 0)
    g = diff[gain] * reo[gain] / produced[gain]
    legs.add(
        src=nodes.code(U_GAIN), dst_ent=c.ent[rows[gain]], lot=c.lot[rows[gain]], reo=g, forced=True
    )
    loss = pure & consume & (diff < -EPS_KG) & (consumed > 0)
    lost = -diff[loss] * reo[loss] / consumed[loss]
    legs.add(dst=nodes.code(LOSSES), src_ent=c.ent[rows[loss]], lot=c.lot[rows[loss]], reo=lost)


def shipment_legs(
    c: Coded,
    legs: Legs,
    nodes: Nodes,
    fam_ok: np.ndarray,
    in_win: np.ndarray,
    scope_ent: np.ndarray,
    reporters: np.ndarray,
    bordered: bool,
) -> None:
    """Legs of ship/receive pairs: matched, unmatched, across the window and the province."""
    key = ["sender", "receiver", "shipment", "lot"]

    def side(kind: str, own: str, other: str) -> pd.DataFrame:
        rows = np.flatnonzero(fam_ok & c.mask(kind))
        frame = pd.DataFrame(
            {
                own: c.ent[rows],
                other: c.cp[rows],
                "shipment": c.shipment[rows],
                "lot": c.lot[rows],
                "reo": c.reo[rows],
                "win": in_win[rows],
                "month": c.month[rows],
            }
        )
        return frame.groupby(key, sort=False).agg(
            reo=("reo", "sum"), win=("win", "max"), month=("month", "min")
        )

    shipped = side("ship", "sender", "receiver")
    received = side("receive", "receiver", "sender")
    pairs = shipped.merge(
        received, how="outer", left_index=True, right_index=True, suffixes=("_s", "_r")
    ).reset_index()
    if pairs.empty:
        return
    sender, receiver = pairs["sender"].to_numpy(), pairs["receiver"].to_numpy()
    lot = pairs["lot"].to_numpy()
    has_s, has_r = pairs["reo_s"].notna().to_numpy(), pairs["reo_r"].notna().to_numpy()
    s, r = pairs["reo_s"].fillna(0.0).to_numpy(), pairs["reo_r"].fillna(0.0).to_numpy()
    win_s = pairs["win_s"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    win_r = pairs["win_r"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    send_in = has_s & win_s & scope_ent[sender]
    recv_in = has_r & win_r & scope_ent[receiver]
    both = send_in & recv_in
    legs.add(
        src_ent=sender[both], dst_ent=receiver[both], lot=lot[both], reo=np.minimum(s, r)[both]
    )
    over = both & (s - r > EPS_KG)
    legs.add(dst=nodes.code(TRANSIT_OUT), src_ent=sender[over], lot=lot[over], reo=(s - r)[over])
    under = both & (r - s > EPS_KG)
    legs.add(src=nodes.code(UNMATCHED), dst_ent=receiver[under], lot=lot[under], reo=(r - s)[under])

    only_s = send_in & ~recv_in
    silent = ~reporters[receiver]
    outside = ~scope_ent[receiver] if bordered else np.zeros(len(pairs), dtype=bool)
    target = np.select(
        [silent & ~has_r, outside],
        [nodes.code(DOMESTIC), nodes.code(TO_PROVINCES)],
        default=nodes.code(TRANSIT_OUT),
    )
    legs.add(dst=target[only_s], src_ent=sender[only_s], lot=lot[only_s], reo=s[only_s])
    only_r = recv_in & ~send_in
    from_out = ~scope_ent[sender] if bordered else np.zeros(len(pairs), dtype=bool)
    month_s = pairs["month_s"].fillna(10**9).to_numpy()
    month_r = pairs["month_r"].fillna(-1).to_numpy()
    earlier = has_s & (month_s < month_r) & ~win_s
    source = np.select(
        [from_out & has_s, earlier],
        [nodes.code(FROM_PROVINCES), nodes.code(TRANSIT_IN)],
        default=nodes.code(UNMATCHED),
    )
    legs.add(src=source[only_r], dst_ent=receiver[only_r], lot=lot[only_r], reo=r[only_r])


def account_legs(
    c: Coded, legs: Legs, nodes: Nodes, base: np.ndarray, in_win: np.ndarray, before: np.ndarray
) -> None:
    """Opening stock, closing (book) stock and overdrawn lots per (enterprise, lot)."""
    rows = np.flatnonzero(base & (in_win | before))
    if len(rows) == 0:
        return
    inflow = [KIND[t] for t in ("extract", "import", "produce", "receive")]
    sign = np.where(np.isin(c.kind[rows], inflow), 1.0, -1.0)
    signed = sign * c.reo[rows]
    group, n_groups = group_ids(c.ent[rows], c.lot[rows])
    opening = np.bincount(group, weights=np.where(before[rows], signed, 0.0), minlength=n_groups)
    net = np.bincount(group, weights=np.where(in_win[rows], signed, 0.0), minlength=n_groups)
    first = np.full(n_groups, -1, dtype=np.int64)
    first[group[::-1]] = rows[::-1]  # one row per group, for its enterprise and lot codes
    ent, lot = c.ent[first], c.lot[first]
    opening = np.clip(opening, 0.0, None)
    closing = opening + net
    o = opening > EPS_KG
    legs.add(src=nodes.code(OPENING), dst_ent=ent[o], lot=lot[o], reo=opening[o])
    k = closing > EPS_KG
    legs.add(dst=nodes.code(CLOSING), src_ent=ent[k], lot=lot[k], reo=closing[k])
    d = closing < -EPS_KG
    legs.add(src=nodes.code(U_UNKNOWN), dst_ent=ent[d], lot=lot[d], reo=-closing[d], forced=True)
