"""trace_upstream / trace_downstream on hand-written chains."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from lineage_chains import consume, extract, frame, imported, produce, row, standard_registry
from test_lineage_properties import messy_chain

from flowgraph.analysis.lineage import lot_shares
from flowgraph.analysis.provenance import trace_downstream, trace_upstream
from flowgraph.errors import UsageError


def mixed_chain():
    return frame(
        extract("2024-02-01", "M1", "ORE", 1000, pct=50),  # 500 REO, designated
        extract("2024-07-01", "M1", "ORE2", 400, pct=50),  # 200 REO, designation ended 06-30
        imported("2024-02-01", "S1", "IMP", 100, pct=60, doc=None),  # 60 REO, undocumented
        consume("2024-02-10", "S1", "UNK", 100, "B1", product="BAST_CONC"),  # 60 REO, unknown
        consume("2024-02-10", "S1", "ORE", 1000, "B1"),
        consume("2024-02-10", "S1", "ORE2", 400, "B1"),
        consume("2024-02-10", "S1", "IMP", 100, "B1"),
        produce("2024-02-11", "S1", "OX", 900, "B1", pct=100),  # 900 out of 820 in
        consume("2024-02-20", "P1", "OX", 275, "B2"),
        produce("2024-02-21", "P1", "MET", 300, "B2", pct=100),  # 300 out of 275 in
        row(
            "export",
            "2024-03-01",
            "P1",
            "MET",
            100,
            country="JP",
            shipment_id="X1",
            document_ref="D-9",
        ),
        row("ship", "2024-02-12", "S1", "OX", 200, counterparty_id="T1", shipment_id="SH7"),
        row("stock", "2024-02-29", "S1", "OX", 425),
        row("stock", "2024-03-31", "S1", "OX", 400),
        row("loss", "2024-02-15", "S1", "OX", 5, note="spill"),
    )


def test_upstream_shares_sum_and_breaks_are_listed():
    reg = standard_registry()
    t = trace_upstream(mixed_chain(), reg, "MET")
    by_kind = {}
    for origin in t["origins"]:
        by_kind.setdefault(origin["kind"], []).append(origin)
    # B2: 275 in, 300 out -> inputs weigh 275/300, gain 25/300
    # B1: 820 in, 900 out -> ORE 500/900, ORE2 200/900, IMP 60/900, UNK 60/900, gain 80/900
    w = 275 / 300
    assert by_kind["mine"][0]["share"] == pytest.approx(w * 500 / 900)
    assert by_kind["mine"][0]["licence_no"] == "LIC-M1"
    assert by_kind["undesignated_extraction"][0]["share"] == pytest.approx(w * 200 / 900)
    assert by_kind["undocumented_import"][0]["share"] == pytest.approx(w * 60 / 900)
    assert by_kind["unknown_lot"][0]["share"] == pytest.approx(w * 60 / 900)
    gains = {g["batch_id"]: g["share"] for g in by_kind["batch_gain"]}
    assert gains == pytest.approx({"B2": 25 / 300, "B1": w * 80 / 900})
    assert sum(o["share"] for o in t["origins"]) == pytest.approx(1.0)
    valid = sum(o["share"] for o in t["origins"] if o["kind"] in ("mine", "import"))
    assert valid == pytest.approx(t["traceable_share"])
    assert t["traceable_share"] == pytest.approx(lot_shares(mixed_chain(), reg)["MET"])
    breaks = {(b["kind"], b["lot_id"], b["batch_id"]) for b in t["breaks"]}
    assert breaks == {
        ("undesignated_extraction", "ORE2", None),
        ("undocumented_import", "IMP", None),
        ("unknown_lot", "UNK", None),
        ("batch_gain", None, "B1"),
        ("batch_gain", None, "B2"),
    }


def test_upstream_tree_nests_lot_batch_origin():
    t = trace_upstream(mixed_chain(), standard_registry(), "MET")
    tree = t["tree"]
    assert (tree["kind"], tree["lot_id"], tree["contribution"]) == ("lot", "MET", 1.0)
    (b2,) = tree["sources"]
    assert (b2["kind"], b2["batch_id"]) == ("batch", "B2")
    ox = next(s for s in b2["sources"] if s.get("lot_id") == "OX")
    assert ox["contribution"] == pytest.approx(275 / 300)
    (b1,) = ox["sources"]
    ore = next(s for s in b1["sources"] if s.get("lot_id") == "ORE")
    assert ore["sources"][0]["kind"] == "mine"


def test_clean_lot_has_no_breaks():
    ev = frame(
        extract("2024-02-01", "M1", "ORE", 1000, pct=50),
        consume("2024-02-10", "S1", "ORE", 1000, "B1"),
        produce("2024-02-11", "S1", "OX", 500, "B1", pct=99),
    )
    t = trace_upstream(ev, standard_registry(), "OX")
    assert t["breaks"] == []
    assert [(o["kind"], o["lot_id"]) for o in t["origins"]] == [("mine", "ORE")]
    assert t["origins"][0]["share"] == pytest.approx(1.0)


def test_cycle_is_a_break():
    ev = frame(
        extract("2024-02-01", "M1", "A", 1000, pct=50),
        consume("2024-02-10", "S1", "A", 1000, "B1"),
        consume("2024-02-10", "S1", "C", 100, "B1"),
        produce("2024-02-11", "S1", "D", 200, "B1", pct=100),
        produce("2024-02-11", "S1", "F", 300, "B1", pct=100),
        consume("2024-02-12", "S1", "D", 200, "B2"),
        produce("2024-02-13", "S1", "C", 100, "B2", pct=99),
    )
    t = trace_upstream(ev, standard_registry(), "F")
    assert {(b["kind"], b["lot_id"]) for b in t["breaks"]} == {("cycle", "C")}
    assert t["breaks"][0]["share"] == pytest.approx(99 / 599)
    root_in_cycle = trace_upstream(ev, standard_registry(), "D")
    assert [b["kind"] for b in root_in_cycle["breaks"]] == ["cycle"]
    assert root_in_cycle["traceable_share"] == 0.0


def test_diamond_counts_each_path():
    # ORE feeds B1 twice over (two outputs both feeding B2): the tree shows ORE once.
    ev = frame(
        extract("2024-02-01", "M1", "ORE", 1000, pct=50),
        consume("2024-02-10", "S1", "ORE", 1000, "B1"),
        produce("2024-02-11", "S1", "X", 250, "B1", pct=100),
        produce("2024-02-11", "S1", "Y", 250, "B1", pct=100),
        consume("2024-02-12", "S1", "X", 250, "B2"),
        consume("2024-02-12", "S1", "Y", 250, "B2"),
        produce("2024-02-13", "S1", "Z", 500, "B2", pct=100),
    )
    t = trace_upstream(ev, standard_registry(), "Z")
    assert [(o["kind"], o["share"]) for o in t["origins"]] == [("mine", pytest.approx(1.0))]
    b2 = t["tree"]["sources"][0]
    refs = [s for x in b2["sources"] for s in x["sources"] if s.get("ref")]
    assert [r["batch_id"] for r in refs] == ["B1"]


@given(messy_chain())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_upstream_origins_always_sum_to_one(ev):
    reg = standard_registry()
    shares = lot_shares(ev, reg)
    for lot in ev["lot_id"].unique():
        t = trace_upstream(ev, reg, lot)
        assert sum(o["share"] for o in t["origins"]) == pytest.approx(1.0)
        valid = sum(o["share"] for o in t["origins"] if o["kind"] in ("mine", "import"))
        assert valid == pytest.approx(shares[lot], abs=1e-9)


def test_unknown_lot_is_a_usage_error():
    with pytest.raises(UsageError, match="no events for lot NOPE"):
        trace_upstream(mixed_chain(), standard_registry(), "NOPE")
    with pytest.raises(UsageError, match="no events for lot NOPE"):
        trace_downstream(mixed_chain(), "NOPE")


def test_downstream_follows_batches_ships_exports_losses_and_stock():
    d = trace_downstream(mixed_chain(), "ORE")
    assert d["created"][0]["event_type"] == "extract"
    (b1,) = d["batches"]
    assert (b1["batch_id"], b1["reo_kg"]) == ("B1", 500.0)
    (ox,) = b1["outputs"]
    assert (ox["lot_id"], ox["reo_kg"]) == ("OX", 900.0)
    assert [(s["to"], s["shipment_id"], s["reo_kg"]) for s in ox["ships"]] == [("T1", "SH7", 200.0)]
    assert [(x["note"], x["mass_kg"]) for x in ox["losses"]] == [("spill", 5.0)]
    assert [(s["period"], s["mass_kg"]) for s in ox["stock"]] == [("2024-03", 400.0)]
    (met,) = ox["batches"][0]["outputs"]
    assert [(e["country"], e["shipment_id"], e["reo_kg"]) for e in met["exports"]] == [
        ("JP", "X1", 100.0)
    ]


def test_downstream_receipts_of_an_uncreated_lot():
    ev = frame(
        row(
            "receive",
            "2024-02-03",
            "S1",
            "Q",
            5,
            product="BAST_CONC",
            counterparty_id="T9",
            shipment_id="S1",
        ),
    )
    d = trace_downstream(ev, "Q")
    assert d["created"] == []
    assert [(r["sender"], r["reo_kg"]) for r in d["receipts"]] == [("T9", 3.0)]
