"""Properties of the share propagation on random chains, checked against a naive recursion."""

from __future__ import annotations

import functools

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lineage_chains import consume, extract, frame, imported, produce, row, standard_registry

from flowgraph.analysis.common import designated_on, lot_reo_pct, reo_kg
from flowgraph.analysis.lineage import lineage_cycles, lineage_graph, lot_shares, lot_table

REGISTRY = standard_registry()
PRODUCED = ["MIXED_CARBONATE", "ND_OXIDE", "PRND_METAL", "NDFEB_MAGNET"]


def naive_shares(ev) -> dict[str, float]:
    """SPEC §5 Origins read literally: a memoised recursion per lot up its ancestors."""
    reo = reo_kg(ev).fillna(0.0)
    graph = lineage_graph(ev)
    cyc = set()
    for comp in nx.strongly_connected_components(graph):
        node = next(iter(comp))
        if len(comp) > 1 or graph.has_edge(node, node):
            cyc |= comp
    mining_ok = designated_on(REGISTRY, ev["enterprise_id"], ev["date"], "mining")

    @functools.cache
    def batch_out(ent: str, b: str) -> float:
        rows = (ev["batch_id"] == b) & (ev["enterprise_id"] == ent)  # a batch is the pair
        cons = rows & (ev["event_type"] == "consume")
        prod = rows & (ev["event_type"] == "produce")
        num = sum(reo[i] * share(ev.at[i, "lot_id"]) for i in ev.index[cons])
        den = max(reo[cons].sum(), reo[prod].sum())
        return num / den if den > 0 else 0.0

    @functools.cache
    def share(lot: str) -> float:
        if lot in cyc:
            return 0.0
        made = ev[(ev["lot_id"] == lot) & ev["event_type"].isin(["extract", "import", "produce"])]
        total, good = 0.0, 0.0
        for i, r in made.iterrows():
            total += reo[i]
            if r["event_type"] == "extract":
                good += reo[i] * bool(mining_ok[i])
            elif r["event_type"] == "import":
                good += reo[i] * bool(r["country"] and r["document_ref"])
            else:
                good += reo[i] * batch_out(r["enterprise_id"], r["batch_id"])
        return good / total if total > 0 else 0.0

    return {lot: share(lot) for lot in ev["lot_id"].unique()}


@st.composite
def clean_chain(draw):
    """Designated mines and documented imports feed smelters, whose outputs feed processors;
    every batch yields at most the REO it consumed."""
    records = []
    lots: list[tuple[str, float]] = []  # (lot id, REO %)
    for i in range(draw(st.integers(1, 4))):
        pct = draw(st.floats(5, 95))
        if draw(st.booleans()):
            records.append(extract("2024-02-01", "M1", f"O{i}", draw(st.floats(1, 1e4)), pct=pct))
        else:
            records.append(imported("2024-02-01", "S1", f"O{i}", draw(st.floats(1, 1e4)), pct=pct))
        lots.append((f"O{i}", pct))
    for b in range(draw(st.integers(1, 8))):
        picks = draw(st.lists(st.integers(0, len(lots) - 1), min_size=1, max_size=3, unique=True))
        reo_in = 0.0
        for p in picks:
            mass = draw(st.floats(0.1, 100))
            records.append(consume("2024-02-10", "S1", lots[p][0], mass, f"B{b}"))
            reo_in += mass * lots[p][1] / 100
        for k in range(draw(st.integers(1, 2))):
            pct = draw(st.floats(10, 116))
            keep = draw(st.floats(0.05, 0.49))  # two outputs never exceed the input
            lot = f"P{b}_{k}"
            records.append(
                produce(
                    "2024-02-11",
                    "S1",
                    lot,
                    reo_in * keep * 100 / pct,
                    f"B{b}",
                    pct=pct,
                    product=draw(st.sampled_from(PRODUCED)),
                )
            )
            lots.append((lot, pct))
    return frame(*records)


@given(clean_chain())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_clean_chains_are_fully_traceable(ev):
    shares = lot_shares(ev, REGISTRY)
    assert np.allclose(shares.to_numpy(), 1.0)
    assert lineage_cycles(ev) == []


@st.composite
def messy_chain(draw):
    """Anything goes: unknown lots, undesignated or undocumented origins, gains, duplicates,
    loops (a batch may consume any lot id, including ones produced later or by itself), and
    batches of two enterprises under one batch id."""
    n_lots = draw(st.integers(1, 8))
    ids = [f"L{i}" for i in range(n_lots)]
    records = []
    for lot in ids:
        kind = draw(st.sampled_from(["mine", "late_mine", "bad_mine", "imp", "bad_imp", "none"]))
        mass, pct = draw(st.floats(1, 1e3)), draw(st.floats(5, 116))
        if kind == "mine":
            records.append(extract("2024-02-01", "M1", lot, mass, pct=pct))
        elif kind == "late_mine":
            records.append(extract("2024-07-01", "M1", lot, mass, pct=pct))
        elif kind == "bad_mine":
            records.append(extract("2024-02-01", "M2", lot, mass, pct=pct))
        elif kind == "imp":
            records.append(imported("2024-02-01", "S1", lot, mass, pct=pct))
        elif kind == "bad_imp":
            records.append(imported("2024-02-01", "S1", lot, mass, pct=pct, doc=None))
    for _ in range(draw(st.integers(0, 6))):
        ent, b = draw(st.sampled_from(["S1", "P1"])), draw(st.integers(0, 3))
        for lot in draw(st.lists(st.sampled_from(ids), min_size=0, max_size=3, unique=True)):
            records.append(
                consume(
                    "2024-02-10", ent, lot, draw(st.floats(0.1, 500)), f"B{b}", product="BAST_CONC"
                )
            )
        for lot in draw(st.lists(st.sampled_from(ids), min_size=0, max_size=2, unique=True)):
            records.append(
                produce(
                    "2024-02-11",
                    ent,
                    lot,
                    draw(st.floats(0.1, 500)),
                    f"B{b}",
                    pct=draw(st.floats(5, 116)),
                )
            )
    if not records:
        records.append(row("stock", "2024-02-29", "S1", "L0", 1, product="BAST_CONC"))
    return frame(*records)


@given(messy_chain())
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_messy_chains_match_the_naive_recursion(ev):
    shares = lot_shares(ev, REGISTRY)
    assert ((shares >= 0) & (shares <= 1)).all()
    expected = naive_shares(ev)
    assert set(shares.index) == set(expected)
    for lot, value in expected.items():
        assert shares[lot] == pytest.approx(min(max(value, 0.0), 1.0), abs=1e-9)
    cycle_lots = {lot for group in lineage_cycles(ev) for lot in group}
    assert all(shares[lot] == 0 for lot in cycle_lots)
    table = lot_table(ev, REGISTRY)
    expected_pct = lot_reo_pct(ev).reindex(table.index)
    assert np.allclose(table["reo_pct"], expected_pct, equal_nan=True)
    assert (table["traceable_share"] == shares).all()
