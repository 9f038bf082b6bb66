"""Evidence for findings: the event rows that caused each one, joined on its SPEC §5 key.

The rule of each type is derived from its key (model.FINDING_KEYS), never listed by type, so a
new finding type has evidence as soon as its key is written down:

| finding key | evidence rows |
|---|---|
| event columns (enterprise_id, lot_id, document_ref, ...) | the rows with those values (``product``: the row's lot's, SPEC §7) |
| batch_id alone | the batch's consume and produce rows (at the finding's enterprise when it names one) |
| shipment_id alone | the shipment's rows on both sides (touching the finding's enterprise when named) |
| ... and period | only rows up to that period (STOCK_MISMATCH: the book stock's rows) |
| enterprise_id, year, activity | the rows the quota counts that year (the prepared view's ``quota_rows``) |

A key column that is no event column (and not period, year or activity) gives no rule:
``evidence_rule`` returns None, and tests/test_finding_types.py fails for that type.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from flowgraph.analysis.prepared import PreparedEvents, prepared
from flowgraph.model import EVENT_COLUMNS, FINDING_KEYS

EVIDENCE_COLUMNS = (
    "finding",
    "event_id",
    "event_type",
    "date",
    "period",
    "enterprise_id",
    "lot_id",
    "product",
    "mass_kg",
    "reo_kg",
    "counterparty_id",
    "shipment_id",
    "batch_id",
    "country",
    "document_ref",
    "licence_no",
    "note",
    "upload_id",
    "source_row",
    "total",
)

# Key columns that are no event column, and how a finding keyed by them finds its rows.
_UP_TO = "period"  # rows up to the finding's period
_QUOTA = ("year", "activity")  # with enterprise_id: the rows the quota counts that year
# Batch and shipment ids are each enterprise's own (SPEC §6): a finding keyed by one alone is
# narrowed to its enterprise.
_OWN_IDS = {"batch_id": "own", "shipment_id": "touching"}
# Event-side column a key is matched against where it is not the row's own column.
_EVENT_SIDE = {"product": "_lot_product"}  # a row's product is its lot's (SPEC §7)


@dataclass(frozen=True)
class EvidenceRule:
    """How the evidence rows of one finding type are found (see the module docstring)."""

    type: str
    on: tuple[str, ...]  # key columns matched to event columns
    up_to_period: bool = False
    quota: bool = False
    at_enterprise: str | None = None  # "own" (the batch's rows) or "touching" (both sides)


def evidence_rule(finding_type: str) -> EvidenceRule | None:
    """The evidence rule of ``finding_type``, derived from its SPEC §5 key (None: no rule).

    >>> evidence_rule("STOCK_MISMATCH")
    EvidenceRule(type='STOCK_MISMATCH', on=('enterprise_id', 'lot_id'), up_to_period=True, \
quota=False, at_enterprise=None)
    >>> evidence_rule("UNCONFIRMED_SHIPMENT").at_enterprise
    'touching'
    """
    keys = FINDING_KEYS[finding_type]
    quota = all(k in keys for k in _QUOTA)
    on = tuple(k for k in keys if k not in (_UP_TO, *_QUOTA))
    if any(k not in EVENT_COLUMNS for k in on) or (not quota and set(_QUOTA) & set(keys)):
        return None
    at = _OWN_IDS.get(on[0]) if len(on) == 1 else None
    return EvidenceRule(finding_type, on, _UP_TO in keys, quota, at)


def evidence(
    findings: pd.DataFrame, events: pd.DataFrame | PreparedEvents, *, max_rows: int = 20
) -> pd.DataFrame:
    """Event rows behind each finding: EVIDENCE_COLUMNS, ``finding`` = the finding's position
    in ``findings``, at most ``max_rows`` rows per finding (earliest first) and ``total`` = how
    many rows it has in all. ``events``: the event table or its prepared view (prepared.py),
    whose row REO and quota output rows the evidence shows.

    >>> from flowgraph.model import events_frame
    >>> from flowgraph.analysis.findings import make_findings
    >>> ev = events_frame([{"event_id": "7", "event_type": "receive", "date": "2024-01-02",
    ...     "enterprise_id": "S", "lot_id": "Q", "product": "BAST_CONC", "mass_kg": 5}])
    >>> f = make_findings("UNKNOWN_LOT", pd.DataFrame({"lot_id": ["Q"], "period": ["2024-01"]}))
    >>> evidence(f, ev)[["finding", "event_id", "total"]].values.tolist()
    [[0, '7', 1]]
    """
    view = prepared(events)
    f = findings.reset_index(drop=True).assign(finding=np.arange(len(findings)))
    groups: dict[EvidenceRule, list[str]] = {}
    for finding_type in f["type"].dropna().unique():
        rule = evidence_rule(finding_type) if finding_type in FINDING_KEYS else None
        if rule is not None:
            key = replace(rule, type="")
            groups.setdefault(key, []).append(finding_type)
    parts = [_rows(f[f["type"].isin(types)], rule, view) for rule, types in groups.items()]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in EVIDENCE_COLUMNS})
    rows = pd.concat(parts, ignore_index=True)
    rows = rows.sort_values(["finding", "date", "upload_id", "source_row"], kind="stable")
    rows["total"] = rows.groupby("finding")["finding"].transform("size")
    rows = rows[rows.groupby("finding").cumcount() < max_rows]
    return rows[list(EVIDENCE_COLUMNS)].reset_index(drop=True)


def _rows(f: pd.DataFrame, rule: EvidenceRule, view: PreparedEvents) -> pd.DataFrame:
    """The event rows of findings ``f`` (all of one rule)."""
    keys = [*rule.on, *(_QUOTA if rule.quota else ())]
    if any(k not in f.columns for k in keys):
        return f.iloc[0:0]
    sub = f.dropna(subset=keys)
    sub = sub.assign(f_enterprise=sub["enterprise_id"], f_period=sub["period"])
    sub = sub[["finding", "f_enterprise", "f_period", *keys]]
    extra: dict[str, np.ndarray] = {}
    if rule.quota:
        counted = view.quota_rows
        pos, extra["activity"] = counted["row"].to_numpy(), counted["activity"].to_numpy()
        sub = sub.assign(_year=sub["year"].astype(int).astype(str).str.zfill(4))
        sub = sub.drop(columns=["year"])
    else:
        pos = np.arange(len(view.events))
    # Only the rows whose key values some finding names are taken out of the event table (a
    # case sheet names one finding: copying the 1M-row table to join it cost ~0.5 s at scale 100).
    keep = _candidates(view, sub, rule.on, pos)
    pos = pos[keep]
    ev = view.events.iloc[pos].assign(
        reo_kg=view.row_reo[pos],
        _lot_product=view.row_lot_product[pos],
        **{name: values[keep] for name, values in extra.items()},
    )
    if rule.quota:
        ev["_year"] = ev["period"].astype(str).str.slice(0, 4)
    left = [*rule.on, *(("activity", "_year") if rule.quota else ())]
    right = [_EVENT_SIDE.get(k, k) for k in left]
    hits = sub.merge(ev, left_on=left, right_on=right, how="inner", suffixes=("_f", ""))
    named = hits["f_enterprise"].notna()
    if rule.at_enterprise == "own":
        hits = hits[~named | (hits["enterprise_id"] == hits["f_enterprise"])]
    elif rule.at_enterprise == "touching":
        touches = (hits["enterprise_id"] == hits["f_enterprise"]) | (
            hits["counterparty_id"] == hits["f_enterprise"]
        )
        hits = hits[~named | touches]
    if rule.up_to_period:
        # as text: an encoded period is an unordered categorical ("YYYY-MM" sorts as text)
        hits = hits[hits["period"].astype(str) <= hits["f_period"].astype(str)]
    return hits


def _candidates(
    view: PreparedEvents, sub: pd.DataFrame, on: tuple[str, ...], pos: np.ndarray
) -> np.ndarray:
    """Which of the rows at ``pos`` carry, in every column of ``on``, a value some finding of
    ``sub`` names (a superset of the join's rows: the join matches the values together)."""
    keep = np.ones(len(pos), dtype=bool)
    for key in on:
        wanted = pd.unique(sub[key].to_numpy(dtype=object))
        column = view.row_lot_product if key in _EVENT_SIDE else view.events[key].to_numpy()
        at = pos[keep]
        keep[keep] = pd.Series(column[at], dtype=object).isin(wanted).to_numpy()
    return keep
