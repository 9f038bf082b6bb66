"""Nodes of the flow table: names and stages of the fixed nodes, holder labels per grouping,
folding into "other", and the aggregation of legs into flows (see flows.py for the rules)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowgraph.model import Registry
from flowgraph.reports.flowlegs import EPS_KG, Coded, Nodes, group_ids

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
# Exports of a controlled product (SPEC §7), when the registry holds a licence register.
UNLICENSED_SUFFIX = " · controlled, unlicensed"
EXPORT_LICENCE_SUFFIX = {"licensed": " · controlled, licensed", "unlicensed": UNLICENSED_SUFFIX}
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


def holders_of(registry: Registry, enterprise_ids: pd.Index, by: str) -> pd.DataFrame:
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
        blank = col.isna() | (col.astype(str).str.strip() == "")
        col = col.where(~blank, f"unknown {by}").astype(str)
        label = col + " (" + stage.astype(str) + ")"
    return pd.DataFrame({"stage": stage, "label": label.astype(str)}, index=ent.index)


def aggregate(
    legs: dict[str, np.ndarray],
    nodes: Nodes,
    c: Coded,
    registry: Registry,
    share: np.ndarray,
    *,
    by: str,
    top: int | None,
) -> pd.DataFrame:
    used = np.unique(np.concatenate([legs["src_ent"], legs["dst_ent"]]))
    used = used[used >= 0]
    holders = holders_of(registry, pd.Index(c.ent_ids[used], dtype="object"), by)
    if top is not None:
        inflow = np.bincount(
            np.maximum(legs["dst_ent"], 0),
            weights=np.where(legs["dst_ent"] >= 0, legs["reo"], 0.0),
            minlength=len(c.ent_ids),
        )
        outflow = np.bincount(
            np.maximum(legs["src_ent"], 0),
            weights=np.where(legs["src_ent"] >= 0, legs["reo"], 0.0),
            minlength=len(c.ent_ids),
        )
        through = pd.Series((inflow + outflow)[used], index=holders.index)
        holders, members = _fold_top(holders, through, int(top))
    else:
        members = {}
    # Node ids: holder labels first, then fixed nodes.
    label_codes, labels = pd.factorize(holders["label"])
    ent_node = np.full(len(c.ent_ids) + 1, -1, dtype=np.int64)
    ent_node[used] = label_codes
    fixed_names = list(nodes.names)
    fixed_node = np.arange(len(fixed_names), dtype=np.int64) + len(labels)
    if top is not None:
        fixed_node = _fold_exports(fixed_names, fixed_node, legs, int(top), nodes)
        fixed_names = list(nodes.names)
    names = list(labels) + fixed_names
    src = np.where(
        legs["src"] >= 0,
        fixed_node[np.maximum(legs["src"], 0)] if len(fixed_node) else -1,
        ent_node[legs["src_ent"]],
    )
    dst = np.where(
        legs["dst"] >= 0,
        fixed_node[np.maximum(legs["dst"], 0)] if len(fixed_node) else -1,
        ent_node[legs["dst_ent"]],
    )
    reo = legs["reo"]
    lot = legs["lot"]
    traceable = np.where(
        legs["forced"], 0.0, reo * np.where(lot >= 0, share[np.maximum(lot, 0)], 0.0)
    )
    keep = (src != dst) & (reo > EPS_KG)
    src, dst, reo, lot, traceable = src[keep], dst[keep], reo[keep], lot[keep], traceable[keep]
    pair, n_pairs = group_ids(src, dst)
    if n_pairs == 0:
        return pd.DataFrame({col: pd.Series(dtype="object") for col in FLOW_COLUMNS})
    total = np.bincount(pair, weights=reo, minlength=n_pairs)
    trace = np.bincount(pair, weights=traceable, minlength=n_pairs)
    counted = lot >= 0
    lots_of_pair, _ = group_ids(pair[counted], lot[counted])
    distinct = np.zeros(n_pairs, dtype=np.int64)
    if counted.any():
        first_of = np.unique(lots_of_pair, return_index=True)[1]
        np.add.at(distinct, pair[counted][first_of], 1)
    head = np.full(n_pairs, -1, dtype=np.int64)
    head[pair[::-1]] = np.arange(len(pair))[::-1]
    name_arr = np.array(names, dtype=object)
    out = pd.DataFrame(
        {
            "source": name_arr[src[head]],
            "target": name_arr[dst[head]],
            "reo": total,
            "traceable": trace,
            "lots": distinct,
        }
    )
    stage_of = dict(zip(holders["label"], holders["stage"], strict=False))
    stage_of.update({name: "origin" for name in ORIGINS})
    stage_of.update({name: "sink" for name in SINKS})

    def stage(values: pd.Series) -> pd.Series:
        mapped = values.map(stage_of)
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
    out = out[list(FLOW_COLUMNS)].reset_index(drop=True)
    # What each "other" node of --top holds, for the figure's label and hover (sankeylayout).
    out.attrs = {"by": by, "members": members, "top": top}
    return out


def _fold_top(
    holders: pd.DataFrame, through: pd.Series, top: int
) -> tuple[pd.DataFrame, dict[str, dict[str, float]]]:
    """Keep the ``top`` labels of each stage by REO through them; fold the rest into "other".
    Also returns the members of each "other" node: {other: {label: t through it}}."""
    per_label = through.groupby([holders["stage"], holders["label"]]).sum().reset_index(name="t")
    per_label = per_label.sort_values(["stage", "t", "label"], ascending=[True, False, True])
    per_label["rank"] = per_label.groupby("stage").cumcount()
    keep = set(per_label.loc[per_label["rank"] < top, "label"])
    members: dict[str, dict[str, float]] = {}
    for row in per_label[per_label["rank"] >= top].itertuples(index=False):
        # through = in + out (kg); a holder balances, so half of it passes through
        members.setdefault(f"other {row.stage}", {})[row.label] = float(row.t) / 2000.0
    folded = holders.copy()
    mask = ~folded["label"].isin(keep)
    folded.loc[mask, "label"] = "other " + folded.loc[mask, "stage"]
    return folded, members


def _fold_exports(
    names: list[str], fixed_node: np.ndarray, legs: dict, top: int, nodes: Nodes
) -> np.ndarray:
    """Point the export nodes beyond the ``top`` countries (by REO) at "export: other"."""
    exports = [i for i, name in enumerate(names) if name.startswith(EXPORT_PREFIX)]
    if len(exports) <= top:
        return fixed_node
    dst = legs["dst"]
    totals = np.bincount(
        np.maximum(dst, 0), weights=np.where(dst >= 0, legs["reo"], 0.0), minlength=len(names)
    )
    ranked = sorted(exports, key=lambda i: (-totals[i], names[i]))
    other = nodes.code(EXPORT_PREFIX + "other")
    fixed_node = np.append(fixed_node, fixed_node.max() + 1)  # the new "other" node
    for i in ranked[top:]:
        fixed_node[i] = fixed_node[other]
    return fixed_node
