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
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from flowgraph.analysis.common import designated_on
from flowgraph.errors import UsageError
from flowgraph.model import Registry
from flowgraph.reports.flowlegs import EPS_KG, KIND, Coded, Legs, Nodes, encode, group_ids
from flowgraph.reports.flownodes import (  # noqa: F401  (re-exported: the node vocabulary)
    BY_CHOICES,
    CLOSING,
    DESIGNATED_MINE,
    DOMESTIC,
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
    UNMATCHED,
    UNTRACEABLE_ORIGINS,
    aggregate,
)

_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def window_bounds(period: str | None = None, year: int | None = None) -> tuple[str, str] | None:
    """First and last period ("YYYY-MM") of the window, or None for all data.

    >>> window_bounds(year=2024), window_bounds(period="2024-03"), window_bounds()
    (('2024-01', '2024-12'), ('2024-03', '2024-03'), None)
    """
    if period is not None:
        if not _PERIOD.match(str(period)):
            raise UsageError(f"period must be YYYY-MM, got {period!r}")
        if year is not None and not str(period).startswith(f"{int(year):04d}-"):
            raise UsageError(f"period {period} is not in year {year}")
        return (str(period), str(period))
    if year is not None:
        return (f"{int(year):04d}-01", f"{int(year):04d}-12")
    return None


def window_label(period: str | None = None, year: int | None = None) -> str:
    """Human text for the window: "2024-03", "2024", or "all periods"."""
    if period is not None:
        return str(period)
    if year is not None:
        return str(int(year))
    return "all periods"


def upload_count(
    events: pd.DataFrame,
    period: str | None = None,
    year: int | None = None,
    registry: Registry | None = None,
    province: str | None = None,
) -> int:
    """Number of uploads behind the window (and the province's enterprises, given the registry):
    an upload is (enterprise_id, period).

    >>> from flowgraph.model import events_frame
    >>> ev = events_frame([{"enterprise_id": e, "date": d, "event_type": "stock", "lot_id": "L",
    ...     "mass_kg": 1} for e, d in [("A", "2024-01-31"), ("A", "2024-02-29"), ("B", "2024-02-29")]])
    >>> upload_count(ev), upload_count(ev, period="2024-02")
    (3, 2)
    """
    bounds = window_bounds(period, year)
    ev = events
    if bounds is not None:
        ev = ev[(ev["period"] >= bounds[0]) & (ev["period"] <= bounds[1])]
    if province is not None and registry is not None:
        ents = registry.enterprises
        ev = ev[ev["enterprise_id"].isin(ents.loc[ents["province"] == province, "enterprise_id"])]
    return int(ev[["enterprise_id", "period"]].drop_duplicates().shape[0])


def flow_table(
    events: pd.DataFrame,
    registry: Registry,
    shares: pd.Series | None = None,
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
    ``shares`` maps lot_id -> traceable share in [0, 1] (lineage.lot_shares); a lot missing from
    it counts as untraceable. Every holder node balances: inflow = outflow (node_balance).

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
    >>> t = flow_table(ev, reg, pd.Series({"L": 1.0}))
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
    if shares is None:
        from flowgraph.analysis.lineage import lot_shares

        shares = lot_shares(events, registry)
    c = encode(events)
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
    sub = events.iloc[c.rows[rows]]
    ok = designated_on(registry, sub["enterprise_id"], sub["date"], "mining")
    src = np.where(ok, nodes.code(DESIGNATED_MINE), nodes.code(U_EXTRACTION))
    legs.add(src=src, dst_ent=c.ent[rows], lot=c.lot[rows], reo=c.reo[rows])
    rows = np.flatnonzero(now & c.mask("import"))
    sub = events.iloc[c.rows[rows]]
    documented = (
        sub["country"].astype("object").fillna("").astype(str).str.strip().ne("")
        & sub["document_ref"].astype("object").fillna("").astype(str).str.strip().ne("")
    ).to_numpy()
    src = np.where(documented, nodes.code(IMPORT), nodes.code(U_IMPORT))
    legs.add(src=src, dst_ent=c.ent[rows], lot=c.lot[rows], reo=c.reo[rows])

    _batch_legs(c, legs, nodes, now, in_win & in_scope, product_family)
    _shipment_legs(c, legs, nodes, fam_ok, in_win, scope_ent, reporters, province is not None)

    # Exports (by country) and declared losses.
    rows = np.flatnonzero(now & c.mask("export"))
    country = events["country"].iloc[c.rows[rows]].astype("object").fillna("unknown").astype(str)
    dst = nodes.codes((EXPORT_PREFIX + country).to_numpy())
    legs.add(dst=dst, src_ent=c.ent[rows], lot=c.lot[rows], reo=c.reo[rows])
    rows = np.flatnonzero(now & c.mask("loss"))
    legs.add(dst=nodes.code(LOSSES), src_ent=c.ent[rows], lot=c.lot[rows], reo=c.reo[rows])
    _account_legs(c, legs, nodes, fam_ok & in_scope, in_win, before)

    share = shares.astype("float64").clip(0.0, 1.0).reindex(c.lot_ids).fillna(0.0).to_numpy()
    return aggregate(legs.frame(), nodes, c, registry, share, by=by, top=top)


def _batch_legs(
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


def _shipment_legs(
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


def _account_legs(
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
