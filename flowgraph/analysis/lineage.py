"""Lot lineage: where each lot came from and which share of its REO is traceable (SPEC §5 Origins).

The public lineage tables. How they are computed lives next door: batchgraph.py (which batch
feeds which, generations, cycles), prepared.py (a row's REO, a lot's product) and haircut.py (the
share, propagated ONCE over the batch graph in generation order, O(events)).

The rules where SPEC is silent are written once, in the README (Findings: Lineage and
traceable share); the REO of a row and a lot's product are the prepared view's (prepared.py).
``created_mass_kg`` / ``created_reo_kg`` are totals over all creating events of the lot.

Every table takes the event table or a prepared view of it (prepared.py): a caller that runs
several of them (or burndown, provenance) on one event table builds the view once.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

from flowgraph.analysis.prepared import FAMILY, PreparedEvents, prepared
from flowgraph.model import Registry

_ORDER = ["date", "upload_id", "source_row"]


def lot_shares(
    events: pd.DataFrame | PreparedEvents, registry: Registry | None = None
) -> pd.Series:
    """Traceable REO share of every lot seen in ``events`` (SPEC §5 Origins), in [0, 1].

    >>> from flowgraph.model import events_frame, registry_from_records
    >>> ev = events_frame([
    ...     {"event_type": "import", "date": "2024-01-02", "enterprise_id": "E1", "lot_id": "A",
    ...      "product": "BAST_CONC", "mass_kg": 100, "reo_pct": 60, "country": "MM",
    ...      "document_ref": "C-1"},
    ...     {"event_type": "consume", "date": "2024-01-05", "enterprise_id": "E1", "lot_id": "A",
    ...      "mass_kg": 100, "batch_id": "B1"},
    ...     {"event_type": "produce", "date": "2024-01-06", "enterprise_id": "E1", "lot_id": "X",
    ...      "product": "ND_OXIDE", "mass_kg": 66, "reo_pct": 100, "batch_id": "B1"}])
    >>> lot_shares(ev, registry_from_records()).round(4).to_dict()
    {'A': 1.0, 'X': 0.9091}
    """
    return prepared(events, registry).shares


def lot_table(
    events: pd.DataFrame | PreparedEvents, registry: Registry | None = None
) -> pd.DataFrame:
    """One row per lot seen in ``events`` (index lot_id): what created it and its traceable share.

    Columns: product, family, reo_pct, creators, created_by, created_type, created_date,
    created_mass_kg, created_reo_kg, origin (mine | import | undesignated_extraction |
    undocumented_import | batch | unknown), traceable_share, batch_id, in_cycle.

    >>> from flowgraph.model import events_frame, registry_from_records
    >>> ev = events_frame([{"event_type": "receive", "date": "2024-01-02", "lot_id": "Q",
    ...     "product": "BAST_CONC", "mass_kg": 5}])
    >>> row = lot_table(ev, registry_from_records()).loc["Q"]
    >>> row["origin"], float(row["traceable_share"])
    ('unknown', 0.0)
    """
    view = prepared(events, registry)
    events, lin = view.events, view.lineage
    st = lin.st
    n = len(st.lots)
    first = view.first_creation
    has = first >= 0
    at = np.maximum(first, 0)

    def of_first(column: str) -> np.ndarray:
        return np.where(has, events[column].to_numpy(dtype=object)[at], None)

    origin = np.full(len(events), None, dtype=object)
    origin[lin.creators] = lin.origin
    c_lot = st.lot_code[lin.creators]
    produced = lin.creators[events["event_type"].to_numpy()[lin.creators] == "produce"]
    first_prod = view.first_per_lot(produced)
    product = view.lot_product
    table = pd.DataFrame(
        {
            "product": product,
            "family": [FAMILY.get(p) for p in product],
            "reo_pct": lin.lot_pct,
            "creators": np.bincount(c_lot, minlength=n).astype("int64"),
            "created_by": of_first("enterprise_id"),
            "created_type": of_first("event_type"),
            "created_date": pd.Series(events["date"].to_numpy()[at]).where(has).to_numpy(),
            "created_mass_kg": np.bincount(
                c_lot,
                weights=events["mass_kg"].to_numpy(dtype="float64")[lin.creators],
                minlength=n,
            ),
            "created_reo_kg": np.bincount(c_lot, weights=lin.reo[lin.creators], minlength=n),
            "origin": np.where(has, origin[at], "unknown"),
            "traceable_share": lin.share,
            "batch_id": np.where(
                first_prod >= 0,
                events["batch_id"].to_numpy(dtype=object)[np.maximum(first_prod, 0)],
                None,
            ),
            "in_cycle": st.cycle_lot,
        },
        index=pd.Index(st.lots, name="lot_id", dtype=object),
    )
    # object columns with None, like the event table (pandas 3 would infer str with NaN)
    for column in ("product", "family", "created_by", "created_type", "origin", "batch_id"):
        values = table[column].astype("object")
        table[column] = values.where(values.notna(), None)
    return table


def batch_table(
    events: pd.DataFrame | PreparedEvents, registry: Registry | None = None
) -> pd.DataFrame:
    """One row per batch (index enterprise_id, batch_id): date (earliest row), period,
    reo_consumed, reo_produced, smelting (consumes any mineral product), input_share
    (REO-weighted traceable share of inputs), output_share (SPEC §5 haircut), in_cycle, generation.

    >>> from flowgraph.model import events_frame, registry_from_records
    >>> ev = events_frame([
    ...     {"event_type": "consume", "date": "2024-01-05", "enterprise_id": "S1", "lot_id": "A",
    ...      "product": "BAST_CONC", "mass_kg": 100, "batch_id": "B1"},
    ...     {"event_type": "produce", "date": "2024-01-06", "enterprise_id": "S1", "lot_id": "X",
    ...      "product": "ND_OXIDE", "mass_kg": 60, "reo_pct": 99, "batch_id": "B1"}])
    >>> row = batch_table(ev, registry_from_records()).loc[("S1", "B1")]
    >>> bool(row["smelting"]), float(row["output_share"])
    (True, 0.0)
    """
    view = prepared(events, registry)
    events, lin = view.events, view.lineage
    st = lin.st
    rows = np.concatenate([st.cons, st.prod])
    codes = np.concatenate([st.cb, st.pb])
    sub = events.iloc[rows][_ORDER + ["period"]].assign(_b=codes)
    sub = sub.sort_values(_ORDER, kind="stable").drop_duplicates("_b").set_index("_b")
    sub = sub.reindex(np.arange(len(st.batches)))
    smelting = view.smelting
    with np.errstate(invalid="ignore", divide="ignore"):
        input_share = np.where(lin.cons_reo > 0, lin.in_num / lin.cons_reo, 0.0)
        den = np.maximum(lin.cons_reo, lin.prod_reo)
        output_share = np.where(den > 0, lin.in_num / den, 0.0)
    return pd.DataFrame(
        {
            "date": sub["date"].to_numpy(),
            "period": sub["period"].to_numpy(),
            "reo_consumed": lin.cons_reo,
            "reo_produced": lin.prod_reo,
            "smelting": smelting,
            "input_share": np.clip(input_share, 0.0, 1.0),
            "output_share": np.clip(output_share, 0.0, 1.0),
            "in_cycle": st.cyclic,
            "generation": st.level,
        },
        index=pd.MultiIndex.from_arrays(
            [st.batch_enterprise, st.batches], names=["enterprise_id", "batch_id"]
        ),
    )


def lineage_graph(events: pd.DataFrame | PreparedEvents) -> nx.DiGraph:
    """Lot -> lot edges through batches (a consumed lot -> each lot its batch produced; a batch
    is the enterprise's: two enterprises' batches with the same id are not linked).

    Edge attribute ``batch_id`` (the smallest batch id when several batches link the pair).

    >>> from flowgraph.model import events_frame
    >>> ev = events_frame([
    ...     {"event_type": "consume", "date": "2024-01-05", "lot_id": "A", "mass_kg": 1,
    ...      "batch_id": "B1"},
    ...     {"event_type": "produce", "date": "2024-01-05", "lot_id": "X", "mass_kg": 1,
    ...      "reo_pct": 99, "batch_id": "B1"}])
    >>> list(lineage_graph(ev).edges(data=True))
    [('A', 'X', {'batch_id': 'B1'})]
    """
    events = prepared(events).events
    batched = events[events["batch_id"].notna() & events["lot_id"].notna()]
    keys = ["enterprise_id", "batch_id"]
    consumed = batched[batched["event_type"] == "consume"][["lot_id", *keys]]
    produced = batched[batched["event_type"] == "produce"][["lot_id", *keys]]
    pairs = consumed.merge(produced, on=keys, suffixes=("_in", "_out"))
    pairs = pairs.sort_values("batch_id").drop_duplicates(["lot_id_in", "lot_id_out"])
    graph = nx.DiGraph()
    graph.add_nodes_from(pd.unique(pd.concat([consumed["lot_id"], produced["lot_id"]])))
    graph.add_edges_from(
        (a, b, {"batch_id": c})
        for a, b, c in zip(pairs["lot_id_in"], pairs["lot_id_out"], pairs["batch_id"], strict=True)
    )
    return graph


def lineage_cycles(events: pd.DataFrame | PreparedEvents) -> list[list[str]]:
    """Lots that derive from each other in a cycle (consume -> produce), one list per strongly
    connected group of lots (each sorted); the list is sorted by first id.

    >>> from flowgraph.model import events_frame
    >>> ev = events_frame([
    ...     {"event_type": t, "date": "2024-01-05", "lot_id": lot, "mass_kg": 1, "reo_pct": 99,
    ...      "batch_id": b}
    ...     for t, lot, b in [("consume", "A", "B1"), ("produce", "C", "B1"),
    ...                       ("consume", "C", "B2"), ("produce", "A", "B2")]])
    >>> lineage_cycles(ev)
    [['A', 'C']]
    """
    st = prepared(events).structure
    if not st.cycle_lot.any():
        return []
    # The cycle lots of one cyclic batch component are one strongly connected group of lots:
    # each reaches every other through the component's batches.
    pairs = st.cycle_pairs.assign(lot_id=st.lots[st.cycle_pairs["lot"].to_numpy()])
    groups = pairs.groupby("comp")["lot_id"].agg(lambda s: sorted(set(map(str, s))))
    return sorted(groups.tolist(), key=lambda g: g[0])
