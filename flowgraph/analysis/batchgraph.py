"""The batch graph of an event table: which batch feeds which, generations, cycles.

A batch is (enterprise_id, batch_id), as for the detectors: SPEC §1 makes batch ids unique only
within an enterprise's uploads, so two enterprises may use the same one.
Batch A -> batch B when B consumes a lot A produced. Each batch gets its generation (longest
path from the batches that consume only created lots), computed by vectorised peeling so the
cost is O(events); networkx only sees the (usually empty) residue that peeling cannot remove,
which is where the cycles are. Everything is positional: lots and batches are integer codes.

Building it costs ~0.25 s at a million events; the prepared view (prepared.py) builds it once
for every analysis that reads the view.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from flowgraph.analysis.rowcodes import type_mask
from flowgraph.encoding import factorize


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
class BatchStructure:
    """The batch graph of an event table, positional (no registry needed): every array that is
    "per event row" follows the rows of the table it was built from."""

    lots: pd.Index  # lot ids; lot_code indexes into it
    lot_code: np.ndarray  # per event row
    batches: pd.Index  # batch id of each batch code (two enterprises may share one)
    batch_enterprise: np.ndarray  # enterprise of each batch code: a batch is the pair
    cons: np.ndarray  # event positions of consume rows with a batch
    cb: np.ndarray  # their batch codes
    prod: np.ndarray  # event positions of produce rows with a batch
    pb: np.ndarray
    level: np.ndarray  # per batch: generation in the condensed batch graph
    comp: np.ndarray  # per batch: representative batch of its strongly connected component
    cyclic: np.ndarray  # per batch: True when the batch lies on a cycle
    cycle_lot: np.ndarray  # per lot: True when the lot lies on a lineage cycle
    cycle_pairs: pd.DataFrame  # lot, comp: which cyclic component each cycle lot belongs to


def batch_structure(events: pd.DataFrame) -> BatchStructure:
    """The batch graph of ``events`` (``prepared(events).structure``: a caller that has a
    prepared view reads it there, built once).

    The structure is positional: every per-row array follows the rows of ``events``.

    >>> from flowgraph.model import events_frame
    >>> ev = events_frame([
    ...     {"event_type": "consume", "date": "2024-01-05", "lot_id": "A", "mass_kg": 1,
    ...      "batch_id": "B1"},
    ...     {"event_type": "produce", "date": "2024-01-05", "lot_id": "X", "mass_kg": 1,
    ...      "reo_pct": 99, "batch_id": "B1"}])
    >>> st = batch_structure(ev)
    >>> list(st.lots), list(st.batches)
    (['A', 'X'], ['B1'])
    """
    from flowgraph.analysis.prepared import prepared

    return prepared(events).structure


def build_structure(
    events: pd.DataFrame, lots: tuple[np.ndarray, pd.Index] | None = None
) -> BatchStructure:
    """Build the batch graph of ``events``; ``lots``: (lot code per row, lot ids) when the
    caller has factorised ``lot_id`` already (prepared.PreparedEvents does)."""
    return _structure(events, lots)


def _structure(
    events: pd.DataFrame, factorized: tuple[np.ndarray, pd.Index] | None = None
) -> BatchStructure:
    if factorized is None:
        lot_code, lots = factorize(events["lot_id"])
        factorized = lot_code, pd.Index(lots, dtype=object)
    lot_code, lots = factorized
    etype = events["event_type"]
    has_batch = events["batch_id"].notna().to_numpy() & (lot_code >= 0)
    cons = np.flatnonzero(type_mask(etype, ["consume"]) & has_batch)
    prod = np.flatnonzero(type_mask(etype, ["produce"]) & has_batch)
    # A batch is (enterprise_id, batch_id): batch ids are only unique within an enterprise.
    rows = np.concatenate([cons, prod])
    # only the batch rows are widened to objects (the columns may be categoricals)
    ent_code, ents = pd.factorize(
        events["enterprise_id"].iloc[rows].to_numpy(dtype=object), use_na_sentinel=False
    )
    id_code, ids = pd.factorize(events["batch_id"].iloc[rows].to_numpy(dtype=object))
    pair = ent_code.astype(np.int64) * max(len(ids), 1) + id_code
    codes, first = pd.factorize(pair)  # batch codes in order of first appearance
    batches = pd.Index(ids.take(first % max(len(ids), 1)), dtype=object)
    batch_enterprise = np.asarray(ents.take(first // max(len(ids), 1)), dtype=object)
    batch_enterprise[pd.isna(batch_enterprise)] = None  # like the event table's text columns
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
    return BatchStructure(
        lots,
        lot_code,
        batches,
        batch_enterprise,
        cons,
        cb,
        prod,
        pb,
        level,
        comp,
        cyclic,
        cycle_lot,
        pairs,
    )
