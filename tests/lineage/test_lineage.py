"""Hand-written chains for lot origins and the traceable share (SPEC §5 Origins, haircut)."""

from __future__ import annotations

import pytest
from lineage_chains import consume, extract, frame, imported, produce, row

from flowgraph.analysis.lineage import (
    batch_table,
    lineage_cycles,
    lineage_graph,
    lot_shares,
    lot_table,
)
from flowgraph.analysis.prepared import PreparedEvents


def test_mine_to_smelter_to_oxide_is_fully_traceable(registry):
    ev = frame(
        extract("2024-02-01", "M1", "ORE1", 1000, pct=50),  # 500 kg REO
        consume("2024-02-10", "S1", "ORE1", 1000, "B1"),
        produce("2024-02-11", "S1", "OX1", 500, "B1", pct=99),  # 495 kg REO: a small loss
    )
    table = lot_table(ev, registry)
    assert table.loc["ORE1", "origin"] == "mine"
    assert table.loc["OX1", "origin"] == "batch"
    assert table.loc["OX1", "batch_id"] == "B1"
    assert table.loc["OX1", "created_reo_kg"] == pytest.approx(495)
    assert table.loc["ORE1", "family"] == "mineral"
    assert lot_shares(ev, registry).to_dict() == pytest.approx({"ORE1": 1.0, "OX1": 1.0})


@pytest.mark.parametrize(("date", "share"), [("2024-06-30", 1.0), ("2024-07-01", 0.0)])
def test_extraction_counts_only_on_designated_dates(registry, date, share):
    # M1's designation runs valid_from 2024-01-01 .. valid_to 2024-06-30 inclusive.
    ev = frame(
        extract(date, "M1", "ORE1", 1000),
        consume(date, "S1", "ORE1", 1000, "B1"),
        produce(date, "S1", "OX1", 500, "B1"),
    )
    table = lot_table(ev, registry)
    assert table.loc["ORE1", "traceable_share"] == share
    assert table.loc["OX1", "traceable_share"] == pytest.approx(share)
    expected = "mine" if share else "undesignated_extraction"
    assert table.loc["ORE1", "origin"] == expected


def test_enterprise_without_any_designation_is_undesignated(registry):
    ev = frame(extract("2024-02-01", "M2", "ORE2", 10))
    assert lot_table(ev, registry).loc["ORE2", "origin"] == "undesignated_extraction"
    assert lot_shares(ev, registry)["ORE2"] == 0.0


@pytest.mark.parametrize(
    ("country", "doc", "share", "origin"),
    [
        ("MM", "C-1", 1.0, "import"),
        ("MM", None, 0.0, "undocumented_import"),
        ("MM", "  ", 0.0, "undocumented_import"),
        (None, "C-1", 0.0, "undocumented_import"),
    ],
)
def test_import_needs_country_and_document(registry, country, doc, share, origin):
    ev = frame(imported("2024-03-01", "S1", "IMP", 200, country=country, doc=doc))
    table = lot_table(ev, registry)
    assert table.loc["IMP", ["traceable_share", "origin"]].tolist() == [share, origin]


def test_blend_of_good_and_unknown_input_is_half_traceable(registry):
    ev = frame(
        imported("2024-03-01", "S1", "GOOD", 100, pct=60),  # 60 kg REO
        # UNK was never created: its REO uses the product's typical 60 %.
        consume("2024-03-05", "S1", "UNK", 100, "B1", product="BAST_CONC"),
        consume("2024-03-05", "S1", "GOOD", 100, "B1"),
        produce("2024-03-06", "S1", "OX", 120, "B1", pct=100),  # 120 = input REO
    )
    table = lot_table(ev, registry)
    assert table.loc["UNK", "origin"] == "unknown"
    assert table.loc["UNK", "creators"] == 0
    assert table.loc["UNK", "traceable_share"] == 0.0
    assert table.loc["OX", "traceable_share"] == pytest.approx(0.5)
    batch = batch_table(ev, registry).loc[("S1", "B1")]
    assert batch["input_share"] == pytest.approx(0.5)
    assert batch["reo_consumed"] == pytest.approx(120)
    assert bool(batch["smelting"])


def test_batch_gain_is_untraceable(registry):
    ev = frame(
        extract("2024-02-01", "M1", "ORE", 1000, pct=50),  # 500 REO
        consume("2024-02-10", "S1", "ORE", 1000, "B1"),
        produce("2024-02-11", "S1", "OX", 550, "B1", pct=100),  # 550 REO: +10 %
    )
    assert lot_shares(ev, registry)["OX"] == pytest.approx(1 / 1.1)
    batch = batch_table(ev, registry).loc[("S1", "B1")]
    assert batch["input_share"] == pytest.approx(1.0)
    assert batch["output_share"] == pytest.approx(1 / 1.1)


def test_haircut_compounds_down_a_chain(registry):
    ev = frame(
        extract("2024-02-01", "M1", "ORE", 1000, pct=50),  # 500
        consume("2024-02-10", "S1", "ORE", 1000, "B1"),
        produce("2024-02-11", "S1", "OX", 550, "B1", pct=100),  # 550: share 1/1.1
        consume("2024-02-20", "P1", "OX", 275, "B2"),  # 275 REO in
        produce("2024-02-21", "P1", "MET", 300, "B2", pct=100, product="ND_METAL"),  # 300 out
    )
    table = lot_table(ev, registry)
    assert table.loc["MET", "traceable_share"] == pytest.approx(275 / 1.1 / 300)
    assert table.loc["MET", "family"] == "metal"
    assert not bool(batch_table(ev, registry).loc[("P1", "B2"), "smelting"])  # consumes an oxide


def test_consume_rows_without_product_use_the_lots_product_for_smelting(registry):
    ev = frame(
        extract("2024-02-01", "M1", "ORE", 10),  # MIXED_CONC, a mineral
        consume("2024-02-10", "S1", "ORE", 10, "B1"),  # no product on the row (same file)
        produce("2024-02-11", "S1", "OX", 5, "B1"),
    )
    assert ev.loc[1, "product"] is None
    assert PreparedEvents(ev).row_lot_product.tolist() == ["MIXED_CONC", "MIXED_CONC", "ND_OXIDE"]
    assert bool(batch_table(ev, registry).loc[("S1", "B1"), "smelting"])


def test_cycle_lots_get_share_zero_and_are_found(registry):
    ev = frame(
        extract("2024-02-01", "M1", "A", 1000, pct=50),  # good input, 500 REO
        consume("2024-02-10", "S1", "A", 1000, "B1"),
        consume("2024-02-10", "S1", "C", 100, "B1"),  # C comes back out of B2
        produce("2024-02-11", "S1", "D", 200, "B1", pct=100),
        produce("2024-02-11", "S1", "F", 300, "B1", pct=100),  # leaves the loop
        consume("2024-02-12", "S1", "D", 200, "B2"),
        produce("2024-02-13", "S1", "C", 100, "B2", pct=99),
    )
    shares = lot_shares(ev, registry)
    assert shares["C"] == 0.0
    assert shares["D"] == 0.0
    assert shares["A"] == 1.0
    # B1 consumed 500 REO from A (share 1) and 99 from C (share 0); produced 500.
    assert shares["F"] == pytest.approx(500 / 599)
    assert lineage_cycles(ev) == [["C", "D"]]
    table = lot_table(ev, registry)
    assert table.loc[["C", "D", "F"], "in_cycle"].tolist() == [True, True, False]
    batches = batch_table(ev, registry)
    assert batches["in_cycle"].to_dict() == {("S1", "B1"): True, ("S1", "B2"): True}


def test_self_loop_and_separate_cycles_are_sorted(registry):
    ev = frame(
        consume("2024-02-10", "S1", "Z", 10, "B9"),
        produce("2024-02-11", "S1", "Z", 10, "B9"),  # a batch yielding the lot it ate
        consume("2024-02-10", "S1", "K", 10, "B1"),
        produce("2024-02-11", "S1", "M", 10, "B1"),
        consume("2024-02-12", "S1", "M", 10, "B2"),
        produce("2024-02-13", "S1", "K", 10, "B2"),
        extract("2024-02-01", "M1", "N", 10),  # no cycle near it
    )
    assert lineage_cycles(ev) == [["K", "M"], ["Z"]]
    assert lot_shares(ev, registry)[["Z", "K", "M", "N"]].tolist() == [0.0, 0.0, 0.0, 1.0]


def test_no_cycles_in_a_clean_chain(registry):
    ev = frame(
        extract("2024-02-01", "M1", "A", 10),
        consume("2024-02-10", "S1", "A", 10, "B1"),
        produce("2024-02-11", "S1", "B", 5, "B1"),
    )
    assert lineage_cycles(ev) == []


def test_duplicate_creation_is_reo_weighted(registry):
    ev = frame(
        extract("2024-02-01", "M1", "X", 1000, pct=50),  # designated: 500 REO, share 1
        extract("2024-02-05", "M2", "X", 3000, pct=50),  # undesignated: 1500 REO, share 0
    )
    table = lot_table(ev, registry)
    assert table.loc["X", "creators"] == 2
    assert table.loc["X", "created_by"] == "M1"
    assert table.loc["X", "origin"] == "mine"
    assert table.loc["X", "created_mass_kg"] == 4000
    assert table.loc["X", "traceable_share"] == pytest.approx(0.25)


def test_duplicate_made_by_a_batch_counts_via_the_batch(registry):
    ev = frame(
        imported("2024-03-01", "S1", "Y", 100, pct=60),  # 60 REO, share 1
        consume("2024-03-02", "S1", "UNK", 100, "B1", product="BAST_CONC"),  # 60 REO, share 0
        consume("2024-03-02", "S1", "GOOD", 100, "B1", product="BAST_CONC"),  # unknown too
        produce("2024-03-03", "S1", "Y", 100, "B1", pct=60),  # the same lot id again: 60 REO
    )
    # B1 output share = 0 -> Y = (60 x 1 + 60 x 0) / 120
    assert lot_shares(ev, registry)["Y"] == pytest.approx(0.5)
    assert lot_table(ev, registry).loc["Y", "batch_id"] == "B1"


def test_shares_do_not_depend_on_row_order(registry):
    ev = frame(
        extract("2024-02-01", "M1", "ORE", 1000, pct=50),
        consume("2024-03-05", "S1", "UNK", 100, "B1", product="BAST_CONC"),
        consume("2024-02-10", "S1", "ORE", 1000, "B1"),
        produce("2024-02-11", "S1", "OX", 550, "B1", pct=100),
        consume("2024-02-20", "P1", "OX", 275, "B2"),
        produce("2024-02-21", "P1", "MET", 300, "B2", pct=100),
    )
    forward = lot_shares(ev, registry).sort_index()
    backward = lot_shares(ev.iloc[::-1].reset_index(drop=True), registry).sort_index()
    assert (forward - backward).abs().max() < 1e-12
    assert forward["MET"] > 0


def test_deep_chain_propagates_through_every_generation(registry):
    records = [extract("2024-02-01", "M1", "L0", 1000, pct=50)]
    for i in range(40):
        # each step keeps its REO but reports a 1 % gain in mass x pct
        records.append(consume("2024-02-10", "S1", f"L{i}", 1, f"B{i}"))
        records.append(
            produce("2024-02-10", "S1", f"L{i + 1}", 1, f"B{i}", pct=50 * 1.01 ** (i + 1))
        )
    # consume 1 kg of each lot: REO in = pct_i/100, out = pct_{i+1}/100 -> factor 1/1.01 each
    ev = frame(*records)
    shares = lot_shares(ev, registry)
    assert shares["L40"] == pytest.approx(1.01**-40)
    assert batch_table(ev, registry)["generation"].max() == 39


def test_lineage_graph_edges_carry_the_batch(registry):
    ev = frame(
        consume("2024-02-10", "S1", "A", 1, "B1"),
        consume("2024-02-10", "S1", "B", 1, "B1"),
        produce("2024-02-11", "S1", "C", 1, "B1"),
        row("ship", "2024-02-12", "S1", "C", 1, counterparty_id="P1", shipment_id="SH1"),
    )
    graph = lineage_graph(ev)
    assert sorted(graph.edges(data="batch_id")) == [("A", "C", "B1"), ("B", "C", "B1")]


def test_lot_table_lists_every_lot_once(registry):
    ev = frame(
        extract("2024-02-01", "M1", "A", 10),
        row("ship", "2024-02-02", "M1", "A", 5, counterparty_id="S1", shipment_id="S"),
        row("receive", "2024-02-03", "S1", "Q", 5, product="BAST_CONC", shipment_id="S"),
    )
    table = lot_table(ev, registry)
    assert sorted(table.index) == ["A", "Q"]
    assert table.loc["Q", "product"] == "BAST_CONC"
    assert table.loc["Q", "created_type"] is None
    assert table.loc["A", "created_type"] == "extract"
