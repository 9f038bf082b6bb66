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

from flowgraph.analysis.common import designated_on, reo_kg
from flowgraph.errors import UsageError
from flowgraph.model import PRODUCTS, Registry

BY_CHOICES = ("role", "enterprise", "province", "group")
PRODUCT_FAMILIES = ("mineral", "compound", "metal", "downstream")
STAGES = ("origin", "mine", "smelter-separator", "processor / trader", "sink")

# Origin nodes (sources).
DESIGNATED_MINE = "designated mine"
IMPORT = "import"
U_EXTRACTION = "untraceable: undesignated extraction"
U_IMPORT = "untraceable: undocumented import"
U_UNKNOWN = "untraceable: unknown or overdrawn lots"
U_GAIN = "untraceable: batch gains"
UNMATCHED = "receipts without shipment"
OPENING = "opening stock"
TRANSIT_IN = "in transit from earlier period"
FROM_PROVINCES = "from other provinces"
FROM_FAMILIES = "processed from other products"
ORIGINS = (
    DESIGNATED_MINE,
    IMPORT,
    U_EXTRACTION,
    U_IMPORT,
    U_UNKNOWN,
    U_GAIN,
    UNMATCHED,
    OPENING,
    TRANSIT_IN,
    FROM_PROVINCES,
    FROM_FAMILIES,
)
UNTRACEABLE_ORIGINS = frozenset({U_EXTRACTION, U_IMPORT, U_UNKNOWN, U_GAIN})

# Sink nodes.
LOSSES = "process losses"
CLOSING = "closing stock"
DOMESTIC = "domestic downstream"
TRANSIT_OUT = "in transit or unconfirmed"
TO_PROVINCES = "to other provinces"
TO_FAMILIES = "processed into other products"
EXPORT_PREFIX = "export: "
SINKS = (LOSSES, CLOSING, DOMESTIC, TRANSIT_OUT, TO_PROVINCES, TO_FAMILIES)

FLOW_COLUMNS = (
    "source",
    "target",
    "stage",
    "source_stage",
    "target_stage",
    "reo_t",
    "traceable_t",
    "untraceable_t",
    "lots",
)

_EPS_KG = 1e-6  # below this a balance is float noise, not a flow
_FAMILY = {code: p.family for code, p in PRODUCTS.items()}
_SIGN = {"extract": 1, "import": 1, "produce": 1, "receive": 1}
_SIGN.update({"ship": -1, "export": -1, "consume": -1, "loss": -1})
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


def upload_count(events: pd.DataFrame, period: str | None = None, year: int | None = None) -> int:
    """Number of uploads whose events fall in the window: an upload is (enterprise_id, period)."""
    bounds = window_bounds(period, year)
    ev = events
    if bounds is not None:
        ev = ev[(ev["period"] >= bounds[0]) & (ev["period"] <= bounds[1])]
    return int(ev[["enterprise_id", "period"]].drop_duplicates().shape[0])


def _holders(registry: Registry, enterprise_ids: pd.Index, by: str) -> pd.DataFrame:
    """Per enterprise id: stage and node label for the chosen grouping."""
    ent = registry.enterprises.drop_duplicates("enterprise_id").set_index("enterprise_id")
    ent = ent.reindex(enterprise_ids)
    roles = ent["roles"].astype("object").fillna("").astype(str).str.split(";")
    roles = roles.map(lambda rs: {r.strip() for r in rs})
    registered = ent.index.isin(registry.enterprises["enterprise_id"])
    role = np.select(
        [
            ~registered,
            roles.map(lambda r: "smelter" in r).to_numpy(dtype=bool),
            roles.map(lambda r: "mine" in r).to_numpy(dtype=bool),
            roles.map(lambda r: "processor" in r).to_numpy(dtype=bool),
        ],
        ["unregistered", "smelter-separator", "mine", "processor"],
        default="trader",
    )
    stage = pd.Series(role, index=ent.index).replace(
        {"processor": "processor / trader", "trader": "processor / trader"}
    )
    stage = stage.replace({"unregistered": "processor / trader"})
    if by == "role":
        label = pd.Series(role, index=ent.index)
    elif by == "enterprise":
        name = ent["name"].astype("object")
        name = name.where(
            name.notna() & (name.astype(str).str.strip() != ""), ent.index.to_series()
        )
        name = name.astype(str)
        # Two enterprises of one name, or a name that is also a fixed node: add the id.
        dup = name.duplicated(keep=False) | name.isin(ORIGINS + SINKS)
        label = name.where(~dup, name + " [" + ent.index.to_series().astype(str) + "]")
    else:
        col = ent[by].astype("object")
        col = col.where(col.notna(), f"unknown {by}").astype(str)
        label = col + " (" + stage.astype(str) + ")"
    return pd.DataFrame({"stage": stage, "label": label.astype(str)}, index=ent.index)


def _legs(
    src: object, dst: object, src_ent: object, dst_ent: object, lot: object, reo, untraceable=False
) -> pd.DataFrame:
    """A leg frame; scalars broadcast. ``untraceable`` forces the whole leg untraceable."""
    frame = pd.DataFrame(
        {"src": src, "dst": dst, "src_ent": src_ent, "dst_ent": dst_ent, "lot_id": lot, "reo": reo}
    )
    frame["forced"] = untraceable
    return frame


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
    ev = events[events["event_type"].isin(list(_SIGN))].reset_index(drop=True)
    reo = reo_kg(events).reindex(events.index)
    reo = reo[events["event_type"].isin(list(_SIGN))].fillna(0.0).to_numpy()
    ev = ev.assign(reo=reo)
    if shares is None:
        from flowgraph.analysis.lineage import lot_shares

        shares = lot_shares(events, registry)
    share_of = shares.astype("float64").clip(0.0, 1.0)

    reporters = set(events["enterprise_id"].dropna().unique())
    if bounds is None:
        in_win = np.ones(len(ev), dtype=bool)
        before = np.zeros(len(ev), dtype=bool)
    else:
        in_win = ((ev["period"] >= bounds[0]) & (ev["period"] <= bounds[1])).to_numpy()
        before = (ev["period"] < bounds[0]).to_numpy()
    if product_family is not None:
        from flowgraph.analysis.lineage import lot_products

        fam = lot_products(ev).map(_FAMILY)
        fam_ok = (fam == product_family).to_numpy()
    else:
        fam_ok = np.ones(len(ev), dtype=bool)
    if province is not None:
        ents = registry.enterprises
        scope = set(ents.loc[ents["province"] == province, "enterprise_id"])
        in_scope = ev["enterprise_id"].isin(scope).to_numpy()
    else:
        scope = None
        in_scope = np.ones(len(ev), dtype=bool)
    etype = ev["event_type"].to_numpy()
    base = fam_ok & in_scope
    now = base & in_win
    legs: list[pd.DataFrame] = []

    # Origins: extractions and imports in the window.
    rows = ev[now & (etype == "extract")]
    ok = designated_on(registry, rows["enterprise_id"], rows["date"], "mining")
    legs.append(
        _legs(
            np.where(ok, DESIGNATED_MINE, U_EXTRACTION),
            None,
            None,
            rows["enterprise_id"].to_numpy(),
            rows["lot_id"].to_numpy(),
            rows["reo"].to_numpy(),
        )
    )
    rows = ev[now & (etype == "import")]
    documented = (
        rows["country"].astype("object").fillna("").astype(str).str.strip().ne("")
        & rows["document_ref"].astype("object").fillna("").astype(str).str.strip().ne("")
    ).to_numpy()
    legs.append(
        _legs(
            np.where(documented, IMPORT, U_IMPORT),
            None,
            None,
            rows["enterprise_id"].to_numpy(),
            rows["lot_id"].to_numpy(),
            rows["reo"].to_numpy(),
        )
    )
    legs.extend(_batch_legs(ev, now, in_win & in_scope, product_family))
    legs.extend(_shipment_legs(ev, fam_ok, in_win, scope, reporters))

    # Exports and declared losses.
    rows = ev[now & (etype == "export")]
    country = rows["country"].astype("object").fillna("unknown").astype(str)
    legs.append(
        _legs(
            None,
            (EXPORT_PREFIX + country).to_numpy(),
            rows["enterprise_id"].to_numpy(),
            None,
            rows["lot_id"].to_numpy(),
            rows["reo"].to_numpy(),
        )
    )
    rows = ev[now & (etype == "loss")]
    legs.append(
        _legs(
            None,
            LOSSES,
            rows["enterprise_id"].to_numpy(),
            None,
            rows["lot_id"].to_numpy(),
            rows["reo"].to_numpy(),
        )
    )
    legs.extend(_account_legs(ev, base, in_win, before))

    table = pd.concat([leg for leg in legs if len(leg)], ignore_index=True)
    return _aggregate(table, registry, share_of, by=by, top=top)


def _batch_legs(
    ev: pd.DataFrame, now: np.ndarray, scoped: np.ndarray, product_family: str | None
) -> list[pd.DataFrame]:
    """Gains and losses of batches (and family changes when filtering by family)."""
    etype = ev["event_type"].to_numpy()
    is_batch = np.isin(etype, ["consume", "produce"]) & ev["batch_id"].notna().to_numpy()
    rows = ev[scoped & is_batch].copy()
    if rows.empty:
        return []
    rows["in_family"] = now[scoped & is_batch]
    key = ["enterprise_id", "batch_id"]
    mixed = rows.groupby(key)["in_family"].transform("all") == False  # noqa: E712
    rows = rows[rows["in_family"]]
    mixed = mixed[rows.index]
    legs = []
    if product_family is not None and mixed.any():
        cross = rows[mixed]
        cons = cross[cross["event_type"] == "consume"]
        prod = cross[cross["event_type"] == "produce"]
        legs.append(
            _legs(None, TO_FAMILIES, cons["enterprise_id"], None, cons["lot_id"], cons["reo"])
        )
        legs.append(
            _legs(FROM_FAMILIES, None, None, prod["enterprise_id"], prod["lot_id"], prod["reo"])
        )
    rows = rows[~mixed]
    if rows.empty:
        return legs
    rows = rows.assign(
        c=np.where(rows["event_type"] == "consume", rows["reo"], 0.0),
        p=np.where(rows["event_type"] == "produce", rows["reo"], 0.0),
    )
    totals = rows.groupby(key)[["c", "p"]].transform("sum")
    diff = totals["p"] - totals["c"]
    # Gains are spread over the batch's outputs, losses over its inputs, by REO, so each leg
    # keeps its lot (for the lot counts and the shares of the losses).
    gain = rows[(rows["event_type"] == "produce") & (diff > _EPS_KG)]
    g = diff[gain.index] * gain["p"] / totals.loc[gain.index, "p"]
    legs.append(_legs(U_GAIN, None, None, gain["enterprise_id"], gain["lot_id"], g, True))
    loss = rows[(rows["event_type"] == "consume") & (diff < -_EPS_KG) & (totals["c"] > 0)]
    lost = -diff[loss.index] * loss["c"] / totals.loc[loss.index, "c"]
    legs.append(_legs(None, LOSSES, loss["enterprise_id"], None, loss["lot_id"], lost))
    return legs


def _shipment_legs(
    ev: pd.DataFrame,
    fam_ok: np.ndarray,
    in_win: np.ndarray,
    scope: set | None,
    reporters: set,
) -> list[pd.DataFrame]:
    """Legs of ship/receive pairs: matched, unmatched, across the window and the province."""
    etype = ev["event_type"].to_numpy()
    key = ["sender", "receiver", "shipment_id", "lot_id"]

    def side(kind: str, own: str, other: str) -> pd.DataFrame:
        rows = ev[fam_ok & (etype == kind)]
        frame = pd.DataFrame(
            {
                own: rows["enterprise_id"].astype("object").fillna(""),
                other: rows["counterparty_id"].astype("object").fillna(""),
                "shipment_id": rows["shipment_id"].astype("object").fillna(""),
                "lot_id": rows["lot_id"],
                "reo": rows["reo"],
                "win": in_win[fam_ok & (etype == kind)],
                "period": rows["period"],
            }
        )
        return frame.groupby(key, sort=False).agg(
            reo=("reo", "sum"), win=("win", "max"), period=("period", "min")
        )

    shipped = side("ship", "sender", "receiver")
    received = side("receive", "receiver", "sender")
    pairs = shipped.merge(
        received, how="outer", left_index=True, right_index=True, suffixes=("_s", "_r")
    ).reset_index()
    if pairs.empty:
        return []
    s = pairs["reo_s"].fillna(0.0)
    r = pairs["reo_r"].fillna(0.0)
    has_s, has_r = pairs["reo_s"].notna(), pairs["reo_r"].notna()
    inside = (
        (lambda e: pd.Series(True, index=e.index)) if scope is None else (lambda e: e.isin(scope))
    )
    send_in = has_s & pairs["win_s"].fillna(False).astype(bool) & inside(pairs["sender"])
    recv_in = has_r & pairs["win_r"].fillna(False).astype(bool) & inside(pairs["receiver"])
    both = send_in & recv_in
    legs = []
    m = pairs[both]
    legs.append(_legs(None, None, m["sender"], m["receiver"], m["lot_id"], np.minimum(s, r)[both]))
    over = both & (s - r > _EPS_KG)
    legs.append(
        _legs(None, TRANSIT_OUT, pairs["sender"][over], None, pairs["lot_id"][over], (s - r)[over])
    )
    under = both & (r - s > _EPS_KG)
    legs.append(
        _legs(
            UNMATCHED, None, None, pairs["receiver"][under], pairs["lot_id"][under], (r - s)[under]
        )
    )

    only_s = send_in & ~recv_in
    silent = ~pairs["receiver"].isin(reporters)
    outside = (
        ~inside(pairs["receiver"]) if scope is not None else pd.Series(False, index=pairs.index)
    )
    target = np.select([silent & ~has_r, outside], [DOMESTIC, TO_PROVINCES], default=TRANSIT_OUT)
    legs.append(
        _legs(
            None,
            target[only_s.to_numpy()],
            pairs["sender"][only_s],
            None,
            pairs["lot_id"][only_s],
            s[only_s],
        )
    )
    only_r = recv_in & ~send_in
    from_out = (
        ~inside(pairs["sender"]) if scope is not None else pd.Series(False, index=pairs.index)
    )
    earlier = has_s & (pairs["period_s"].fillna("9999-99") < pairs["period_r"].fillna(""))
    earlier = earlier & ~pairs["win_s"].fillna(False).astype(bool)
    source = np.select([from_out & has_s, earlier], [FROM_PROVINCES, TRANSIT_IN], default=UNMATCHED)
    legs.append(
        _legs(
            source[only_r.to_numpy()],
            None,
            None,
            pairs["receiver"][only_r],
            pairs["lot_id"][only_r],
            r[only_r],
        )
    )
    return legs


def _account_legs(
    ev: pd.DataFrame, base: np.ndarray, in_win: np.ndarray, before: np.ndarray
) -> list[pd.DataFrame]:
    """Opening stock, closing (book) stock and overdrawn lots per (enterprise, lot)."""
    sign = ev["event_type"].map(_SIGN).to_numpy(dtype="float64")
    signed = sign * ev["reo"].to_numpy()
    frame = pd.DataFrame(
        {
            "enterprise_id": ev["enterprise_id"],
            "lot_id": ev["lot_id"],
            "before": np.where(base & before, signed, 0.0),
            "now": np.where(base & in_win, signed, 0.0),
            "keep": base & (in_win | before),
        }
    )
    acc = (
        frame[frame["keep"]]
        .groupby(["enterprise_id", "lot_id"], sort=False)[["before", "now"]]
        .sum()
    )
    acc = acc.reset_index()
    opening = acc["before"].clip(lower=0.0)
    closing = opening + acc["now"]
    legs = []
    o = acc[opening > _EPS_KG]
    legs.append(_legs(OPENING, None, None, o["enterprise_id"], o["lot_id"], opening[o.index]))
    c = acc[closing > _EPS_KG]
    legs.append(_legs(None, CLOSING, c["enterprise_id"], None, c["lot_id"], closing[c.index]))
    d = acc[closing < -_EPS_KG]
    legs.append(
        _legs(U_UNKNOWN, None, None, d["enterprise_id"], d["lot_id"], -closing[d.index], True)
    )
    return legs


def _aggregate(
    legs: pd.DataFrame, registry: Registry, share_of: pd.Series, *, by: str, top: int | None
) -> pd.DataFrame:
    ent_ids = pd.Index(pd.concat([legs["src_ent"], legs["dst_ent"]]).dropna().unique())
    holders = _holders(registry, ent_ids, by)
    if top is not None:
        holders = _fold_top(holders, legs, int(top))
    src = legs["src"].astype("object").fillna(legs["src_ent"].map(holders["label"]))
    dst = legs["dst"].astype("object").fillna(legs["dst_ent"].map(holders["label"]))
    if top is not None:
        dst = _fold_exports(dst, legs["reo"], int(top))
    share = legs["lot_id"].map(share_of).fillna(0.0)
    traceable = np.where(legs["forced"].astype(bool), 0.0, legs["reo"] * share)
    flows = pd.DataFrame(
        {
            "source": src,
            "target": dst,
            "reo": legs["reo"].astype("float64"),
            "traceable": traceable,
            "lot_id": legs["lot_id"],
        }
    )
    flows = flows[(flows["source"] != flows["target"]) & (flows["reo"] > _EPS_KG)]
    out = (
        flows.groupby(["source", "target"], sort=False)
        .agg(reo=("reo", "sum"), traceable=("traceable", "sum"), lots=("lot_id", "nunique"))
        .reset_index()
    )
    stage_of = dict(zip(holders["label"], holders["stage"], strict=False))
    stage_of.update({name: "origin" for name in ORIGINS})
    stage_of.update({name: "sink" for name in SINKS})

    def stage(names: pd.Series) -> pd.Series:
        mapped = names.map(stage_of)
        return mapped.where(mapped.notna(), "sink")  # export: XX

    out["source_stage"] = stage(out["source"])
    out["target_stage"] = stage(out["target"])
    out["stage"] = out["source_stage"] + " -> " + out["target_stage"]
    out["reo_t"] = out["reo"] / 1000.0
    out["traceable_t"] = np.minimum(out["traceable"], out["reo"]) / 1000.0
    out["untraceable_t"] = out["reo_t"] - out["traceable_t"]
    order = {s: i for i, s in enumerate(STAGES)}
    out["_o1"] = out["source_stage"].map(order)
    out["_o2"] = out["target_stage"].map(order)
    out = out.sort_values(["_o1", "_o2", "reo_t", "source", "target"], ascending=[1, 1, 0, 1, 1])
    out["lots"] = out["lots"].astype("int64")
    return out[list(FLOW_COLUMNS)].reset_index(drop=True)


def _fold_top(holders: pd.DataFrame, legs: pd.DataFrame, top: int) -> pd.DataFrame:
    """Keep the ``top`` labels of each stage by REO received; fold the rest into "other STAGE"."""
    inflow = legs.dropna(subset=["dst_ent"]).groupby("dst_ent")["reo"].sum()
    outflow = legs.dropna(subset=["src_ent"]).groupby("src_ent")["reo"].sum()
    through = inflow.reindex(holders.index).fillna(0.0) + outflow.reindex(holders.index).fillna(0.0)
    per_label = through.groupby([holders["stage"], holders["label"]]).sum().reset_index(name="t")
    per_label = per_label.sort_values(["stage", "t", "label"], ascending=[True, False, True])
    per_label["rank"] = per_label.groupby("stage").cumcount()
    keep = set(per_label.loc[per_label["rank"] < top, "label"])
    folded = holders.copy()
    mask = ~folded["label"].isin(keep)
    folded.loc[mask, "label"] = "other " + folded.loc[mask, "stage"]
    return folded


def _fold_exports(targets: pd.Series, reo: pd.Series, top: int) -> pd.Series:
    is_export = targets.astype(str).str.startswith(EXPORT_PREFIX)
    if not is_export.any():
        return targets
    totals = reo[is_export].groupby(targets[is_export]).sum().sort_values(ascending=False)
    keep = set(totals.index[:top])
    fold = is_export & ~targets.isin(keep)
    return targets.where(~fold, EXPORT_PREFIX + "other")


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
