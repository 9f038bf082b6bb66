"""Lot lineage: where each lot came from and which share of its REO is traceable (SPEC §5 Origins).

The share ("haircut") propagates ONCE over processing batches in topological order of the
batch graph (batch A -> batch B when B consumes a lot A produced), one vectorised numpy step
per generation, so the cost is O(events) — never a per-lot ancestor search.

Rules where SPEC is silent (copied to the README):

- A lot created more than once takes the REO-weighted share of all its creations; a
  creation by a batch (`produce`) counts with that batch's output share.
- A lot both created (extract/import) and produced by a batch is treated the same way: every
  creating event weighs in by its REO (its origin column names the earliest creation).
- Lots in a lineage cycle (consume -> produce loops) get share 0: they cannot be traced to an
  origin. Lots derived from them take the haircut as usual (cycle inputs count as share 0).
- A batch that produces without consuming yields share 0; a batch that consumes without
  producing has output share = input share (nothing to hand on).
- Batches are identified by `batch_id` alone (as the SPEC §5 finding keys are).
- REO of a row is SPEC §1 (common.reo_kg); a row with no REO % anywhere counts as 0 kg REO.
- `created_mass_kg` / `created_reo_kg` are totals over all creating events of the lot.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from flowgraph.analysis.common import designated_on
from flowgraph.model import CREATING_TYPES, MINERAL_PRODUCTS, PRODUCTS, Registry

_FAMILY = {code: p.family for code, p in PRODUCTS.items()}
_TYPICAL = {code: p.typical_reo_pct for code, p in PRODUCTS.items()}
_ORDER = ["date", "upload_id", "source_row"]


def _blank(values: pd.Series) -> np.ndarray:
    """True where a text value is missing or only whitespace."""
    text = values.astype("object")
    return (text.isna() | text.astype(str).str.strip().eq("")).to_numpy()


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Concatenation of arange(s, e) for each pair, vectorised."""
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    shifts = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    return shifts + np.arange(total)


def _levels(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Kahn's algorithm, one vectorised step per generation: longest-path level of each node
    from the sources, -1 for nodes on or after a cycle. O(nodes + edges) overall."""
    level = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return level
    order = np.argsort(src, kind="stable")
    src_s, dst_s = src[order], dst[order]
    offsets = np.searchsorted(src_s, np.arange(n + 1))
    indeg = np.bincount(dst, minlength=n)
    frontier = np.flatnonzero(indeg == 0)
    k = 0
    while frontier.size:
        level[frontier] = k
        targets = dst_s[_ranges(offsets[frontier], offsets[frontier + 1])]
        hit, counts = np.unique(targets, return_counts=True)
        indeg[hit] -= counts
        frontier = hit[indeg[hit] == 0]
        k += 1
    return level


@dataclass
class _Structure:
    """The batch graph of an event table, positional (no registry needed)."""

    lots: pd.Index  # lot ids; lot_code indexes into it
    lot_code: np.ndarray  # per event row
    batches: pd.Index  # batch ids
    cons: np.ndarray  # event positions of consume rows with a batch
    cb: np.ndarray  # their batch codes
    prod: np.ndarray  # event positions of produce rows with a batch
    pb: np.ndarray
    level: np.ndarray  # per batch: generation in the condensed batch graph
    comp: np.ndarray  # per batch: representative batch of its strongly connected component
    cyclic: np.ndarray  # per batch: True when the batch lies on a cycle
    cycle_lot: np.ndarray  # per lot: True when the lot lies on a lineage cycle
    cycle_pairs: pd.DataFrame  # lot, comp: which cyclic component each cycle lot belongs to


def _structure(events: pd.DataFrame) -> _Structure:
    lot_code, lots = pd.factorize(events["lot_id"].to_numpy(dtype=object), use_na_sentinel=True)
    lots = pd.Index(lots, dtype=object)
    etype = events["event_type"].to_numpy()
    has_batch = events["batch_id"].notna().to_numpy()
    cons = np.flatnonzero((etype == "consume") & has_batch & (lot_code >= 0))
    prod = np.flatnonzero((etype == "produce") & has_batch & (lot_code >= 0))
    batch_ids = events["batch_id"].to_numpy()
    codes, batches = pd.factorize(np.concatenate([batch_ids[cons], batch_ids[prod]]))
    batches = pd.Index(batches, dtype=object)
    cb, pb = codes[: len(cons)], codes[len(cons) :]
    n = len(batches)

    # Batch edges: producer of a lot -> each consumer of it, one per lot (Kahn counts multi-edges).
    p_frame = pd.DataFrame({"lot": lot_code[prod], "src": pb})
    c_frame = pd.DataFrame({"lot": lot_code[cons], "dst": cb})
    edges = p_frame.merge(c_frame, on="lot").drop_duplicates()
    src, dst = edges["src"].to_numpy(np.int64), edges["dst"].to_numpy(np.int64)

    # Only nodes that neither forward nor backward peeling removes can sit on a cycle,
    # so networkx only ever sees that (usually empty) residue.
    forward = _levels(n, src, dst)
    residual = forward < 0
    if residual.any():
        residual &= _levels(n, dst, src) < 0
    comp = np.arange(n)
    cyclic = np.zeros(n, dtype=bool)
    if residual.any():
        keep = residual[src] & residual[dst]
        sub = nx.DiGraph()
        sub.add_edges_from(zip(src[keep].tolist(), dst[keep].tolist(), strict=True))
        for members in nx.strongly_connected_components(sub):
            members = np.fromiter(members, dtype=np.int64)
            if members.size > 1 or sub.has_edge(members[0], members[0]):
                comp[members] = members.min()
                cyclic[members] = True
    csrc, cdst = comp[src], comp[dst]
    if cyclic.any():
        outer = csrc != cdst
        level = _levels(n, csrc[outer], cdst[outer])[comp]
    else:  # acyclic: the forward levels are final
        level = forward

    # A lot is on a cycle iff some producer and some consumer of it share a cyclic component.
    inner = cyclic[src] & (comp[src] == comp[dst])
    cycle_lot = np.zeros(len(lots), dtype=bool)
    cycle_lot[edges["lot"].to_numpy()[inner]] = True
    pairs = pd.DataFrame({"lot": edges["lot"].to_numpy()[inner], "comp": comp[src][inner]})
    return _Structure(
        lots, lot_code, batches, cons, cb, prod, pb, level, comp, cyclic, cycle_lot, pairs
    )


def _first_per_lot(events: pd.DataFrame, rows: np.ndarray, lot_code: np.ndarray, n_lots: int):
    """For each lot, the position (into events) of its earliest row among ``rows`` by
    (date, upload_id, source_row, row order) — the order common.lot_reo_pct uses; -1 if none."""
    first = np.full(n_lots, -1, dtype=np.int64)
    if rows.size == 0:
        return first
    keys = (
        rows,
        events["source_row"].to_numpy()[rows],
        events["upload_id"].to_numpy()[rows],
        events["date"].to_numpy()[rows],
        lot_code[rows],
    )
    ordered = rows[np.lexsort(keys)]
    lots, at = np.unique(lot_code[ordered], return_index=True)
    first[lots] = ordered[at]
    return first


def _row_reo(events: pd.DataFrame, st: _Structure) -> tuple[np.ndarray, np.ndarray]:
    """(REO kg of each row, REO % of each lot): SPEC §1, same rules as common.reo_kg but on
    integer lot codes (a string-keyed map over a million rows costs seconds)."""
    etype = events["event_type"].isin(CREATING_TYPES).to_numpy()
    own = events["reo_pct"].to_numpy(dtype="float64")
    rows = np.flatnonzero(etype & ~np.isnan(own) & (st.lot_code >= 0))
    first = _first_per_lot(events, rows, st.lot_code, len(st.lots))
    lot_pct = np.where(first >= 0, own[np.maximum(first, 0)], np.nan)
    pct = np.where(st.lot_code >= 0, lot_pct[st.lot_code], np.nan)
    pct = np.where(np.isnan(pct), own, pct)
    missing = np.isnan(pct)
    if missing.any():
        typical = events["product"].iloc[np.flatnonzero(missing)].map(_TYPICAL)
        pct[missing] = typical.to_numpy(dtype="float64")
    reo = events["mass_kg"].to_numpy(dtype="float64") * pct / 100.0
    return np.nan_to_num(reo, nan=0.0), lot_pct


def _creation_origin(events: pd.DataFrame, registry: Registry, rows: np.ndarray) -> np.ndarray:
    """Origin label of each creating row (positions ``rows``)."""
    sub = events.iloc[rows]
    etype = sub["event_type"].to_numpy()
    origin = np.full(len(rows), "batch", dtype=object)
    is_ext = etype == "extract"
    if is_ext.any():
        ok = designated_on(registry, sub["enterprise_id"][is_ext], sub["date"][is_ext], "mining")
        origin[is_ext] = np.where(ok, "mine", "undesignated_extraction")
    is_imp = etype == "import"
    documented = ~_blank(sub["country"]) & ~_blank(sub["document_ref"])
    origin[is_imp] = np.where(documented[is_imp], "import", "undocumented_import")
    return origin


@dataclass
class _Lineage:
    st: _Structure
    reo: np.ndarray  # per event row
    lot_pct: np.ndarray  # per lot (NaN when no creating row states one)
    creators: np.ndarray  # event positions of creating rows
    origin: np.ndarray  # per creating row
    share: np.ndarray  # per lot
    cons_reo: np.ndarray  # per batch
    prod_reo: np.ndarray
    in_num: np.ndarray  # per batch: sum(consumed REO x input share)


def _propagate(events: pd.DataFrame, registry: Registry) -> _Lineage:
    st = _structure(events)
    reo, lot_pct = _row_reo(events, st)
    n_lots, n_b = len(st.lots), len(st.batches)
    creators = np.flatnonzero(
        events["event_type"].isin(CREATING_TYPES).to_numpy() & (st.lot_code >= 0)
    )
    origin = _creation_origin(events, registry, creators)
    c_lot = st.lot_code[creators]
    den = np.bincount(c_lot, weights=reo[creators], minlength=n_lots)
    valid = np.isin(origin, ["mine", "import"])
    num = np.bincount(c_lot, weights=reo[creators] * valid, minlength=n_lots)

    cons_reo = np.bincount(st.cb, weights=reo[st.cons], minlength=n_b)
    prod_reo = np.bincount(st.pb, weights=reo[st.prod], minlength=n_b)
    out_den = np.maximum(cons_reo, prod_reo)
    in_num = np.zeros(n_b)

    c_order = np.argsort(st.level[st.cb], kind="stable")
    p_order = np.argsort(st.level[st.pb], kind="stable")
    c_lvl, p_lvl = st.level[st.cb][c_order], st.level[st.pb][p_order]
    c_lot_s, c_b_s, c_reo_s = st.lot_code[st.cons][c_order], st.cb[c_order], reo[st.cons][c_order]
    p_lot_s, p_b_s, p_reo_s = st.lot_code[st.prod][p_order], st.pb[p_order], reo[st.prod][p_order]
    top = int(st.level.max()) + 1 if n_b else 0
    c_cut = np.searchsorted(c_lvl, np.arange(top + 1))
    p_cut = np.searchsorted(p_lvl, np.arange(top + 1))

    def lot_share(idx: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            s = np.where(den[idx] > 0, num[idx] / den[idx], 0.0)
        return np.where(st.cycle_lot[idx], 0.0, s)

    # Generation k only reads lots whose producers all sit in generations < k (or on its own
    # cycle, forced to 0), so each lot's share is final when first read.
    for k in range(top):
        cs = slice(c_cut[k], c_cut[k + 1])
        np.add.at(in_num, c_b_s[cs], c_reo_s[cs] * lot_share(c_lot_s[cs]))
        ps = slice(p_cut[k], p_cut[k + 1])
        b = p_b_s[ps]
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(out_den[b] > 0, in_num[b] / out_den[b], 0.0)
        np.add.at(num, p_lot_s[ps], p_reo_s[ps] * out)

    share = np.clip(lot_share(np.arange(n_lots)), 0.0, 1.0)
    return _Lineage(st, reo, lot_pct, creators, origin, share, cons_reo, prod_reo, in_num)


def _lot_product(events: pd.DataFrame, st: _Structure) -> np.ndarray:
    """Product of each lot: its earliest creating row's, else the first row that names one."""
    product = events["product"].to_numpy(dtype=object)
    named = events["product"].notna().to_numpy() & (st.lot_code >= 0)
    creating = events["event_type"].isin(CREATING_TYPES).to_numpy()
    n = len(st.lots)
    first = _first_per_lot(events, np.flatnonzero(named & creating), st.lot_code, n)
    any_row = np.full(n, -1, dtype=np.int64)
    rows = np.flatnonzero(named)[::-1]  # reversed so the first row wins the assignment
    any_row[st.lot_code[rows]] = rows
    pick = np.where(first >= 0, first, any_row)
    return np.where(pick >= 0, product[np.maximum(pick, 0)], None)


def lot_products(events: pd.DataFrame) -> pd.Series:
    """Product of each row's lot: the creating event's, else the row's own (SPEC §1 lets rows of
    a lot created in the same file omit product).

    >>> from flowgraph.model import events_frame
    >>> ev = events_frame([
    ...     {"event_type": "extract", "date": "2024-01-02", "lot_id": "L", "mass_kg": 1,
    ...      "reo_pct": 50, "product": "BAST_CONC"},
    ...     {"event_type": "consume", "date": "2024-01-03", "lot_id": "L", "mass_kg": 1}])
    >>> lot_products(ev).tolist()
    ['BAST_CONC', 'BAST_CONC']
    """
    st = _structure(events)
    return pd.Series(_products_of_rows(events, st), index=events.index, dtype=object)


def _products_of_rows(events: pd.DataFrame, st: _Structure) -> np.ndarray:
    own = events["product"].to_numpy(dtype=object)
    creating = events["event_type"].isin(CREATING_TYPES).to_numpy() & events["product"].notna()
    first = _first_per_lot(
        events, np.flatnonzero(creating.to_numpy() & (st.lot_code >= 0)), st.lot_code, len(st.lots)
    )
    of_lot = np.where(first >= 0, own[np.maximum(first, 0)], None)
    result = np.where(st.lot_code >= 0, of_lot[np.maximum(st.lot_code, 0)], None)
    return np.where(pd.isna(result), own, result)


def lot_shares(events: pd.DataFrame, registry: Registry) -> pd.Series:
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
    lin = _propagate(events, registry)
    return pd.Series(lin.share, index=pd.Index(lin.st.lots, name="lot_id"), name="traceable_share")


def lot_table(events: pd.DataFrame, registry: Registry) -> pd.DataFrame:
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
    lin = _propagate(events, registry)
    st = lin.st
    n = len(st.lots)
    first = _first_per_lot(events, lin.creators, st.lot_code, n)
    has = first >= 0
    at = np.maximum(first, 0)

    def of_first(column: str) -> np.ndarray:
        return np.where(has, events[column].to_numpy(dtype=object)[at], None)

    origin = np.full(len(events), None, dtype=object)
    origin[lin.creators] = lin.origin
    c_lot = st.lot_code[lin.creators]
    produced = lin.creators[events["event_type"].to_numpy()[lin.creators] == "produce"]
    first_prod = _first_per_lot(events, produced, st.lot_code, n)
    product = _lot_product(events, st)
    table = pd.DataFrame(
        {
            "product": product,
            "family": [_FAMILY.get(p) for p in product],
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


def batch_table(events: pd.DataFrame, registry: Registry) -> pd.DataFrame:
    """One row per batch (index batch_id): enterprise_id, date (earliest row), period,
    reo_consumed, reo_produced, smelting (consumes any mineral product), input_share
    (REO-weighted traceable share of inputs), output_share (SPEC §5 haircut), in_cycle, generation.

    >>> from flowgraph.model import events_frame, registry_from_records
    >>> ev = events_frame([
    ...     {"event_type": "consume", "date": "2024-01-05", "enterprise_id": "S1", "lot_id": "A",
    ...      "product": "BAST_CONC", "mass_kg": 100, "batch_id": "B1"},
    ...     {"event_type": "produce", "date": "2024-01-06", "enterprise_id": "S1", "lot_id": "X",
    ...      "product": "ND_OXIDE", "mass_kg": 60, "reo_pct": 99, "batch_id": "B1"}])
    >>> row = batch_table(ev, registry_from_records()).loc["B1"]
    >>> bool(row["smelting"]), float(row["output_share"])
    (True, 0.0)
    """
    lin = _propagate(events, registry)
    st = lin.st
    rows = np.concatenate([st.cons, st.prod])
    codes = np.concatenate([st.cb, st.pb])
    sub = events.iloc[rows][_ORDER + ["enterprise_id", "period"]].assign(_b=codes)
    sub = sub.sort_values(_ORDER, kind="stable").drop_duplicates("_b").set_index("_b")
    sub = sub.reindex(np.arange(len(st.batches)))
    mineral = np.isin(_products_of_rows(events, st)[st.cons], list(MINERAL_PRODUCTS))
    smelting = np.bincount(st.cb[mineral], minlength=len(st.batches)) > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        input_share = np.where(lin.cons_reo > 0, lin.in_num / lin.cons_reo, 0.0)
        den = np.maximum(lin.cons_reo, lin.prod_reo)
        output_share = np.where(den > 0, lin.in_num / den, 0.0)
    return pd.DataFrame(
        {
            "enterprise_id": sub["enterprise_id"].to_numpy(),
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
        index=pd.Index(st.batches, name="batch_id"),
    )


def lineage_graph(events: pd.DataFrame) -> nx.DiGraph:
    """Lot -> lot edges through batches (a consumed lot -> each lot its batch produced).

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
    batched = events[events["batch_id"].notna() & events["lot_id"].notna()]
    consumed = batched[batched["event_type"] == "consume"][["lot_id", "batch_id"]]
    produced = batched[batched["event_type"] == "produce"][["lot_id", "batch_id"]]
    pairs = consumed.merge(produced, on="batch_id", suffixes=("_in", "_out"))
    pairs = pairs.sort_values("batch_id").drop_duplicates(["lot_id_in", "lot_id_out"])
    graph = nx.DiGraph()
    graph.add_nodes_from(pd.unique(pd.concat([consumed["lot_id"], produced["lot_id"]])))
    graph.add_edges_from(
        (a, b, {"batch_id": c})
        for a, b, c in zip(pairs["lot_id_in"], pairs["lot_id_out"], pairs["batch_id"], strict=True)
    )
    return graph


def lineage_cycles(events: pd.DataFrame) -> list[list[str]]:
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
    st = _structure(events)
    if not st.cycle_lot.any():
        return []
    # The cycle lots of one cyclic batch component are one strongly connected group of lots:
    # each reaches every other through the component's batches.
    pairs = st.cycle_pairs.assign(lot_id=st.lots[st.cycle_pairs["lot"].to_numpy()])
    groups = pairs.groupby("comp")["lot_id"].agg(lambda s: sorted(set(map(str, s))))
    return sorted(groups.tolist(), key=lambda g: g[0])
