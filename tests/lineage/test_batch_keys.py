"""A batch is (enterprise_id, batch_id): two enterprises may use the same batch id (SPEC §1 makes
ids unique only within an enterprise's uploads), and their batches must not be merged."""

from __future__ import annotations

import pytest
from lineage_chains import consume, extract, frame, imported, produce

from flowgraph.analysis.burndown import quota_burndown, smelting_batch_ids
from flowgraph.analysis.detectors import run_detectors
from flowgraph.analysis.lineage import (
    batch_table,
    lineage_cycles,
    lineage_graph,
    lot_shares,
    lot_table,
)
from flowgraph.analysis.provenance import trace_downstream, trace_upstream


def two_b1s():
    """S1's batch B1 refines a documented import; P1's batch B1 refines a lot nobody created."""
    return frame(
        imported("2024-03-01", "S1", "A", 100, pct=60),  # 60 kg REO, share 1
        consume("2024-03-05", "S1", "A", 100, "B1"),
        produce("2024-03-06", "S1", "X", 60, "B1", pct=100),  # 60 kg REO
        consume("2024-03-05", "P1", "U", 100, "B1", product="BAST_CONC"),  # typical 60 %
        produce("2024-03-06", "P1", "Y", 60, "B1", pct=100),
    )


def test_same_batch_id_at_two_enterprises_gives_each_its_own_share(registry):
    # Merged into one batch, X and Y would both get 0.5.
    shares = lot_shares(two_b1s(), registry)
    assert shares["X"] == pytest.approx(1.0)
    assert shares["Y"] == 0.0
    table = lot_table(two_b1s(), registry)
    assert table.loc[["X", "Y"], "batch_id"].tolist() == ["B1", "B1"]
    assert table.loc[["X", "Y"], "created_by"].tolist() == ["S1", "P1"]


def test_batch_table_has_one_row_per_enterprise_batch(registry):
    batches = batch_table(two_b1s(), registry)
    assert batches["output_share"].to_dict() == pytest.approx(
        {("S1", "B1"): 1.0, ("P1", "B1"): 0.0}
    )
    assert batches["reo_consumed"].to_dict() == pytest.approx(
        {("S1", "B1"): 60.0, ("P1", "B1"): 60.0}
    )


def test_trace_follows_only_the_enterprises_own_batch(registry):
    up = trace_upstream(two_b1s(), registry, "X")
    assert [(o["kind"], o["share"]) for o in up["origins"]] == [("import", pytest.approx(1.0))]
    assert up["breaks"] == []
    (batch,) = up["tree"]["sources"]
    assert (batch["batch_id"], batch["enterprise_id"]) == ("B1", "S1")
    assert [s["lot_id"] for s in batch["sources"]] == ["A"]

    up = trace_upstream(two_b1s(), registry, "Y")
    assert [o["kind"] for o in up["origins"]] == ["unknown_lot"]
    assert up["tree"]["sources"][0]["enterprise_id"] == "P1"

    down = trace_downstream(two_b1s(), "A")
    (fed,) = down["batches"]
    assert (fed["batch_id"], fed["enterprise_id"]) == ("B1", "S1")
    assert [o["lot_id"] for o in fed["outputs"]] == ["X"]


def test_lineage_graph_links_lots_only_through_the_same_enterprises_batch():
    assert set(lineage_graph(two_b1s()).edges) == {("A", "X"), ("U", "Y")}


def test_chain_through_two_enterprises_batch_b1_is_not_a_cycle(registry):
    # S1's B1 turns P into Q; P1's B1 turns Q into R. One merged B1 would consume and
    # produce Q: a false lineage cycle that zeroes Q's and R's shares.
    ev = frame(
        extract("2024-02-01", "M1", "P", 1000, pct=50),  # designated mine: share 1
        consume("2024-02-10", "S1", "P", 1000, "B1"),
        produce("2024-02-11", "S1", "Q", 500, "B1", pct=99),
        consume("2024-02-20", "P1", "Q", 500, "B1"),
        produce("2024-02-21", "P1", "R", 495, "B1", pct=100, product="ND_METAL"),
    )
    assert lineage_cycles(ev) == []
    assert lot_shares(ev, registry)[["Q", "R"]].tolist() == pytest.approx([1.0, 1.0])
    assert "LINEAGE_CYCLE" not in set(run_detectors(ev, registry)["type"])


def test_smelting_is_decided_per_enterprise_batch(registry):
    # S1's B1 consumes a mineral (smelting); P1's B1 consumes an oxide (not smelting).
    ev = frame(
        extract("2024-01-05", "M1", "ORE", 10_000, pct=60, product="BAST_CONC"),
        consume("2024-01-10", "S1", "ORE", 10_000, "B1"),
        produce("2024-01-11", "S1", "OX", 5_000, "B1", pct=99),
        consume("2024-02-10", "P1", "OX", 1_000, "B1"),
        produce("2024-02-11", "P1", "MET", 1_000, "B1", pct=116, product="ND_METAL"),
    )
    assert list(smelting_batch_ids(ev)) == [("S1", "B1")]
    table = quota_burndown(ev, registry, year=2024).set_index(["enterprise_id", "activity"])
    assert ("S1", "smelting") in table.index
    assert ("P1", "smelting") not in table.index
