"""A caller that runs several lineage analyses on one event table builds the batch graph once
(batchgraph.batch_structure) and hands it on with ``structure=``: same answers, no rebuild."""

from __future__ import annotations

import pandas as pd
import pytest
from lineage_chains import consume, extract, frame, produce

import flowgraph.analysis.batchgraph as batchgraph
from flowgraph.analysis.batchgraph import batch_structure
from flowgraph.analysis.burndown import quota_burndown, smelting_batch_ids
from flowgraph.analysis.lineage import batch_table, lineage_cycles, lot_shares, lot_table
from flowgraph.analysis.lotrows import lot_products
from flowgraph.analysis.provenance import trace_downstream, trace_upstream
from flowgraph.errors import UsageError


def looped():
    """A smelting batch with a loop (C -> B2 -> C) beside it, and a lot that leaves the loop."""
    return frame(
        extract("2024-02-01", "M1", "A", 1000, pct=50),
        consume("2024-02-10", "S1", "A", 1000, "B1"),
        consume("2024-02-10", "S1", "C", 100, "B1"),
        produce("2024-02-11", "S1", "D", 200, "B1", pct=100),
        produce("2024-02-11", "S1", "F", 300, "B1", pct=100),
        consume("2024-02-12", "S1", "D", 200, "B2"),
        produce("2024-02-13", "S1", "C", 100, "B2", pct=99),
    )


def _analyses(ev, registry, **given) -> dict:
    return {
        "shares": lot_shares(ev, registry, **given),
        "lots": lot_table(ev, registry, **given),
        "batches": batch_table(ev, registry, **given),
        "cycles": lineage_cycles(ev, **given),
        "smelting": smelting_batch_ids(ev, **given),
        "burndown": quota_burndown(ev, registry, 2024, **given),
        "products": lot_products(ev, **given),
        "up": trace_upstream(ev, registry, "F", **given),
        "down": trace_downstream(ev, "A", **given),
    }


def test_every_analysis_gives_the_same_answer_with_a_given_structure(registry, count_calls):
    ev = looped()
    built = _analyses(ev, registry)
    structure = batch_structure(ev)
    calls = count_calls(batchgraph, "_structure")
    given = _analyses(ev, registry, structure=structure)
    assert calls == []  # nine analyses, not one rebuild
    assert given["cycles"] == built["cycles"] == [["C", "D"]]
    assert given["up"] == built["up"] and given["down"] == built["down"]
    assert list(given["smelting"]) == list(built["smelting"]) == [("S1", "B1")]
    pd.testing.assert_series_equal(given["shares"], built["shares"])
    pd.testing.assert_series_equal(given["products"], built["products"])
    for name in ("lots", "batches", "burndown"):
        pd.testing.assert_frame_equal(given[name], built[name])


def test_without_a_structure_each_analysis_builds_its_own(registry, count_calls):
    ev = looped()
    calls = count_calls(batchgraph, "_structure")
    lot_shares(ev, registry)
    lineage_cycles(ev)
    assert calls == [len(ev), len(ev)]  # nothing cached between calls


def test_a_structure_of_another_event_table_is_refused(registry):
    ev = looped()
    other = batch_structure(ev.iloc[:3])
    with pytest.raises(UsageError, match="3 event rows given for 7 rows"):
        lot_shares(ev, registry, structure=other)
    with pytest.raises(UsageError, match="same event table"):
        lineage_cycles(ev, structure=other)
