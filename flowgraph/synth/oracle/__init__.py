"""A plain, independent reading of SPEC §5 used to write and check the synthetic answer key.

This is deliberately not the production detector library (flowgraph.analysis): it is a second
implementation, written from the SPEC text, so that the key and the detectors can be held
against each other. Readable over clever; vectorised enough for a million events.

It imports nothing from flowgraph.analysis (tests/synth/test_oracle_independent.py) and is
held equal to the detectors on random tangles (tests/synth/test_oracle_agrees.py); where the
two readings differed, SPEC and the README decided.

Measurements (``reo_kg``), as the README states them: TRANSFORM_GAIN produced - consumed;
TRANSFORM_LOSS consumed - produced; LOT_OVERDRAWN outflows - inflows (never below 0);
TRANSIT_MISMATCH |shipped - received| kg at the shipped REO per kg; UNCONFIRMED_SHIPMENT
shipped; STOCK_MISMATCH |declared - book| kg at the lot's REO %; UNKNOWN_LOT the most any one
enterprise handled (max of its inflow and outflow); DUPLICATE_LOT the creations after the first
(each at its own grade); RECEIPT_WITHOUT_SHIPMENT received; TIME_INVERSION outflows dated before
the first inflow; LINEAGE_CYCLE REO produced into the cycle's lots; UNTRACEABLE_EXPORT export REO
x untraceable share; UNDESIGNATED_EXTRACTION extracted; UNDESIGNATED_SMELTING the batch's
produced REO (consumed if it produced nothing); UNDESIGNATED_SUPPLY the offending rows' REO;
QUOTA_EXCEEDED the excess over the quota; the cross_register types: see :mod:`.registers`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowgraph.config import Tolerances
from flowgraph.model import (
    FAMILIES,
    FINDING_COLUMNS,
    FINDING_TYPES,
    Registry,
)
from flowgraph.synth.oracle.balance import _batches, _overdrawn, _stock
from flowgraph.synth.oracle.common import as_categorical, row_pct, row_product
from flowgraph.synth.oracle.lineage import (
    _cycle_groups,
    _cycles,
    _lots,
    _quotas,
    _untraceable_exports,
    lot_shares,
)
from flowgraph.synth.oracle.registers import cross_register
from flowgraph.synth.oracle.shipments import _shipments

__all__ = ["lot_shares", "reference_findings"]

# Order of the key: family and type in SPEC §5 table order, then key columns, then period
# (the order `flowgraph detect` prints, so the two files diff line by line).
_SEP = "\x1f"  # joins enterprise_id and batch_id into the oracle's internal batch key
_SORT = [
    "shipment_id",
    "batch_id",
    "enterprise_id",
    "lot_id",
    "document_ref",
    "licence_no",
    "product",
    "country",
    "year",
    "activity",
    "period",
]


def _batch_keys(enterprise_ids: pd.Series, batch_ids: pd.Series) -> pd.Series:
    """A batch is (enterprise_id, batch_id): batch ids are unique only within an enterprise.
    Keyed as one string ``enterprise + _SEP + batch`` (split back in the findings), made once
    per distinct pair rather than once per row (millions of rows, far fewer batches).

    >>> keys = _batch_keys(pd.Series(["E1", "E2", "E1"]), pd.Series(["B", "B", None]))
    >>> [k if k != k else k.replace(_SEP, "|") for k in keys]
    ['E1|B', 'E2|B', nan]
    """
    has = batch_ids.notna().to_numpy()
    codes = np.full(len(batch_ids), -1, dtype=np.int64)
    if not has.any():
        return pd.Series(pd.Categorical.from_codes(codes, categories=[]), index=batch_ids.index)
    # The pairs by the two columns' category codes in one integer (numbered in order of
    # first appearance, as a factorize of the pairs themselves would).
    ents, batches = as_categorical(enterprise_ids), as_categorical(batch_ids)
    width = len(batches.cat.categories) + 1
    pair = (
        ents.cat.codes.to_numpy()[has].astype(np.int64) * width + batches.cat.codes.to_numpy()[has]
    )
    pair_codes, unique_pairs = pd.factorize(pair)
    codes[has] = pair_codes
    uniques = zip(
        ents.cat.categories[unique_pairs // width],
        batches.cat.categories[unique_pairs % width],
        strict=True,
    )
    labels = [f"{ent}{_SEP}{batch}" for ent, batch in uniques]
    categorical = pd.Categorical.from_codes(codes, categories=pd.Index(labels, dtype=object))
    return pd.Series(categorical, index=batch_ids.index)


def _uploads(ev: pd.DataFrame) -> set[tuple[str, str]]:
    """The (enterprise, period) pairs that have an upload."""
    pairs = ev[["enterprise_id", "period"]].drop_duplicates()
    return set(zip(pairs["enterprise_id"], pairs["period"], strict=True))


def reference_findings(
    events: pd.DataFrame, registry: Registry, tol: Tolerances | None = None
) -> pd.DataFrame:
    """Every SPEC §5 finding on ``events`` (EVENT_COLUMNS) as a FINDING_COLUMNS frame, sorted.

    >>> from flowgraph.model import events_frame, registry_from_records
    >>> ev = events_frame([{"event_id": "1", "event_type": "ship", "date": "2024-02-03",
    ...     "enterprise_id": "A", "lot_id": "L9", "product": "LA_OXIDE", "mass_kg": 5,
    ...     "counterparty_id": "B", "shipment_id": "S1"}])
    >>> reference_findings(ev, registry_from_records())["type"].tolist()
    ['LOT_OVERDRAWN', 'UNKNOWN_LOT']
    """
    tol = tol or Tolerances()
    # The registers' rules first: they read the events as given, and memory is lowest
    # before the columns below are added (the key's order does not depend on the rules').
    out: list[dict] = cross_register(events, registry, tol)
    ev = events.copy(deep=False)  # copy-on-write: the columns set below are ev's own
    ev["batch_id"] = _batch_keys(ev["enterprise_id"], ev["batch_id"])
    ev["pct"] = row_pct(ev)
    ev["reo"] = (ev["mass_kg"] * ev["pct"] / 100.0).fillna(0.0)
    ev["prod"] = row_product(ev)
    uploads = _uploads(ev)
    out += _batches(ev, registry, tol)
    out += _overdrawn(ev, tol)
    out += _shipments(ev, registry, uploads, tol)
    out += _stock(ev, tol)
    out += _lots(ev)
    cycle_groups = _cycle_groups(ev)  # read by the cycles and by the shares
    out += _cycles(ev, cycle_groups)
    out += _untraceable_exports(ev, registry, tol, cycle_groups[0])
    out += _quotas(ev, registry)
    frame = pd.DataFrame(out, columns=list(FINDING_COLUMNS))
    frame["batch_id"] = frame["batch_id"].map(
        lambda b: b.split(_SEP, 1)[1] if isinstance(b, str) and _SEP in b else b
    )
    if frame.empty:
        return frame.astype({"reo_kg": "float64"})
    keys = frame[_SORT].astype("object").map(lambda v: "" if v is None or v != v else str(v))
    keys["_f"] = frame["family"].map(FAMILIES.index)
    keys["_t"] = frame["type"].map(list(FINDING_TYPES).index)
    order = keys.sort_values(["_f", "_t", *_SORT], kind="stable").index
    return frame.loc[order].reset_index(drop=True)
